import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../shared/core/actions.js';
import { RETIRED_TAG } from '../../shared/core/deletion.js';
import { type LaunchPermission, LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import { decideRetirement, type ManagedImage } from '../../shared/core/retire-decide.js';
import { planRetirement, type SafetyFacts } from '../../shared/core/retire-plan.js';
import { type Rule, RuleSchema } from '../../shared/rules/schema.js';
import { ACCOUNT, image } from './builders.js';
import { DAY, deregistered as deregisteredBy, HOUR, NOW, only } from './retire-fixtures.js';

// ---- property: random inventories ------------------------------------------------------------------

const SOURCE_REGIONS = ['us-east-1', 'us-west-2'] as const;
const ALL_REGIONS = [...SOURCE_REGIONS, 'eu-west-1'] as const;
const PROTECTIONS = [
  undefined,
  undefined,
  undefined,
  'disabled',
  'enabled',
  'enabled-with-cooldown',
] as const;

/** True with probability `percent`/100, shrinking towards false. */
const chance = (percent: number) => fc.integer({ min: 0, max: 99 }).map((n) => n < percent);

const ruleArb = fc.record({
  familyMode: fc.constantFrom('name' as const, 'all' as const, 'tag' as const),
  keep: fc.integer({ min: 1, max: 3 }),
  deprecateAfterDays: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
  deregisterAfterDays: fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined, freq: 6 }),
  apply: fc.boolean(),
  notLaunchedForDays: fc.option(fc.oneof(fc.constantFrom(7, 14), fc.integer({ min: 1, max: 40 })), {
    nil: undefined,
    freq: 2,
  }),
  twoSourceRegions: fc.boolean(),
  /** Whether the rule's sources were observed (sourcesByRule has it). */
  observed: chance(85),
});

/** Tags as the tool wrote them, missing, or naming another rule. */
const tagStateArb = fc.constantFrom('ok', 'ok', 'ok', 'ok', 'ok', 'missing', 'other' as const);

/**
 * Hours since the image last launched an instance, in any account; undefined: never. Often near
 * the end of a window (7 or 14 days, or the shared default of 30, each plus the day of reporting
 * delay): inside it, in its last day, exactly on it, or just past it.
 */
const lastLaunchArb = fc.option(
  fc.oneof(
    fc.integer({ min: 0, max: 90 * 24 }),
    fc
      .tuple(fc.constantFrom(8, 15, 31), fc.oneof(fc.constantFrom(-1, 0), fc.integer({ min: -24, max: 24 })))
      .map(([days, offset]) => days * 24 + offset),
  ),
  { nil: undefined, freq: 2 },
);

/** Who else may launch it: nobody, an account, an organization, anyone (public), or not read. */
const sharingArb = fc.constantFrom('private', 'private', 'account', 'organization', 'public', 'unread');
type Sharing = typeof sharingArb extends fc.Arbitrary<infer T> ? T : never;

const LAUNCH_PERMISSIONS: Record<Sharing, LaunchPermission[] | undefined> = {
  private: [],
  account: [{ kind: 'account', id: '444455556666' }],
  organization: [{ kind: 'organization', arn: 'arn:aws:organizations::111122223333:organization/o-a' }],
  public: [{ kind: 'public' }],
  unread: undefined,
};

const sourceArb = fc.record({
  rule: fc.nat(),
  region: fc.nat(),
  /** a and b match a glob, c matches none. */
  nameFamily: fc.constantFrom('a', 'b', 'c'),
  line: fc.constantFrom('1', '2', undefined),
  ageHours: fc.integer({ min: 0, max: 200 * 24 }),
  state: fc.constantFrom(
    'available',
    'available',
    'available',
    'available',
    'available',
    'pending',
    'disabled',
    'failed',
    'deregistered',
  ),
  dated: chance(95),
  tagState: tagStateArb,
  foreign: chance(10),
  protection: fc.constantFrom(...PROTECTIONS),
  referenced: chance(30),
  lastLaunchHours: lastLaunchArb,
  sharing: sharingArb,
  factsObserved: chance(95),
  /** Present in the region but not handed to the planner as managed. */
  unmanaged: chance(10),
});

