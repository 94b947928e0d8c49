import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImageReferencesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParameterStoreChangeEvent } from '../src/ssm/index.js';
import { type LocalStack, startLocalStack } from '../src/stack.js';
import { type SsmHarness, ssmError, startSsm } from './ssm-harness.js';

/**
 * The `aws:ec2:image` data type: PutParameter answers at once, the value is validated
 * asynchronously, the change is visible only if the value is an image the account can use in that
 * region, and a Parameter Store Change event reports either outcome.
 */

const AMI = 'ami-0123456789abcdef0';

describe('aws:ec2:image on its own (no EC2 behind it)', () => {
  let h: SsmHarness;
  const events: ParameterStoreChangeEvent[] = [];
  beforeAll(async () => {
    // A validation that never ends by itself: the test finishes it.
    h = await startSsm({ validationDelayMs: 3_600_000 });
    h.ssm.onEvent((event) => events.push(event));
  });
  afterAll(() => h.close());
  const put = (input: ConstructorParameters<typeof PutParameterCommand>[0]) =>
    h.client().send(new PutParameterCommand(input));
  const get = (name: string) => h.client().send(new GetParameterCommand({ Name: name }));

  it('answers the version at once and shows nothing until the validation ends', async () => {
    expect(
      await put({ Name: '/img/a', Value: AMI, Type: 'String', DataType: 'aws:ec2:image' }),
    ).toMatchObject({
      Version: 1,
    });
    expect((await ssmError(get('/img/a'))).name).toBe('ParameterNotFound');
    const again = await ssmError(
      put({ Name: '/img/a', Value: AMI, Type: 'String', DataType: 'aws:ec2:image' }),
    );
    expect(again.name).toBe('TooManyUpdates');
    expect(h.ssm.pendingValidations()).toBe(1);
    h.ssm.completePendingValidations();
    expect((await get('/img/a')).Parameter).toMatchObject({
      Value: AMI,
      Version: 1,
      DataType: 'aws:ec2:image',
    });
    expect(events.at(-1)?.detail).toEqual({
      operation: 'Create',
      name: '/img/a',
      type: 'String',
      dataType: 'aws:ec2:image',
    });
  });

  it('checks only the AMI id format without an EC2 to ask, and keeps the old version on a failed update', async () => {
    expect(await put({ Name: '/img/a', Value: 'ami-nothex', Overwrite: true })).toMatchObject({ Version: 2 });
    h.ssm.completePendingValidations();
    expect(events.at(-1)?.detail).toMatchObject({
      operation: 'Update',
      exception: 'Unable to Describe Resource',
    });
    expect((await get('/img/a')).Parameter).toMatchObject({ Value: AMI, Version: 1 });
    const history = await h.client().send(new GetParameterHistoryCommand({ Name: '/img/a' }));
    expect(history.Parameters?.map((p) => p.Version)).toEqual([1]);
  });

  it('refuses aws:ec2:image on a StringList and a change to or from it', async () => {
    expect(
      (await ssmError(put({ Name: '/img/list', Value: AMI, Type: 'StringList', DataType: 'aws:ec2:image' })))
        .name,
    ).toBe('ValidationException');
    await put({ Name: '/img/text', Value: AMI, Type: 'String' });
    expect(
      (await ssmError(put({ Name: '/img/text', Value: AMI, Overwrite: true, DataType: 'aws:ec2:image' })))
        .name,
    ).toBe('ValidationException');
    expect(
      (await ssmError(put({ Name: '/img/x', Value: '1', Type: 'String', DataType: 'integer' }))).name,
    ).toBe('ValidationException');
  });
});

