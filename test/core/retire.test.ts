import { EC2ServiceException } from '@aws-sdk/client-ec2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../shared/core/errors.js';
import { type LaunchPermission, LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import { DetailType, type ToolEvent } from '../../shared/core/notifications.js';
import type { EventPublisher, LoggerPort } from '../../shared/core/ports.js';
import {
  decideRetirement,
  decisionFor,
  type ManagedImage,
  planRetirement,
  type RetirementDecision,
  type RetirementPlan,
  type RetirementPlanInput,
  retirementCandidates,
  retireRegion,
  type SafetyFacts,
} from '../../shared/core/retire.js';
import type { RetirementEc2 } from '../../shared/core/retirement-ports.js';
import { type Rule, RuleSchema } from '../../shared/rules/schema.js';
import { ACCOUNT, image } from './builders.js';

/** Not on a whole minute, so rounding shows. */
const NOW = new Date('2026-12-01T12:00:30.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NEXT_MINUTE = new Date('2026-12-01T12:01:00.000Z');

function retireRule(
  retire: Record<string, unknown>,
  match: Record<string, unknown> = {},
  name = 'golden',
): Rule {
  return RuleSchema.parse({
    name,
    match: { regions: ['us-east-1', 'us-west-2'], names: ['golden-*'], ...match },
    copy: { regions: ['eu-west-1'] },
    retire,
  });
}

const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

let serial = 0;
/** A managed source image, tagged by the tool, created `days` ago. */
function src(days: number, overrides: Partial<ObservedImage> = {}, ruleName = 'golden'): ObservedImage {
  serial++;
  return image({
    imageId: `ami-${serial.toString(16).padStart(17, '0')}`,
    name: `golden-linux-${serial}`,
    creationDate: ago(days),
    snapshotIds: [`snap-${serial.toString(16).padStart(17, '0')}`],
    tags: { [LINEAGE.rule]: ruleName },
    ...overrides,
  });
}

/** A copy in `region` of a source that no longer exists, with the tool's lineage tags. */
function orphan(days: number, region: string, sourceImageId: string, sourceRegion: string) {
  return src(days, {
    region,
    sourceImageId,
    sourceImageRegion: sourceRegion,
    tags: {
      [LINEAGE.rule]: 'golden',
      [LINEAGE.sourceImageId]: sourceImageId,
      [LINEAGE.sourceRegion]: sourceRegion,
    },
  });
}

/** A copy of `source` in `region`, created `days` ago, with the tool's lineage tags. */
function copyOf(source: ObservedImage, region: string, days: number, overrides: Partial<ObservedImage> = {}) {
  return src(days, {
    region,
    name: source.name,
    sourceImageId: source.imageId,
    sourceImageRegion: source.region,
    tags: {
      [LINEAGE.rule]: source.tags[LINEAGE.rule] ?? 'golden',
      [LINEAGE.sourceImageId]: source.imageId,
      [LINEAGE.sourceRegion]: source.region,
    },
    ...overrides,
  });
}

const asSource = (img: ObservedImage, rule: Rule): ManagedImage => ({
  image: img,
  rule,
  role: 'source',
  sourceImageId: img.imageId,
  sourceRegion: img.region,
});

const asCopy = (
  img: ObservedImage,
  rule: Rule,
  sourceImageId: string,
  sourceRegion: string,
): ManagedImage => ({
  image: img,
  rule,
  role: 'copy',
  sourceImageId,
  sourceRegion,
});

const kinds = (decisions: Map<string, RetirementDecision>, images: readonly ObservedImage[]) =>
  images.map((i) => decisions.get(i.imageId)?.kind ?? 'none');

// ---- decideRetirement ------------------------------------------------------------------------------

interface DecideCase {
  name: string;
  reason: string;
  run: () => void;
}

const decideCases: DecideCase[] = [
  {
    name: 'keep the newest N of a family',
    reason:
      'with keep 2, the two newest are kept whatever order they come in, and the older ones are retired',
    run: () => {
      const rule = retireRule({ keep: 2, deregisterAfterDays: 30 });
      const images = [src(40), src(10), src(100), src(1)];
      expect(kinds(decideRetirement(rule, images, NOW), images)).toEqual([
        'retire',
        'keep',
        'retire',
        'keep',
      ]);
    },
  },
  {
    name: 'name families: one per glob, first glob wins',
    reason: 'each glob of match.names is its own family; an image matching two globs belongs to the first',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 }, { names: ['golden-*-lts', 'golden-*'] });
      const lts = [src(50, { name: 'golden-2024-lts' }), src(20, { name: 'golden-2025-lts' })];
      const other = [src(40, { name: 'golden-2025' }), src(30, { name: 'golden-2026' })];
      const images = [...lts, ...other];
      expect(kinds(decideRetirement(rule, images, NOW), images)).toEqual([
        'retire',
        'keep',
        'retire',
        'keep',
      ]);
    },
  },
  {
    name: 'no match.names: one family of all the rule images',
    reason: 'without globs there is nothing to group by, so all names rank together',
    run: () => {
      const rule = RuleSchema.parse({
        name: 'golden',
        match: { regions: ['us-east-1'] },
        retire: { keep: 1, deregisterAfterDays: 30 },
      });
      const images = [src(50, { name: 'alpha' }), src(20, { name: 'beta' })];
      expect(kinds(decideRetirement(rule, images, NOW), images)).toEqual(['retire', 'keep']);
    },
  },
  {
    name: 'tag families; an image without the tag is in no family',
    reason: 'grouped by the value of the tag; an untagged image can never be retired, and says why',
    run: () => {
      const rule = retireRule({ family: { tag: 'line' }, keep: 1, deregisterAfterDays: 30 });
      const images = [
        src(50, { tags: { [LINEAGE.rule]: 'golden', line: '1' } }),
        src(40, { tags: { [LINEAGE.rule]: 'golden', line: '1' } }),
        src(60, { tags: { [LINEAGE.rule]: 'golden', line: '2' } }),
        src(90, { tags: { [LINEAGE.rule]: 'golden' } }),
      ];
      const decisions = decideRetirement(rule, images, NOW);
      expect(kinds(decisions, images)).toEqual(['retire', 'keep', 'keep', 'skip']);
      expect(decisions.get(images[3]?.imageId ?? '')?.reason).toMatch(/no tag "line"/);
    },
  },
  {
    name: 'each source region ranks on its own',
    reason: 'an image in us-west-2 does not supersede one in us-east-1',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });
      const images = [src(50), src(40, { region: 'us-west-2' }), src(10, { region: 'us-west-2' })];
      expect(kinds(decideRetirement(rule, images, NOW), images)).toEqual(['keep', 'retire', 'keep']);
    },
  },
  {
    name: 'relative deprecation, in the future',
    reason: 'creation + D days, rounded up to the minute, when that is still ahead',
    run: () => {
      const rule = retireRule({ keep: 1, deprecateAfterDays: 10 });
      const old = src(3, { creationDate: '2026-11-28T08:15:10.000Z' });
      const images = [old, src(1)];
      const decision = decideRetirement(rule, images, NOW).get(old.imageId);
      expect(decision).toMatchObject({ kind: 'retire', deregister: false });
      expect(decision?.kind === 'retire' && decision.deprecateAt).toEqual(
        new Date('2026-12-08T08:16:00.000Z'),
      );
    },
  },
  {
    name: 'relative deprecation, already past',
    reason: 'EC2 refuses times in the past: a date already past becomes the next whole minute after now',
    run: () => {
      const rule = retireRule({ keep: 1, deprecateAfterDays: 10 });
      const old = src(30);
      const decision = decideRetirement(rule, [old, src(1)], NOW).get(old.imageId);
      expect(decision?.kind === 'retire' && decision.deprecateAt).toEqual(NEXT_MINUTE);
    },
  },
  {
    name: 'deregister after E days, and not before',
    reason: 'deregistration is due exactly when E days have passed since creation',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });
      const young = src(29.99);
      const due = src(30);
      const decisions = decideRetirement(rule, [young, due, src(1)], NOW);
      expect(decisions.get(young.imageId)).toMatchObject({ kind: 'retire', deregister: false });
      expect(decisions.get(due.imageId)).toMatchObject({ kind: 'retire', deregister: true });
      expect(decisions.get(due.imageId)).not.toHaveProperty('deprecateAt');
    },
  },
  {
    name: 'unavailable images take no place among the kept ones',
    reason:
      'a pending or disabled image is not launchable: it is left alone and an older available one is kept instead',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });
      const images = [src(1, { state: 'pending' }), src(2, { state: 'disabled' }), src(40), src(50)];
      expect(kinds(decideRetirement(rule, images, NOW), images)).toEqual(['skip', 'skip', 'keep', 'retire']);
    },
  },
  {
    name: 'no creation date: kept, with a note, and no place taken',
    reason: 'an image that cannot be ranked is never retired',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });
      const images = [src(0, { creationDate: undefined }), src(40), src(50)];
      const decisions = decideRetirement(rule, images, NOW);
      expect(kinds(decisions, images)).toEqual(['skip', 'keep', 'retire']);
      expect(decisions.get(images[0]?.imageId ?? '')?.reason).toMatch(/no creation date/);
    },
  },
  {
    name: 'ties on the creation date',
    reason: 'the larger image id ranks newer, so the outcome does not depend on input order',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });
      const a = src(40, { imageId: 'ami-0000000000000000a' });
      const b = src(40, { imageId: 'ami-0000000000000000b' });
      expect(kinds(decideRetirement(rule, [a, b], NOW), [a, b])).toEqual(['retire', 'keep']);
      expect(kinds(decideRetirement(rule, [b, a], NOW), [a, b])).toEqual(['retire', 'keep']);
    },
  },
  {
    name: 'a deregistered source gets no decision',
    reason: 'it is gone: its copies are orphans',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });
      const gone = src(1, { state: 'deregistered' });
      expect(decideRetirement(rule, [gone, src(40)], NOW).has(gone.imageId)).toBe(false);
    },
  },
];

