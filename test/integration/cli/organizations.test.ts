import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANIZATION } from '../../../demo/organization-stack.js';
import { type CliResult, runCliInProcess } from '../../support/cli.js';

/**
 * `plan`, `apply` and `status` for rules with target accounts, as operators run them against the
 * local stack: the targets resolved through Organizations, the hub's source shared, each target
 * account's copies made through the member role (STS AssumeRole), and each account's matrix. The
 * tests run in order: they follow one release from first plan to convergence.
 */
const HUB = '123456789012';
const DEV = '222222222222';
const PROD = '333333333333';
const ROLE = 'ami-lifecycle-dev-member';
const RULES = 'test/fixtures/rules/organization.yaml';

let stack: LocalStack;
let sourceImageId: string;

beforeAll(async () => {
  stack = await startLocalStack({
    root: join(import.meta.dirname, '../../..'),
    rulesFile: RULES,
    ec2: { accountId: HUB, copyDelayMs: 60_000 },
    roles: [DEV, PROD].map((accountId) => ({ accountId, roleName: ROLE, trustedPrincipals: [HUB] })),
    organization: ORGANIZATION,
  });
  sourceImageId = stack.emulator.seedImage({
    region: 'us-east-1',
    name: 'golden-linux-1',
    emitEvent: false,
  }).imageId;
});

afterAll(async () => {
  await stack?.close();
});

const cli = (args: readonly string[]): Promise<CliResult> =>
  runCliInProcess([...args, '--rules', RULES, '--member-role', ROLE, '--no-progress'], {
    AWS_ENDPOINT_URL: stack.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ACCOUNT_ID: undefined,
    RULES_FILE: undefined,
    AWS_PROFILE: undefined,
    EVENT_BUS_NAME: undefined,
    MEMBER_ROLE_NAME: undefined,
  });

interface MembersJson {
  targets: Record<string, string[]>;
  members: {
    account: string;
    region: string;
    report?: { planned: Record<string, number> };
    skipped?: string;
  }[];
}

describe('the CLI with target accounts', () => {
  it('plan --image: the source, as its event would plan it, shared with the resolved target accounts (exit 3)', async () => {
    const { code, stdout } = await cli(['plan', '--image', sourceImageId, '--region', 'us-east-1']);
    expect(code).toBe(3);
    expect(stdout).toContain(`share ${sourceImageId} with account ${DEV}, account ${PROD}`);
  });

  it('plan: resolves the targets, plans the share in the hub and a copy per target account and region (exit 3)', async () => {
    const { code, stdout } = await cli(['plan', '--json']);
    expect(code).toBe(3);
    const plan = JSON.parse(stdout) as MembersJson;
    expect(plan.targets).toEqual({ golden: [DEV, PROD] });
    // Before the hub has shared the source, the target accounts cannot see it: nothing to copy yet.
    expect(plan.members.map((m) => `${m.account} ${m.region}`)).toEqual([
      `${DEV} eu-west-1`,
      `${DEV} us-east-1`,
      `${PROD} eu-west-1`,
      `${PROD} us-east-1`,
    ]);
  });

  it('apply: shares the source, then each target account copies it into its regions itself', async () => {
    const { code, stdout } = await cli(['apply']);
    expect(code).toBe(0);
    expect(stdout).toContain('Target accounts:');
    expect(stdout).toContain(`rule golden: ${DEV}, ${PROD}`);
    expect(stdout).toMatch(/2 target accounts, 4 \(account, region\) pairs\./);
    const copies = ['us-east-1', 'eu-west-1'].flatMap((region) =>
      stack.emulator
        .listImages(region)
        .filter((i) => i.sourceImageId === sourceImageId)
        .map((i) => `${i.ownerId} ${region}`),
    );
    expect(copies.sort()).toEqual([
      `${DEV} eu-west-1`,
      `${DEV} us-east-1`,
      `${PROD} eu-west-1`,
      `${PROD} us-east-1`,
    ]);
  });

  it('status: a matrix per target account (its copies per region), narrowed by --target-account', async () => {
    stack.emulator.completePendingCopies();
    const { code, stdout } = await cli(['status']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Target account ${DEV}:`);
    expect(stdout).toContain(`Target account ${PROD}:`);
    const narrowed = JSON.parse((await cli(['status', '--json', '--target-account', PROD])).stdout) as {
      accounts: {
        account: string;
        rows: { sourceImageId: string; cells: Record<string, { state: string }> }[];
      }[];
    };
    expect(narrowed.accounts.map((a) => a.account)).toEqual([PROD]);
    const [row] = narrowed.accounts[0]?.rows ?? [];
    expect(row?.sourceImageId).toBe(sourceImageId);
    expect(Object.fromEntries(Object.entries(row?.cells ?? {}).map(([r, c]) => [r, c.state]))).toEqual({
      'eu-west-1': 'available',
      'us-east-1': 'available',
    });
  });

  it('plan after convergence: nothing to change in the hub or any target account (exit 0)', async () => {
    const { code, stdout } = await cli(['plan', '--json']);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as MembersJson;
    expect(plan.members.every((m) => Object.keys(m.report?.planned ?? {}).length === 0)).toBe(true);
  });
});
