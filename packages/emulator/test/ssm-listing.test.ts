import {
  DescribeParametersCommand,
  type DescribeParametersCommandInput,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  UnlabelParameterVersionCommand,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParameterStoreChangeEvent } from '../src/ssm/index.js';
import { type SsmHarness, ssmError, startSsm } from './ssm-harness.js';

/** GetParametersByPath, GetParameterHistory, DescribeParameters and labels, over HTTP. */

let h: SsmHarness;
const events: ParameterStoreChangeEvent[] = [];

beforeAll(async () => {
  h = await startSsm();
  h.ssm.onEvent((event) => events.push(event));
  const tree = ['/tree/a', '/tree/b', '/tree/sub/c', '/tree/sub/deep/d', '/treetop', '/other/x', 'flat'];
  for (const name of tree)
    await h.client().send(new PutParameterCommand({ Name: name, Value: `v-${name}`, Type: 'String' }));
  await h.client().send(new PutParameterCommand({ Name: '/tree/list', Value: 'a,b', Type: 'StringList' }));
});
afterAll(() => h.close());

const byPath = (input: ConstructorParameters<typeof GetParametersByPathCommand>[0]) =>
  h.client().send(new GetParametersByPathCommand(input));

describe('GetParametersByPath', () => {
  it('lists one level by default and the whole subtree with Recursive', async () => {
    expect((await byPath({ Path: '/tree' })).Parameters?.map((p) => p.Name)).toEqual([
      '/tree/a',
      '/tree/b',
      '/tree/list',
    ]);
    expect((await byPath({ Path: '/tree/', Recursive: true })).Parameters?.map((p) => p.Name)).toEqual([
      '/tree/a',
      '/tree/b',
      '/tree/list',
      '/tree/sub/c',
      '/tree/sub/deep/d',
    ]);
  });

  it('pages with MaxResults and NextToken, and refuses a token it did not give', async () => {
    const first = await byPath({ Path: '/', Recursive: true, MaxResults: 3 });
    expect(first.Parameters).toHaveLength(3);
    expect(first.NextToken).toBeDefined();
    const names = [...(first.Parameters ?? []).map((p) => p.Name)];
    let token = first.NextToken;
    while (token !== undefined) {
      const next = await byPath({ Path: '/', Recursive: true, MaxResults: 3, NextToken: token });
      names.push(...(next.Parameters ?? []).map((p) => p.Name));
      token = next.NextToken;
    }
    expect(names).toContain('/tree/sub/deep/d');
    expect(names).toContain('flat');
    expect(new Set(names).size).toBe(names.length);
    expect((await ssmError(byPath({ Path: '/', NextToken: 'bogus' }))).name).toBe('InvalidNextToken');
    expect((await ssmError(byPath({ Path: '/', MaxResults: 11 }))).name).toBe('ValidationException');
  });

  it('filters by Type, and refuses keys it does not take', async () => {
    const lists = await byPath({
      Path: '/tree',
      ParameterFilters: [{ Key: 'Type', Values: ['StringList'] }],
    });
    expect(lists.Parameters?.map((p) => p.Name)).toEqual(['/tree/list']);
    const refused = await ssmError(
      byPath({ Path: '/tree', ParameterFilters: [{ Key: 'Name', Values: ['x'] }] }),
    );
    expect(refused.name).toBe('InvalidFilterKey');
  });

  it('refuses a path without its leading slash, with the message AWS sends', async () => {
    const refused = await ssmError(byPath({ Path: 'tree' }));
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toMatch(/^The parameter doesn't meet the parameter name requirements\./);
  });
});

describe('labels and history', () => {
  const label = (labels: string[], version?: number) =>
    h
      .client()
      .send(
        new LabelParameterVersionCommand({ Name: '/rel/ami', Labels: labels, ParameterVersion: version }),
      );

  beforeAll(async () => {
    await h.client().send(new PutParameterCommand({ Name: '/rel/ami', Value: 'one', Type: 'String' }));
    for (const value of ['two', 'three'])
      await h.client().send(new PutParameterCommand({ Name: '/rel/ami', Value: value, Overwrite: true }));
  });

  it('labels the latest version by default, and lists invalid labels without attaching them', async () => {
    const result = await label(['prod', '1bad', 'awsLabel', 'SsmLabel', 'has space']);
    expect(result).toMatchObject({
      ParameterVersion: 3,
      InvalidLabels: ['1bad', 'awsLabel', 'SsmLabel', 'has space'],
    });
    expect(events.at(-1)?.detail).toMatchObject({ operation: 'LabelParameterVersion', name: '/rel/ami' });
    const read = await h.client().send(new GetParameterCommand({ Name: '/rel/ami:prod' }));
    expect(read.Parameter).toMatchObject({ Value: 'three', Version: 3, Selector: ':prod' });
  });

  it('moves a label to the version it is attached to next', async () => {
    await label(['prod', 'Prod'], 1);
    const history = await h.client().send(new GetParameterHistoryCommand({ Name: '/rel/ami' }));
    expect(history.Parameters?.map((p) => [p.Version, p.Value, p.Labels])).toEqual([
      [1, 'one', ['prod', 'Prod']],
      [2, 'two', []],
      [3, 'three', []],
    ]);
  });

  it('allows 10 labels on a version and refuses the 11th', async () => {
    await label(
      Array.from({ length: 8 }, (_, i) => `l${i}`),
      1,
    );
    const refused = await ssmError(label(['eleventh'], 1));
    expect(refused.name).toBe('ParameterVersionLabelLimitExceeded');
    expect((await ssmError(label(['x'], 9))).name).toBe('ParameterVersionNotFound');
    expect((await ssmError(label(['x'.repeat(101)]))).name).toBe('ValidationException');
  });

  it('UnlabelParameterVersion removes labels and reports those not on the version', async () => {
    const result = await h
      .client()
      .send(
        new UnlabelParameterVersionCommand({ Name: '/rel/ami', ParameterVersion: 1, Labels: ['l7', 'nope'] }),
      );
    expect(result).toMatchObject({ RemovedLabels: ['l7'], InvalidLabels: ['nope'] });
  });

  it('pages the history with MaxResults', async () => {
    const first = await h.client().send(new GetParameterHistoryCommand({ Name: '/rel/ami', MaxResults: 2 }));
    expect(first.Parameters?.map((p) => p.Version)).toEqual([1, 2]);
    const rest = await h
      .client()
      .send(new GetParameterHistoryCommand({ Name: '/rel/ami', MaxResults: 2, NextToken: first.NextToken }));
    expect(rest.Parameters?.map((p) => p.Version)).toEqual([3]);
    expect(rest.NextToken).toBeUndefined();
    expect(
      (await ssmError(h.client().send(new GetParameterHistoryCommand({ Name: '/rel/none' })))).name,
    ).toBe('ParameterNotFound');
  });
});

describe('DescribeParameters', () => {
  const describe_ = (input: DescribeParametersCommandInput) =>
    h.client().send(new DescribeParametersCommand(input));

  it('filters by Name (Equals, BeginsWith) and by Path, with metadata but no value', async () => {
    const equal = await describe_({ ParameterFilters: [{ Key: 'Name', Values: ['/tree/a'] }] });
    expect(equal.Parameters).toEqual([
      expect.objectContaining({
        Name: '/tree/a',
        Type: 'String',
        Version: 1,
        Tier: 'Standard',
        DataType: 'text',
      }),
    ]);
    expect(equal.Parameters?.[0]).not.toHaveProperty('Value');
    const begins = await describe_({
      ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/tree'] }],
    });
    expect(begins.Parameters?.map((p) => p.Name)).toContain('/treetop');
    const path = await describe_({
      ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: ['/tree/sub'] }],
    });
    expect(path.Parameters?.map((p) => p.Name)).toEqual(['/tree/sub/c', '/tree/sub/deep/d']);
  });

  it('pages by 10 by default, and refuses the Label key and unknown options', async () => {
    for (const n of [1, 2, 3])
      await h.client().send(new PutParameterCommand({ Name: `/more/p${n}`, Value: 'v', Type: 'String' }));
    const first = await describe_({});
    expect(first.Parameters).toHaveLength(10);
    const rest = await describe_({ NextToken: first.NextToken });
    expect(rest.Parameters).toHaveLength(2);
    expect(rest.NextToken).toBeUndefined();
    expect((await ssmError(describe_({ ParameterFilters: [{ Key: 'Label', Values: ['x'] }] }))).name).toBe(
      'InvalidFilterKey',
    );
    const option = await ssmError(
      describe_({ ParameterFilters: [{ Key: 'Type', Option: 'Contains', Values: ['String'] }] }),
    );
    expect(option.name).toBe('InvalidFilterOption');
  });
});