describe('aws:ec2:image in the local stack, checked against the EC2 emulator', () => {
  const ACCOUNT = '444455556666';
  const OTHER = '777788889999';
  let stack: LocalStack;
  let root: string;
  let client: SSMClient;

  beforeAll(async () => {
    // A service with no functions: the stack's endpoint, emulators and bus are all this test needs.
    root = await mkdtemp(join(tmpdir(), 'ssm-stack-'));
    await writeFile(
      join(root, 'serverless.yml'),
      'service: ssm-test\nprovider:\n  name: aws\n  region: us-east-1\n',
    );
    stack = await startLocalStack({ root, ec2: { accountId: ACCOUNT, regions: ['us-east-1', 'eu-west-1'] } });
    client = new SSMClient({
      region: 'us-east-1',
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    await stack.close();
    await rm(root, { recursive: true, force: true });
  });

  const seed = (input: Partial<Parameters<LocalStack['emulator']['seedImage']>[0]> = {}) =>
    stack.emulator.seedImage({
      region: 'us-east-1',
      name: `img-${Math.random()}`,
      emitEvent: false,
      ...input,
    }).imageId;
  /** Puts an aws:ec2:image value, waits for the validation, and returns the event that reported it. */
  const publish = async (name: string, value: string, overwrite = false) => {
    await client.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        DataType: 'aws:ec2:image',
        ...(overwrite ? { Overwrite: true } : { Type: 'String' }),
      }),
    );
    await stack.settle(5_000);
    const entry = stack.timeline.findLast(
      (e) => e.kind === 'event' && e.record.event['detail-type'] === 'Parameter Store Change',
    );
    return entry?.kind === 'event' ? entry.record.event : undefined;
  };
  const current = (name: string) => stack.ssm.getParameter('us-east-1', name, ACCOUNT)?.value;

  it('creates the parameter for an available image of the account, and says so on the default bus', async () => {
    const imageId = seed();
    const event = await publish('/golden/linux', imageId);
    expect(current('/golden/linux')).toBe(imageId);
    expect(event).toMatchObject({
      source: 'aws.ssm',
      account: ACCOUNT,
      region: 'us-east-1',
      detail: { operation: 'Create', name: '/golden/linux', dataType: 'aws:ec2:image' },
    });
    expect(event?.detail).not.toHaveProperty('exception');
  });

  it('accepts an image shared with the account or public, and refuses one it cannot use', async () => {
    const shared = seed({ ownerId: OTHER, launchPermissions: { userIds: [ACCOUNT] } });
    await publish('/golden/linux', shared, true);
    expect(current('/golden/linux')).toBe(shared);
    const publicImage = seed({ ownerId: OTHER, public: true });
    await publish('/golden/linux', publicImage, true);
    expect(current('/golden/linux')).toBe(publicImage);
    const privateImage = seed({ ownerId: OTHER });
    const refused = await publish('/golden/linux', privateImage, true);
    expect(refused?.detail).toMatchObject({ operation: 'Update', exception: 'Unable to Describe Resource' });
    expect(current('/golden/linux')).toBe(publicImage);
  });

  it('refuses an image of another region, one not available, and an id that does not exist', async () => {
    for (const value of [
      seed({ region: 'eu-west-1' }),
      seed({ state: 'failed' }),
      seed({ state: 'disabled' }),
      'ami-00000000000000000',
    ]) {
      const event = await publish('/golden/never', value);
      expect(event?.detail).toMatchObject({ operation: 'Create', exception: 'Unable to Describe Resource' });
      expect(current('/golden/never')).toBeUndefined();
    }
  });

  it('reports the parameters naming an image to EC2 DescribeImageReferences', async () => {
    const imageId = seed();
    await publish('/golden/referenced', imageId);
    const ec2 = new EC2Client({
      region: 'us-east-1',
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const { ImageReferences } = await ec2.send(
      new DescribeImageReferencesCommand({
        ImageIds: [imageId],
        ResourceTypes: [{ ResourceType: 'ssm:Parameter' }],
      }),
    );
    expect(ImageReferences).toEqual([
      {
        ImageId: imageId,
        ResourceType: 'ssm:Parameter',
        Arn: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/golden/referenced`,
      },
    ]);
  });
});
