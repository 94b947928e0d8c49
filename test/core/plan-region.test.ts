import { describe, expect, it } from 'vitest';
import { type ActionKind, type ActionOf, actionId } from '../../shared/core/actions.js';
import { RETIRED_TAG } from '../../shared/core/deletion.js';
import { type ImageDetail, LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import type { RegionInventory } from '../../shared/core/observe-region.js';
import { desiredCopyTags, snapshotTags, sourceImageTags } from '../../shared/core/plan-copy.js';
import { planRegion, type RegionPlan, resolvePlans } from '../../shared/core/plan-region.js';
import type { ManagedImage, RetirementDecision } from '../../shared/core/retire-decide.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ACCOUNT, detail, image, rule, snapshot } from './builders.js';

const NOW = new Date('2026-12-01T00:00:00.000Z');
const GOLDEN = rule();
const RETIRING = rule({ retire: { keep: 1, deregisterAfterDays: 30, apply: true } });
const GRANTS = [
  { kind: 'account', id: '444455556666' },
  { kind: 'organization', arn: 'arn:aws:organizations::111122223333:organization/o-exampleorg1' },
  {
    kind: 'organizational-unit',
    arn: 'arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456',
  },
] as const;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Source number `n` in us-east-1, created on day `n` of November (later n: newer), tagged by the tool unless told otherwise. */
function source(n: number, overrides: Partial<ObservedImage> = {}): ObservedImage {
  return image({
    imageId: `ami-0${hex(n, 16)}`,
    name: `golden-linux-${n}`,
    snapshotIds: [`snap-0${hex(n, 8)}a0000000`, `snap-0${hex(n, 8)}b0000000`],
    creationDate: new Date(Date.UTC(2026, 10, 1) + n * 3_600_000).toISOString(),
    tags: sourceImageTags(GOLDEN),
    ...overrides,
  });
}

/** The copy of `src` in `region`. */
function copyOf(src: ObservedImage, region: string, overrides: Partial<ObservedImage> = {}): ObservedImage {
  return image({
    region,
    imageId: `ami-0c${src.imageId.slice(6)}`,
    name: src.name,
    snapshotIds: [`snap-0c${src.imageId.slice(-15)}`],
    sourceImageId: src.imageId,
    sourceImageRegion: src.region,
    tags: desiredCopyTags(GOLDEN, src.imageId, src.region),
    ...overrides,
  });
}

const asSource = (img: ObservedImage, r: Rule = GOLDEN): ManagedImage => ({
  image: img,
  rule: r,
  role: 'source',
  sourceImageId: img.imageId,
  sourceRegion: img.region,
});
const asCopy = (img: ObservedImage, r: Rule = GOLDEN): ManagedImage => ({
  image: img,
  rule: r,
  role: 'copy',
  sourceImageId: img.sourceImageId ?? '',
  sourceRegion: img.sourceImageRegion ?? '',
});

/** An image as the region's bulk reads show it when it is converged: tagged snapshots, every grant. */
function converged(img: ObservedImage, r: Rule = GOLDEN): ImageDetail {
  return detail(img, {
    launchPermissions: [...GRANTS],
    snapshots: img.snapshotIds.map((id) =>
      snapshot(id, { tags: snapshotTags(r, img.tags), createVolumeUserIds: ['444455556666'] }),
    ),
  });
}

/** An image whose snapshots lack the tool's tags (the snapshot listing did not have them), its grants in place. */
function untaggedSnapshots(img: ObservedImage): ImageDetail {
  return {
    ...converged(img),
    snapshots: img.snapshotIds.map((id) => snapshot(id, { createVolumeUserIds: ['444455556666'] })),
  };
}

function inventory(region: string, parts: Partial<RegionInventory> = {}): RegionInventory {
  return {
    region,
    accountId: ACCOUNT,
    own: [],
    sourcesByRule: new Map(),
    partial: new Set(),
    managed: [],
    details: new Map(),
    toolSnapshots: [],
    pointers: new Map(),
    protectedImages: new Map(),
    decisions: new Map(),
    safety: new Map(),
    failures: [],
    notes: [],
    ...parts,
  };
}

/** The inventory of us-east-1 holding these sources (owned, managed, read in full as `detailOf` says). */
function sourceRegion(
  sources: readonly ObservedImage[],
  detailOf: (img: ObservedImage) => ImageDetail = converged,
  r: Rule = GOLDEN,
  parts: Partial<RegionInventory> = {},
): RegionInventory {
  return inventory('us-east-1', {
    own: [...sources],
    sourcesByRule: new Map([[r.name, [...sources]]]),
    managed: sources.map((s) => asSource(s, r)),
    details: new Map(sources.map((s) => [s.imageId, detailOf(s)])),
    ...parts,
  });
}

/** The inventory of eu-west-1: the rule's sources (listed in us-east-1) and the copies found here. */
function targetRegion(
  sources: readonly ObservedImage[],
  copies: readonly ObservedImage[],
  r: Rule = GOLDEN,
  parts: Partial<RegionInventory> = {},
): RegionInventory {
  return inventory('eu-west-1', {
    own: [...copies],
    sourcesByRule: new Map([[r.name, [...sources]]]),
    managed: copies.map((c) => asCopy(c, r)),
    details: new Map(copies.filter((c) => c.state === 'available').map((c) => [c.imageId, converged(c, r)])),
    ...parts,
  });
}

const ofKind = <K extends ActionKind>(p: RegionPlan, kind: K): ActionOf<K>[] =>
  p.actions.filter((a): a is ActionOf<K> => a.kind === kind);
const copiedSources = (p: RegionPlan) => ofKind(p, 'copy').map((c) => c.sourceImageId);
const notes = (p: RegionPlan) => p.notes.map((n) => n.message).join('\n');
const ids = (images: readonly ObservedImage[]) => images.map((i) => i.imageId);

const S = [1, 2, 3, 4, 5].map((n) => source(n));
const [S1, S2, S3, S4, S5] = S as [ObservedImage, ObservedImage, ObservedImage, ObservedImage, ObservedImage];

const retire = (deregister: boolean): RetirementDecision => ({
  kind: 'retire',
  reason: 'superseded: number 2 of 2 (keep 1)',
  disable: false,
  deregister,
  orphan: false,
});
const keep: RetirementDecision = { kind: 'keep', reason: 'newest 1 of 2 (keep 1)' };

interface Case {
  name: string;
  reason: string;
  rules?: Rule[];
  inventory: RegionInventory;
  maxCopiesInFlight?: number;
  /** A target account's run (`reconcileMember`). */
  copyOnly?: boolean;
  expect: (p: RegionPlan) => void;
}

const cases: Case[] = [
  {
    name: 'a converged source region',
    reason:
      'sources tagged and shared, snapshots too: a run plans nothing, so a converged region costs no writes',
    inventory: sourceRegion([S1, S2]),
    expect: (p) => {
      expect(p.actions).toEqual([]);
      expect(p.deferred).toEqual([]);
      expect(p.copiesInFlight).toBe(0);
    },
  },
  {
    name: 'a converged target region',
    reason: 'every source has its available, tagged, shared copy here: nothing to do',
    inventory: targetRegion([S1, S2], [copyOf(S1, 'eu-west-1'), copyOf(S2, 'eu-west-1')]),
    expect: (p) => {
      expect(p.actions).toEqual([]);
      expect(p.deferred).toEqual([]);
    },
  },
  {
    name: 'the copy cap',
    reason:
      'at most maxCopiesInFlight copies pending here, counting the one already pending: the newest sources first, the rest deferred to a later run',
    maxCopiesInFlight: 3,
    inventory: targetRegion(S, [copyOf(S5, 'eu-west-1', { state: 'pending' })]),
    expect: (p) => {
      expect(p.copiesInFlight).toBe(1);
      expect(copiedSources(p).sort()).toEqual(ids([S3, S4]));
      expect(p.deferred).toEqual(
        [S2, S1].map((s) => ({
          rule: 'golden',
          sourceImageId: s.imageId,
          sourceRegion: 'us-east-1',
          why: 'cap',
        })),
      );
      expect(notes(p)).toContain('2 copy(ies) deferred: 1 in flight, cap 3');
      expect(notes(p)).toContain('copy in progress (pending)');
    },
  },
  {
    name: 'the copy cap, full',
    reason: 'as many copies pending as the cap allows: every due copy waits',
    maxCopiesInFlight: 1,
    inventory: targetRegion([S1, S2, S5], [copyOf(S5, 'eu-west-1', { state: 'pending' })]),
    expect: (p) => {
      expect(ofKind(p, 'copy')).toEqual([]);
      expect(p.deferred.map((d) => [d.sourceImageId, d.why])).toEqual([
        [S2.imageId, 'cap'],
        [S1.imageId, 'cap'],
      ]);
    },
  },
  {
    name: 'pending images of other kinds',
    reason:
      'only pending copies count against the cap; a pending image that is not a copy is no copy in flight',
    maxCopiesInFlight: 1,
    inventory: targetRegion([S1], [], GOLDEN, {
      own: [image({ region: 'eu-west-1', imageId: 'ami-0bbbbbbbbbbbbbbbb', state: 'pending' })],
    }),
    expect: (p) => {
      expect(p.copiesInFlight).toBe(0);
      expect(copiedSources(p)).toEqual(ids([S1]));
    },
  },
  {
    name: 'a source not tagged yet',
    reason:
      "a copy of a source its region has not tagged yet waits for that region's tag action (so it takes the rule's tags at creation): planned alone, the region defers it and copies the tagged one",
    inventory: targetRegion([S1, source(2, { tags: {} })], []),
    expect: (p) => {
      expect(ofKind(p, 'copy').map((c) => c.sourceImageId)).toEqual([S1.imageId]);
      expect(p.deferred).toEqual([
        { rule: 'golden', sourceImageId: S2.imageId, sourceRegion: 'us-east-1', why: 'source-untagged' },
      ]);
    },
  },
  {
    name: 'tags grouped across images',
    reason:
      'new sources lacking the same tags are tagged in ONE CreateTags with all their images and snapshots, not one call per image',
    inventory: sourceRegion(
      [S1, S2, S3].map((s) => ({ ...s, tags: {} })),
      untaggedSnapshots,
    ),
    expect: (p) => {
      const tags = ofKind(p, 'tag');
      expect(tags).toHaveLength(1);
      expect(tags[0]).toMatchObject({
        region: 'us-east-1',
        imageIds: ids([S1, S2, S3]),
        resourceIds: [S1, S2, S3].flatMap((s) => [s.imageId, ...s.snapshotIds]),
        changes: [
          { key: 'owner', value: 'platform' },
          { key: LINEAGE.rule, value: 'golden' },
        ],
      });
      // Their shares are per image: ModifyImageAttribute takes one image.
      expect(ofKind(p, 'share-image')).toEqual([]);
    },
  },
  {
    name: 'tags grouped, different changes',
    reason:
      'only images lacking exactly the same tags (and replacing the same values) share a call: a drifted value is its own change',
    inventory: sourceRegion(
      [
        { ...S1, tags: {} },
        { ...S2, tags: {} },
        { ...S3, tags: { [LINEAGE.rule]: 'golden' } },
        { ...S4, tags: { [LINEAGE.rule]: 'golden', owner: 'someone-else' } },
      ],
      converged,
    ),
    expect: (p) => {
      const tags = ofKind(p, 'tag');
      expect(tags.map((t) => [t.imageIds, t.changes])).toEqual([
        [
          ids([S1, S2]),
          [
            { key: 'owner', value: 'platform' },
            { key: LINEAGE.rule, value: 'golden' },
          ],
        ],
        [ids([S3]), [{ key: 'owner', value: 'platform' }]],
        [ids([S4]), [{ key: 'owner', value: 'platform', previous: 'someone-else' }]],
      ]);
    },
  },
  {
    name: 'tags grouped up to 1,000 resources a call',
    reason:
      'EC2 tags at most 1,000 resources in one CreateTags: 400 images with 2 snapshots each take two calls',
    inventory: sourceRegion(
      Array.from({ length: 400 }, (_, i) => source(i + 10, { tags: {} })),
      untaggedSnapshots,
    ),
    expect: (p) => {
      const tags = ofKind(p, 'tag');
      expect(tags.map((t) => t.resourceIds.length)).toEqual([999, 201]);
      expect(tags.map((t) => t.imageIds.length)).toEqual([333, 67]);
      const all = tags.flatMap((t) => t.resourceIds);
      expect(new Set(all).size).toBe(1200);
      expect(new Set(p.actions.map((a) => a.id)).size).toBe(p.actions.length);
    },
  },
  {
    name: 'a source retirement supersedes',
    reason: 'a source about to be retired is not copied anywhere new: its copy would only be retired in turn',
    rules: [RETIRING],
    inventory: targetRegion([S1, S2], [], RETIRING, {
      decisions: new Map([
        [
          'golden',
          new Map([
            [S1.imageId, retire(false)],
            [S2.imageId, keep],
          ]),
        ],
      ]),
    }),
    expect: (p) => {
      expect(copiedSources(p)).toEqual(ids([S2]));
      expect(p.deferred).toEqual([]);
      expect(p.notes).toContainEqual({
        region: 'eu-west-1',
        imageId: S1.imageId,
        message: 'no new copy: retirement supersedes the source',
      });
    },
  },
  {
    name: 'an image being deregistered',
    reason:
      'an image this plan deregisters gets no tags or shares (they would be wasted, or race the deletion): only the delete path',
    rules: [RETIRING],
    inventory: sourceRegion(
      [S1, S2],
      (img) => ({ ...untaggedSnapshots(img), launchPermissions: [] }),
      RETIRING,
      {
        decisions: new Map([
          [
            'golden',
            new Map([
              [S1.imageId, retire(true)],
              [S2.imageId, keep],
            ]),
          ],
        ]),
        safety: new Map([[S1.imageId, { references: [] }]]),
      },
    ),
    expect: (p) => {
      const about = (imageId: string) =>
        p.actions.filter((a) =>
          'imageIds' in a ? a.imageIds.includes(imageId) : 'imageId' in a && a.imageId === imageId,
        );
      expect(about(S1.imageId).map((a) => a.kind)).toEqual([
        'tag',
        'deregister',
        'delete-snapshot',
        'delete-snapshot',
      ]);
      expect(ofKind(p, 'tag').find((t) => t.imageIds.includes(S1.imageId))).toMatchObject({
        id: actionId('tag', 'us-east-1', `retired/${S1.imageId}`),
        changes: [{ key: RETIRED_TAG, value: S1.imageId }],
      });
      expect(ofKind(p, 'announce').map((a) => a.announcement.kind)).toEqual(['deregistered']);
      // The kept source still gets its tags and shares.
      expect(about(S2.imageId).map((a) => a.kind)).toEqual(['tag', 'share-image']);
    },
  },
  {
    name: 'snapshots a deletion left behind',
    reason:
      'a snapshot tagged retired whose image is gone, and that no image here uses, is deleted on a later run',
    rules: [RETIRING],
    inventory: sourceRegion([S2], converged, RETIRING, {
      toolSnapshots: [
        snapshot('snap-0deaddeaddead0001', {
          tags: { [LINEAGE.rule]: 'golden', [RETIRED_TAG]: 'ami-0aaaaaaaaaaaaaaa0' },
        }),
        // Still used by a registered image: kept.
        snapshot(S2.snapshotIds[0] ?? '', {
          tags: { [LINEAGE.rule]: 'golden', [RETIRED_TAG]: 'ami-0aaaaaaaaaaaaaaa0' },
        }),
      ],
    }),
    expect: (p) => {
      expect(p.actions).toEqual([
        {
          kind: 'delete-snapshot',
          id: actionId('delete-snapshot', 'us-east-1', 'snap-0deaddeaddead0001'),
          region: 'us-east-1',
          imageId: 'ami-0aaaaaaaaaaaaaaa0',
          snapshotId: 'snap-0deaddeaddead0001',
          reason: 'left behind when ami-0aaaaaaaaaaaaaaa0 was deregistered',
        },
      ]);
    },
  },
  {
    name: 'a copy whose source is not listed',
    reason: 'a copy whose source is gone is still kept tagged and shared here, and nothing is copied',
    inventory: targetRegion([], [copyOf(S1, 'eu-west-1')], GOLDEN, {
      details: new Map([
        [copyOf(S1, 'eu-west-1').imageId, { ...converged(copyOf(S1, 'eu-west-1')), launchPermissions: [] }],
      ]),
    }),
    expect: (p) => {
      expect(p.actions.map((a) => a.kind)).toEqual(['share-image']);
      expect(ofKind(p, 'share-image')[0]).toMatchObject({
        imageId: copyOf(S1, 'eu-west-1').imageId,
        add: [...GRANTS],
      });
    },
  },
  {
    name: "a target account's copy whose snapshots lack the rule's tags",
    reason:
      'in a target account copies are tagged by CopyImage and never after (the member role may tag only at creation): a tag action could only fail, and hold the completion up',
    copyOnly: true,
    inventory: targetRegion([S1], [copyOf(S1, 'eu-west-1')], GOLDEN, {
      details: new Map([[copyOf(S1, 'eu-west-1').imageId, untaggedSnapshots(copyOf(S1, 'eu-west-1'))]]),
    }),
    expect: (p) => {
      expect(ofKind(p, 'tag')).toEqual([]);
      expect(p.actions).toEqual([]);
    },
  },
  {
    name: "the hub's copy whose snapshots lack the rule's tags",
    reason: 'the same copy in the account the tool runs in: its snapshots are tagged again',
    inventory: targetRegion([S1], [copyOf(S1, 'eu-west-1')], GOLDEN, {
      details: new Map([[copyOf(S1, 'eu-west-1').imageId, untaggedSnapshots(copyOf(S1, 'eu-west-1'))]]),
    }),
    expect: (p) => {
      expect(ofKind(p, 'tag').flatMap((a) => a.resourceIds)).toEqual(copyOf(S1, 'eu-west-1').snapshotIds);
    },
  },
  {
    name: "the inventory's notes",
    reason: 'what observation left alone (a refused image, a source region not read) is shown with the plan',
    inventory: sourceRegion([S1], converged, GOLDEN, {
      notes: [
        { region: 'us-east-1', imageId: 'ami-0babababababababa', message: 'left alone: forged lineage' },
      ],
    }),
    expect: (p) => {
      expect(p.actions).toEqual([]);
      expect(notes(p)).toContain('left alone: forged lineage');
    },
  },
];

describe('planRegion', () => {
  // As a region's schedule plans it: alone, its waits resolved and the cap applied.
  it.each(cases)(
    '$name: $reason',
    ({ rules, inventory: inv, maxCopiesInFlight, copyOnly, expect: check }) => {
      const [plan] = resolvePlans([
        planRegion(rules ?? [GOLDEN], inv, {
          maxCopiesInFlight: maxCopiesInFlight ?? 20,
          now: NOW,
          ...(copyOnly ? { copyOnly } : {}),
        }),
      ]);
      if (plan === undefined) throw new Error('resolvePlans returned no plan');
      check(plan);
    },
  );

  it.each(cases)(
    "$name: ids are unique and every edge names an action of the plan (or a source region's tag)",
    ({ rules, inventory: inv, maxCopiesInFlight }) => {
      const { actions } = planRegion(rules ?? [GOLDEN], inv, {
        maxCopiesInFlight: maxCopiesInFlight ?? 20,
        now: NOW,
      });
      const all = actions.map((a) => a.id);
      expect(new Set(all).size).toBe(all.length);
      for (const action of actions) {
        // The one edge across plans: a copy waiting for its source region's tag action.
        const across =
          action.kind === 'copy' ? [actionId('tag', action.sourceRegion, action.sourceImageId)] : [];
        for (const id of [...(action.after ?? []), ...(action.waitsFor ?? [])]) {
          if (!across.includes(id)) expect(all).toContain(id);
        }
      }
    },
  );

  it('is pure: the same inventory gives the same plan', () => {
    const inv = targetRegion(S, [copyOf(S5, 'eu-west-1', { state: 'pending' })]);
    expect(planRegion([GOLDEN], inv, { maxCopiesInFlight: 3, now: NOW })).toEqual(
      planRegion([GOLDEN], inv, { maxCopiesInFlight: 3, now: NOW }),
    );
  });
});

describe('resolvePlans: edges across region plans', () => {
  const untagged = [1, 2, 3].map((n) => source(n, { tags: {} }));
  const options = { maxCopiesInFlight: 20, now: NOW };
  const sourcePlan = () => planRegion([GOLDEN], sourceRegion(untagged, untaggedSnapshots), options);
  const targetPlan = () => planRegion([GOLDEN], targetRegion(untagged, []), options);

  it("applied alone, a target region defers the copies whose source tags are another region's work", () => {
    const [alone] = resolvePlans([targetPlan()]);
    if (alone === undefined) throw new Error('one plan');
    expect(ofKind(alone, 'copy')).toEqual([]);
    expect(alone.deferred).toEqual(
      untagged.map((s) => ({
        rule: 'golden',
        sourceImageId: s.imageId,
        sourceRegion: 'us-east-1',
        why: 'source-untagged',
      })),
    );
    expect(notes(alone)).toContain('copy deferred: it waits for its source to be tagged in us-east-1');
  });

  it('applied with the source region, the copies stay, waiting for the grouped tag action that carries their source', () => {
    const [tagging, copying] = resolvePlans([sourcePlan(), targetPlan()]);
    if (tagging === undefined || copying === undefined) throw new Error('two plans');
    const [grouped] = ofKind(tagging, 'tag');
    expect(ofKind(tagging, 'tag')).toHaveLength(1);
    expect(grouped?.imageIds).toEqual(ids(untagged));
    // Every copy waits for the one CreateTags its source was merged into.
    expect(ofKind(copying, 'copy').map((c) => c.after)).toEqual(untagged.map(() => [grouped?.id]));
    expect(copying.deferred).toEqual([]);
  });

  it('the aliases of a region plan name the merged tag actions', () => {
    const plan = sourcePlan();
    expect([...plan.aliases]).toEqual(
      untagged
        .slice(1)
        .map((s) => [actionId('tag', 'us-east-1', s.imageId), actionId('tag', 'us-east-1', S1.imageId)]),
    );
  });

  it('plans whose edges all resolve are left as they are', () => {
    const plan = planRegion([GOLDEN], targetRegion([S1, S2], []), options);
    const [resolved] = resolvePlans([plan]);
    expect(ofKind(resolved ?? plan, 'copy').map((c) => c.sourceImageId)).toEqual(ids([S1, S2]));
  });
});