const copyArb = fc.record({
  /** Index of the source, or -1 for an orphan. */
  of: fc.oneof({ arbitrary: fc.constant(-1), weight: 1 }, { arbitrary: fc.nat(40), weight: 2 }),
  orphanRule: fc.nat(),
  orphanSourceRegion: fc.constantFrom(...ALL_REGIONS),
  region: fc.constantFrom(...ALL_REGIONS),
  ageHours: fc.integer({ min: 0, max: 200 * 24 }),
  state: fc.constantFrom('available', 'available', 'available', 'pending', 'failed'),
  tagState: tagStateArb,
  lineageMismatch: chance(7),
  /** What looking the source up by id said: gone (meaningful for orphans only). */
  sourceGone: chance(80),
  foreign: chance(5),
  protection: fc.constantFrom(...PROTECTIONS),
  referenced: chance(30),
  lastLaunchHours: lastLaunchArb,
  sharing: sharingArb,
  factsObserved: chance(95),
  unmanaged: chance(10),
});

const worldArb = fc.record({
  rules: fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
  sources: fc.array(sourceArb, { minLength: 2, maxLength: 30, size: 'medium' }),
  copies: fc.array(copyArb, { maxLength: 30, size: 'medium' }),
  region: fc.constantFrom('us-east-1', 'us-east-1', 'us-west-2', 'eu-west-1'),
});

type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

interface Item {
  readonly image: ObservedImage;
  readonly rule: Rule;
  readonly ruleIndex: number;
  readonly role: 'source' | 'copy';
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  /** The generator's own view, independent of the code under test. */
  readonly family: string | undefined;
  readonly created: number | undefined;
  readonly referenced: boolean;
  readonly factsObserved: boolean;
  readonly unmanaged: boolean;
  readonly tagState: string;
  readonly lineageMismatch: boolean;
  readonly foreign: boolean;
  readonly sourceGone: boolean;
  /** When it last launched an instance; undefined: never. */
  readonly lastLaunched: number | undefined;
  readonly sharing: Sharing;
}

/**
 * The generator's own launch guard: when the image may not be deregistered before, given its
 * rule's notLaunchedForDays or, without it, 30 days for an image anyone else may launch; plus one
 * day for EC2's reporting delay. Undefined: its last launch never holds it back.
 */
function launchedUntil(item: Item): number | undefined {
  const days = item.rule.retire?.notLaunchedForDays ?? (item.sharing === 'private' ? undefined : 30);
  if (days === undefined || item.lastLaunched === undefined) return undefined;
  return item.lastLaunched + (days + 1) * DAY;
}
const launchedRecently = (item: Item) => (launchedUntil(item) ?? 0) > NOW.getTime();

const hoursAgo = (hours: number | undefined) =>
  hours === undefined ? undefined : NOW.getTime() - hours * HOUR;

/** DescribeImages' view of its launches and sharing: lastLaunchedTime and Public. */
function launchFields(hours: number | undefined, sharing: Sharing): Partial<ObservedImage> {
  const at = hoursAgo(hours);
  return {
    ...(at === undefined ? {} : { lastLaunchedTime: new Date(at).toISOString() }),
    isPublic: sharing === 'public',
  };
}

