import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { z } from 'zod';
import { type SsmHarness, ssmError, startSsm } from '../ssm-harness.js';
import { type AwsResult, aws as awsCli, awsJson } from './aws.js';

/**
 * The AWS CLI's `ssm` commands (botocore, AWS JSON 1.1) against the local SSM; the tests read the
 * CLI's JSON output. They share one emulator, each under a path of its own, so they run
 * concurrently. Only parameters Debian's CLI 2.9 knows are used. What a test only sets up or reads
 * back, and what the SDK tests already check (ssm-parameters.test.ts: the reserved prefixes), goes
 * through the SDK: each CLI command is a third of a second of CPU.
 */
describe.concurrent('AWS CLI against the local SSM', () => {
  let h: SsmHarness;

  beforeAll(async () => {
    // aws:ec2:image validations end when a test says so.
    h = await startSsm({ validationDelayMs: 3_600_000 });
  });
  afterAll(() => h.close());

  const aws = (args: string[]): Promise<AwsResult> =>
    awsCli(['ssm', ...args], { endpoint: h.server.endpoint, region: 'eu-west-1' });
  const json = (args: string[]): Promise<unknown> =>
    awsJson(['ssm', ...args], { endpoint: h.server.endpoint, region: 'eu-west-1' });

  const Parameter = z.object({ Name: z.string(), Value: z.string(), Version: z.number() }).passthrough();
  const Parameters = z.object({ Parameters: z.array(Parameter) });

  it('put-parameter, get-parameter with a label after label-parameter-version, and get-parameter-history', async ({
    expect,
  }) => {
    expect(
      await json(['put-parameter', '--name', '/cli/app/url', '--value', 'one', '--type', 'String']),
    ).toEqual({
      Version: 1,
      Tier: 'Standard',
    });
    await json(['put-parameter', '--name', '/cli/app/url', '--value', 'two', '--overwrite']);
    expect(
      await json([
        'label-parameter-version',
        '--name',
        '/cli/app/url',
        '--parameter-version',
        '1',
        '--labels',
        'stable',
      ]),
    ).toEqual({ InvalidLabels: [], ParameterVersion: 1 });
    const [latest, labelled, history] = await Promise.all([
      json(['get-parameter', '--name', '/cli/app/url']),
      json(['get-parameter', '--name', '/cli/app/url:stable']),
      json(['get-parameter-history', '--name', '/cli/app/url']),
    ]);
    expect(z.object({ Parameter }).parse(latest).Parameter).toMatchObject({ Value: 'two', Version: 2 });
    expect(z.object({ Parameter }).parse(labelled).Parameter).toMatchObject({
      Value: 'one',
      Version: 1,
      Selector: ':stable',
    });
    expect(Parameters.parse(history).Parameters.map((p) => [p.Version, p.Value, p.Labels])).toEqual([
      [1, 'one', ['stable']],
      [2, 'two', []],
    ]);
  });

  it('get-parameters-by-path --recursive follows NextToken across pages of --page-size', async ({
    expect,
  }) => {
    // The tree put by the SDK: put-parameter is the other tests'.
    const client = h.client();
    for (let i = 0; i < 7; i += 1) {
      await client.send(
        new PutParameterCommand({
          Name: `/cli/tree/${i % 2 === 0 ? 'even' : 'odd'}/p${i}`,
          Value: `${i}`,
          Type: 'String',
        }),
      );
    }
    const [all, oneLevel] = await Promise.all([
      json(['get-parameters-by-path', '--path', '/cli/tree', '--recursive', '--page-size', '3']),
      json(['get-parameters-by-path', '--path', '/cli/tree/even']),
    ]);
    expect(Parameters.parse(all).Parameters.map((p) => p.Name)).toEqual([
      '/cli/tree/even/p0',
      '/cli/tree/even/p2',
      '/cli/tree/even/p4',
      '/cli/tree/even/p6',
      '/cli/tree/odd/p1',
      '/cli/tree/odd/p3',
      '/cli/tree/odd/p5',
    ]);
    expect(Parameters.parse(oneLevel).Parameters).toHaveLength(4);
    // Three pages of three for the recursive listing, one for the other.
    expect(h.ssm.calls().GetParametersByPath).toBe(4);
  });

  it('put-parameter --data-type aws:ec2:image answers at once; get-parameter finds it once validated', async ({
    expect,
  }) => {
    const put = await json([
      'put-parameter',
      '--name',
      '/cli/golden/ami',
      '--value',
      'ami-0123456789abcdef0',
      '--type',
      'String',
      '--data-type',
      'aws:ec2:image',
    ]);
    expect(put).toEqual({ Version: 1, Tier: 'Standard' });
    const before = await aws(['get-parameter', '--name', '/cli/golden/ami']);
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('(ParameterNotFound) when calling the GetParameter operation');
    h.ssm.completePendingValidations();
    const after = z.object({ Parameter }).parse(await json(['get-parameter', '--name', '/cli/golden/ami']));
    expect(after.Parameter).toMatchObject({ Value: 'ami-0123456789abcdef0', DataType: 'aws:ec2:image' });
  });

  it('describe-parameters with a Name filter, tags, and the errors the CLI reports', async ({ expect }) => {
    await json([
      'put-parameter',
      '--name',
      '/cli/meta/p',
      '--value',
      'v',
      '--type',
      'String',
      '--tags',
      'Key=team,Value=ops',
    ]);
    const [described, tags, again] = await Promise.all([
      json(['describe-parameters', '--parameter-filters', 'Key=Name,Option=BeginsWith,Values=/cli/meta']),
      json(['list-tags-for-resource', '--resource-type', 'Parameter', '--resource-id', '/cli/meta/p']),
      aws(['put-parameter', '--name', '/cli/meta/p', '--value', 'v', '--type', 'String']),
    ]);
    expect(
      z.object({ Parameters: z.array(z.object({ Name: z.string() })) }).parse(described).Parameters,
    ).toEqual([expect.objectContaining({ Name: '/cli/meta/p' })]);
    expect(tags).toEqual({ TagList: [{ Key: 'team', Value: 'ops' }] });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('(ParameterAlreadyExists)');
    await json(['delete-parameter', '--name', '/cli/meta/p']);
    const gone = await ssmError(h.client().send(new GetParameterCommand({ Name: '/cli/meta/p' })));
    expect(gone.name).toBe('ParameterNotFound');
  });
});
