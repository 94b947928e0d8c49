import { describe, expect, it } from 'vitest';
import { type Action, type ActionKind, type ActionOf, actionId } from '../../shared/core/actions.js';
import { RETIRED_TAG } from '../../shared/core/deletion.js';
import { AwsCallError } from '../../shared/core/errors.js';
import {
  type ImageDetail,
  LINEAGE,
  type Observation,
  type ObservedImage,
  type TargetObservation,
} from '../../shared/core/model.js';
import { observeCopy, observeSource } from '../../shared/core/observe-image.js';
import {
  clientToken,
  copyImageTags,
  copyRequest,
  desiredCopyTags,
  snapshotTags,
  sourceImageTags,
} from '../../shared/core/plan-copy.js';
import { type FamilyPlan, planFamily } from '../../shared/core/plan-family.js';
import type { Ec2ForRegion } from '../../shared/core/ports.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ACCOUNT, detail, image, rule, snapshot } from './builders.js';

const SOURCE = image();
const ACCOUNT_GRANT = { kind: 'account', id: '444455556666' } as const;
const ORG = 'arn:aws:organizations::111122223333:organization/o-exampleorg1';
const OU = 'arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456';
const ALL_GRANTS = [
  ACCOUNT_GRANT,
  { kind: 'organization', arn: ORG },
  { kind: 'organizational-unit', arn: OU },
] as const;
const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];
const noCopies: TargetObservation = { status: 'observed', copies: [], details: [] };
const SOURCE_TAG_ID = actionId('tag', 'us-east-1', SOURCE.imageId);

function copyIn(
  region: string,
  state: ObservedImage['state'],
  n = 1,
  overrides: Partial<ObservedImage> = {},
): ObservedImage {
  return image({
    region,
    imageId: `ami-0c0p${region.replace(/[^a-z0-9]/g, '').slice(0, 8)}${n}`.padEnd(21, '0').slice(0, 21),
    state,
    sourceImageId: SOURCE.imageId,
    sourceImageRegion: SOURCE.region,
    snapshotIds: [`snap-0c${n}${region.length}aaaaaaaaaaaa`.slice(0, 22)],
    tags: desiredCopyTags(rule(), SOURCE.imageId, SOURCE.region),
    ...overrides,
  });
}

/** A copy fully converged: every tag it should carry, on it and its snapshot, and shared. */
function convergedCopy(copy: ObservedImage, r: Rule = rule()): ImageDetail {
  const tags = desiredCopyTags(r, SOURCE.imageId, SOURCE.region);
  return detail(
    { ...copy, tags },
    {
      launchPermissions: [...ALL_GRANTS],
      snapshots: copy.snapshotIds.map((id) =>
        snapshot(id, { tags: snapshotTags(r, tags), createVolumeUserIds: ['444455556666'] }),
      ),
    },
  );
}

