import { createEc2Emulator, DEFAULT_REGIONS, type Ec2Emulator } from '@ami-lifecycle/emulator/ec2/index.js';
import { createKmsEmulator } from '@ami-lifecycle/emulator/kms/index.js';
import {
  createOrganizationsEmulator,
  type OrganizationsEmulator,
} from '@ami-lifecycle/emulator/organizations/index.js';
import { type LocalServer, startLocalServer } from '@ami-lifecycle/emulator/server.js';
import { DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { MoveAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCompletionClaims } from '../../shared/aws/claims.js';
import { createEc2ForRegion, createKeysForRegion } from '../../shared/aws/clients.js';
import { createOrganizationsFor } from '../../shared/aws/organizations.js';
import { type MemberResult, reconcileMember } from '../../shared/core/member.js';
import type { ToolEvent } from '../../shared/core/notifications.js';
import { DetailType } from '../../shared/core/notifications.js';
import type { EventPublisher, MembersFor, OrganizationsFor } from '../../shared/core/ports.js';
import { reconcileRegions } from '../../shared/core/reconcile.js';
import { resolveTargets, workItems } from '../../shared/core/targets.js';
import { parseRules } from '../../shared/rules/load.js';
import type { Rule } from '../../shared/rules/schema.js';
import { localDynamoDb } from '../support/dynamodb.js';
import { callCount, MUTATING, quietLogger } from './helpers.js';

/**
 * Copies owned by other accounts, through the real SDK against the emulator: the hub shares its
 * source with the rule's target accounts (named, and found under an OU through Organizations), each
 * target account copies it into its regions itself, and a run after convergence changes nothing.
 */

const HUB = '123456789012';
/** The hub's own key: any key that is not 12 digits acts for the emulator's default account, the hub. */
const LOCAL = { accessKeyId: 'test', secretAccessKey: 'test' };
const DEV = '222222222222';
const PROD = '333333333333';
const NEWCOMER = '444444444444';
const ORG = 'o-a1b2c3d4e5';
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-11111111';
const REGIONS = ['us-east-1', 'eu-west-1'];

/** The rule under test, copying into the target accounts' `regions`. */
function rulesInto(regions: readonly string[]) {
  return parseRules(`
version: 1
rules:
  - name: golden
    match: { regions: [us-east-1], names: ['golden-*'] }
    copy: { regions: [eu-west-1], tags: { team: platform } }
    accounts:
      ids: ['${PROD}']
      organizationalUnits: ['arn:aws:organizations::${HUB}:ou/${ORG}/${WORKLOADS}']
      regions: [${regions.join(', ')}]
`).rules;
}
/** An opt-in region DEV has not enabled (PROD has). */
const OPT_IN = 'af-south-1';

let ec2Emulator: Ec2Emulator;
let organizations: OrganizationsEmulator;
let server: LocalServer;
let organizationsFor: OrganizationsFor;
let members: MembersFor;

function seedOrganization(): OrganizationsEmulator {
  return createOrganizationsEmulator({
    accountId: HUB,
    organization: {
      id: ORG,
      managementAccountId: HUB,
      roots: [
        {
          id: ROOT,
          children: [
            { account: { id: HUB, name: 'build', email: 'build@example.com' } },
            { account: { id: PROD, name: 'prod', email: 'prod@example.com' } },
            { account: { id: NEWCOMER, name: 'newcomer', email: 'new@example.com' } },
            {
              ou: {
                id: WORKLOADS,
                name: 'workloads',
                children: [{ account: { id: DEV, name: 'dev', email: 'dev@example.com' } }],
              },
            },
          ],
        },
      ],
    },
  });
}

beforeAll(async () => {
  server = await startLocalServer({
    ec2: (request) => ec2Emulator.service(request),
    organizations: (request) => organizations.service(request),
    // PROD has a customer managed key for its copies (alias/ami-copies) in us-east-1; DEV has none.
    kms: createKmsEmulator({
      accountId: HUB,
      keys: [
        {
          accountId: PROD,
          region: 'us-east-1',
          keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
          aliases: ['alias/ami-copies'],
        },
      ],
    }).service,
  });
  organizationsFor = createOrganizationsFor({ endpoint: server.endpoint, credentials: LOCAL });
  // A 12-digit access key acts for that account in the emulator: the member role, without STS.
  const perAccount = new Map<string, ReturnType<MembersFor>>();
  members = (account) => {
    let ports = perAccount.get(account);
    if (ports === undefined) {
      ports = {
        ec2: createEc2ForRegion({
          endpoint: server.endpoint,
          credentials: { accessKeyId: account, secretAccessKey: 'local' },
          maxAttempts: 8,
        }),
        kms: createKeysForRegion({
          endpoint: server.endpoint,
          credentials: { accessKeyId: account, secretAccessKey: 'local' },
        }),
      };
      perAccount.set(account, ports);
    }
    return ports;
  };
});
afterAll(async () => {
  ec2Emulator?.close();
  await server?.close();
});
beforeEach(() => {
  ec2Emulator?.close();
  ec2Emulator = createEc2Emulator({
    copyDelayMs: 60_000,
    regions: [...DEFAULT_REGIONS, OPT_IN],
    accountRegions: { [DEV]: { disabled: [OPT_IN] } },
  });
  organizations = seedOrganization();
});

/** The hub's plan notes of the last round. */
let lastHubNotes: string[] = [];

/** The hub's regions reconciled with the targets: the sources shared with the target accounts. */
function hubRun(
  rules: readonly Rule[],
  targets: ReadonlyMap<string, readonly string[]>,
  events: EventPublisher,
  regions: readonly string[],
) {
  return reconcileRegions(
    {
      rules,
      accountId: HUB,
      ec2: hubEc2(),
      logger: quietLogger,
      events,
      now: () => new Date(),
      targets,
      kms: createKeysForRegion({ endpoint: server.endpoint, credentials: LOCAL }),
    },
    { regions, dryRun: false, maxCopiesInFlight: 20, concurrency: 4 },
  );
}

/** One scheduled round: targets resolved, the hub's regions reconciled, then every (account, region) item. */
async function round(rules = rulesInto(REGIONS)): Promise<{
  targets: ReadonlyMap<string, readonly string[]>;
  results: MemberResult[];
}> {
  const events = { publish: async (_: readonly ToolEvent[]) => {} };
  const resolved = await resolveTargets(rules, HUB, organizationsFor);
  expect(resolved.failures).toEqual([]);
  const hub = await hubRun(rules, resolved.accounts, events, REGIONS);
  expect(
    hub.flatMap((r) => ('report' in r ? r.report.failures.map((f) => f.message) : [r.error.message])),
  ).toEqual([]);
  lastHubNotes = hub.flatMap((r) => ('report' in r ? r.report.notes : []));
  const results = await Promise.all(
    workItems(rules, resolved.accounts).map((item) =>
      reconcileMember(
        { rules, hubAccountId: HUB, members, logger: quietLogger, events, now: () => new Date() },
        item,
        { dryRun: false, maxCopiesInFlight: 20, concurrency: 4 },
      ),
    ),
  );
  ec2Emulator.completePendingCopies();
  return { targets: resolved.accounts, results };
}

let hubPorts: ReturnType<typeof createEc2ForRegion> | undefined;
function hubEc2() {
  hubPorts ??= createEc2ForRegion({
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 8,
  });
  return hubPorts;
}

/**
 * A round after convergence, counted from zero: every item done, no write anywhere. Returns the
 * hub's calls of an action in the source region.
 */
async function convergedRound(): Promise<(action: string) => number> {
  ec2Emulator.resetCounters();
  const { results } = await round();
  expect(results.every((r) => r.status === 'done')).toBe(true);
  expect(callCount(ec2Emulator, [...MUTATING, 'CopyImage'])).toBe(0);
  const hub = ec2Emulator.countersByAccount()[HUB] ?? {};
  return (action) => hub[action]?.['us-east-1']?.calls ?? 0;
}

/** The available copies of `sourceImageId` each account owns, per region, read from the emulator's own state. */
function ownedCopies(sourceImageId: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const region of [...REGIONS, OPT_IN]) {
    for (const image of ec2Emulator.listImages(region)) {
      if (image.sourceImageId !== sourceImageId || image.state !== 'available') continue;
      found[image.ownerId] = [...(found[image.ownerId] ?? []), region];
    }
  }
  for (const list of Object.values(found)) list.sort();
  return found;
}

