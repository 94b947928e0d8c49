import { join } from 'node:path';
import { lambdaContext } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DetailType } from '../../shared/core/notifications.js';
import { runCli } from './helpers.js';

/**
 * A target account's work end to end, through the real SDK against the emulator's STS and EC2:
 * the member-work function (in-process, as Lambda's SQS event source would invoke it) assumes the
 * member role in the account and copies the hub's shared source there; `ami-lifecycle replay`
 * does the same for a work item left in the member-work dead-letter queue.
 */
const HUB = '123456789012';
const MEMBER = '222222222222';
const NO_ROLE = '333333333333';
const RULES = 'test/fixtures/rules/members.yaml';
const DLQ = 'ami-lifecycle-member-work-dlq-dev';
const ROLE = 'ami-lifecycle-dev-member';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    root: join(import.meta.dirname, '../..'),
    rulesFile: RULES,
    ec2: { accountId: HUB, copyDelayMs: 50 },
    roles: [{ accountId: MEMBER, roleName: ROLE, trustedPrincipals: [HUB] }],
    env: { MEMBER_ROLE_NAME: ROLE },
  });
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => {
  stack.reset();
});

/** The hub's golden source in us-east-1, shared with the member (image and snapshots). */
function seedSharedSource(name: string): string {
  return stack.emulator.seedImage({
    region: 'us-east-1',
    name,
    launchPermissions: { userIds: [MEMBER] },
    snapshotPermissions: { sharedWith: [MEMBER] },
    emitEvent: false,
  }).imageId;
}

const memberCopies = (sourceImageId: string) =>
  stack.emulator
    .listImages('eu-west-1')
    .filter((i) => i.ownerId === MEMBER && i.sourceImageId === sourceImageId)
    .map((i) => i.state);

const item = (account: string) => JSON.stringify({ account, region: 'eu-west-1', rules: ['golden'] });

describe('the member-work function', () => {
  it('copies the source as the member; an account without the role is skipped; a malformed body is reported failed', async () => {
    const source = seedSharedSource('golden-member-1');
    // Imported once the stack has set the environment, as Lambda starts a function.
    const { handler } = await import('../../functions/member-work.js');
    const response = await handler(
      {
        Records: [
          { messageId: 'm-member', body: item(MEMBER), eventSource: 'aws:sqs' },
          { messageId: 'm-no-role', body: item(NO_ROLE), eventSource: 'aws:sqs' },
          { messageId: 'm-bad', body: '{"account":"x"}', eventSource: 'aws:sqs' },
        ],
      },
      lambdaContext({
        functionName: 'ami-lifecycle-dev-memberWork',
        awsRequestId: 'r-1',
        region: 'us-east-1',
        accountId: HUB,
        timeoutSeconds: 60,
      }),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    await stack.settle();
    expect(memberCopies(source)).toEqual(['available']);
    const reports = stack.bus.events().filter((r) => r.event['detail-type'] === DetailType.ReconcileReport);
    expect(reports.map((r) => (r.event.detail as { account?: string }).account)).toEqual([MEMBER]);
  });
});

describe('reconcileMember with the real member adapter (STS AssumeRole)', () => {
  it('an account whose member role cannot be assumed is skipped once, saying so, not as a region or a key problem', async () => {
    const { createMembersFor } = await import('../../shared/aws/members.js');
    const { parseRules } = await import('../../shared/rules/load.js');
    const { reconcileMember } = await import('../../shared/core/member.js');
    const members = createMembersFor(ROLE, {
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      stsRegion: 'us-east-1',
      maxAttempts: 1,
    });
    // An encrypted rule: the KMS pre-flight is the first call the account makes.
    const { rules } = parseRules(`
version: 1
rules:
  - name: golden
    match: { regions: [us-east-1], names: ["golden-*"] }
    accounts: { ids: ["${NO_ROLE}"], regions: [eu-west-1], encrypted: true, kmsKeys: { eu-west-1: alias/ami-copies } }
`);
    const result = await reconcileMember(
      {
        rules,
        hubAccountId: HUB,
        members,
        logger: quiet,
        events: { publish: async () => {} },
        now: () => new Date(),
      },
      { account: NO_ROLE, region: 'eu-west-1', rules: ['golden'] },
      { dryRun: true, maxCopiesInFlight: 20, concurrency: 4 },
    );
    expect(result).toMatchObject({
      status: 'skipped',
      account: NO_ROLE,
      reason: `the member role cannot be assumed in account ${NO_ROLE} (AccessDenied): is the member StackSet deployed there, trusting this hub?`,
    });
  });
});

describe('the fan-out of the scheduled reconcile', () => {
  it("queues one work item per target account for the run's region, on the stack's member-work queue", async () => {
    const { handler } = await import('../../functions/reconcile.js');
    const region = 'eu-west-1';
    const result = await handler(
      {
        version: '0',
        id: 'schedule-eu-west-1',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: HUB,
        time: '2026-12-01T12:00:00Z',
        region,
        resources: [`arn:aws:events:${region}:${HUB}:rule/ami-lifecycle-dev-reconcile`],
        detail: {},
      },
      lambdaContext({
        functionName: 'ami-lifecycle-dev-reconcile',
        awsRequestId: 'r-2',
        region,
        accountId: HUB,
        timeoutSeconds: 60,
      }),
    );
    expect(result).toMatchObject({ fanOut: { items: 1, queued: true, failures: [] } });
    const queued = stack.sqs
      .messages('us-east-1', 'ami-lifecycle-member-work-dev')
      .map((m) => JSON.parse(m.body));
    expect(queued).toEqual([{ account: MEMBER, region, rules: ['golden'] }]);
  });
});

describe('ami-lifecycle replay of the member-work dead-letter queue', () => {
  it('shows the work item, then does it as the member and removes it', async () => {
    const source = seedSharedSource('golden-member-2');
    stack.sqs.sendMessage('us-east-1', DLQ, item(MEMBER));
    const replay = (args: string[]) =>
      runCli(stack.endpoint, ['replay', '--stage', 'dev', '--region', 'us-east-1', '--queue', DLQ, ...args], {
        RULES_FILE: RULES,
      });

    const dry = await replay([]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain(`Member Work Item member-work-${MEMBER}-eu-west-1 (eu-west-1)`);
    expect(dry.stdout).toContain('would replay through memberWork:');
    expect(dry.stdout).toContain(`account ${MEMBER} in eu-west-1 (dry run): 1 change`);
    expect(memberCopies(source)).toEqual([]);

    const applied = await replay(['--apply']);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('replayed through memberWork, removed from the queue:');
    await stack.settle();
    expect(memberCopies(source)).toEqual(['available']);
    expect(stack.sqs.messages('us-east-1', DLQ)).toHaveLength(0);
  });
});