/** The source fully converged: tagged, shared, snapshots tagged and shared. */
const convergedSource = detail(SOURCE, {
  image: { ...SOURCE, tags: sourceImageTags(rule()) },
  launchPermissions: [...ALL_GRANTS],
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

const kinds = (p: FamilyPlan) => p.actions.map((a) => `${a.kind}@${a.region}`);
const ofKind = <K extends ActionKind>(p: FamilyPlan, kind: K): ActionOf<K>[] =>
  p.actions.filter((a): a is ActionOf<K> => a.kind === kind);
const copies = (p: FamilyPlan) => ofKind(p, 'copy');
const notes = (p: FamilyPlan) => p.notes.map((n) => n.message).join('\n');

/** No EC2 call is expected at all: a fresh source is planned from its DescribeImages answer alone. */
const noEc2: Ec2ForRegion = (region) => {
  throw new Error(`no EC2 call expected (asked for ${region})`);
};

const freshSourceObservation = await observeSource(rule(), SOURCE, ACCOUNT, noEc2);

interface Case {
  name: string;
  reason: string;
  rule?: Rule;
  observation: Observation;
  expect: (p: FamilyPlan) => void;
}

const cases: Case[] = [
  {
    name: 'first distribution',
    reason:
      'an untagged, unshared source with no copies anywhere needs its tags, its shares, and one copy per target region, in that order; each copy waits for the source tags so CopyImageTags carries them',
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
      expect(tag).toMatchObject({
        id: SOURCE_TAG_ID,
        imageIds: [SOURCE.imageId],
        resourceIds: [SOURCE.imageId, ...SOURCE.snapshotIds],
      });
      expect(p.actions[1]).toMatchObject({ add: [...ALL_GRANTS] });
      const [copy] = copies(p);
      expect(copy).toMatchObject({
        id: actionId('copy', 'eu-west-1', `us-east-1/${SOURCE.imageId}`),
        after: [SOURCE_TAG_ID],
        sourceImageId: SOURCE.imageId,
        sourceRegion: 'us-east-1',
        name: SOURCE.name,
        copyImageTags: true,
        encrypted: false,
        generation: 0,
        spentImageIds: [],
        verify: true,
        imageTags: {
          distribution: 'golden',
          [LINEAGE.rule]: 'golden',
          [LINEAGE.sourceImageId]: SOURCE.imageId,
          [LINEAGE.sourceRegion]: 'us-east-1',
          [LINEAGE.sourceCreated]: SOURCE.creationDate,
        },
      });
      // CopyImage's TagSpecifications: the image gets its CopyImage tags (CopyImageTags brings the
      // source's) and the source's creation date (the release's order), the snapshots everything
      // the copy should carry, the rule's image tags included.
      expect(copy?.imageTags).toEqual({
        ...copyImageTags(rule(), SOURCE.imageId, 'us-east-1'),
        [LINEAGE.sourceCreated]: SOURCE.creationDate,
      });
      expect(copy?.snapshotTags).toEqual(
        snapshotTags(rule(), desiredCopyTags(rule(), SOURCE.imageId, 'us-east-1')),
      );
      expect(copy?.snapshotTags).toMatchObject({ owner: 'platform', distribution: 'golden' });
      expect(copy?.clientToken).toMatch(/^[0-9a-f]{64}$/);
      expect(p.waiting).toEqual([]);
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
    expect: (p) => {
      expect(p.actions).toEqual([]);
      expect(p.waiting).toEqual([]);
    },
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
      // The source carries its tags already: nothing to wait for.
      expect(copies(p)[0]?.after).toBeUndefined();
      expect(notes(p)).toContain('copy in progress (pending)');
    },
  },
  {
    name: 'partly shared',
    reason:
      'one ModifyImageAttribute adds only the permissions that are missing; snapshots shared already are left alone',
    observation: observation({
      source: { ...convergedSource, launchPermissions: [ACCOUNT_GRANT] },
      targets: {},
    }),
    expect: (p) => {
      expect(p.actions).toEqual([
        {
          kind: 'share-image',
          id: actionId('share-image', 'us-east-1', SOURCE.imageId),
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
          id: SOURCE_TAG_ID,
          region: 'us-east-1',
          imageIds: [SOURCE.imageId],
          resourceIds: [SOURCE.imageId],
          changes: [{ key: 'owner', value: 'platform', previous: 'someone-else' }],
        },
      ]);
    },
  },
  {
    name: "a copy's event",
    reason:
      "a copy observed in its own region gets its lineage and copy tags, the rule's image tags (copyTags), and the shares, and never a further copy",
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
      const copy = copyIn('eu-west-1', 'available');
      // Image and snapshot lack the same tags: one CreateTags.
      expect(p.actions[0]).toMatchObject({ resourceIds: [copy.imageId, ...copy.snapshotIds] });
      expect(p.actions[0]).toMatchObject({
        changes: expect.arrayContaining([
          { key: LINEAGE.sourceImageId, value: SOURCE.imageId },
          { key: LINEAGE.rule, value: 'golden' },
          { key: 'distribution', value: 'golden' },
          { key: 'owner', value: 'platform' },
        ]),
      });
    },
  },
  {
    name: 'a copy that lost the tags CopyImageTags brought',
    reason:
      "the rule's image tags are part of what a copy should carry (copy.copyTags, default true), so a run repairs a copy missing them",
    observation: observation({
      source: undefined,
      targets: {
        'eu-west-1': (() => {
          const converged = convergedCopy(copyIn('eu-west-1', 'available'));
          const copy = { ...converged.image, tags: copyImageTags(rule(), SOURCE.imageId, SOURCE.region) };
          return { status: 'observed', copies: [copy], details: [{ ...converged, image: copy }] } as const;
        })(),
      },
    }),
    expect: (p) => {
      const copy = copyIn('eu-west-1', 'available');
      expect(p.actions).toEqual([
        {
          kind: 'tag',
          id: actionId('tag', 'eu-west-1', copy.imageId),
          region: 'eu-west-1',
          imageIds: [copy.imageId],
          resourceIds: [copy.imageId],
          changes: [{ key: 'owner', value: 'platform' }],
        },
      ]);
    },
  },
  {
    name: 'copyTags: false',
    reason:
      "a rule that does not copy the source's tags wants only the CopyImage tags on its copies: a copy without the rule's image tags is converged",
    rule: rule({ copy: { regions: TARGETS, tags: { distribution: 'golden' }, copyTags: false } }),
    observation: observation({
      source: undefined,
      targets: {
        'eu-west-1': (() => {
          const r = rule({ copy: { regions: TARGETS, tags: { distribution: 'golden' }, copyTags: false } });
          const copy = convergedCopy(copyIn('eu-west-1', 'available'), r);
          return { status: 'observed', copies: [copy.image], details: [copy] } as const;
        })(),
      },
    }),
    expect: (p) => {
      const r = rule({ copy: { regions: TARGETS, tags: { distribution: 'golden' }, copyTags: false } });
      expect(desiredCopyTags(r, SOURCE.imageId, SOURCE.region)).toEqual(
        copyImageTags(r, SOURCE.imageId, SOURCE.region),
      );
      expect(p.actions).toEqual([]);
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
    name: 'a fresh source (its own first event)',
    reason:
      'nothing but DescribeImages was read: its snapshots are taken as untagged and every permission as absent, so it gets ONE tag action on image and snapshots, one share-image with every grant, one share-snapshot per snapshot, and a first-generation copy per target that nothing needs to verify',
    observation: freshSourceObservation,
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
      expect(ofKind(p, 'tag')).toEqual([
        {
          kind: 'tag',
          id: SOURCE_TAG_ID,
          region: 'us-east-1',
          imageIds: [SOURCE.imageId],
          resourceIds: [SOURCE.imageId, ...SOURCE.snapshotIds],
          changes: [
            { key: 'owner', value: 'platform' },
            { key: LINEAGE.rule, value: 'golden' },
          ],
        },
      ]);
      expect(ofKind(p, 'share-image')).toEqual([
        expect.objectContaining({ imageId: SOURCE.imageId, add: [...ALL_GRANTS] }),
      ]);
      expect(ofKind(p, 'share-snapshot').map((s) => [s.snapshotId, s.addUserIds])).toEqual(
        SOURCE.snapshotIds.map((id) => [id, ['444455556666']]),
      );
      for (const copy of copies(p)) {
        expect(copy).toMatchObject({
          generation: 0,
          verify: false,
          spentImageIds: [],
          after: [SOURCE_TAG_ID],
        });
      }
      expect(p.waiting).toEqual([]);
    },
  },
  {
    name: 'a fresh copy (its own available event) carrying its CopyImage tags',
    reason:
      'a copy the tool made carries what its CopyImage set, on it and its snapshots, and no permissions: no tag action, and every share added without reading',
    observation: observeCopy(copyIn('eu-west-1', 'available'), SOURCE.imageId, SOURCE.region, ACCOUNT),
    expect: (p) => {
      const copy = copyIn('eu-west-1', 'available');
      expect(p.actions).toEqual([
        {
          kind: 'share-image',
          id: actionId('share-image', 'eu-west-1', copy.imageId),
          region: 'eu-west-1',
          imageId: copy.imageId,
          add: [...ALL_GRANTS],
        },
        {
          kind: 'share-snapshot',
          id: actionId('share-snapshot', 'eu-west-1', copy.snapshotIds[0] ?? ''),
          region: 'eu-west-1',
          imageId: copy.imageId,
          snapshotId: copy.snapshotIds[0],
          addUserIds: ['444455556666'],
        },
      ]);
      expect(p.waiting).toEqual([]);
    },
  },
  {
    name: 'a fresh copy without its CopyImage tags',
    reason:
      'a copy that does not carry what CopyImage would have set was not made (or was re-tagged) by the tool: its snapshots cannot be assumed tagged, so they are tagged with it',
    observation: observeCopy(
      copyIn('eu-west-1', 'available', 1, { tags: {} }),
      SOURCE.imageId,
      SOURCE.region,
      ACCOUNT,
    ),
    expect: (p) => {
      const copy = copyIn('eu-west-1', 'available');
      expect(kinds(p)).toEqual(['tag@eu-west-1', 'share-image@eu-west-1', 'share-snapshot@eu-west-1']);
      expect(ofKind(p, 'tag')[0]?.resourceIds).toEqual([copy.imageId, ...copy.snapshotIds]);
    },
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
      expect(ofKind(p, 'share-image')).toEqual([]);
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
    name: 'public, and allowed to be',
    reason: 'a public image whose rule allows public sharing is left public: nothing to add or remove',
    rule: rule({ share: { public: true, allowPublic: true } }),
    observation: observation({
      source: {
        ...convergedSource,
        image: { ...convergedSource.image, isPublic: true },
        launchPermissions: [],
      },
      targets: {},
    }),
    expect: (p) => expect(p.actions).toEqual([]),
  },
  {
    name: 'public drift',
    reason:
      'someone made the image public, which the rule does not allow: the public permission is removed, the rule grants kept',
    observation: observation({
      source: { ...convergedSource, image: { ...convergedSource.image, isPublic: true } },
      targets: {},
    }),
    expect: (p) => {
      expect(p.actions).toEqual([
        {
          kind: 'unshare-image',
          id: actionId('unshare-image', 'us-east-1', SOURCE.imageId),
          region: 'us-east-1',
          imageId: SOURCE.imageId,
          remove: [{ kind: 'public' }],
          reason: expect.stringContaining('share.allowPublic'),
        },
      ]);
    },
  },
  {
    name: 'public without allowPublic',
    reason:
      'share.public alone does not allow public images: a public image is unshared, and public is never added',
    rule: rule({ share: { accounts: ['444455556666'], public: true } }),
    observation: observation({
      source: {
        ...convergedSource,
        image: { ...convergedSource.image, isPublic: true },
        launchPermissions: [ACCOUNT_GRANT],
      },
      targets: {},
    }),
    expect: (p) =>
      expect(p.actions).toEqual([
        expect.objectContaining({ kind: 'unshare-image', remove: [{ kind: 'public' }] }),
      ]),
  },
  {
    name: 'a public image the account does not own',
    reason: 'only the owner can change permissions: a public image of another account is not unshared',
    observation: observation({
      source: detail({ ...SOURCE, ownerId: '999999999999', isPublic: true, tags: sourceImageTags(rule()) }),
      targets: {},
    }),
    expect: (p) => {
      expect(ofKind(p, 'unshare-image')).toEqual([]);
      expect(notes(p)).toContain('owned by 999999999999');
    },
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
      const tags = ofKind(p, 'tag');
      expect(tags.map((t) => t.resourceIds)).toEqual([[SOURCE.imageId], SOURCE.snapshotIds]);
      expect(new Set(tags.map((t) => t.id)).size).toBe(2);
    },
  },
  {
    name: 'snapshot extras, with copies',
    reason: "a copy waits for every one of its source's tag actions in this plan, not only the first",
    rule: rule({ tags: { image: { owner: 'platform' }, snapshots: { backup: 'none' } } }),
    observation: observation({ targets: { 'eu-west-1': noCopies } }),
    expect: (p) => {
      const tagIds = ofKind(p, 'tag').map((t) => t.id);
      expect(tagIds).toHaveLength(2);
      expect(copies(p).map((c) => c.after)).toEqual([tagIds]);
      expect(copies(p)[0]?.snapshotTags).toMatchObject({ backup: 'none', owner: 'platform' });
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
      expect(copies(p).map((c) => [c.region, c.generation, c.spentImageIds])).toEqual([
        ['eu-west-1', 1, [copyIn('eu-west-1', 'failed').imageId]],
      ]);
      const first = planFamily(
        rule(),
        observation({ source: convergedSource, targets: { 'eu-west-1': noCopies } }),
      );
      expect(copies(p)[0]?.clientToken).not.toEqual(copies(first)[0]?.clientToken);
      // No available copy here: the failed one is not cleaned up (yet).
      expect(ofKind(p, 'deregister')).toEqual([]);
    },
  },
  {
    name: 'several spent copies',
    reason:
      'the generation is the number of copies here that cannot be the region image (failed, deregistered, error, invalid), each of whose ids CopyImage must not be believed with',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': {
          status: 'observed',
          copies: [
            copyIn('eu-west-1', 'failed', 1),
            copyIn('eu-west-1', 'deregistered', 2),
            copyIn('eu-west-1', 'error', 3),
            copyIn('eu-west-1', 'invalid', 4),
          ],
          details: [],
        },
      },
    }),
    expect: (p) => {
      expect(copies(p)).toHaveLength(1);
      expect(copies(p)[0]).toMatchObject({
        generation: 4,
        spentImageIds: [1, 2, 3, 4].map((n) => copyIn('eu-west-1', 'failed', n).imageId),
        verify: true,
      });
      expect(copies(p)[0]?.clientToken).toBe(copyRequest(copies(p)[0] as ActionOf<'copy'>, 4).clientToken);
      expect(notes(p)).toContain('starting attempt 5');
    },
  },
  {
    name: 'a disabled or transient copy',
    reason: 'a copy that may still become the region image stands in the way of a new one',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': { status: 'observed', copies: [copyIn('eu-west-1', 'disabled')], details: [] },
        'us-west-2': { status: 'observed', copies: [copyIn('us-west-2', 'transient')], details: [] },
      },
    }),
    expect: (p) => expect(copies(p)).toEqual([]),
  },
  {
    name: 'a failed copy beside an available one',
    reason:
      'once the region has a good copy, a failed one is removed through the one delete path: tagged retired, deregistered, its snapshots deleted, announced',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': {
          status: 'observed',
          copies: [
            copyIn('eu-west-1', 'available', 1),
            copyIn('eu-west-1', 'failed', 2, { stateReason: 'snapshot copy failed' }),
          ],
          details: [],
        },
      },
    }),
    expect: (p) => {
      const good = copyIn('eu-west-1', 'available', 1);
      const failed = copyIn('eu-west-1', 'failed', 2);
      const deregisterId = actionId('deregister', 'eu-west-1', failed.imageId);
      const tagId = actionId('tag', 'eu-west-1', `retired/${failed.imageId}`);
      const deleteIds = failed.snapshotIds.map((s) => actionId('delete-snapshot', 'eu-west-1', s));
      expect(kinds(p)).toEqual([
        'tag@eu-west-1',
        'deregister@eu-west-1',
        'delete-snapshot@eu-west-1',
        'announce@us-east-1',
      ]);
      expect(ofKind(p, 'tag')[0]).toMatchObject({
        id: tagId,
        resourceIds: [failed.imageId, ...failed.snapshotIds],
        changes: [{ key: RETIRED_TAG, value: failed.imageId }],
      });
      expect(ofKind(p, 'deregister')[0]).toMatchObject({
        id: deregisterId,
        after: [tagId],
        imageId: failed.imageId,
        role: 'copy',
        rule: 'golden',
        sourceImageId: SOURCE.imageId,
        sourceRegion: 'us-east-1',
        reason: `failed copy (snapshot copy failed), replaced by ${good.imageId}`,
      });
      expect(ofKind(p, 'delete-snapshot').map((d) => d.after)).toEqual([[deregisterId]]);
      expect(ofKind(p, 'announce')[0]).toMatchObject({
        after: [deregisterId],
        waitsFor: deleteIds,
        announcement: { kind: 'deregistered', imageId: failed.imageId, region: 'eu-west-1' },
      });
      // The good copy occupies the region: no new copy.
      expect(copies(p)).toEqual([]);
    },
  },
  {
    name: 'error and invalid copies beside an available one',
    reason: 'every state that can never become usable is cleaned up the same way',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': {
          status: 'observed',
          copies: [
            copyIn('eu-west-1', 'available', 1),
            copyIn('eu-west-1', 'error', 2),
            copyIn('eu-west-1', 'invalid', 3),
            copyIn('eu-west-1', 'deregistered', 4),
          ],
          details: [],
        },
      },
    }),
    expect: (p) =>
      expect(ofKind(p, 'deregister').map((d) => d.imageId)).toEqual([
        copyIn('eu-west-1', 'error', 2).imageId,
        copyIn('eu-west-1', 'invalid', 3).imageId,
      ]),
  },
  {
    name: 'a protected failed copy',
    reason:
      'deregistration protection is a person saying "keep": the failed copy stays, and the plan says why',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': {
          status: 'observed',
          copies: [
            copyIn('eu-west-1', 'available', 1),
            copyIn('eu-west-1', 'failed', 2, { deregistrationProtection: 'enabled' }),
          ],
          details: [],
        },
      },
    }),
    expect: (p) => {
      expect(p.actions).toEqual([]);
      expect(notes(p)).toContain('failed copy kept: deregistration protection is enabled');
    },
  },
  {
    name: 'a failed copy of another account',
    reason: 'the tool deletes only what the account owns',
    observation: observation({
      source: convergedSource,
      targets: {
        'eu-west-1': {
          status: 'observed',
          copies: [
            copyIn('eu-west-1', 'available', 1),
            copyIn('eu-west-1', 'failed', 2, { ownerId: '999999999999' }),
          ],
          details: [],
        },
      },
    }),
    expect: (p) => expect(p.actions).toEqual([]),
  },
  {
    name: 'an untagged source seen from a target region',
    reason:
      "a source the account owns is copied only once it carries its rule's tags, so every copy takes them at creation: the copy waits for its source region's tag action (planned there, an edge across plans)",
    observation: observation({
      source: undefined,
      sourceImage: SOURCE,
      targets: { 'eu-west-1': noCopies, 'us-west-2': noCopies },
    }),
    expect: (p) => {
      expect(kinds(p)).toEqual(['copy@eu-west-1', 'copy@us-west-2']);
      for (const copy of copies(p)) expect(copy.after).toEqual([SOURCE_TAG_ID]);
      expect(p.waiting).toEqual(['eu-west-1', 'us-west-2']);
    },
  },
  {
    name: 'a partly tagged source seen from a target region',
    reason: 'every rule tag counts, not only the rule name: a source missing one still makes its copies wait',
    observation: observation({
      source: undefined,
      sourceImage: { ...SOURCE, tags: { [LINEAGE.rule]: 'golden' } },
      targets: { 'eu-west-1': noCopies },
    }),
    expect: (p) => {
      expect(copies(p).map((c) => c.after)).toEqual([[SOURCE_TAG_ID]]);
      expect(p.waiting).toEqual(['eu-west-1']);
    },
  },
  {
    name: 'an untagged source whose copy region is being read',
    reason: 'a copy already there is the copy: nothing waits, whatever the source carries',
    observation: observation({
      source: undefined,
      sourceImage: SOURCE,
      targets: { 'eu-west-1': { status: 'observed', copies: [copyIn('eu-west-1', 'pending')], details: [] } },
    }),
    expect: (p) => {
      expect(p.actions).toEqual([]);
      expect(p.waiting).toEqual([]);
    },
  },
  {
    name: 'a tagged source seen from a target region',
    reason: 'once its region has tagged it, the copy starts, with nothing to wait for',
    observation: observation({
      source: undefined,
      sourceImage: { ...SOURCE, tags: sourceImageTags(rule()) },
      targets: { 'eu-west-1': noCopies },
    }),
    expect: (p) => {
      expect(kinds(p)).toEqual(['copy@eu-west-1']);
      expect(copies(p)[0]?.after).toBeUndefined();
      expect(p.waiting).toEqual([]);
    },
  },
  {
    name: 'an untagged source of another account',
    reason: 'the tool cannot tag what it does not own, so nothing is waited for: the copy starts',
    rule: rule({ match: { regions: ['us-east-1'], owners: ['999999999999'] } }),
    observation: observation({
      source: undefined,
      sourceImage: { ...SOURCE, ownerId: '999999999999' },
      targets: { 'eu-west-1': noCopies },
    }),
    expect: (p) => {
      expect(kinds(p)).toEqual(['copy@eu-west-1']);
      expect(p.waiting).toEqual([]);
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
      expect(p.waiting).toEqual([]);
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

describe('planFamily', () => {
  it.each(cases)('$name: $reason', ({ rule: r, observation: o, expect: check }) => {
    check(planFamily(r ?? rule(), o));
  });

  it.each(cases)(
    "$name: every id is unique and every edge names an action of the plan (or the source region's tag, for a waiting copy)",
    ({ rule: r, observation: o }) => {
      const { actions, waiting } = planFamily(r ?? rule(), o);
      const ids = actions.map((a: Action) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const action of actions) {
        // The one edge across plans: a waiting copy's, to its source region's tag action.
        const across =
          action.kind === 'copy' && waiting.includes(action.region)
            ? [actionId('tag', action.sourceRegion, action.sourceImageId)]
            : [];
        for (const id of [...(action.after ?? []), ...(action.waitsFor ?? [])]) {
          if (!across.includes(id)) expect(ids).toContain(id);
        }
      }
    },
  );

  it('is deterministic: the same inputs give the same plan, tokens included', () => {
    expect(planFamily(rule(), observation())).toEqual(planFamily(rule(), observation()));
  });

  it('a fresh source is observed without any EC2 call, with none-yet targets', () => {
    expect(freshSourceObservation.source?.fresh).toBe(true);
    expect(freshSourceObservation.targets).toEqual(
      Object.fromEntries(TARGETS.map((r) => [r, { status: 'none-yet' }])),
    );
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

  it("is the planned copy's token, and copyRequest gives each generation its own", () => {
    const [copy] = copies(
      planFamily(rule(), observation({ source: convergedSource, targets: { 'eu-west-1': noCopies } })),
    );
    if (copy === undefined) throw new Error('a copy was planned');
    expect(copyRequest(copy, 0).clientToken).toBe(copy.clientToken);
    expect(copyRequest(copy, 1).clientToken).not.toBe(copy.clientToken);
    expect(copyRequest(copy, 1)).toEqual({
      ...copyRequest(copy, 0),
      clientToken: copyRequest(copy, 1).clientToken,
    });
  });
});