describe('decideRetirement', () => {
  it.each(decideCases)('$name: $reason', ({ run }) => run());
});

// ---- decisionFor (copies) --------------------------------------------------------------------------

describe('decisionFor: copies follow their source', () => {
  const rule = retireRule({ keep: 1, deprecateAfterDays: 10, deregisterAfterDays: 30 });
  const old = src(40);
  const newest = src(1);
  const decisions = decideRetirement(rule, [old, newest], NOW);

  const cases: Array<{
    name: string;
    reason: string;
    entry: ManagedImage;
    expected: Record<string, unknown>;
  }> = [
    {
      name: 'copy of a retired source',
      reason:
        'the copy gets its source decision (same deprecation time, same due date), whatever its own age',
      entry: asCopy(copyOf(old, 'eu-west-1', 2), rule, old.imageId, old.region),
      expected: { kind: 'retire', deregister: true, deprecateAt: NEXT_MINUTE },
    },
    {
      name: 'copy of a kept source',
      reason: 'the newest source is kept, so are its copies in every region',
      entry: asCopy(copyOf(newest, 'eu-west-1', 1), rule, newest.imageId, newest.region),
      expected: { kind: 'keep' },
    },
    {
      name: 'old orphan',
      reason: 'its source is gone: deprecated now, deregistered as its own age is past E days',
      entry: asCopy(src(31, { region: 'eu-west-1' }), rule, 'ami-0dead000000000000', 'us-east-1'),
      expected: { kind: 'retire', deregister: true, deprecateAt: NEXT_MINUTE },
    },
    {
      name: 'young orphan',
      reason: 'its source is gone but it is younger than E days: deprecated now, not yet deregistered',
      entry: asCopy(src(5, { region: 'eu-west-1' }), rule, 'ami-0dead000000000000', 'us-east-1'),
      expected: { kind: 'retire', deregister: false, deprecateAt: NEXT_MINUTE },
    },
    {
      name: 'copy from a region that is no longer a source region',
      reason: 'its source was not looked for, so its absence proves nothing',
      entry: asCopy(src(300, { region: 'eu-west-1' }), rule, 'ami-0dead000000000000', 'ap-south-1'),
      expected: { kind: 'skip' },
    },
  ];

  it.each(cases)('$name: $reason', ({ entry, expected }) => {
    expect(decisionFor(entry, decisions, NOW)).toMatchObject(expected);
  });
});

