import {
  AddTagsToResourceCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSsmPort } from '../../shared/aws/ssm.js';
import { InvariantError } from '../../shared/core/errors.js';
import type { SsmPort } from '../../shared/core/ports.js';
import { callError, rejectionOf } from '../support/aws-errors.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

/** The SSM adapter over a mocked client: the calls it makes, and how it reads AWS's answers. */

const REGION = 'eu-west-1';
const ssmMock = mockClient(SSMClient);
restoreAfterAll(ssmMock);
let port: SsmPort;

beforeEach(() => {
  ssmMock.reset();
  port = createSsmPort(new SSMClient({ region: REGION }), REGION);
});

function ssmError(code: string, httpStatusCode = 400): SSMServiceException {
  return new SSMServiceException({
    name: code,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: `${code} (simulated)`,
  });
}

const request = {
  name: '/golden/web/latest',
  value: 'ami-0123456789abcdef0',
  dataType: 'aws:ec2:image' as const,
  description: 'release',
  tags: { 'ami-lifecycle:rule': 'web' },
};

describe('getParameters', () => {
  it('asks 10 names a call (the API maximum), and answers only the parameters that exist', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `/p/${i}`);
    ssmMock.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
      Parameters: input.Names.filter((n) => n !== '/p/3').map((Name) => ({
        Name,
        Value: `v${Name}`,
        Version: 2,
      })),
      InvalidParameters: input.Names.filter((n) => n === '/p/3'),
    }));

    const found = await port.getParameters(names);

    expect(ssmMock.commandCalls(GetParametersCommand).map((c) => c.args[0].input.Names?.length)).toEqual([
      10, 2,
    ]);
    expect(found.size).toBe(11);
    expect(found.get('/p/0')).toEqual({ name: '/p/0', value: 'v/p/0', version: 2 });
    expect(found.has('/p/3')).toBe(false);
  });
});

describe('putParameter', () => {
  it('creates with the tags, never Overwrite with Tags (AWS refuses both together)', async () => {
    ssmMock.on(PutParameterCommand).resolves({ Version: 1 });

    expect(await port.putParameter(request, false)).toBe(1);
    expect(ssmMock.commandCalls(PutParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/golden/web/latest',
      Value: 'ami-0123456789abcdef0',
      Type: 'String',
      DataType: 'aws:ec2:image',
      Description: 'release',
      Overwrite: false,
      Tags: [{ Key: 'ami-lifecycle:rule', Value: 'web' }],
    });
  });

  it('an existing parameter: overwritten, without tags and without a tag call', async () => {
    ssmMock.on(PutParameterCommand).resolves({ Version: 5 });

    expect(await port.putParameter(request, true)).toBe(5);
    expect(ssmMock.commandCalls(PutParameterCommand)[0]?.args[0].input).toMatchObject({ Overwrite: true });
    expect(ssmMock.commandCalls(PutParameterCommand)[0]?.args[0].input.Tags).toBeUndefined();
    expect(ssmMock).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 0);
  });

  it('a create that finds the parameter made meanwhile: overwrites it, then tags it', async () => {
    ssmMock
      .on(PutParameterCommand, { Overwrite: false })
      .rejects(ssmError('ParameterAlreadyExists'))
      .on(PutParameterCommand, { Overwrite: true })
      .resolves({ Version: 2 });
    ssmMock.on(AddTagsToResourceCommand).resolves({});

    expect(await port.putParameter(request, false)).toBe(2);
    expect(ssmMock.commandCalls(AddTagsToResourceCommand)[0]?.args[0].input).toEqual({
      ResourceType: 'Parameter',
      ResourceId: '/golden/web/latest',
      Tags: [{ Key: 'ami-lifecycle:rule', Value: 'web' }],
    });
  });

  it('a validation still running (TooManyUpdates) is an AwsCallError a retry can fix', async () => {
    ssmMock.on(PutParameterCommand).rejects(ssmError('TooManyUpdates'));

    const error = await callError(port.putParameter(request, true));
    expect(error).toMatchObject({
      operation: 'PutParameter',
      region: REGION,
      code: 'TooManyUpdates',
      retryable: true,
    });
  });

  it('a refusal (the name is reserved) is terminal', async () => {
    ssmMock.on(PutParameterCommand).rejects(ssmError('ValidationException'));

    const error = await callError(port.putParameter(request, false));
    expect(error).toMatchObject({ code: 'ValidationException', retryable: false });
  });
});

it('labelParameterVersion labels the version given', async () => {
  ssmMock.on(LabelParameterVersionCommand).resolves({ InvalidLabels: [], ParameterVersion: 4 });

  await port.labelParameterVersion('/golden/web/latest', 4, ['ami-0123456789abcdef0']);
  expect(ssmMock.commandCalls(LabelParameterVersionCommand)[0]?.args[0].input).toEqual({
    Name: '/golden/web/latest',
    ParameterVersion: 4,
    Labels: ['ami-0123456789abcdef0'],
  });
});

it('labels AWS did not attach (InvalidLabels in a success) are a broken invariant, not silently dropped', async () => {
  ssmMock.on(LabelParameterVersionCommand).resolves({ InvalidLabels: ['1bad'], ParameterVersion: 4 });

  await rejectionOf(port.labelParameterVersion('/golden/web/latest', 4, ['1bad']), InvariantError);
});
