import { describe, expect, it } from 'vitest';
import { LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import {
  ceilMinute,
  decideRetirement,
  decisionFor,
  type ManagedImage,
  nextMinute,
  type RetirementDecision,
  toManagedImage,
} from '../../shared/core/retire-decide.js';
import { RuleSchema } from '../../shared/rules/schema.js';
import { image } from './builders.js';
import { asCopy, copyOf, NEXT_MINUTE, NOW, retireRule, src } from './retire-fixtures.js';

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
  {
    name: 'the disable stage: due once the image is disableAfterDays old',
    reason: 'disabling comes between deprecation and deregistration, each due at its own age',
    run: () => {
      const rule = retireRule({
        keep: 1,
        deprecateAfterDays: 7,
        disableAfterDays: 14,
        deregisterAfterDays: 30,
      });
      const [kept, young, due, older] = [src(1), src(10), src(20), src(40)];
      const decisions = decideRetirement(rule, [kept, young, due, older] as ObservedImage[], NOW);
      const stages = (i: ObservedImage | undefined) => {
        const d = decisions.get(i?.imageId ?? '');
        return d?.kind === 'retire' ? [d.disable, d.deregister] : d?.kind;
      };
      expect([kept, young, due, older].map(stages)).toEqual([
        'keep',
        [false, false],
        [true, false],
        [true, true],
      ]);
    },
  },
  {
    name: 'a disabled image older than every kept one goes on to deregistration',
    reason: 'the rule disables superseded images itself; disabled, it is not ranked but still retired',
    run: () => {
      const rule = retireRule({ keep: 1, disableAfterDays: 14, deregisterAfterDays: 30 });
      const disabled = src(40, { state: 'disabled' });
      const decisions = decideRetirement(rule, [src(1), disabled], NOW);
      expect(decisions.get(disabled.imageId)).toMatchObject({
        kind: 'retire',
        disable: true,
        deregister: true,
      });
    },
  },
  {
    name: 'a disabled image newer than a kept one is left to people',
    reason: 'the tool never disables what it keeps, so someone else turned it off deliberately',
    run: () => {
      const rule = retireRule({ keep: 1, disableAfterDays: 14, deregisterAfterDays: 30 });
      const disabled = src(1, { state: 'disabled' });
      const decisions = decideRetirement(rule, [disabled, src(40)], NOW);
      expect(decisions.get(disabled.imageId)?.kind).toBe('skip');
    },
  },
  {
    name: 'a disabled image, the family keeping nothing available: left to people',
    reason: 'with no kept image to compare with, retiring it could remove the last image of its family',
    run: () => {
      const rule = retireRule({ keep: 1, disableAfterDays: 14, deregisterAfterDays: 30 });
      const disabled = src(40, { state: 'disabled' });
      expect(decideRetirement(rule, [disabled], NOW).get(disabled.imageId)?.kind).toBe('skip');
    },
  },
  {
    name: 'a disabled image without a disable stage: left to people',
    reason: 'the rule never disables, so whoever disabled it decides what happens next',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });
      const disabled = src(40, { state: 'disabled' });
      const decision = decideRetirement(rule, [src(1), disabled], NOW).get(disabled.imageId);
      expect(decision).toMatchObject({
        kind: 'skip',
        reason: expect.stringMatching(/no retire.disableAfterDays/),
      });
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

describe('decisionFor: sources and rules without retirement', () => {
  const rule = retireRule({ keep: 1, deregisterAfterDays: 30 });

  it('a source gets its own decision', () => {
    const old = src(40);
    const decisions = decideRetirement(rule, [old, src(1)], NOW);
    const entry: ManagedImage = {
      image: old,
      rule,
      role: 'source',
      sourceImageId: old.imageId,
      sourceRegion: old.region,
    };
    expect(decisionFor(entry, decisions, NOW)).toBe(decisions.get(old.imageId));
  });

  it('a source missing from the observed sources is skipped, never retired', () => {
    const stray = src(400);
    const entry: ManagedImage = {
      image: stray,
      rule,
      role: 'source',
      sourceImageId: stray.imageId,
      sourceRegion: stray.region,
    };
    expect(decisionFor(entry, new Map(), NOW)).toMatchObject({
      kind: 'skip',
      reason: expect.stringMatching(/not among the sources observed/),
    });
  });

  it('a rule without retire keeps everything', () => {
    const plain = RuleSchema.parse({ name: 'golden', match: { regions: ['us-east-1'] } });
    const old = src(400);
    expect(decideRetirement(plain, [old], NOW).get(old.imageId)?.kind).toBe('keep');
    expect(
      decisionFor(asCopy(copyOf(old, 'eu-west-1', 400), plain, old.imageId, old.region), new Map(), NOW),
    ).toMatchObject({ kind: 'keep' });
  });

  it('an orphan without a creation date cannot be aged: skipped', () => {
    const copy = src(0, { region: 'eu-west-1', creationDate: undefined });
    expect(
      decisionFor(asCopy(copy, rule, 'ami-0dead000000000000', 'us-east-1'), new Map(), NOW),
    ).toMatchObject({ kind: 'skip', reason: expect.stringMatching(/without a creation date/) });
  });
});

describe('toManagedImage', () => {
  const rule = retireRule({ keep: 1 });
  const img: ObservedImage = image({ region: 'eu-west-1' });

  it('a source is its own source, in its own region', () => {
    expect(toManagedImage(img, { kind: 'source', rule })).toEqual({
      image: img,
      rule,
      role: 'source',
      sourceImageId: img.imageId,
      sourceRegion: 'eu-west-1',
    });
  });

  it('a copy keeps the lineage it was identified with', () => {
    expect(
      toManagedImage(img, {
        kind: 'copy',
        rule,
        sourceImageId: 'ami-0dead000000000000',
        sourceRegion: 'us-east-1',
      }),
    ).toEqual({
      image: img,
      rule,
      role: 'copy',
      sourceImageId: 'ami-0dead000000000000',
      sourceRegion: 'us-east-1',
    });
  });

  it('unmanaged, refused and ambiguous images are not managed', () => {
    expect(toManagedImage(img, { kind: 'unmanaged', reason: 'no rule matches it' })).toBeUndefined();
    expect(toManagedImage(img, { kind: 'refused', reason: 'lineage tags not confirmed' })).toBeUndefined();
    expect(toManagedImage(img, { kind: 'ambiguous', rules: [rule, rule] })).toBeUndefined();
  });
});

describe('deprecation times are whole minutes, never in the past', () => {
  it('ceilMinute rounds up, and keeps a whole minute', () => {
    expect(ceilMinute(Date.parse('2026-12-08T08:15:10.000Z'))).toBe(Date.parse('2026-12-08T08:16:00.000Z'));
    expect(ceilMinute(Date.parse('2026-12-08T08:16:00.000Z'))).toBe(Date.parse('2026-12-08T08:16:00.000Z'));
  });

  it('nextMinute is strictly after now, even on a whole minute', () => {
    expect(nextMinute(NOW)).toBe(NEXT_MINUTE.getTime());
    expect(nextMinute(new Date('2026-12-01T12:01:00.000Z'))).toBe(Date.parse('2026-12-01T12:02:00.000Z'));
  });
});
