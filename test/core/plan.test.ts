import { describe, expect, it } from 'vitest';
import type { Action, Plan } from '../../shared/core/actions.js';
import { AwsCallError } from '../../shared/core/errors.js';
import { LINEAGE, type Observation, type TargetObservation } from '../../shared/core/model.js';
import { clientToken, copyImageTags, plan, snapshotTags, sourceImageTags } from '../../shared/core/plan.js';
import { ACCOUNT, detail, image, rule, snapshot } from './builders.js';

const SOURCE = image();
const ORG = 'arn:aws:organizations::111122223333:organization/o-exampleorg1';
const OU = 'arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456';
const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];
const noCopies: TargetObservation = { status: 'observed', copies: [], details: [] };

function copyIn(region: string, state: 'pending' | 'available' | 'failed', n = 1) {
  return image({
    region,
    imageId: `ami-0c0p${region.replace(/[^a-z0-9]/g, '').slice(0, 8)}${n}`.padEnd(21, '0').slice(0, 21),
    state,
    sourceImageId: SOURCE.imageId,
    sourceImageRegion: SOURCE.region,
    snapshotIds: [`snap-0c${n}${region.length}aaaaaaaaaaaa`.slice(0, 22)],
    tags: copyImageTags(rule(), SOURCE.imageId, SOURCE.region),
  });
}

/** The source fully converged: tagged, shared, snapshots tagged and shared. */
const convergedSource = detail(SOURCE, {
  image: { ...SOURCE, tags: sourceImageTags(rule()) },
  launchPermissions: [
    { kind: 'account', id: '444455556666' },
    { kind: 'organization', arn: ORG },
    { kind: 'organizational-unit', arn: OU },
  ],
  snapshots: SOURCE.snapshotIds.map((id) =>
    snapshot(id, {
      tags: snapshotTags(rule(), sourceImageTags(rule())),
      createVolumeUserIds: ['444455556666'],
    }),
  ),
});

function observation(overrides: Partial<Observation> = {}): Observation {
  return {
    accountId: ACCOUNT,
    sourceImageId: SOURCE.imageId,
    sourceRegion: SOURCE.region,
    source: detail(SOURCE),
    targets: Object.fromEntries(TARGETS.map((r) => [r, noCopies])),
    ...overrides,
  };
}

const kinds = (p: Plan) => p.actions.map((a) => `${a.kind}@${a.region}`);
const copies = (p: Plan) =>
  p.actions.filter((a): a is Extract<Action, { kind: 'copy' }> => a.kind === 'copy');
const notes = (p: Plan) => p.notes.map((n) => n.message).join('\n');

interface Case {
  name: string;
  reason: string;
  rule?: ReturnType<typeof rule>;
  observation: Observation;
  expect: (p: Plan) => void;
}

