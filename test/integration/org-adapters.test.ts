import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrganizationSeed } from '@ami-lifecycle/emulator/organizations/index.js';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMembersFor } from '../../shared/aws/members.js';
import { createOrganizationsFor } from '../../shared/aws/organizations.js';
import { createWorkQueue } from '../../shared/aws/work-queue.js';
import { AwsCallError } from '../../shared/core/errors.js';
import type { MemberWorkItem } from '../../shared/core/ports.js';
import { resolveTargets } from '../../shared/core/targets.js';
import { parseMemberWorkEvent } from '../../shared/events/member-work.js';
import { RulesFileSchema } from '../../shared/rules/schema.js';
import { callError } from '../support/aws-errors.js';

/**
 * The Organizations, member and work-queue adapters through the real SDK over HTTP, against the
 * emulator's Organizations, STS, EC2 and SQS: pagination, roles assumed and refused, batches.
 */
const HUB = '111111111111';
const MEMBER = '222222222222';
const UNDEPLOYED = '333333333333';
const ADMIN = '444444444444';
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-11111111';
const NESTED = 'ou-ab12-22222222';
/** More than a page of ListAccountsForParent (20), so the adapter must follow NextToken. */
const MANY = Array.from({ length: 23 }, (_, i) => `5000000000${String(i).padStart(2, '0')}`);

const organization: OrganizationSeed = {
  id: 'o-a1b2c3d4e5',
  managementAccountId: ADMIN,
  roots: [
    {
      id: ROOT,
      children: [
        { account: { id: ADMIN, name: 'management', email: 'management@example.com' } },
        { account: { id: HUB, name: 'hub', email: 'hub@example.com' } },
        {
          ou: {
            id: WORKLOADS,
            name: 'workloads',
            children: [
              { account: { id: MEMBER, name: 'member', email: 'member@example.com' } },
              {
                account: { id: UNDEPLOYED, name: 'gone', email: 'gone@example.com', status: 'SUSPENDED' },
              },
              {
                ou: {
                  id: NESTED,
                  name: 'many',
                  children: MANY.map((id) => ({
                    account: { id, name: `a${id}`, email: `${id}@example.com` },
                  })),
                },
              },
            ],
          },
        },
      ],
    },
  ],
};

const HUB_KEY = { accessKeyId: HUB, secretAccessKey: 'test' };
let root: string;
let stack: LocalStack;

beforeAll(async () => {
  // A service with no functions: the endpoint, the accounts and one queue are all these tests need.
  root = await mkdtemp(join(tmpdir(), 'org-adapters-'));
  await writeFile(
    join(root, 'serverless.yml'),
    'service: org-adapters\nprovider:\n  name: aws\n  region: us-east-1\n',
  );
  stack = await startLocalStack({
    root,
    ec2: { accountId: HUB, regions: ['us-east-1', 'eu-west-1'] },
    organization,
    roles: [
      { accountId: MEMBER, roleName: 'ami-lifecycle-test-member', trustedPrincipals: [HUB] },
      { accountId: ADMIN, roleName: 'org-reader', trustedPrincipals: [HUB] },
    ],
  });
});

afterAll(async () => {
  await stack?.close();
  await rm(root, { recursive: true, force: true });
});

describe('organizations adapter', () => {
  it('lists roots, child OUs and every page of accounts through the organizationsRole', async () => {
    const reader = createOrganizationsFor({ endpoint: stack.endpoint, credentials: HUB_KEY })(
      `arn:aws:iam::${ADMIN}:role/org-reader`,
    );
    expect(await reader.listRoots()).toEqual([ROOT]);
    expect(await reader.listChildOus(ROOT)).toEqual([WORKLOADS]);
    expect(await reader.listChildOus(WORKLOADS)).toEqual([NESTED]);
    expect((await reader.listAccountsForParent(NESTED)).map((a) => a.id)).toEqual(MANY);
    expect(await reader.listAccountsForParent(WORKLOADS)).toEqual([
      { id: MEMBER, status: 'ACTIVE' },
      { id: UNDEPLOYED, status: 'SUSPENDED' },
    ]);
  });

  it("without a role uses the tool's own credentials: a member that may not list is a terminal AwsCallError", async () => {
    const error = await callError(
      createOrganizationsFor({ endpoint: stack.endpoint, credentials: HUB_KEY })(undefined).listRoots(),
    );
    expect(error.operation).toBe('ListRoots');
    expect(error.code).toBe('AccessDeniedException');
    expect(error.retryable).toBe(false);
  });

  it('resolves a rule naming the organization and an OU to the active accounts, less the hub', async () => {
    const rules = RulesFileSchema.parse({
      version: 1,
      rules: [
        {
          name: 'golden',
          match: { regions: ['us-east-1'] },
          accounts: {
            organizationalUnits: [`arn:aws:organizations::${ADMIN}:ou/o-a1b2c3d4e5/${WORKLOADS}`],
            organizations: [`arn:aws:organizations::${ADMIN}:organization/o-a1b2c3d4e5`],
            exclude: [ADMIN],
            regions: ['eu-west-1'],
            organizationsRole: `arn:aws:iam::${ADMIN}:role/org-reader`,
          },
        },
      ],
    }).rules;
    const organizations = createOrganizationsFor({ endpoint: stack.endpoint, credentials: HUB_KEY });
    const resolved = await resolveTargets(rules, HUB, organizations);
    expect(resolved.failures).toEqual([]);
    expect(resolved.accounts.get('golden')).toEqual([MEMBER, ...MANY].sort());
  });
});