// ---- planRetirement --------------------------------------------------------------------------------

const APPLY = retireRule({ keep: 1, deprecateAfterDays: 10, deregisterAfterDays: 30, apply: true });
const DRY = retireRule({ keep: 1, deprecateAfterDays: 10, deregisterAfterDays: 30 });

/** Plans us-east-1 for a rule over `sources` (all managed sources there), with `safety` facts. */
function planFor(
  rule: Rule,
  managed: ManagedImage[],
  sources: ObservedImage[],
  safety: Record<string, SafetyFacts> | 'unreferenced' = 'unreferenced',
  region = 'us-east-1',
): RetirementPlan {
  const input: RetirementPlanInput = {
    region,
    accountId: ACCOUNT,
    managed,
    decisions: new Map([[rule.name, decideRetirement(rule, sources, NOW)]]),
    now: NOW,
  };
  const facts =
    safety === 'unreferenced'
      ? new Map(
          retirementCandidates(input).map((c) => [
            c.managed.image.imageId,
            {
              references: [],
              ...(c.orphan ? { sourceGone: true } : {}),
              ...(c.checkSharing ? { launchPermissions: [] } : {}),
            },
          ]),
        )
      : new Map(Object.entries(safety));
  return planRetirement({ ...input, safety: facts });
}

const actionsOf = (plan: RetirementPlan) => plan.actions.map((a) => `${a.kind} ${a.imageId}`);
const candidatesOf = (rule: Rule, managed: ManagedImage[], sources: ObservedImage[]) =>
  retirementCandidates({
    region: 'us-east-1',
    accountId: ACCOUNT,
    managed,
    decisions: new Map([[rule.name, decideRetirement(rule, sources, NOW)]]),
    now: NOW,
  });

/** Deregisters after 30 days, unless launched within 14 days (+1 for EC2's reporting delay). */
const IDLE14 = retireRule({
  keep: 1,
  deprecateAfterDays: 10,
  deregisterAfterDays: 30,
  notLaunchedForDays: 14,
  apply: true,
});
const SHARED_WITH = [{ kind: 'account', id: '444455556666' }] as const;
const LAUNCH_NOTE = 'launches by accounts it is shared with count too';
const DEFAULT_WINDOW =
  "a shared image is deregistered only once not launched for 30 days (the default without retire.notLaunchedForDays), plus 1 day for EC2's reporting delay";
const notesOf = (plan: RetirementPlan) => plan.notes.map((n) => n.message).join('\n');

interface PlanCase {
  name: string;
  reason: string;
  run: () => void;
}