function buildWorld(world: World) {
  const rules = world.rules.map((r, i) => {
    const deregisterAfterDays =
      r.deregisterAfterDays === undefined && r.deprecateAfterDays === undefined ? 30 : r.deregisterAfterDays;
    const deprecateAfterDays =
      r.deprecateAfterDays !== undefined && deregisterAfterDays !== undefined
        ? Math.min(r.deprecateAfterDays, deregisterAfterDays)
        : r.deprecateAfterDays;
    return RuleSchema.parse({
      name: `r${i}`,
      match: {
        regions: r.twoSourceRegions ? [...SOURCE_REGIONS] : ['us-east-1'],
        ...(r.familyMode === 'all' ? {} : { names: [`r${i}-a-*`, `r${i}-b-*`] }),
      },
      retire: {
        family: r.familyMode === 'tag' ? { tag: 'line' } : 'name',
        keep: r.keep,
        ...(deprecateAfterDays === undefined ? {} : { deprecateAfterDays }),
        ...(deregisterAfterDays === undefined ? {} : { deregisterAfterDays }),
        ...(r.notLaunchedForDays === undefined || deregisterAfterDays === undefined
          ? {}
          : { notLaunchedForDays: r.notLaunchedForDays }),
        apply: r.apply,
      },
    });
  });
  let n = 0;
  const nextId = () => `ami-${(++n).toString(16).padStart(17, '0')}`;
  const tagsFor = (tagState: string, rule: Rule): Record<string, string> =>
    tagState === 'ok'
      ? { [LINEAGE.rule]: rule.name }
      : tagState === 'other'
        ? { [LINEAGE.rule]: 'someone-else' }
        : {};

  const sources: Item[] = world.sources.map((s) => {
    const ruleIndex = s.rule % rules.length;
    const rule = rules[ruleIndex] ?? rules[0];
    if (rule === undefined) throw new Error('no rule');
    const mode = world.rules[ruleIndex]?.familyMode;
    const regions = rule.match.regions;
    const region = regions[s.region % regions.length] ?? 'us-east-1';
    const imageId = nextId();
    const created = s.dated ? NOW.getTime() - s.ageHours * HOUR : undefined;
    const family =
      mode === 'tag'
        ? s.line === undefined
          ? undefined
          : `line=${s.line}`
        : mode === 'all'
          ? 'all'
          : s.nameFamily === 'c'
            ? undefined
            : s.nameFamily;
    const img = image({
      region,
      imageId,
      name: `${rule.name}-${s.nameFamily}-${imageId}`,
      ownerId: s.foreign ? '999988887777' : ACCOUNT,
      state: s.state,
      snapshotIds: [`snap-${imageId.slice(4)}`],
      tags: { ...tagsFor(s.tagState, rule), ...(s.line === undefined ? {} : { line: s.line }) },
      creationDate: created === undefined ? undefined : new Date(created).toISOString(),
      ...(s.protection === undefined ? {} : { deregistrationProtection: s.protection }),
      ...launchFields(s.lastLaunchHours, s.sharing),
    });
    return {
      image: img,
      rule,
      ruleIndex,
      role: 'source',
      sourceImageId: imageId,
      sourceRegion: region,
      family,
      created,
      referenced: s.referenced,
      factsObserved: s.factsObserved,
      unmanaged: s.unmanaged,
      tagState: s.tagState,
      lineageMismatch: false,
      foreign: s.foreign,
      sourceGone: false,
      lastLaunched: hoursAgo(s.lastLaunchHours),
      sharing: s.sharing,
    };
  });

  const copies: Item[] = world.copies.flatMap((c) => {
    const source = c.of >= 0 ? sources[c.of % Math.max(sources.length, 1)] : undefined;
    const ruleIndex = source?.ruleIndex ?? c.orphanRule % rules.length;
    const rule = rules[ruleIndex];
    if (rule === undefined) return [];
    const sourceImageId = source?.image.imageId ?? nextId();
    const sourceRegion = source?.image.region ?? c.orphanSourceRegion;
    if (source !== undefined && source.image.region === c.region) return [];
    const imageId = nextId();
    const created = NOW.getTime() - c.ageHours * HOUR;
    const img = image({
      region: c.region,
      imageId,
      name: `copy-${imageId}`,
      ownerId: c.foreign ? '999988887777' : ACCOUNT,
      state: c.state,
      snapshotIds: [`snap-${imageId.slice(4)}`, `snap-${imageId.slice(4).replace(/^0/, 'f')}`],
      sourceImageId,
      sourceImageRegion: sourceRegion,
      tags: {
        ...tagsFor(c.tagState, rule),
        [LINEAGE.sourceImageId]: c.lineageMismatch ? 'ami-0ffffffffffffffff' : sourceImageId,
        [LINEAGE.sourceRegion]: sourceRegion,
      },
      creationDate: new Date(created).toISOString(),
      ...(c.protection === undefined ? {} : { deregistrationProtection: c.protection }),
      ...launchFields(c.lastLaunchHours, c.sharing),
    });
    return [
      {
        image: img,
        rule,
        ruleIndex,
        role: 'copy' as const,
        sourceImageId,
        sourceRegion,
        family: undefined,
        created,
        referenced: c.referenced,
        factsObserved: c.factsObserved,
        unmanaged: c.unmanaged,
        tagState: c.tagState,
        lineageMismatch: c.lineageMismatch,
        foreign: c.foreign,
        sourceGone: c.sourceGone,
        lastLaunched: hoursAgo(c.lastLaunchHours),
        sharing: c.sharing,
      },
    ];
  });
  return { rules, sources, copies };
}

/** Among the newest `keep` of its family, by counting, not sorting: an oracle independent of the code. */
function amongNewest(item: Item, sources: readonly Item[], keep: number): boolean {
  const rankable = (s: Item) =>
    s.image.state === 'available' && s.created !== undefined && s.family !== undefined;
  if (!rankable(item) || item.created === undefined) return true;
  const created = item.created;
  const newer = sources.filter(
    (s) =>
      s !== item &&
      s.ruleIndex === item.ruleIndex &&
      s.image.region === item.image.region &&
      s.family === item.family &&
      rankable(s) &&
      s.created !== undefined &&
      (s.created > created || (s.created === created && s.image.imageId > item.image.imageId)),
  );
  return newer.length < keep;
}

/**
 * The one delete path, as the plan has it for `imageId`: the intent tag on the image and its
 * snapshots, DeregisterImage after it, each snapshot's deletion after that, and the announcement
 * waiting for all of them.
 */
