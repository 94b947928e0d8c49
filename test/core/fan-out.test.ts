import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../shared/core/errors.js';
import { fanOut } from '../../shared/core/fan-out.js';
import { DetailType, type ToolEvent } from '../../shared/core/notifications.js';
import type {
  MemberWorkItem,
  OrganizationsFor,
  OrganizationsReader,
  TargetsMemory,
  WorkQueue,
} from '../../shared/core/ports.js';
import { RulesFileSchema } from '../../shared/rules/schema.js';
import { ec2Error } from '../support/aws-errors.js';

/** The scheduled run's fan-out, with object-literal ports: who is queued, and what is reported. */
const HUB = '111111111111';
const OU = 'arn:aws:organizations::999999999999:ou/o-a1b2c3d4e5/ou-ab12-11111111';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const rules = (accounts: object | undefined, name = 'golden') =>
  RulesFileSchema.parse({
    version: 1,
    rules: [{ name, match: { regions: ['us-east-1'] }, ...(accounts ? { accounts } : {}) }],
  }).rules;

/** An organization with the OU holding two active accounts and the hub. */
const reader: OrganizationsReader = {
  listRoots: async () => ['r-ab12'],
  listChildOus: async () => [],
  listAccountsForParent: async () => [
    { id: '333333333333', status: 'ACTIVE' },
    { id: HUB, status: 'ACTIVE' },
    { id: '444444444444', status: 'SUSPENDED' },
  ],
};
const organizations: OrganizationsFor = () => reader;
const refused: OrganizationsFor = () => ({
  ...reader,
  listAccountsForParent: async () => {
    throw new AwsCallError('ListAccountsForParent', 'us-east-1', ec2Error('AccessDeniedException'));
  },
});

function recordingQueue(): WorkQueue & { sent: MemberWorkItem[][] } {
  const sent: MemberWorkItem[][] = [];
  return { sent, send: async (items) => void sent.push([...items]) };
}

const deps = (extra: Partial<Parameters<typeof fanOut>[0]> = {}) => ({
  rules: rules({ ids: ['222222222222'], organizationalUnits: [OU], regions: ['eu-west-1', 'us-east-1'] }),
  hubAccountId: HUB,
  organizations,
  queue: recordingQueue(),
  logger: quiet,
  ...extra,
});

describe('fanOut', () => {
  it('rules without target accounts: asks nothing, queues nothing', async () => {
    const queue = recordingQueue();
    const asked: string[] = [];
    const result = await fanOut(
      deps({
        rules: rules(undefined),
        queue,
        organizations: (role) => {
          asked.push(String(role));
          return reader;
        },
      }),
      'eu-west-1',
    );
    expect(result).toEqual({ items: [], queued: false, failures: [] });
    expect(asked).toEqual([]);
    expect(queue.sent).toEqual([]);
  });

  it("queues one item per active target account for this region only, never the hub's", async () => {
    const queue = recordingQueue();
    const result = await fanOut(deps({ queue }), 'eu-west-1');
    const expected = [
      { account: '222222222222', region: 'eu-west-1', rules: ['golden'] },
      { account: '333333333333', region: 'eu-west-1', rules: ['golden'] },
    ];
    expect(result).toEqual({ items: expected, queued: true, failures: [] });
    expect(queue.sent).toEqual([expected]);
  });

  it('a region no rule targets accounts in: nothing queued, no send', async () => {
    const queue = recordingQueue();
    expect(await fanOut(deps({ queue }), 'ap-south-1')).toEqual({ items: [], queued: false, failures: [] });
    expect(queue.sent).toEqual([]);
  });

  it("an OU that cannot be read: the rule's ids are still queued and the failure reported", async () => {
    const queue = recordingQueue();
    const result = await fanOut(deps({ queue, organizations: refused }), 'eu-west-1');
    expect(result.items.map((i) => i.account)).toEqual(['222222222222']);
    expect(result.queued).toBe(true);
    expect(result.failures).toEqual([
      expect.objectContaining({
        action: 'resolve the target accounts of rule golden (only its ids this run)',
        operation: 'ListAccountsForParent',
        code: 'AccessDeniedException',
        retryable: false,
      }),
    ]);
  });

  it('a send SQS refuses: reported with the items it was for, not thrown', async () => {
    const queue: WorkQueue = {
      send: async () => {
        throw new AwsCallError('SendMessageBatch', 'eu-west-1', ec2Error('ServiceUnavailable', 503));
      },
    };
    const result = await fanOut(deps({ queue }), 'eu-west-1');
    expect(result.items).toHaveLength(2);
    expect(result.queued).toBe(false);
    expect(result.failures).toEqual([
      expect.objectContaining({ action: 'queue 2 member work item(s) for eu-west-1', retryable: true }),
    ]);
  });

  it('a deployment without the queue: a terminal failure naming the setting', async () => {
    const result = await fanOut(deps({ queue: undefined }), 'eu-west-1');
    expect(result.queued).toBe(false);
    expect(result.failures).toEqual([
      expect.objectContaining({ code: 'ConfigurationError', retryable: false }),
    ]);
    expect(result.failures[0]?.message).toContain('MEMBER_WORK_QUEUE_URL');
  });

  it('a bug in the queue propagates', async () => {
    const queue: WorkQueue = {
      send: async () => {
        throw new TypeError('boom');
      },
    };
    await expect(fanOut(deps({ queue }), 'eu-west-1')).rejects.toThrow(TypeError);
  });
});

describe('reportTargetChanges (through fanOut)', () => {
  /** A memory that keeps each rule's set, as the table does, and the events published. */
  function world(previous?: readonly string[]) {
    const stored = new Map<string, readonly string[]>(previous === undefined ? [] : [['golden', previous]]);
    const published: ToolEvent[] = [];
    const memory: TargetsMemory = {
      swap: async (rule, accounts) => {
        const before = stored.get(rule);
        stored.set(rule, [...accounts]);
        return before;
      },
    };
    return {
      published,
      changes: {
        memory: () => memory,
        events: { publish: async (events: readonly ToolEvent[]) => void published.push(...events) },
      },
    };
  }
  const cases: { why: string; previous?: string[]; organizations?: OrganizationsFor; expected: unknown[] }[] =
    [
      { why: 'the first run only records the targets: there is nothing to compare with', expected: [] },
      {
        why: 'the same targets as last time: nothing to report',
        previous: ['222222222222', '333333333333'],
        expected: [],
      },
      {
        why: 'an account joined the OU and a named one was dropped: one event with both, and the count now',
        previous: ['222222222222', '555555555555'],
        expected: [{ rule: 'golden', joined: ['333333333333'], left: ['555555555555'], targets: 2 }],
      },
      {
        why: 'an OU that could not be read is not an account that left: a partial resolution is not compared',
        previous: ['222222222222', '333333333333'],
        organizations: refused,
        expected: [],
      },
    ];
  it.each(cases)('$why', async ({ previous, organizations: orgs, expected }) => {
    const { published, changes } = world(previous);
    await fanOut(deps({ changes, ...(orgs ? { organizations: orgs } : {}) }), 'us-east-1');
    expect(
      published.map((e) => {
        const { schemaVersion: _v, eventId: _id, ...detail } = e.detail as unknown as Record<string, unknown>;
        return detail;
      }),
    ).toEqual(expected);
    expect(published.every((e) => e.detailType === DetailType.TargetAccountsChanged)).toBe(true);
  });
});