describe('members adapter', () => {
  it("acts as the member role in the account: EC2 lists the member's own images", async () => {
    stack.emulator.seedImage({ region: 'eu-west-1', name: 'member-own', ownerId: MEMBER });
    stack.emulator.seedImage({ region: 'eu-west-1', name: 'hub-own', ownerId: HUB });
    const members = createMembersFor('ami-lifecycle-test-member', {
      endpoint: stack.endpoint,
      credentials: HUB_KEY,
      stsRegion: 'us-east-1',
    });
    const images = await members(MEMBER)
      .ec2('eu-west-1')
      .listImages({ owners: ['self'] });
    expect(images.map((i) => i.name)).toEqual(['member-own']);
    // The same ports, and so one AssumeRole, for the account's every region.
    expect(members(MEMBER)).toBe(members(MEMBER));
  });

  it('an account without the member role: a terminal AwsCallError naming the role and the account', async () => {
    const members = createMembersFor('ami-lifecycle-test-member', {
      endpoint: stack.endpoint,
      credentials: HUB_KEY,
      stsRegion: 'us-east-1',
      maxAttempts: 1,
    });
    const error = await callError(
      members(UNDEPLOYED)
        .ec2('eu-west-1')
        .listImages({ owners: ['self'] }),
    );
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.code).toBe('AccessDenied');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`arn:aws:iam::${UNDEPLOYED}:role/ami-lifecycle-test-member`);
    expect(error.message).toContain(`account ${UNDEPLOYED}`);
  });
});

describe('work queue adapter', () => {
  it('sends every item as its own message, 10 a call, the body the item as JSON', async () => {
    const queue = stack.sqs.createQueue('us-east-1', 'member-work');
    const client = new SQSClient({ region: 'us-east-1', endpoint: stack.endpoint, credentials: HUB_KEY });
    // Every field of an item survives the queue (the event path's carry the release and the copy).
    const items: MemberWorkItem[] = Array.from({ length: 23 }, (_, i) => ({
      account: MANY[i] ?? MEMBER,
      region: 'eu-west-1',
      rules: ['golden'],
      ...(i % 2 === 0
        ? { release: { sourceImageId: 'ami-0123456789abcdef0', sourceRegion: 'us-east-1' } }
        : { imageId: 'ami-0fedcba9876543210' }),
      expected: { golden: { fingerprint: '0123456789abcdef', pairs: 46 } },
    }));
    const before = stack.sqs.calls().SendMessageBatch ?? 0;
    await createWorkQueue(client, queue.url, 'us-east-1').send(items);
    expect((stack.sqs.calls().SendMessageBatch ?? 0) - before).toBe(3);
    const bodies = stack.sqs.messages('us-east-1', 'member-work').map((m) => JSON.parse(m.body));
    expect(bodies.sort((a, b) => a.account.localeCompare(b.account))).toEqual(items);
    // And the member-work function reads each back as it was sent.
    const parsed = parseMemberWorkEvent({
      Records: stack.sqs
        .messages('us-east-1', 'member-work')
        .map((m, n) => ({ messageId: `m-${n}`, body: m.body })),
    });
    expect(
      parsed.flatMap((r) => ('item' in r ? [r.item] : [])).sort((a, b) => a.account.localeCompare(b.account)),
    ).toEqual(items);
  });

  it('a queue that does not exist: a terminal AwsCallError', async () => {
    const client = new SQSClient({ region: 'us-east-1', endpoint: stack.endpoint, credentials: HUB_KEY });
    const error = await callError(
      createWorkQueue(client, `${stack.endpoint}/${HUB}/missing`, 'us-east-1').send([
        { account: MEMBER, region: 'eu-west-1', rules: ['golden'] },
      ]),
    );
    expect(error.operation).toBe('SendMessageBatch');
    expect(error.retryable).toBe(false);
  });
});