function expectDeletionSequence(plan: { readonly actions: readonly Action[] }, imageId: string): void {
  const [deregister, ...others] = only(plan, 'deregister').filter((a) => a.imageId === imageId);
  if (deregister === undefined) throw new Error(`no deregistration of ${imageId}`);
  expect(others, `deregistrations of ${imageId}`).toEqual([]);
  const { snapshotIds } = deregister;
  const tags = only(plan, 'tag').filter((a) => a.imageIds.includes(imageId));
  if (snapshotIds.length === 0) {
    expect(tags, `tags of ${imageId}`).toEqual([]);
    expect(deregister.after).toBeUndefined();
  } else {
    expect(tags, `intent tag of ${imageId}`).toMatchObject([
      { resourceIds: [imageId, ...snapshotIds], changes: [{ key: RETIRED_TAG, value: imageId }] },
    ]);
    expect(deregister.after).toEqual(tags.map((t) => t.id));
  }
  const deletions = only(plan, 'delete-snapshot').filter((a) => a.imageId === imageId);
  expect(deletions.map((d) => d.snapshotId)).toEqual(snapshotIds);
  for (const d of deletions) expect(d.after).toEqual([deregister.id]);
  const announcements = only(plan, 'announce').filter((a) => a.after?.includes(deregister.id));
  expect(announcements).toMatchObject([
    { announcement: { kind: 'deregistered', imageId, snapshotIds }, waitsFor: deletions.map((d) => d.id) },
  ]);
}