const cases: Case[] = [
  {
    name: 'first distribution',
    reason:
      'an untagged, unshared source with no copies anywhere needs its tags, its shares, and one copy per target region, in that order',
    observation: observation(),
    expect: (p) => {
      expect(kinds(p)).toEqual([
        'tag@us-east-1',
        'share-image@us-east-1',
        'share-snapshot@us-east-1',
        'share-snapshot@us-east-1',
        'copy@eu-west-1',
        'copy@ap-southeast-2',
        'copy@us-west-2',
      ]);
      const [tag] = p.actions;
      // Snapshots inherit the image's tags and have no extras here: one CreateTags for all three.
      expect(tag).toMatchObject({ resourceIds: [SOURCE.imageId, ...SOURCE.snapshotIds] });
      expect(p.actions[1]).toMatchObject({
        add: [
          { kind: 'account', id: '444455556666' },
          { kind: 'organization', arn: ORG },
          { kind: 'organizational-unit', arn: OU },
        ],
      });
      const [copy] = copies(p);
      expect(copy).toMatchObject({
        sourceImageId: SOURCE.imageId,
        sourceRegion: 'us-east-1',
        name: SOURCE.name,
        copyImageTags: true,
        encrypted: false,
        generation: 0,
        imageTags: {
          distribution: 'golden',
          [LINEAGE.rule]: 'golden',
          [LINEAGE.sourceImageId]: SOURCE.imageId,
          [LINEAGE.sourceRegion]: 'us-east-1',
        },
      });
      expect(copy?.snapshotTags).toEqual(copy?.imageTags);
      expect(copy?.clientToken).toMatch(/^[0-9a-f]{64}$/);
    },
  },
  {
    name: 'the same event twice',
    reason:
      'once the source is tagged and shared and every region has its copy, planning again changes nothing',
    observation: observation({
      source: convergedSource,
      targets: Object.fromEntries(
        TARGETS.map((r) => [r, { status: 'observed', copies: [copyIn(r, 'available')], details: [] }]),
      ),
    }),
    expect: (p) => expect(p.actions).toEqual([]),
  },
  {
    name: 'copy already pending',
    reason: 'a pending copy found by lineage counts as the copy: starting another would duplicate it',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': { status: 'observed', copies: [copyIn('eu-west-1', 'pending')], details: [] },
        'ap-southeast-2': noCopies,
        'us-west-2': { status: 'observed', copies: [copyIn('us-west-2', 'available')], details: [] },
      },
    }),
    expect: (p) => {
      expect(kinds(p)).toEqual(['copy@ap-southeast-2']);
      expect(notes(p)).toContain('copy in progress (pending)');
    },
  },
  {
    name: 'partly shared',
    reason:
      'one ModifyImageAttribute adds only the permissions that are missing; snapshots shared already are left alone',
    observation: observation({
      source: { ...convergedSource, launchPermissions: [{ kind: 'account', id: '444455556666' }] },
      targets: {},
    }),
    expect: (p) => {
      expect(p.actions).toEqual([
        {
          kind: 'share-image',
          region: 'us-east-1',
          imageId: SOURCE.imageId,
          add: [
            { kind: 'organization', arn: ORG },
            { kind: 'organizational-unit', arn: OU },
          ],
        },
      ]);
    },
  },
  {
    name: 'tags drifted',
    reason: 'a tag someone changed is set back, showing the old value; tags the rule does not name are kept',
    observation: observation({
      source: {
        ...convergedSource,
        image: { ...SOURCE, tags: { ...sourceImageTags(rule()), owner: 'someone-else', extra: 'kept' } },
      },
      targets: {},
    }),
    expect: (p) => {
      expect(p.actions).toEqual([
        {
          kind: 'tag',
          region: 'us-east-1',
          imageId: SOURCE.imageId,
          resourceIds: [SOURCE.imageId],
          changes: [{ key: 'owner', value: 'platform', previous: 'someone-else' }],
        },
      ]);
    },
  },
  {
    name: "a copy's event",
    reason:
      'a copy observed in its own region gets its lineage and copy tags and the shares, and never a further copy',
    observation: observation({
      source: undefined,
      targets: {
        'eu-west-1': (() => {
          const copy = { ...copyIn('eu-west-1', 'available'), tags: {} };
          return { status: 'observed', copies: [copy], details: [detail(copy)] } as const;
        })(),
      },
    }),
    expect: (p) => {
      expect(kinds(p)).toEqual(['tag@eu-west-1', 'share-image@eu-west-1', 'share-snapshot@eu-west-1']);
      expect(p.actions[0]).toMatchObject({
        changes: expect.arrayContaining([
          { key: LINEAGE.sourceImageId, value: SOURCE.imageId },
          { key: LINEAGE.rule, value: 'golden' },
          { key: 'distribution', value: 'golden' },
        ]),
      });
    },
  },
  {
    name: "a source's event",
    reason:
      'the same observation seen from the source: its own work plus copies, nothing in the copy regions but the copies',
    observation: observation({ source: convergedSource }),
    expect: (p) => expect(kinds(p)).toEqual(['copy@eu-west-1', 'copy@ap-southeast-2', 'copy@us-west-2']),
  },
  {
    name: 'public refused for a Marketplace image',
    reason:
      'EC2 never lets an image with a Marketplace product code be made public: the plan says so instead of failing',
    rule: rule({ share: { public: true, allowPublic: true } }),
    observation: observation({
      source: detail({ ...SOURCE, hasMarketplaceCode: true, tags: sourceImageTags(rule()) }),
      targets: {},
    }),
    expect: (p) => {
      expect(p.actions.filter((a) => a.kind === 'share-image')).toEqual([]);
      expect(notes(p)).toContain('Marketplace product code');
    },
  },
  {
    name: 'public refused by block public access',
    reason: 'with block public access on in the region, a public share would fail: refused in the plan',
    rule: rule({ share: { public: true, allowPublic: true } }),
    observation: observation({
      source: { ...convergedSource, launchPermissions: [], publicSharingBlocked: true },
      targets: {},
    }),
    expect: (p) => {
      expect(p.actions).toEqual([]);
      expect(notes(p)).toContain('block public access');
    },
  },
  {
    name: 'public allowed',
    reason: 'public: true with allowPublic: true adds Group=all',
    rule: rule({ share: { public: true, allowPublic: true } }),
    observation: observation({ source: { ...convergedSource, launchPermissions: [] }, targets: {} }),
    expect: (p) =>
      expect(p.actions).toEqual([
        expect.objectContaining({ kind: 'share-image', add: [{ kind: 'public' }] }),
      ]),
  },
  {
    name: 'an image the account does not own',
    reason:
      'only images the account owns can be re-permissioned: sharing is refused with the reason, tags still apply',
    observation: observation({ source: detail({ ...SOURCE, ownerId: '999999999999' }), targets: {} }),
    expect: (p) => {
      expect(p.actions.map((a) => a.kind)).toEqual(['tag']);
      expect(notes(p)).toContain('owned by 999999999999');
    },
  },
  {
    name: 'encrypted copies with per-region keys',
    reason:
      'each copy is encrypted with the customer-managed key of its own region; a region without a key uses the default key',
    rule: rule({
      copy: {
        regions: TARGETS,
        encrypted: true,
        kmsKeys: {
          'eu-west-1': 'arn:aws:kms:eu-west-1:111122223333:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
          'ap-southeast-2':
            'arn:aws:kms:ap-southeast-2:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        },
      },
    }),
    observation: observation({ source: convergedSource }),
    expect: (p) => {
      expect(copies(p).map((c) => [c.region, c.encrypted, c.kmsKeyId])).toEqual([
        ['eu-west-1', true, 'arn:aws:kms:eu-west-1:111122223333:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b'],
        [
          'ap-southeast-2',
          true,
          'arn:aws:kms:ap-southeast-2:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        ],
        ['us-west-2', true, undefined],
      ]);
    },
  },
  {
    name: 'instance-store image',
    reason:
      'no snapshots: nothing to tag or share there, the copy carries no snapshot tags, and the plan says so',
    observation: observation({
      source: detail({ ...SOURCE, rootDeviceType: 'instance-store', snapshotIds: [] }, { snapshots: [] }),
      targets: { 'eu-west-1': noCopies },
    }),
    expect: (p) => {
      expect(kinds(p)).toEqual(['tag@us-east-1', 'share-image@us-east-1', 'copy@eu-west-1']);
      expect(p.actions[0]).toMatchObject({ resourceIds: [SOURCE.imageId] });
      expect(copies(p)[0]?.snapshotTags).toBeUndefined();
      expect(notes(p)).toContain('instance-store image: no snapshots to tag or share');
    },
  },
  {
    name: 'snapshot extras',
    reason:
      'snapshots need tags the image does not: the image and the snapshots are tagged in two calls, each with its own set',
    rule: rule({ tags: { image: { owner: 'platform' }, snapshots: { backup: 'none' } } }),
    observation: observation({ targets: {} }),
    expect: (p) => {
      const tags = p.actions.filter((a) => a.kind === 'tag');
      expect(tags.map((t) => t.resourceIds)).toEqual([[SOURCE.imageId], SOURCE.snapshotIds]);
    },
  },
  {
    name: 'a failed copy',
    reason: 'a failed copy does not count; the next attempt gets a new generation and so a new client token',
    observation: observation({
      source: convergedSource,
      targets: { 'eu-west-1': { status: 'observed', copies: [copyIn('eu-west-1', 'failed')], details: [] } },
    }),
    expect: (p) => {
      expect(copies(p).map((c) => [c.region, c.generation])).toEqual([['eu-west-1', 1]]);
      const first = plan(
        rule(),
        observation({ source: convergedSource, targets: { 'eu-west-1': noCopies } }),
      );
      expect(copies(p)[0]?.clientToken).not.toEqual(copies(first)[0]?.clientToken);
    },
  },
  {
    name: 'a region that cannot be read',
    reason: 'a region not enabled is reported and skipped; the other regions still get their copies',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': noCopies,
        'ap-southeast-2': {
          status: 'unavailable',
          error: new AwsCallError(
            'DescribeImages',
            'ap-southeast-2',
            Object.assign(new Error('not opted in'), { name: 'OptInRequired', $fault: 'client' }),
          ),
        },
        'us-west-2': noCopies,
      },
    }),
    expect: (p) => {
      expect(kinds(p)).toEqual(['copy@eu-west-1', 'copy@us-west-2']);
      expect(notes(p)).toContain('region skipped: OptInRequired');
    },
  },
  {
    name: 'the source is not available',
    reason: 'a copy of an image that is not available would fail: none is started',
    observation: observation({
      source: detail({ ...SOURCE, state: 'pending' }),
      targets: { 'eu-west-1': noCopies },
    }),
    expect: (p) => {
      expect(copies(p)).toEqual([]);
      expect(notes(p)).toContain('the source is pending');
    },
  },
  {
    name: 'the source region among the targets',
    reason: 'an image is never copied into its own region',
    rule: rule({ copy: { regions: ['us-east-1', 'eu-west-1'] } }),
    observation: observation({
      source: convergedSource,
      targets: { 'us-east-1': noCopies, 'eu-west-1': noCopies },
    }),
    expect: (p) => expect(kinds(p)).toEqual(['copy@eu-west-1']),
  },
];

describe('plan', () => {
  it.each(cases)('$name: $reason', ({ rule: r, observation: o, expect: check }) => {
    check(plan(r ?? rule(), o));
  });

  it('is deterministic: the same inputs give the same plan, tokens included', () => {
    expect(plan(rule(), observation())).toEqual(plan(rule(), observation()));
  });
});

describe('clientToken', () => {
  const params = { name: 'x' };
  it('depends on the source, destination, rule, attempt and parameters, and fits in 64 characters', () => {
    const base = clientToken('ami-1', 'eu-west-1', 'golden', 0, params);
    expect(base).toHaveLength(64);
    expect(clientToken('ami-1', 'eu-west-1', 'golden', 0, { name: 'x' })).toBe(base);
    for (const other of [
      clientToken('ami-2', 'eu-west-1', 'golden', 0, params),
      clientToken('ami-1', 'eu-west-2', 'golden', 0, params),
      clientToken('ami-1', 'eu-west-1', 'other', 0, params),
      clientToken('ami-1', 'eu-west-1', 'golden', 1, params),
      clientToken('ami-1', 'eu-west-1', 'golden', 0, { name: 'y' }),
    ]) {
      expect(other).not.toBe(base);
    }
  });
});
