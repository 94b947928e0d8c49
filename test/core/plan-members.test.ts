import { describe, expect, it } from 'vitest';
import type { Action } from '../../shared/core/actions.js';
import { memberRule } from '../../shared/core/member.js';
import { LINEAGE, type Observation } from '../../shared/core/model.js';
import { planFamily } from '../../shared/core/plan-family.js';
import { workItems } from '../../shared/core/targets.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ACCOUNT, detail, image, rule, snapshot } from './builders.js';

/**
 * Sharing a source with the rule's target accounts (the hub's side), and the rule as a target
 * account applies it (the member's side). Each row says why.
 */

const DEV = '222222222222';
const PROD = '333333333333';
const ACCOUNTS = {
  ids: [PROD],
  organizationalUnits: ['arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456'],
  regions: ['us-east-1', 'eu-west-1'],
};
const targeting = (overrides: Record<string, unknown> = {}): Rule =>
  rule({ share: undefined, accounts: { ...ACCOUNTS, ...overrides } });
const SOURCE = image({ tags: { [LINEAGE.rule]: 'golden', owner: 'platform' } });
/** 1,001 distinct account ids, sorted as the plan lists them. */
const MANY = Array.from({ length: 1001 }, (_, i) => String(100000000000 + i));
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function sourcePlan(r: Rule, observed: Partial<Observation> & Pick<Observation, 'source'>) {
  return planFamily(r, {
    accountId: ACCOUNT,
    sourceImageId: SOURCE.imageId,
    sourceRegion: 'us-east-1',
    targets: {},
    ...observed,
  });
}
const sharing = (actions: readonly Action[]) =>
  actions.flatMap((a) =>
    a.kind === 'share-image'
      ? [`image ${a.add.map((p) => (p.kind === 'account' ? p.id : p.kind)).join(',')}`]
      : a.kind === 'share-snapshot'
        ? [`${a.snapshotId} ${a.addUserIds.join(',')}`]
        : [],
  );

describe('the hub shares a source with its target accounts', () => {
  const [snapA, snapB] = SOURCE.snapshotIds as [string, string];
  const cases: Array<{
    why: string;
    rule?: Rule;
    members: readonly string[];
    snapshots?: ReturnType<typeof snapshot>[];
    launched?: string[];
    owner?: string;
    expected: string[];
    note?: RegExp;
    /** A note that must not appear. */
    quiet?: RegExp;
  }> = [
    {
      why: 'each target may launch the source and create volumes from every snapshot, so it can copy it',
      members: [DEV, PROD],
      expected: [`image ${DEV},${PROD}`, `${snapA} ${DEV},${PROD}`, `${snapB} ${DEV},${PROD}`],
    },
    {
      why: 'what is granted already is not granted again',
      members: [DEV, PROD],
      launched: [DEV],
      snapshots: [
        snapshot(snapA, { createVolumeUserIds: [DEV, PROD] }),
        snapshot(snapB, { createVolumeUserIds: [DEV] }),
      ],
      expected: [`image ${PROD}`, `${snapB} ${PROD}`],
    },
    {
      why: 'a customer managed key is the target accounts to be given; the tool shares the image',
      members: [DEV],
      snapshots: [
        snapshot(snapA, { encrypted: true, kmsKeyId: KEY, kmsKeyManager: 'CUSTOMER' }),
        snapshot(snapB, { encrypted: true, kmsKeyId: KEY, kmsKeyManager: 'CUSTOMER' }),
      ],
      expected: [`image ${DEV}`, `${snapA} ${DEV}`, `${snapB} ${DEV}`],
    },
    {
      why: 'the AWS managed key can never be used by another account: nothing is shared, and the note names the fix',
      members: [DEV, PROD],
      snapshots: [snapshot(snapA, { encrypted: true, kmsKeyId: KEY, kmsKeyManager: 'AWS' }), snapshot(snapB)],
      expected: [],
      note: /AWS managed key \(aws\/ebs\).*customer managed key/,
    },
    {
      why: 'a key KMS could not describe is not guessed at: nothing is shared until it can be',
      members: [DEV],
      snapshots: [snapshot(snapA, { encrypted: true, kmsKeyId: KEY }), snapshot(snapB)],
      expected: [],
      note: /could not be described/,
    },
    {
      why: "the rule's own share.accounts and the targets are granted together, once each",
      rule: rule({ share: { accounts: [DEV], snapshotPermissions: false }, accounts: ACCOUNTS }),
      members: [DEV, PROD],
      expected: [`image ${DEV},${PROD}`, `${snapA} ${DEV},${PROD}`, `${snapB} ${DEV},${PROD}`],
    },
    {
      why: 'the account the tool runs in needs no grant on its own image',
      members: [ACCOUNT, DEV],
      expected: [`image ${DEV}`, `${snapA} ${DEV}`, `${snapB} ${DEV}`],
    },
    {
      why: "over EC2's default sharing quota (1,000 entities an image and region) the note says so and names the fixes; the grant is still planned, since the quota can be raised",
      members: MANY.slice(0, 1001),
      expected: [
        `image ${MANY.slice(0, 1001).join(',')}`,
        `${snapA} ${MANY.slice(0, 1001).join(',')}`,
        `${snapB} ${MANY.slice(0, 1001).join(',')}`,
      ],
      note: /shared with 1,001 accounts, organizations and OUs.*quota of 1,000.*share with the organization or OU instead/,
    },
    {
      why: 'at the quota exactly (999 granted, one more) nothing is said',
      members: MANY.slice(0, 1000),
      launched: MANY.slice(0, 999),
      snapshots: [
        snapshot(snapA, { createVolumeUserIds: MANY.slice(0, 1000) }),
        snapshot(snapB, { createVolumeUserIds: MANY.slice(0, 1000) }),
      ],
      expected: [`image ${MANY[999]}`],
      quiet: /quota/,
    },
    {
      why: 'an image of another account cannot be re-permissioned',
      members: [DEV],
      owner: '999999999999',
      expected: [],
      note: /owned by 999999999999/,
    },
  ];
  it.each(cases)('$why', ({ rule: r, members, snapshots, launched, owner, expected, note, quiet }) => {
    const source = owner === undefined ? SOURCE : { ...SOURCE, ownerId: owner };
    const plan = sourcePlan(r ?? targeting(), {
      source: detail(source, {
        launchPermissions: (launched ?? []).map((id) => ({ kind: 'account', id })),
        ...(snapshots ? { snapshots } : {}),
      }),
      memberAccounts: members,
    });
    expect(sharing(plan.actions)).toEqual(expected);
    if (note) expect(plan.notes.map((n) => n.message).join('\n')).toMatch(note);
    if (quiet) expect(plan.notes.map((n) => n.message).join('\n')).not.toMatch(quiet);
  });
});