const planCases: PlanCase[] = [
  {
    name: 'due, safe, apply: true',
    reason: 'an old superseded image nothing uses is deregistered with its snapshots; no deprecation first',
    run: () => {
      const old = src(40);
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]);
      expect(plan.actions).toEqual([
        {
          kind: 'deregister',
          region: 'us-east-1',
          imageId: old.imageId,
          snapshotIds: old.snapshotIds,
          deleteSnapshots: true,
          rule: 'golden',
          role: 'source',
          sourceImageId: old.imageId,
          sourceRegion: 'us-east-1',
          reason: expect.stringMatching(/^superseded: number 2 of 2/),
        },
      ]);
    },
  },
  {
    name: 'referenced',
    reason:
      'an image an instance or launch template uses is refused, with the reference, and still deprecated',
    run: () => {
      const old = src(40);
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: { references: ['launch-template lt-0123456789abcdef0 v3'] },
      });
      expect(actionsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      expect(plan.refused).toEqual([
        { imageId: old.imageId, reason: 'referenced by launch-template lt-0123456789abcdef0 v3' },
      ]);
      expect(notesOf(plan)).toMatch(/not deregistered: referenced by launch-template/);
    },
  },
  {
    name: 'references not checked',
    reason: 'no facts means no proof that nothing uses it: refused',
    run: () => {
      const old = src(40);
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {});
      expect(plan.actions.filter((a) => a.kind === 'deregister')).toEqual([]);
      expect(plan.refused).toEqual([{ imageId: old.imageId, reason: 'its references were not checked' }]);
    },
  },
  ...['enabled', 'enabled-with-cooldown', 'something-new'].map(
    (protection): PlanCase => ({
      name: `deregistration protection ${protection}`,
      reason: 'anything but absent or "disabled" protects; refused before references are even observed',
      run: () => {
        const old = src(40, { deregistrationProtection: protection });
        const managed = [asSource(old, APPLY)];
        const plan = planFor(APPLY, managed, [old, src(1)], { [old.imageId]: { references: [] } });
        expect(actionsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
        expect(plan.refused).toEqual([
          { imageId: old.imageId, reason: `deregistration protection is ${protection}` },
        ]);
        const input: RetirementPlanInput = {
          region: 'us-east-1',
          accountId: ACCOUNT,
          managed,
          decisions: new Map([['golden', decideRetirement(APPLY, [old, src(1)], NOW)]]),
          now: NOW,
        };
        expect(retirementCandidates(input)).toEqual([]);
      },
    }),
  ),
  {
    name: 'deregistration protection disabled',
    reason: '"disabled" is the one protection state that allows deregistration',
    run: () => {
      const old = src(40, { deregistrationProtection: 'disabled' });
      expect(actionsOf(planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]))).toEqual([
        `deregister ${old.imageId}`,
      ]);
    },
  },
  {
    name: 'apply: false',
    reason: 'deregistration is a dry run line, not an action; deprecation (reversible) still happens',
    run: () => {
      const old = src(40);
      const plan = planFor(DRY, [asSource(old, DRY)], [old, src(1)]);
      expect(actionsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      expect(plan.wouldDeregister.map((w) => w.imageId)).toEqual([old.imageId]);
      expect(plan.refused).toEqual([]);
      expect(notesOf(plan)).toMatch(/would deregister \(and delete snapshots snap-/);
    },
  },
  {
    name: 'deprecation already set to the same minute',
    reason: 'nothing to do: an image already in its desired state gives an empty plan',
    run: () => {
      const old = src(5, {
        creationDate: '2026-11-26T08:15:10.000Z',
        deprecationTime: '2026-12-06T08:16:00.000Z',
      });
      expect(planFor(DRY, [asSource(old, DRY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'deprecation already set earlier',
    reason: 'deprecation is only ever brought forward, so re-running with a later "now" never moves it',
    run: () => {
      const old = src(40, { deprecationTime: '2026-11-01T00:00:00.000Z' });
      expect(planFor(DRY, [asSource(old, DRY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'deprecation set later than wanted',
    reason: 'a deprecation time further away than the rule says is brought forward',
    run: () => {
      const old = src(40, { deprecationTime: '2027-06-01T00:00:00.000Z' });
      const plan = planFor(DRY, [asSource(old, DRY)], [old, src(1)]);
      expect(plan.actions).toEqual([
        {
          kind: 'deprecate',
          region: 'us-east-1',
          imageId: old.imageId,
          at: NEXT_MINUTE,
          rule: 'golden',
          role: 'source',
          sourceImageId: old.imageId,
          sourceRegion: 'us-east-1',
          reason: expect.stringMatching(/^superseded/),
        },
      ]);
    },
  },
  {
    name: 'no rule tag',
    reason: 'an image the tool never tagged as managed by the rule is not touched at all',
    run: () => {
      const old = src(40, { tags: {} });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]);
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/no ami-lifecycle:rule tag/);
    },
  },
  {
    name: 'tagged by another rule',
    reason: 'the tags contradict the rule it was handed with: not touched',
    run: () => {
      const old = src(40, { tags: { [LINEAGE.rule]: 'other' } });
      expect(planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'copy whose lineage tags name another source',
    reason: 'the copy was handed as a copy of one source but its own tags say another',
    run: () => {
      const old = src(40);
      const copy = copyOf(old, 'us-east-1', 40, {
        tags: { [LINEAGE.rule]: 'golden', [LINEAGE.sourceImageId]: 'ami-0ffffffffffffffff' },
      });
      const plan = planFor(APPLY, [asCopy(copy, APPLY, old.imageId, old.region)], [old, src(1)]);
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/lineage says ami-0ffffffffffffffff/);
    },
  },
  {
    name: 'owned by another account',
    reason: 'only the account own images are retired',
    run: () => {
      const old = src(40, { ownerId: '999988887777' });
      expect(planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'sources not observed',
    reason: 'without the rule sources every copy would look like an orphan: nothing of the rule is retired',
    run: () => {
      const copy = orphan(400, 'eu-west-1', 'ami-0dead000000000000', 'us-east-1');
      const plan = planRetirement({
        region: 'eu-west-1',
        accountId: ACCOUNT,
        managed: [asCopy(copy, APPLY, 'ami-0dead000000000000', 'us-east-1')],
        decisions: new Map(),
        now: NOW,
        safety: new Map([[copy.imageId, { references: [] }]]),
      });
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/sources were not observed/);
    },
  },
  {
    name: 'copies in another region follow their source',
    reason: 'the superseded source copy in eu-west-1 is deregistered there; the kept source copy is not',
    run: () => {
      const old = src(40);
      const newest = src(1);
      const oldCopy = copyOf(old, 'eu-west-1', 39);
      const newCopy = copyOf(newest, 'eu-west-1', 1);
      const plan = planFor(
        APPLY,
        [
          asCopy(oldCopy, APPLY, old.imageId, old.region),
          asCopy(newCopy, APPLY, newest.imageId, newest.region),
        ],
        [old, newest],
        'unreferenced',
        'eu-west-1',
      );
      expect(actionsOf(plan)).toEqual([`deregister ${oldCopy.imageId}`]);
      expect(plan.actions[0]).toMatchObject({
        role: 'copy',
        sourceImageId: old.imageId,
        region: 'eu-west-1',
      });
    },
  },
  {
    name: 'old orphan copy',
    reason: 'its source is gone and it is older than E days: deregistered in its own region',
    run: () => {
      const copy = orphan(31, 'eu-west-1', 'ami-0dead000000000000', 'us-east-1');
      const plan = planFor(
        APPLY,
        [asCopy(copy, APPLY, 'ami-0dead000000000000', 'us-east-1')],
        [src(1)],
        'unreferenced',
        'eu-west-1',
      );
      expect(plan.actions).toMatchObject([{ kind: 'deregister', imageId: copy.imageId, role: 'copy' }]);
      expect(plan.actions[0]?.kind === 'deregister' && plan.actions[0].reason).toMatch(/^orphan copy/);
    },
  },
  {
    name: 'orphan whose source is not confirmed gone',
    reason:
      'a source absent from the listing may only have stopped matching the rule: no deletion on that alone',
    run: () => {
      const copy = orphan(31, 'eu-west-1', 'ami-0dead000000000000', 'us-east-1');
      const managed = [asCopy(copy, APPLY, 'ami-0dead000000000000', 'us-east-1')];
      for (const facts of [{ references: [] }, { references: [], sourceGone: false }]) {
        const plan = planFor(APPLY, managed, [src(1)], { [copy.imageId]: facts }, 'eu-west-1');
        expect(plan.actions).toMatchObject([{ kind: 'deprecate', imageId: copy.imageId }]);
        expect(plan.refused).toEqual([
          {
            imageId: copy.imageId,
            reason: 'its source ami-0dead000000000000 (us-east-1) was not confirmed gone',
          },
        ]);
      }
    },
  },
  {
    name: 'pending copy of a retired source',
    reason: 'only available images are deregistered; it is left for a later run',
    run: () => {
      const old = src(40);
      const copy = copyOf(old, 'eu-west-1', 1, { state: 'pending' });
      const plan = planFor(
        APPLY,
        [asCopy(copy, APPLY, old.imageId, old.region)],
        [old, src(1)],
        'unreferenced',
        'eu-west-1',
      );
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/the image is pending/);
    },
  },
  {
    name: 'launched 3 days ago, notLaunchedForDays 14',
    reason:
      'a launch, in any account, within the window holds deregistration back; it is refused before any reference is read, and still deprecated',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(3) });
      const managed = [asSource(old, IDLE14)];
      const plan = planFor(IDLE14, managed, [old, src(1)]);
      expect(actionsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      const why = `launched 3 days ago (lastLaunchedTime ${ago(3)}; ${LAUNCH_NOTE}): retire.notLaunchedForDays is 14, plus 1 day for EC2's reporting delay`;
      expect(plan.refused).toEqual([{ imageId: old.imageId, reason: why }]);
      expect(notesOf(plan)).toContain(`not deregistered: ${why} (superseded:`);
      expect(candidatesOf(IDLE14, managed, [old, src(1)])).toEqual([]);
    },
  },
  {
    name: 'launched 20 days ago, notLaunchedForDays 14',
    reason: 'a last launch before the window does not hold it back',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(20) });
      expect(actionsOf(planFor(IDLE14, [asSource(old, IDLE14)], [old, src(1)]))).toEqual([
        `deregister ${old.imageId}`,
      ]);
    },
  },
  {
    name: 'one more day for the reporting delay',
    reason:
      'EC2 reports a launch up to 24 hours late: 14 days and 23 hours ago is still refused, exactly 15 days ago is not',
    run: () => {
      const inside = src(40, { lastLaunchedTime: ago(15 - 1 / 24) });
      const edge = src(41, { lastLaunchedTime: ago(15) });
      const plan = planFor(
        IDLE14,
        [asSource(inside, IDLE14), asSource(edge, IDLE14)],
        [inside, edge, src(1)],
      );
      expect(plan.actions.filter((a) => a.kind === 'deregister').map((a) => a.imageId)).toEqual([
        edge.imageId,
      ]);
      expect(plan.refused.map((r) => r.reason)).toEqual([expect.stringMatching(/^launched 14 days ago/)]);
    },
  },
  {
    name: 'shared, no notLaunchedForDays, launched 10 days ago',
    reason:
      'other accounts may use it where its references cannot be seen: the 30-day default applies, decided by its launch permissions',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const managed = [asSource(old, APPLY)];
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toEqual([
        { managed: managed[0], orphan: false, checkSharing: true },
      ]);
      const plan = planFor(APPLY, managed, [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [...SHARED_WITH] },
      });
      expect(actionsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      expect(plan.refused).toEqual([
        {
          imageId: old.imageId,
          reason: `launched 10 days ago (lastLaunchedTime ${ago(10)}; ${LAUNCH_NOTE}) and it is shared with 1 account: ${DEFAULT_WINDOW}`,
        },
      ]);
    },
  },
  {
    name: 'shared with an organization and OUs, no notLaunchedForDays',
    reason: 'any launch permission counts as shared, and the refusal says with whom',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: {
          references: [],
          launchPermissions: [
            { kind: 'organization', arn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
            { kind: 'organizational-unit', arn: 'arn:aws:organizations::111122223333:ou/o-a/ou-1' },
            { kind: 'organizational-unit', arn: 'arn:aws:organizations::111122223333:ou/o-a/ou-2' },
          ],
        },
      });
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringContaining('and it is shared with 1 organization, 2 OUs: a shared image'),
      ]);
    },
  },
  {
    name: 'not shared, no notLaunchedForDays, launched 10 days ago',
    reason: 'only this account can launch it, and its references here are all there is: deregistered',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [] },
      });
      expect(actionsOf(plan)).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'launch permissions not read, no notLaunchedForDays, launched 10 days ago',
    reason: 'unknown sharing may hide a share: treated as shared, refused',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: { references: [] },
      });
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringContaining(
          'and its launch permissions were not read, so it may be shared: a shared image',
        ),
      ]);
    },
  },
  {
    name: 'public, no notLaunchedForDays, launched 10 days ago',
    reason: 'DescribeImages already says it is public: refused without reading anything else',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10), isPublic: true });
      const managed = [asSource(old, APPLY)];
      const plan = planFor(APPLY, managed, [old, src(1)]);
      expect(actionsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^launched 10 days ago .* and it is public: a shared image/),
      ]);
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toEqual([]);
    },
  },
  {
    name: 'shared, no notLaunchedForDays, launched 31 days ago',
    reason: 'past 30 days plus the delay: deregistered, and its launch permissions need not be read',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(31) });
      const managed = [asSource(old, APPLY)];
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toMatchObject([{ checkSharing: false }]);
      const plan = planFor(APPLY, managed, [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [...SHARED_WITH] },
      });
      expect(actionsOf(plan)).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'shared and never launched',
    reason:
      'no lastLaunchedTime: EC2 reports no launch anywhere, so the launch guard does not hold it back (else it could never be retired); references decide',
    run: () => {
      const old = src(40, { isPublic: true });
      const managed = [asSource(old, APPLY)];
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toMatchObject([{ checkSharing: false }]);
      const plan = planFor(APPLY, managed, [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [{ kind: 'public' }] },
      });
      expect(actionsOf(plan)).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'notLaunchedForDays replaces the shared-image default',
    reason: 'a shared image launched 10 days ago is deregistered by a rule that asks for 7 idle days',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30, notLaunchedForDays: 7, apply: true });
      const old = src(40, { lastLaunchedTime: ago(10), isPublic: true });
      const managed = [asSource(old, rule)];
      expect(candidatesOf(rule, managed, [old, src(1)])).toMatchObject([{ checkSharing: false }]);
      expect(actionsOf(planFor(rule, managed, [old, src(1)]))).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'an unreadable lastLaunchedTime',
    reason: 'it may mean a launch just now: refused',
    run: () => {
      const old = src(40, { lastLaunchedTime: 'yesterday' });
      const plan = planFor(IDLE14, [asSource(old, IDLE14)], [old, src(1)]);
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^its lastLaunchedTime "yesterday" cannot be read/),
      ]);
    },
  },
  {
    name: 'copies are judged by their own last launch',
    reason:
      'lastLaunchedTime is per image: of two copies of superseded sources, the one launched 2 days ago stays, the one idle for 30 days goes',
    run: () => {
      const [first, second] = [src(40), src(45)];
      const used = copyOf(first, 'eu-west-1', 39, { lastLaunchedTime: ago(2) });
      const idle = copyOf(second, 'eu-west-1', 44, { lastLaunchedTime: ago(30) });
      const plan = planFor(
        IDLE14,
        [
          asCopy(used, IDLE14, first.imageId, first.region),
          asCopy(idle, IDLE14, second.imageId, second.region),
        ],
        [first, second, src(1)],
        'unreferenced',
        'eu-west-1',
      );
      expect(plan.refused.map((r) => r.imageId)).toEqual([used.imageId]);
      expect(plan.actions.filter((a) => a.kind === 'deregister').map((a) => a.imageId)).toEqual([
        idle.imageId,
      ]);
    },
  },
  {
    name: 'instance-store image',
    reason: 'no snapshots to delete',
    run: () => {
      const old = src(40, { rootDeviceType: 'instance-store', snapshotIds: [] });
      expect(planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]).actions).toMatchObject([
        { kind: 'deregister', snapshotIds: [] },
      ]);
    },
  },
];

