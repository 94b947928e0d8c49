import { describe, expect, it } from 'vitest';
import { AwsCallError, InvalidEventError } from '../../shared/core/errors.js';
import { type MemberWorkDependencies, runMemberWork } from '../../shared/core/member-work.js';
import type { ToolEvent } from '../../shared/core/notifications.js';
import type { Ec2ForRegion, LoggerPort, MembersFor } from '../../shared/core/ports.js';
import { parseMemberWorkEvent } from '../../shared/events/member-work.js';
import { ec2Error } from '../support/aws-errors.js';
import { ACCOUNT, image, rule } from './builders.js';
import { fakeEc2 } from './fake-ec2.js';

/**
 * The member-work batch with object-literal ports: which messages Lambda is asked to show again,
 * which role acts in the account, what is logged and published.
 */
const MEMBER = '222222222222';
const OPTIONS = { dryRun: false, maxCopiesInFlight: 20, concurrency: 4 };

const targeting = (name: string, memberRole?: string) =>
  rule({
    name,
    copy: undefined,
    share: undefined,
    accounts: { ids: [MEMBER], regions: ['eu-west-1'], ...(memberRole ? { memberRole } : {}) },
  });

function recorder() {
  const lines: string[] = [];
  const logger: LoggerPort = {
    debug() {},
    info: (m) => void lines.push(`INFO ${m}`),
    warn: (m) => void lines.push(`WARN ${m}`),
    error: (m) => void lines.push(`ERROR ${m}`),
  };
  const published: ToolEvent[] = [];
  return {
    lines,
    logger,
    published,
    events: { publish: async (e: readonly ToolEvent[]) => void published.push(...e) },
  };
}

/** The hub's source in us-east-1, and the member's EC2 answering for the copy it starts in eu-west-1. */
function copyingEc2(): { ec2: Ec2ForRegion; writes: string[] } {
  const base = fakeEc2([image()]);
  const copy = image({
    region: 'eu-west-1',
    imageId: 'ami-0new0000000000000',
    ownerId: MEMBER,
    state: 'pending',
    sourceImageId: 'ami-0abcdef1234567890',
  });
  const ec2: Ec2ForRegion = (region) => {
    const port = base.ec2(region);
    return {
      ...port,
      describeImage: async (id) =>
        region === copy.region && id === copy.imageId ? copy : port.describeImage(id),
      describeImagesById: async (ids) => [
        ...(region === copy.region && ids.includes(copy.imageId) ? [copy] : []),
        ...(await port.describeImagesById(ids)),
      ],
    };
  };
  return { ec2, writes: base.writes };
}

/** Member ports whose EC2 sees the hub's source (in us-east-1); the roles asked for are recorded. */
function members(ec2: Ec2ForRegion = copyingEc2().ec2) {
  const roles: string[] = [];
  const membersFor = (role: string): MembersFor => {
    roles.push(role);
    return () => ({ ec2, kms: () => ({ describeKey: async () => undefined }) });
  };
  return { roles, membersFor };
}

function deps(extra: Partial<MemberWorkDependencies> & { membersFor: MemberWorkDependencies['membersFor'] }) {
  const r = recorder();
  const d: MemberWorkDependencies = {
    rules: [targeting('golden')],
    hubAccountId: ACCOUNT,
    defaultRole: 'ami-lifecycle-test-member',
    logger: r.logger,
    events: r.events,
    now: () => new Date('2026-12-01T10:00:00Z'),
    ...extra,
  };
  return { d, ...r };
}

const sqsEvent = (...bodies: string[]) => ({
  Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body, eventSource: 'aws:sqs' })),
});
const body = (rules = ['golden'], account = MEMBER) =>
  JSON.stringify({ account, region: 'eu-west-1', rules });