describe('property: retirement never deletes what it must not, and deletes what it should', () => {
  it('over random inventories of families, ages, copies, orphans, references, protection and apply flags', () => {
    const totals = {
      deregistered: 0,
      deregisteredAfterLaunch: 0,
      refusedReferenced: 0,
      refusedProtected: 0,
      refusedLaunched: 0,
      wouldDeregister: 0,
    };
    fc.assert(
      fc.property(worldArb, (world) => {
        const { rules, sources, copies } = buildWorld(world);
        const region = world.region;
        const inRegion = [...sources, ...copies].filter((i) => i.image.region === region);
        const managed: ManagedImage[] = inRegion
          .filter((i) => !i.unmanaged)
          .map((i) => ({
            image: i.image,
            rule: i.rule,
            role: i.role,
            sourceImageId: i.sourceImageId,
            sourceRegion: i.sourceRegion,
          }));
        const observedRules = rules.filter((_, i) => world.rules[i]?.observed !== false);
        const decisions = new Map(
          observedRules.map((rule) => [
            rule.name,
            decideRetirement(
              rule,
              sources.filter((s) => s.rule === rule).map((s) => s.image),
              NOW,
            ),
          ]),
        );
        const safety = new Map<string, SafetyFacts>(
          inRegion
            .filter((i) => i.factsObserved)
            .map((i) => [
              i.image.imageId,
              {
                references: i.referenced ? [`instance i-${i.image.imageId.slice(4)}`] : [],
                sourceGone: i.sourceGone,
                ...(LAUNCH_PERMISSIONS[i.sharing] === undefined
                  ? {}
                  : { launchPermissions: LAUNCH_PERMISSIONS[i.sharing] }),
              },
            ]),
        );
        const plan = planRetirement({ region, accountId: ACCOUNT, managed, decisions, now: NOW, safety });

        const deregistered = new Set(deregisteredBy(plan));
        const byId = new Map(inRegion.map((i) => [i.image.imageId, i]));

        // The expected set, from the generator's own facts.
        const expected = new Set<string>();
        for (const item of inRegion) {
          const retire = item.rule.retire;
          if (retire === undefined || retire.deregisterAfterDays === undefined) continue;
          const e = retire.deregisterAfterDays * DAY;
          const eligible =
            !item.unmanaged &&
            observedRules.includes(item.rule) &&
            item.tagState === 'ok' &&
            !item.lineageMismatch &&
            !item.foreign &&
            item.image.state === 'available' &&
            (item.image.deregistrationProtection === undefined ||
              item.image.deregistrationProtection === 'disabled') &&
            item.factsObserved &&
            !item.referenced &&
            !launchedRecently(item) &&
            retire.apply;
          if (!eligible) continue;
          let due: boolean;
          if (item.role === 'source') {
            due =
              !amongNewest(item, sources, retire.keep) &&
              item.created !== undefined &&
              item.created + e <= NOW.getTime();
          } else {
            const source = sources.find(
              (s) => s.image.imageId === item.sourceImageId && s.image.state !== 'deregistered',
            );
            if (source !== undefined) {
              due =
                !amongNewest(source, sources, retire.keep) &&
                source.created !== undefined &&
                source.created + e <= NOW.getTime();
            } else {
              due =
                item.rule.match.regions.includes(item.sourceRegion) &&
                item.sourceGone &&
                item.created !== undefined &&
                item.created + e <= NOW.getTime();
            }
          }
          if (due) expected.add(item.image.imageId);
        }

        for (const imageId of deregistered) {
          const item = byId.get(imageId);
          // Never an image the planner was not handed as managed, nor one whose tags deny it.
          expect(item, `deregistered ${imageId}, which is not in the region`).toBeDefined();
          if (item === undefined) continue;
          expect(item.unmanaged, `unmanaged ${imageId}`).toBe(false);
          expect(item.tagState, `mis-tagged ${imageId}`).toBe('ok');
          expect(item.lineageMismatch, `lineage ${imageId}`).toBe(false);
          expect(item.foreign, `foreign ${imageId}`).toBe(false);
          // Never a referenced, unchecked or protected one.
          expect(item.referenced, `referenced ${imageId}`).toBe(false);
          expect(item.factsObserved, `unchecked ${imageId}`).toBe(true);
          expect([undefined, 'disabled'], `protected ${imageId}`).toContain(
            item.image.deregistrationProtection,
          );
          // Never one launched, in any account, within its window (plus the reporting delay).
          expect(launchedRecently(item), `launched ${imageId} ${item.image.lastLaunchedTime}`).toBe(false);
          // Never one of a rule without apply: true.
          expect(item.rule.retire?.apply, `apply ${imageId}`).toBe(true);
          // Never among the newest `keep` of its family (for a copy: its source's).
          const keep = item.rule.retire?.keep ?? 1;
          const source =
            item.role === 'source'
              ? item
              : sources.find(
                  (s) => s.image.imageId === item.sourceImageId && s.image.state !== 'deregistered',
                );
          if (source !== undefined) expect(amongNewest(source, sources, keep), `kept ${imageId}`).toBe(false);
        }
        // Both ways: exactly the superseded, due, safe, managed images of apply rules.
        expect([...deregistered].sort()).toEqual([...expected].sort());
        for (const action of only(plan, 'deregister')) {
          expect(action.snapshotIds).toEqual(byId.get(action.imageId)?.image.snapshotIds);
          expectDeletionSequence(plan, action.imageId);
        }
        for (const action of only(plan, 'deprecate')) {
          expect(deregistered.has(action.imageId), `deprecated and deregistered ${action.imageId}`).toBe(
            false,
          );
          expect(
            only(plan, 'announce').filter((a) => (a.after ?? []).includes(action.id)),
            `announced deprecation of ${action.imageId}`,
          ).toMatchObject([{ announcement: { kind: 'deprecated', imageId: action.imageId } }]);
        }
        // Nothing but deprecations, deregistrations, their intent tags and what follows them.
        const retiring = new Set(
          plan.actions.filter((a) => a.kind === 'deprecate' || a.kind === 'deregister').map((a) => a.id),
        );
        const intents = new Set(only(plan, 'deregister').flatMap((a) => a.after ?? []));
        for (const action of plan.actions) {
          const belongs =
            retiring.has(action.id) ||
            intents.has(action.id) ||
            (action.after ?? []).some((id) => retiring.has(id));
          expect(belongs, `unexpected ${action.id}`).toBe(true);
        }

        totals.deregistered += deregistered.size;
        totals.deregisteredAfterLaunch += [...deregistered].filter((id) => {
          const item = byId.get(id);
          return item !== undefined && launchedUntil(item) !== undefined;
        }).length;
        totals.refusedLaunched += plan.refused.filter((r) => r.reason.includes('lastLaunchedTime')).length;
        totals.wouldDeregister += plan.wouldDeregister.length;
        totals.refusedReferenced += plan.refused.filter((r) => r.reason.startsWith('referenced')).length;
        totals.refusedProtected += plan.refused.filter((r) =>
          r.reason.startsWith('deregistration protection'),
        ).length;
      }),
      { numRuns: 400, seed: 20261201 },
    );
    // The generator must reach every branch, or the property proves little.
    expect(totals.deregistered).toBeGreaterThan(20);
    expect(totals.refusedReferenced).toBeGreaterThan(5);
    expect(totals.refusedProtected).toBeGreaterThan(5);
    expect(totals.wouldDeregister).toBeGreaterThan(5);
    expect(totals.refusedLaunched).toBeGreaterThan(5);
    expect(totals.deregisteredAfterLaunch).toBeGreaterThan(5);
  });
});
