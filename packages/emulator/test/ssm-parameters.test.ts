import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParameterStoreChangeEvent } from '../src/ssm/index.js';
import { REGION, type SsmHarness, ssmError, startSsm } from './ssm-harness.js';

/** PutParameter, GetParameter(s), DeleteParameter(s) and the tags of a parameter, over HTTP. */

const ACCOUNT = '123456789012';
let h: SsmHarness;
const events: ParameterStoreChangeEvent[] = [];

beforeAll(async () => {
  h = await startSsm({ accountId: ACCOUNT });
  h.ssm.onEvent((event) => events.push(event));
});
afterAll(() => h.close());

const put = (input: ConstructorParameters<typeof PutParameterCommand>[0], region = REGION) =>
  h.client(region).send(new PutParameterCommand(input));
const get = (name: string, withDecryption?: boolean) =>
  h.client().send(new GetParameterCommand({ Name: name, WithDecryption: withDecryption }));

describe('PutParameter and GetParameter', () => {
  it('creates version 1, answers Version and Tier, and reads it back with its ARN and data type', async () => {
    expect(
      await put({ Name: '/app/db/url', Value: 'jdbc:one', Type: 'String', Description: 'db' }),
    ).toMatchObject({ Version: 1, Tier: 'Standard' });
    const { Parameter } = await get('/app/db/url');
    expect(Parameter).toMatchObject({
      Name: '/app/db/url',
      Type: 'String',
      Value: 'jdbc:one',
      Version: 1,
      ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/db/url`,
      DataType: 'text',
    });
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    expect(events.at(-1)).toMatchObject({
      source: 'aws.ssm',
      'detail-type': 'Parameter Store Change',
      account: ACCOUNT,
      region: REGION,
      resources: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/db/url`],
      detail: { operation: 'Create', name: '/app/db/url', type: 'String', description: 'db' },
    });
  });

  it('refuses a second put without Overwrite, and makes version 2 with it (keeping the type)', async () => {
    await put({ Name: 'plain', Value: 'a', Type: 'String' });
    const refused = await ssmError(put({ Name: 'plain', Value: 'b', Type: 'String' }));
    expect(refused.name).toBe('ParameterAlreadyExists');
    expect(refused.message).toBe(
      'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
    );
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(await put({ Name: 'plain', Value: 'b', Overwrite: true })).toMatchObject({ Version: 2 });
    expect((await get('plain')).Parameter).toMatchObject({ Value: 'b', Version: 2, Type: 'String' });
    expect(events.at(-1)?.detail).toMatchObject({ operation: 'Update', name: 'plain' });
  });

  it('reads a version or a label with a selector, echoed as Selector', async () => {
    expect((await get('plain:1')).Parameter).toMatchObject({ Value: 'a', Version: 1, Selector: ':1' });
    const missing = await ssmError(get('plain:9'));
    expect(missing.name).toBe('ParameterVersionNotFound');
  });

  it('treats /Name and Name of a one-level parameter as one parameter', async () => {
    expect((await get('/plain')).Parameter).toMatchObject({ Name: 'plain', Value: 'b' });
    expect((await ssmError(put({ Name: '/plain', Value: 'c', Type: 'String' }))).name).toBe(
      'ParameterAlreadyExists',
    );
  });

  it('answers ParameterNotFound without a message, as AWS does', async () => {
    const missing = await ssmError(get('/nothing/here'));
    expect(missing.name).toBe('ParameterNotFound');
    expect(missing.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses Tags together with Overwrite', async () => {
    const refused = await ssmError(
      put({ Name: 'plain', Value: 'x', Overwrite: true, Tags: [{ Key: 'team', Value: 'ops' }] }),
    );
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toMatch(/^Invalid request: tags and overwrite can't be used together\./);
  });

  it('requires a Type to create, and refuses changing it on an overwrite', async () => {
    expect((await ssmError(put({ Name: 'untyped', Value: 'x' }))).name).toBe('ValidationException');
    const changed = await ssmError(put({ Name: 'plain', Value: 'x', Type: 'SecureString', Overwrite: true }));
    expect(changed.name).toBe('HierarchyTypeMismatchException');
  });

  it('checks the value against AllowedPattern, whole value, also on a later overwrite', async () => {
    await put({ Name: '/limits/max', Value: '10', Type: 'String', AllowedPattern: '\\d{1,4}' });
    const refused = await ssmError(put({ Name: '/limits/max', Value: '10,000', Overwrite: true }));
    expect(refused.name).toBe('ParameterPatternMismatchException');
    expect(refused.message).toBe('Parameter value, cannot be validated against allowedPattern: \\d{1,4}');
    const bad = await ssmError(
      put({ Name: '/limits/other', Value: '1', Type: 'String', AllowedPattern: '(' }),
    );
    expect(bad.name).toBe('InvalidAllowedPatternException');
  });

  it('keeps values over 4 KB to the advanced tier', async () => {
    const big = 'x'.repeat(5000);
    expect((await ssmError(put({ Name: '/big/one', Value: big, Type: 'String' }))).name).toBe(
      'ValidationException',
    );
    expect(await put({ Name: '/big/one', Value: big, Type: 'String', Tier: 'Intelligent-Tiering' })).toEqual(
      expect.objectContaining({ Version: 1, Tier: 'Advanced' }),
    );
    const revert = await ssmError(put({ Name: '/big/one', Value: 'x', Overwrite: true, Tier: 'Standard' }));
    expect(revert.name).toBe('ValidationException');
  });

  it('returns a SecureString value only WithDecryption', async () => {
    await put({ Name: '/secret/pw', Value: 'hunter2', Type: 'SecureString' });
    expect((await get('/secret/pw')).Parameter?.Value).not.toBe('hunter2');
    expect((await get('/secret/pw', true)).Parameter?.Value).toBe('hunter2');
  });
});

describe('parameter names', () => {
  const refusal = async (name: string) => {
    const error = await ssmError(put({ Name: name, Value: 'v', Type: 'String' }));
    return { name: error.name, message: error.message };
  };

  it('refuses the reserved aws and ssm prefixes, case-insensitively', async () => {
    expect(await refusal('/aws/mine/x')).toEqual({
      name: 'AccessDeniedException',
      message: 'No access to reserved parameter name: aws/mine/x.',
    });
    expect((await refusal('/SSM/mine/x')).message).toMatch(/^Parameter name: can't be prefixed with "ssm"/);
    expect(await refusal('awsTestParameter')).toEqual({
      name: 'ValidationException',
      message: 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).',
    });
    expect((await refusal('SSM-testparameter')).name).toBe('ValidationException');
  });

  it('refuses characters outside a-zA-Z0-9_.-/, inner spaces and paths without their leading slash', async () => {
    for (const name of ['MyParameter3/L1', '/a/b c', '/a/support@example.com', '/a//b'])
      expect((await refusal(name)).message).toMatch(/^Parameter name: can't be prefixed with "ssm"/);
    // Spaces at either end are removed.
    await put({ Name: '  /trimmed/name  ', Value: 'v', Type: 'String' });
    expect((await get('/trimmed/name')).Parameter?.Name).toBe('/trimmed/name');
  });

  it('allows 15 levels and refuses 16', async () => {
    const levels = (n: number) => `/${Array.from({ length: n }, (_, i) => `L${i + 1}`).join('/')}`;
    await put({ Name: levels(15), Value: 'deep', Type: 'String' });
    expect((await refusal(levels(16))).name).toBe('HierarchyLevelLimitExceededException');
  });

  it('counts the ARN in front of the name against 1011 characters', async () => {
    const prefix = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/`.length;
    const longest = `/${'n'.repeat(1011 - prefix)}`;
    expect(await put({ Name: longest, Value: 'v', Type: 'String' })).toMatchObject({ Version: 1 });
    expect((await refusal(`${longest}n`)).name).toBe('ValidationException');
  });
});

describe('GetParameters', () => {
  it('answers found parameters in name order and lists the others as InvalidParameters', async () => {
    await put({ Name: '/multi/b', Value: 'B', Type: 'String' });
    await put({ Name: '/multi/a', Value: 'A', Type: 'StringList' });
    const result = await h
      .client()
      .send(new GetParametersCommand({ Names: ['/multi/b', '/multi/missing', '/multi/a', '/multi/a:7'] }));
    expect(result.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ['/multi/a', 'A'],
      ['/multi/b', 'B'],
    ]);
    expect(result.InvalidParameters).toEqual(['/multi/missing', '/multi/a:7']);
  });

  it('refuses more than 10 names', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `/n${i}`);
    const refused = await ssmError(h.client().send(new GetParametersCommand({ Names: names })));
    expect(refused.name).toBe('ValidationException');
  });
});

describe('DeleteParameter(s)', () => {
  it('deletes, sends the Delete event, and then answers ParameterNotFound', async () => {
    await put({ Name: '/gone/soon', Value: 'v', Type: 'String' });
    await h.client().send(new DeleteParameterCommand({ Name: '/gone/soon' }));
    expect(events.at(-1)?.detail).toMatchObject({ operation: 'Delete', name: '/gone/soon' });
    expect((await ssmError(get('/gone/soon'))).name).toBe('ParameterNotFound');
    expect((await ssmError(h.client().send(new DeleteParameterCommand({ Name: '/gone/soon' })))).name).toBe(
      'ParameterNotFound',
    );
  });

  it('DeleteParameters reports deleted and invalid names', async () => {
    await put({ Name: '/gone/a', Value: 'v', Type: 'String' });
    const result = await h.client().send(new DeleteParametersCommand({ Names: ['/gone/a', '/gone/b'] }));
    expect(result).toMatchObject({ DeletedParameters: ['/gone/a'], InvalidParameters: ['/gone/b'] });
  });
});

describe('tags', () => {
  const resource = { ResourceType: 'Parameter' as const, ResourceId: '/tagged/p' };
  const list = async () =>
    (await h.client().send(new ListTagsForResourceCommand(resource))).TagList?.map(
      (t) => `${t.Key}=${t.Value}`,
    );

  it('takes Tags on create, adds, overwrites and removes them', async () => {
    await put({ Name: '/tagged/p', Value: 'v', Type: 'String', Tags: [{ Key: 'team', Value: 'ops' }] });
    expect(await list()).toEqual(['team=ops']);
    await h.client().send(
      new AddTagsToResourceCommand({
        ...resource,
        Tags: [
          { Key: 'team', Value: 'platform' },
          { Key: 'tier', Value: 'gold' },
        ],
      }),
    );
    expect(await list()).toEqual(['team=platform', 'tier=gold']);
    await h.client().send(new RemoveTagsFromResourceCommand({ ...resource, TagKeys: ['team', 'absent'] }));
    expect(await list()).toEqual(['tier=gold']);
  });

  it('refuses more than 50 tags, and a parameter or resource type it does not have', async () => {
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(
      (await ssmError(h.client().send(new AddTagsToResourceCommand({ ...resource, Tags: tags })))).name,
    ).toBe('TooManyTagsError');
    const missing = await ssmError(
      h.client().send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/no/such' })),
    );
    expect(missing.name).toBe('InvalidResourceId');
    const document = await ssmError(
      h.client().send(new ListTagsForResourceCommand({ ResourceType: 'Document', ResourceId: 'doc' })),
    );
    expect(document.name).toBe('InvalidResourceId');
  });
});

describe('accounts and regions', () => {
  it('keeps parameters per account and per region', async () => {
    await put({ Name: '/scoped/p', Value: 'eu', Type: 'String' });
    const other = h.client(REGION, '111122223333');
    expect((await ssmError(other.send(new GetParameterCommand({ Name: '/scoped/p' })))).name).toBe(
      'ParameterNotFound',
    );
    expect(
      (await ssmError(h.client('us-east-1').send(new GetParameterCommand({ Name: '/scoped/p' })))).name,
    ).toBe('ParameterNotFound');
    await other.send(new PutParameterCommand({ Name: '/scoped/p', Value: 'theirs', Type: 'String' }));
    expect(h.ssm.getParameter(REGION, '/scoped/p', '111122223333')?.value).toBe('theirs');
    expect(h.ssm.getParameter(REGION, '/scoped/p')?.value).toBe('eu');
  });
});

describe('protocol', () => {
  const post = (target: string, body: string) =>
    fetch(h.server.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
      body,
    });

  it('routes an unsigned AmazonSSM.* request to SSM and answers in JSON 1.1', async () => {
    const response = await post('AmazonSSM.GetParameter', JSON.stringify({ Name: '/nothing' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({ __type: 'ParameterNotFound' });
  });

  it('answers UnknownOperationException for an action it does not emulate, and refuses bad JSON', async () => {
    const unknown = await post('AmazonSSM.SendCommand', '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const bad = await post('AmazonSSM.GetParameter', '{not json');
    expect(await bad.json()).toMatchObject({ __type: 'SerializationException' });
  });
});