describe('parseMemberWorkEvent', () => {
  it("a body that is not a work item is its record's error, naming the message and the value", () => {
    const [good, bad, notJson] = parseMemberWorkEvent(
      sqsEvent(body(), JSON.stringify({ account: '12', region: 'eu-west-1', rules: ['golden'] }), 'hello'),
    );
    expect(good).toEqual({
      messageId: 'm-0',
      item: { account: MEMBER, region: 'eu-west-1', rules: ['golden'] },
    });
    expect(bad && 'error' in bad && bad.error).toBeInstanceOf(InvalidEventError);
    expect(bad && 'error' in bad ? bad.error.message : '').toMatch(
      /^message m-1: .*account: .*\(body ".*\\"12\\"/,
    );
    expect(notJson && 'error' in notJson ? notJson.error.message : '').toContain('not JSON');
  });

  it('an event that is not an SQS batch is refused as a whole', () => {
    expect(() => parseMemberWorkEvent({ detail: {} })).toThrow(InvalidEventError);
  });
});

describe('runMemberWork', () => {
  it("copies the hub's source into the account's region as the account, and publishes the report as the account's", async () => {
    const ec2 = copyingEc2();
    const m = members(ec2.ec2);
    const { d, lines, published } = deps({ membersFor: m.membersFor });
    const response = await runMemberWork(d, parseMemberWorkEvent(sqsEvent(body())), OPTIONS);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(m.roles).toEqual(['ami-lifecycle-test-member']);
    expect(ec2.writes).toEqual(['eu-west-1 CopyImage ami-0abcdef1234567890']);
    expect(lines.filter((l) => l.includes('member work'))).toEqual([
      `INFO member work of account ${MEMBER} in eu-west-1: done: {"copy":1} applied, 0 failed, 0 deferred`,
    ]);
    const reports = published.filter((e) => e.detailType === 'Reconcile Report');
    expect(
      reports.map((e) => [e.detail.region, 'account' in e.detail ? e.detail.account : undefined]),
    ).toEqual([['eu-west-1', MEMBER]]);
  });

  it("acts through each rule's memberRole, the deployment's for the others", async () => {
    const m = members();
    const { d } = deps({
      membersFor: m.membersFor,
      rules: [targeting('golden'), targeting('base', 'custom-member')],
    });
    await runMemberWork(d, parseMemberWorkEvent(sqsEvent(body(['golden', 'base']))), OPTIONS);
    expect(m.roles.sort()).toEqual(['ami-lifecycle-test-member', 'custom-member']);
  });

  it('no role to act with: skipped with the reason, not retried', async () => {
    const m = members();
    const { d, lines } = deps({ membersFor: m.membersFor, defaultRole: undefined });
    const response = await runMemberWork(d, parseMemberWorkEvent(sqsEvent(body())), OPTIONS);
    expect(response.batchItemFailures).toEqual([]);
    expect(m.roles).toEqual([]);
    expect(lines).toContainEqual(
      `WARN member work of account ${MEMBER} in eu-west-1: skipped: rules golden name no accounts.memberRole and MEMBER_ROLE_NAME is not set`,
    );
  });

  it('a refused member role: skipped, naming the account, not retried', async () => {
    const refused: Ec2ForRegion = (region) => ({
      ...fakeEc2([]).ec2(region),
      listImages: async () => {
        throw new AwsCallError(
          'AssumeRole of arn:aws:iam::222222222222:role/x (account 222222222222)',
          region,
          ec2Error('AccessDenied', 403),
        );
      },
    });
    const { d, lines } = deps({ membersFor: members(refused).membersFor });
    const response = await runMemberWork(d, parseMemberWorkEvent(sqsEvent(body())), OPTIONS);
    expect(response.batchItemFailures).toEqual([]);
    const warning = lines.find((l) =>
      l.startsWith(`WARN member work of account ${MEMBER} in eu-west-1: skipped:`),
    );
    // The line names the role STS refused, and the account.
    expect(warning).toContain('AssumeRole of arn:aws:iam::222222222222:role/x (account 222222222222)');
  });

  it('throttling: only that message is shown again; a malformed one too (for the dead-letter queue)', async () => {
    const throttled: Ec2ForRegion = (region) => ({
      ...fakeEc2([]).ec2(region),
      listImages: async () => {
        throw new AwsCallError('DescribeImages', region, ec2Error('RequestLimitExceeded', 503));
      },
    });
    const ok = copyingEc2().ec2;
    const membersFor = (): MembersFor => (account) => ({
      ec2: account === '333333333333' ? throttled : ok,
      kms: () => ({ describeKey: async () => undefined }),
    });
    const { d, lines } = deps({ membersFor });
    const response = await runMemberWork(
      d,
      parseMemberWorkEvent(sqsEvent(body(), body(['golden'], '333333333333'), '{"account":1}')),
      OPTIONS,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }] });
    expect(lines.filter((l) => l.startsWith('ERROR')).sort()).toEqual([
      expect.stringMatching(
        /^ERROR member work of account 333333333333 in eu-west-1 \(message m-1\) failed, to be retried: /,
      ),
      expect.stringMatching(/^ERROR member work: message m-2: .*; left for the dead-letter queue$/),
    ]);
  });
});