describe('planRetirement', () => {
  it.each(planCases)('$name: $reason', ({ run }) => run());
});

// ---- retireRegion ----------------------------------------------------------------------------------

interface FakeOptions {
  references?: Record<string, string[]>;
  /** Launch permissions per image; default none (only the owner launches it). */
  launchPermissions?: Record<string, LaunchPermission[]>;
  /** DeregisterImage's returnCode per snapshot; default success. */
  returnCodes?: Record<string, string>;
  /** Errors by call, e.g. `deregister ami-…` or `deleteSnapshot snap-…`. */
  errors?: Record<string, unknown>;
}

/** An AwsCallError around an EC2 error as the SDK raises it (client fault, 400) or throttling (503). */
function ec2Error(code: string, operation: string): AwsCallError {
  const throttled = code === 'RequestLimitExceeded';
  const cause = new EC2ServiceException({
    name: code,
    $fault: throttled ? 'server' : 'client',
    $metadata: { httpStatusCode: throttled ? 503 : 400 },
    message: `${code} (simulated)`,
  });
  return new AwsCallError(operation, 'us-east-1', cause);
}

function fakeEc2(options: FakeOptions = {}) {
  const calls: string[] = [];
  const fail = (call: string) => {
    calls.push(call);
    const error = options.errors?.[call];
    if (error !== undefined) throw error;
  };
  const ec2: RetirementEc2 = {
    async findReferences(imageId) {
      fail(`findReferences ${imageId}`);
      return options.references?.[imageId] ?? [];
    },
    async describeLaunchPermissions(imageId) {
      fail(`describeLaunchPermissions ${imageId}`);
      return options.launchPermissions?.[imageId] ?? [];
    },
    async enableDeprecation(imageId, at) {
      fail(`enableDeprecation ${imageId} ${at.toISOString()}`);
    },
    async deregister(imageId) {
      fail(`deregister ${imageId}`);
      const snapshotIds = inventory.find((i) => i.imageId === imageId)?.snapshotIds ?? [];
      return {
        snapshotResults: snapshotIds.map((snapshotId) => ({
          snapshotId,
          returnCode: options.returnCodes?.[snapshotId] ?? 'success',
        })),
      };
    },
    async deleteSnapshot(snapshotId) {
      fail(`deleteSnapshot ${snapshotId}`);
    },
  };
  const inventory: ObservedImage[] = [];
  return { ec2, calls, inventory };
}