describe('copies owned by target accounts', () => {
  it('shares the source with a named account and one under an OU, and each copies it into its regions itself', async () => {
    const source = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-1', emitEvent: false });
    const first = await round();
    expect(first.targets.get('golden')).toEqual([DEV, PROD]);
    expect(first.results.map((r) => `${r.account}/${r.region}:${r.status}`).sort()).toEqual([
      `${DEV}/eu-west-1:done`,
      `${DEV}/us-east-1:done`,
      `${PROD}/eu-west-1:done`,
      `${PROD}/us-east-1:done`,
    ]);

    const shared = ec2Emulator.getImage('us-east-1', source.imageId);
    expect(shared?.launchPermissions.userIds.sort()).toEqual([DEV, PROD]);
    const snapshot = ec2Emulator.getSnapshot('us-east-1', shared?.snapshotIds[0] ?? '');
    expect(snapshot?.createVolumePermissions?.userIds?.sort()).toEqual([DEV, PROD]);

    expect(ownedCopies(source.imageId)).toEqual({
      [HUB]: ['eu-west-1'],
      [DEV]: ['eu-west-1', 'us-east-1'],
      [PROD]: ['eu-west-1', 'us-east-1'],
    });
    const memberCopy = ec2Emulator
      .listImages('eu-west-1')
      .find((i) => i.ownerId === DEV && i.sourceImageId === source.imageId);
    expect(memberCopy?.tags).toMatchObject({
      'ami-lifecycle:rule': 'golden',
      'ami-lifecycle:source-image-id': source.imageId,
      'ami-lifecycle:source-region': 'us-east-1',
      'ami-lifecycle:source-account': HUB,
      team: 'platform',
    });

    const inSource = await convergedRound();
    // The hub reads what sharing needs once: the tool's snapshot listing gives the source's key, so
    // no DescribeSnapshots of its own; one launch-permission and one create-volume read.
    expect([
      inSource('DescribeSnapshots'),
      inSource('DescribeImageAttribute'),
      inSource('DescribeSnapshotAttribute'),
    ]).toEqual([1, 1, 1]);
    // A target account lists its own images and the hub's shared sources, and nothing else: no
    // snapshot listing, since it tags only at creation (CopyImage) and retires nothing.
    for (const account of [DEV, PROD]) {
      expect(Object.keys(ec2Emulator.countersByAccount()[account] ?? {})).toEqual(['DescribeImages']);
    }
  });

  it('with more sources than target accounts, the hub lists each account’s permissions instead of reading each source’s, and converges all the same', async () => {
    const sources = ['a', 'b', 'c'].map((n) =>
      ec2Emulator.seedImage({ region: 'us-east-1', name: `golden-linux-${n}`, emitEvent: false }),
    );
    await round();
    for (const source of sources) {
      expect(ec2Emulator.getImage('us-east-1', source.imageId)?.launchPermissions.userIds.sort()).toEqual([
        DEV,
        PROD,
      ]);
    }
    // Converged: what the listings say is what the plan needs, so nothing is granted again.
    const inSource = await convergedRound();
    // 2 accounts listed (images, snapshots) instead of 3 sources and 3 snapshots read one by one.
    expect([inSource('DescribeImageAttribute'), inSource('DescribeSnapshotAttribute')]).toEqual([0, 0]);
    // DescribeImages: the region's own listing, eu-west-1's listing of the sources, 2 accounts.
    expect(inSource('DescribeImages')).toBe(2 + 2);
    // DescribeSnapshots: the tool's snapshot listing, 2 accounts.
    expect(inSource('DescribeSnapshots')).toBe(1 + 2);
  });

  it("leaves a target account's copy as CopyImage tagged it: a tag removed afterwards plans no CreateTags, which the member role may not call", async () => {
    const source = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-7', emitEvent: false });
    await round();
    const copy = ec2Emulator
      .listImages('eu-west-1')
      .find((i) => i.ownerId === DEV && i.sourceImageId === source.imageId);
    const snapshotId = copy?.snapshotIds[0] ?? '';
    expect(ec2Emulator.getSnapshot('eu-west-1', snapshotId)?.tags).toMatchObject({ team: 'platform' });
    const asDev = new EC2Client({
      region: 'eu-west-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: DEV, secretAccessKey: 'local' },
    });
    await asDev.send(new DeleteTagsCommand({ Resources: [snapshotId], Tags: [{ Key: 'team' }] }));

    ec2Emulator.resetCounters();
    const next = await round();
    expect(next.results.every((r) => r.status === 'done')).toBe(true);
    expect(ec2Emulator.countersByAccount()[DEV]?.CreateTags).toBeUndefined();
    expect(ec2Emulator.getSnapshot('eu-west-1', snapshotId)?.tags.team).toBeUndefined();
  });

  it('gives an account that joins a targeted OU the current release on the next run, and leaves the others as they are', async () => {
    const source = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-2', emitEvent: false });
    await round();
    expect(ownedCopies(source.imageId)[NEWCOMER]).toBeUndefined();

    await new OrganizationsClient({
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: HUB, secretAccessKey: 'local' },
    }).send(
      new MoveAccountCommand({ AccountId: NEWCOMER, SourceParentId: ROOT, DestinationParentId: WORKLOADS }),
    );

    ec2Emulator.resetCounters();
    const next = await round();
    expect(next.targets.get('golden')).toEqual([DEV, PROD, NEWCOMER]);
    expect(ownedCopies(source.imageId)[NEWCOMER]).toEqual(['eu-west-1', 'us-east-1']);
    // The newcomer's copies and its share are all that changed: two copies, one launch
    // permission, one create-volume permission.
    expect(callCount(ec2Emulator, ['CopyImage'])).toBe(2);
    expect(callCount(ec2Emulator, ['ModifyImageAttribute', 'ModifySnapshotAttribute'])).toBe(2);
  });

  it('skips, and says why, a region a target account has not enabled, while its other regions and the other accounts complete', async () => {
    const source = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-3', emitEvent: false });
    const { results } = await round(rulesInto([...REGIONS, OPT_IN]));
    const skipped = results.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => `${r.account}/${r.region}`)).toEqual([`${DEV}/${OPT_IN}`]);
    expect(skipped[0]?.status === 'skipped' && skipped[0].reason).toMatch(
      new RegExp(
        `${OPT_IN} of account ${DEV} cannot be read \\(AuthFailure\\): the region is not enabled there`,
      ),
    );
    expect(ownedCopies(source.imageId)).toEqual({
      [HUB]: ['eu-west-1'],
      [DEV]: ['eu-west-1', 'us-east-1'],
      [PROD]: [OPT_IN, 'eu-west-1', 'us-east-1'],
    });
  });

  it('refuses, before any write, a source encrypted with the AWS managed key, and names the fix; the other releases go on', async () => {
    const managed = ec2Emulator.seedImage({
      region: 'us-east-1',
      name: 'golden-encrypted-1',
      emitEvent: false,
      blockDeviceMappings: [{ deviceName: '/dev/xvda', encrypted: true }],
    });
    const plain = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-4', emitEvent: false });
    ec2Emulator.resetCounters();
    const { results } = await round();
    const hubNotes = lastHubNotes.join('\n');
    expect(hubNotes).toMatch(
      new RegExp(
        `${managed.imageId}.*AWS managed key \\(aws/ebs\\), which other accounts can never use.*customer managed key`,
      ),
    );
    // Nothing was granted on it, so no target account could start a copy that would only fail.
    const image = ec2Emulator.getImage('us-east-1', managed.imageId);
    expect(image?.launchPermissions.userIds).toEqual([]);
    expect(
      ec2Emulator.getSnapshot('us-east-1', image?.snapshotIds[0] ?? '')?.createVolumePermissions?.userIds ??
        [],
    ).toEqual([]);
    expect(Object.keys(ownedCopies(managed.imageId))).toEqual([HUB]);
    // The unencrypted release reached every target account.
    expect(ownedCopies(plain.imageId)).toEqual({
      [HUB]: ['eu-west-1'],
      [DEV]: ['eu-west-1', 'us-east-1'],
      [PROD]: ['eu-west-1', 'us-east-1'],
    });
    expect(results.every((r) => r.status === 'done')).toBe(true);
  });

  it('announces the release once every target account has its copy in each region, or skipped it, listing accounts x regions', async () => {
    const dynamodb = await localDynamoDb('us-east-1');
    try {
      const table = await dynamodb.table('distributions');
      const claims = () => createCompletionClaims(dynamodb.client, table, 'us-east-1');
      const published: ToolEvent[] = [];
      const events = { publish: async (batch: readonly ToolEvent[]) => void published.push(...batch) };
      const rulesWithOptIn = rulesInto([...REGIONS, OPT_IN]);
      const source = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-5', emitEvent: false });
      const resolved = await resolveTargets(rulesWithOptIn, HUB, organizationsFor);
      await hubRun(rulesWithOptIn, resolved.accounts, events, ['us-east-1']);
      const memberDeps = {
        rules: rulesWithOptIn,
        hubAccountId: HUB,
        members,
        logger: quietLogger,
        events,
        now: () => new Date(),
        completion: { claims, owner: 'test' },
      };
      const options = { dryRun: false, maxCopiesInFlight: 20, concurrency: 4 };
      // The release's items, as the event path queues them: copies start (pending), DEV's opt-in
      // region is recorded skipped.
      const release = { sourceImageId: source.imageId, sourceRegion: 'us-east-1' };
      for (const item of workItems(rulesWithOptIn, resolved.accounts, undefined, release)) {
        await reconcileMember(memberDeps, item, options);
      }
      expect(published.filter((e) => e.detailType === DetailType.AccountCopiesCompleted)).toEqual([]);

      // Each copy's available event, forwarded from its account: the last one completes the set.
      ec2Emulator.completePendingCopies();
      const copies = [...REGIONS, OPT_IN].flatMap((region) =>
        ec2Emulator
          .listImages(region)
          .filter((i) => i.sourceImageId === source.imageId && i.ownerId !== HUB)
          .map((i) => ({ account: i.ownerId, region, imageId: i.imageId })),
      );
      expect(copies).toHaveLength(5);
      const [expected] = workItems(rulesWithOptIn, resolved.accounts, undefined, release).map(
        (i) => i.expected,
      );
      for (const copy of copies) {
        await reconcileMember(
          memberDeps,
          { ...copy, rules: ['golden'], ...(expected ? { expected } : {}) },
          options,
        );
        await reconcileMember(
          memberDeps,
          { ...copy, rules: ['golden'], ...(expected ? { expected } : {}) },
          options,
        );
      }
      const announced = published.filter((e) => e.detailType === DetailType.AccountCopiesCompleted);
      expect(announced).toHaveLength(1);
      const detail = announced[0]?.detail;
      // Named by the source, which each account's run in the source region lists.
      expect(detail && 'imageName' in detail ? detail.imageName : undefined).toBe('golden-linux-5');
      const byAccount = Object.fromEntries(
        (detail && 'accounts' in detail ? detail.accounts : []).map((a) => [
          a.account,
          a.regions.map((r) => `${r.region}:${r.status}${r.imageId === undefined ? '' : `:${r.imageId}`}`),
        ]),
      );
      const copyIn = (account: string, region: string) =>
        copies.find((c) => c.account === account && c.region === region)?.imageId;
      expect(byAccount).toEqual({
        [DEV]: [
          `${OPT_IN}:skipped`,
          `eu-west-1:available:${copyIn(DEV, 'eu-west-1')}`,
          `us-east-1:available:${copyIn(DEV, 'us-east-1')}`,
        ],
        [PROD]: [
          `${OPT_IN}:available:${copyIn(PROD, OPT_IN)}`,
          `eu-west-1:available:${copyIn(PROD, 'eu-west-1')}`,
          `us-east-1:available:${copyIn(PROD, 'us-east-1')}`,
        ],
      });
    } finally {
      await dynamodb.close();
    }
  });

  it('names a KMS key a target account cannot use and skips that region there; the account that has the key copies with it', async () => {
    const source = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-6', emitEvent: false });
    const encrypted = parseRules(`
version: 1
rules:
  - name: golden
    match: { regions: [us-east-1], names: ['golden-*'] }
    accounts:
      ids: ['${PROD}', '${DEV}']
      regions: [us-east-1]
      encrypted: true
      kmsKeys: { us-east-1: alias/ami-copies }
`).rules;
    const { results } = await round(encrypted);
    const byAccount = Object.fromEntries(
      results.map((r) => [r.account, r.status === 'skipped' ? `skipped: ${r.reason}` : 'done']),
    );
    expect(byAccount[PROD]).toBe('done');
    expect(byAccount[DEV]).toBe(
      'skipped: rule golden: KMS key "alias/ami-copies" does not exist in us-east-1 or the account cannot use it; no copy is started there',
    );
    expect(ownedCopies(source.imageId)).toEqual({ [PROD]: ['us-east-1'] });
  });

  it("shares each account's copies as the rule shares, the account granting them on its own copies; then nothing changes", async () => {
    const CONSUMER = '444455556666';
    const sharing = parseRules(`
version: 1
rules:
  - name: golden
    match: { regions: [us-east-1], names: ['golden-*'] }
    share: { accounts: ['${CONSUMER}'], snapshotPermissions: true }
    accounts:
      ids: ['${PROD}']
      regions: [eu-west-1]
`).rules;
    const source = ec2Emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-7', emitEvent: false });
    await round(sharing);
    // The copy is available now: the account's next run shares it.
    await round(sharing);
    const copy = ec2Emulator
      .listImages('eu-west-1')
      .find((i) => i.ownerId === PROD && i.sourceImageId === source.imageId);
    expect(copy?.launchPermissions.userIds).toEqual([CONSUMER]);
    const snapshot = ec2Emulator.getSnapshot('eu-west-1', copy?.snapshotIds[0] ?? '');
    expect(snapshot?.createVolumePermissions?.userIds).toEqual([CONSUMER]);
    ec2Emulator.resetCounters();
    await round(sharing);
    expect(callCount(ec2Emulator, [...MUTATING, 'CopyImage'])).toBe(0);
  });
});