describe('the rule as a target account applies it', () => {
  it("copies the hub's images into the account's regions, the source region too, tagged at creation with the hub as source account", () => {
    const projected = memberRule(
      targeting({
        encrypted: true,
        kmsKeys: { 'eu-west-1': 'alias/ami-copies' },
        accountKmsKeys: { [DEV]: { 'us-east-1': 'alias/dev-copies' } },
      }),
      ACCOUNT,
      DEV,
    );
    expect(projected?.match.owners).toEqual([ACCOUNT]);
    expect(projected?.copy).toMatchObject({
      regions: ['us-east-1', 'eu-west-1'],
      encrypted: true,
      kmsKeys: { 'eu-west-1': 'alias/ami-copies', 'us-east-1': 'alias/dev-copies' },
      copyTags: false,
      tags: { owner: 'platform', distribution: 'golden', [LINEAGE.sourceAccount]: ACCOUNT },
    });
    // The member retires and publishes nothing: those are the hub's.
    expect(projected).not.toHaveProperty('retire');
    expect(projected).not.toHaveProperty('accounts');
  });

  it("plans a copy into the source region for another account's image (the account's own image needs none)", () => {
    const projected = memberRule(targeting(), ACCOUNT, DEV) as Rule;
    const observe = (ownerId: string, accountId: string) =>
      planFamily(projected, {
        accountId,
        sourceImageId: SOURCE.imageId,
        sourceRegion: 'us-east-1',
        sourceImage: { ...SOURCE, ownerId },
        targets: { 'us-east-1': { status: 'observed', copies: [], details: [] } },
      }).actions.filter((a) => a.kind === 'copy');
    expect(observe(ACCOUNT, DEV).map((a) => a.region)).toEqual(['us-east-1']);
    expect(observe(DEV, DEV)).toEqual([]);
  });

  it('shares its copies as the rule shares (the account grants them on its own copies)', () => {
    const share = {
      accounts: ['444455556666'],
      organizations: [],
      organizationalUnits: [],
      snapshotPermissions: true,
      public: false,
      allowPublic: false,
    };
    expect(memberRule(rule({ share, accounts: ACCOUNTS }), ACCOUNT, DEV)?.share).toEqual(share);
    expect(memberRule(targeting(), ACCOUNT, DEV)).not.toHaveProperty('share');
  });

  it('a rule without accounts has no member side', () => {
    expect(memberRule(rule(), ACCOUNT, DEV)).toBeUndefined();
  });
});

describe('the fan-out', () => {
  it('makes one item per (target account, region), naming every rule that targets both', () => {
    const other = rule({
      name: 'windows',
      match: { regions: ['us-east-1'], names: ['win-*'] },
      accounts: { ids: [DEV], regions: ['eu-west-1'] },
    });
    const items = workItems(
      [targeting(), other, rule({ name: 'plain', match: { regions: ['us-east-1'], names: ['plain-*'] } })],
      new Map([
        ['golden', [DEV, PROD]],
        ['windows', [DEV]],
      ]),
    );
    expect(items).toEqual([
      { account: DEV, region: 'eu-west-1', rules: ['golden', 'windows'] },
      { account: DEV, region: 'us-east-1', rules: ['golden'] },
      { account: PROD, region: 'eu-west-1', rules: ['golden'] },
      { account: PROD, region: 'us-east-1', rules: ['golden'] },
    ]);
    expect(workItems([targeting()], new Map([['golden', [DEV]]]), ['eu-west-1'])).toEqual([
      { account: DEV, region: 'eu-west-1', rules: ['golden'] },
    ]);
  });
});