function recorder() {
  const published: ToolEvent[] = [];
  const logs: Array<{ level: string; message: string; extra: Record<string, unknown>[] }> = [];
  const events: EventPublisher = {
    async publish(entries) {
      published.push(...entries);
    },
  };
  const log =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      logs.push({ level, message, extra });
  const logger: LoggerPort = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
  return { published, logs, events, logger };
}

describe('retireRegion', () => {
  interface Images {
    newest: ObservedImage;
    old1: ObservedImage;
    old2: ObservedImage;
    young: ObservedImage;
  }

  /**
   * us-east-1, keep 1, deprecate after 10 days, deregister after 30: `newest` is kept, `young` (5
   * days) is deprecated, `old1` (40 days, two snapshots) and `old2` (50 days) are deregistered.
   */
  function scenario(
    fake: (images: Images) => FakeOptions = () => ({}),
    { dryRun = false, stopAfter = Number.POSITIVE_INFINITY } = {},
  ) {
    const images: Images = {
      newest: src(1),
      old1: src(40, { snapshotIds: ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'] }),
      old2: src(50),
      young: src(5),
    };
    const all = [images.newest, images.old1, images.old2, images.young];
    const { ec2, calls, inventory } = fakeEc2(fake(images));
    inventory.push(...all);
    const rec = recorder();
    let asked = 0;
    const run = () =>
      retireRegion({
        region: 'us-east-1',
        accountId: ACCOUNT,
        managed: all.map((i) => asSource(i, APPLY)),
        sourcesByRule: new Map([['golden', all]]),
        rules: [APPLY],
        ec2,
        events: rec.events,
        logger: rec.logger,
        dryRun,
        now: NOW,
        shouldStop: () => asked++ >= stopAfter,
      });
    return { run, calls, rec, ...images };
  }

  it('observes references only for pending deregistrations, then deprecates, deregisters and announces', async () => {
    const { run, calls, rec, old1, old2, young } = scenario();
    const report = await run();
    expect(calls).toEqual([
      `findReferences ${old1.imageId}`,
      `findReferences ${old2.imageId}`,
      // Created 5 days ago at 12:00:30, deprecated 10 days after creation, rounded up to the minute.
      `enableDeprecation ${young.imageId} 2026-12-06T12:01:00.000Z`,
      `deregister ${old1.imageId}`,
      `deregister ${old2.imageId}`,
    ]);
    expect(report.planned).toEqual({ deprecate: 1, deregister: 2 });
    expect(report.applied).toEqual({ deprecate: 1, deregister: 2 });
    expect(report.failures).toEqual([]);
    expect(rec.published.filter((e) => e.detailType === DetailType.Deprecated)).toEqual([
      {
        detailType: DetailType.Deprecated,
        detail: {
          schemaVersion: 1,
          eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
          rule: 'golden',
          role: 'source',
          sourceImageId: young.imageId,
          sourceRegion: 'us-east-1',
          imageId: young.imageId,
          region: 'us-east-1',
          deprecationTime: '2026-12-06T12:01:00.000Z',
          reason: expect.any(String),
        },
        resources: [`arn:aws:ec2:us-east-1::image/${young.imageId}`],
        busRegion: 'us-east-1',
      },
    ]);
    expect(rec.published.filter((e) => e.detailType === DetailType.Deregistered)).toEqual([
      {
        detailType: DetailType.Deregistered,
        detail: {
          schemaVersion: 1,
          eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
          imageId: old1.imageId,
          region: 'us-east-1',
          rule: 'golden',
          role: 'source',
          sourceImageId: old1.imageId,
          sourceRegion: 'us-east-1',
          snapshotsDeleted: ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'],
          snapshotsNotDeleted: [],
          reason: expect.stringMatching(/^superseded/),
        },
        resources: [`arn:aws:ec2:us-east-1::image/${old1.imageId}`],
        busRegion: 'us-east-1',
      },
      expect.objectContaining({
        detailType: DetailType.Deregistered,
        detail: expect.objectContaining({ imageId: old2.imageId }),
      }),
    ]);
    const deletions = rec.logs.filter(
      (l) => l.message === 'AMI deregistered' || l.message === 'snapshot deleted',
    );
    expect(deletions.map((l) => `${l.level} ${l.message}`)).toEqual([
      'info AMI deregistered',
      'info snapshot deleted',
      'info snapshot deleted',
      'info AMI deregistered',
      'info snapshot deleted',
    ]);
    const plan = rec.logs.find((l) => l.message === 'retirement plan');
    expect(plan?.extra[0]?.lines).toEqual(report.lines);
    expect(report.lines.filter((l) => l.startsWith('-'))).toHaveLength(2);
  });

  it('deletes the snapshots DeregisterImage left, and reports one still in use without failing', async () => {
    const { run, calls, rec, old1 } = scenario(() => ({
      returnCodes: { 'snap-0aaaaaaaaaaaaaaa1': 'skipped', 'snap-0aaaaaaaaaaaaaaa2': 'missing-permissions' },
      errors: {
        'deleteSnapshot snap-0aaaaaaaaaaaaaaa1': ec2Error('InvalidSnapshot.InUse', 'DeleteSnapshot'),
      },
    }));
    const report = await run();
    expect(calls).toContain('deleteSnapshot snap-0aaaaaaaaaaaaaaa1');
    expect(calls).toContain('deleteSnapshot snap-0aaaaaaaaaaaaaaa2');
    // The snapshot DeregisterImage deleted itself is not deleted again.
    expect(calls.filter((c) => c.startsWith('deleteSnapshot'))).toHaveLength(2);
    expect(report.failures).toEqual([]);
    expect(report.retired.find((r) => r.imageId === old1.imageId)?.snapshots).toEqual([
      { snapshotId: 'snap-0aaaaaaaaaaaaaaa1', outcome: 'in-use', detail: expect.stringContaining('InUse') },
      { snapshotId: 'snap-0aaaaaaaaaaaaaaa2', outcome: 'deleted' },
    ]);
    expect(rec.published.find((e) => e.detailType === DetailType.Deregistered)?.detail).toMatchObject({
      snapshotsDeleted: ['snap-0aaaaaaaaaaaaaaa2'],
      snapshotsNotDeleted: [{ snapshotId: 'snap-0aaaaaaaaaaaaaaa1', outcome: 'in-use' }],
    });
    expect(rec.logs.some((l) => l.level === 'warn' && /another image uses it/.test(l.message))).toBe(true);
  });

  it('a failure on one image does not stop the others, and is reported with its code', async () => {
    const { run, calls, rec, old1, old2 } = scenario(({ old1 }) => ({
      errors: { [`deregister ${old1.imageId}`]: ec2Error('UnauthorizedOperation', 'DeregisterImage') },
    }));
    const report = await run();
    expect(calls).toContain(`deregister ${old2.imageId}`);
    expect(report.applied).toEqual({ deprecate: 1, deregister: 1 });
    expect(report.retired.map((r) => r.imageId)).toEqual([old2.imageId]);
    expect(report.failures).toEqual([
      {
        imageId: old1.imageId,
        operation: 'DeregisterImage',
        region: 'us-east-1',
        code: 'UnauthorizedOperation',
        message: expect.stringContaining('UnauthorizedOperation'),
        retryable: false,
      },
    ]);
    // Nothing is announced for the image that was not deregistered.
    expect(
      rec.published.flatMap((p) => (p.detailType === DetailType.Deregistered ? [p.detail.imageId] : [])),
    ).toEqual([old2.imageId]);
  });

  it('a referenced image survives, with the reference reported; a failed lookup refuses as well', async () => {
    const { run, calls, old1, old2 } = scenario(({ old1, old2 }) => ({
      references: { [old1.imageId]: [`instance i-0123456789abcdef0`] },
      errors: {
        [`findReferences ${old2.imageId}`]: ec2Error('RequestLimitExceeded', 'DescribeImageReferences'),
      },
    }));
    const report = await run();
    expect(calls.filter((c) => c.startsWith('deregister'))).toEqual([]);
    expect(report.refused).toEqual([
      { imageId: old1.imageId, reason: 'referenced by instance i-0123456789abcdef0' },
      { imageId: old2.imageId, reason: 'its references were not checked' },
    ]);
    expect(report.failures).toMatchObject([
      { imageId: old2.imageId, code: 'RequestLimitExceeded', retryable: true },
    ]);
    // Both are still deprecated: that is reversible and independent of references.
    expect(report.applied).toEqual({ deprecate: 3, deregister: 0 });
  });

  it('dry run: observes and plans, changes nothing, announces nothing', async () => {
    const { run, calls, rec } = scenario(undefined, { dryRun: true });
    const report = await run();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.startsWith('findReferences'))).toBe(true);
    expect(report.planned).toEqual({ deprecate: 1, deregister: 2 });
    expect(report.applied).toEqual({ deprecate: 0, deregister: 0 });
    expect(rec.published).toEqual([]);
  });

  it('stops applying once shouldStop says so', async () => {
    // Asked once per candidate while observing (two), then before each action: stops before the second action.
    const { run, calls } = scenario(undefined, { stopAfter: 3 });
    const report = await run();
    expect(report.stopped).toBe(true);
    expect(report.applied).toEqual({ deprecate: 1, deregister: 0 });
    expect(calls.filter((c) => c.startsWith('deregister'))).toEqual([]);
  });

  describe('an orphan copy is deregistered only once its source is confirmed gone', () => {
    const lookups: string[] = [];
    async function retireOrphan(
      lookupImage?: (region: string, imageId: string) => Promise<ObservedImage | undefined>,
    ) {
      const copy = orphan(40, 'eu-west-1', 'ami-0dead000000000000', 'us-east-1');
      const { ec2, calls, inventory } = fakeEc2();
      inventory.push(copy);
      const rec = recorder();
      const report = await retireRegion({
        region: 'eu-west-1',
        accountId: ACCOUNT,
        managed: [asCopy(copy, APPLY, 'ami-0dead000000000000', 'us-east-1')],
        sourcesByRule: new Map([['golden', [src(1)]]]),
        rules: [APPLY],
        ec2,
        ...(lookupImage === undefined ? {} : { lookupImage }),
        events: rec.events,
        logger: rec.logger,
        dryRun: false,
        now: NOW,
        shouldStop: () => false,
      });
      return { report, calls, copy };
    }

    it('looked up by id in its region and not found: deregistered', async () => {
      lookups.length = 0;
      const { report, copy } = await retireOrphan(async (region, imageId) => {
        lookups.push(`${region} ${imageId}`);
        return undefined;
      });
      expect(lookups).toEqual(['us-east-1 ami-0dead000000000000']);
      expect(report.retired.map((r) => r.imageId)).toEqual([copy.imageId]);
    });

    it('found deregistered: gone as well', async () => {
      const { report } = await retireOrphan(async (region, imageId) =>
        image({ region, imageId, state: 'deregistered' }),
      );
      expect(report.applied.deregister).toBe(1);
    });

    it('still there (it only stopped matching the rule, or its region was not listed): refused', async () => {
      const { report, calls } = await retireOrphan(async (region, imageId) => image({ region, imageId }));
      expect(calls.filter((c) => c.startsWith('deregister'))).toEqual([]);
      expect(report.refused.map((r) => r.reason)).toEqual([
        'its source ami-0dead000000000000 (us-east-1) was not confirmed gone',
      ]);
    });

    it('no lookup given: refused, never inferred from the listing', async () => {
      const { report } = await retireOrphan();
      expect(report.applied).toEqual({ deprecate: 1, deregister: 0 });
      expect(report.refused).toHaveLength(1);
    });

    it('the lookup fails: refused, and the failure reported', async () => {
      const { report } = await retireOrphan(async () => {
        throw ec2Error('RequestLimitExceeded', 'DescribeImages');
      });
      expect(report.applied.deregister).toBe(0);
      expect(report.failures).toMatchObject([{ operation: 'DescribeImages', retryable: true }]);
    });
  });

  describe('launch permissions are read only where they decide', () => {
    /** us-east-1, rule APPLY (no notLaunchedForDays): every image but the newest is due. */
    async function retireImages(images: ObservedImage[], options: FakeOptions) {
      const all = [src(1), ...images];
      const { ec2, calls, inventory } = fakeEc2(options);
      inventory.push(...all);
      const rec = recorder();
      const report = await retireRegion({
        region: 'us-east-1',
        accountId: ACCOUNT,
        managed: all.map((i) => asSource(i, APPLY)),
        sourcesByRule: new Map([['golden', all]]),
        rules: [APPLY],
        ec2,
        events: rec.events,
        logger: rec.logger,
        dryRun: false,
        now: NOW,
        shouldStop: () => false,
      });
      return { report, reads: calls.filter((c) => c.startsWith('describeLaunchPermissions')) };
    }

    it('for unreferenced images launched within the shared-image window; a shared one is refused', async () => {
      const shared = src(40, { lastLaunchedTime: ago(10) });
      const unshared = src(41, { lastLaunchedTime: ago(10) });
      const idle = src(42, { lastLaunchedTime: ago(60) });
      const never = src(43);
      const referenced = src(44, { lastLaunchedTime: ago(10) });
      const { report, reads } = await retireImages([shared, unshared, idle, never, referenced], {
        launchPermissions: { [shared.imageId]: [{ kind: 'account', id: '444455556666' }] },
        references: { [referenced.imageId]: ['instance i-0123456789abcdef0'] },
      });
      expect(reads).toEqual([
        `describeLaunchPermissions ${shared.imageId}`,
        `describeLaunchPermissions ${unshared.imageId}`,
      ]);
      expect(report.retired.map((r) => r.imageId)).toEqual([unshared.imageId, idle.imageId, never.imageId]);
      expect(report.refused).toEqual([
        {
          imageId: shared.imageId,
          reason: expect.stringMatching(/^launched 10 days ago .* and it is shared with 1 account: /),
        },
        { imageId: referenced.imageId, reason: 'referenced by instance i-0123456789abcdef0' },
      ]);
    });

    it('a failed read refuses the image as possibly shared, and is reported', async () => {
      const image = src(40, { lastLaunchedTime: ago(10) });
      const { report } = await retireImages([image], {
        errors: {
          [`describeLaunchPermissions ${image.imageId}`]: ec2Error(
            'RequestLimitExceeded',
            'DescribeImageAttribute',
          ),
        },
      });
      expect(report.applied.deregister).toBe(0);
      expect(report.refused.map((r) => r.reason)).toEqual([
        expect.stringContaining('its launch permissions were not read, so it may be shared'),
      ]);
      expect(report.failures).toMatchObject([
        { imageId: image.imageId, operation: 'DescribeImageAttribute', retryable: true },
      ]);
    });
  });

  it('errors that are not AWS call failures propagate', async () => {
    const { run } = scenario(({ old1 }) => ({
      errors: { [`deregister ${old1.imageId}`]: new TypeError('bug') },
    }));
    await expect(run()).rejects.toThrow(TypeError);
  });
});

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

        const deregistered = new Set(
          plan.actions.filter((a) => a.kind === 'deregister').map((a) => a.imageId),
        );
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
        for (const action of plan.actions) {
          if (action.kind !== 'deregister') continue;
          expect(action.deleteSnapshots).toBe(true);
          expect(action.snapshotIds).toEqual(byId.get(action.imageId)?.image.snapshotIds);
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
