import { type Action, type ActionOf, isKind } from '../../shared/core/actions.js';
import { LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import { decideRetirement, type ManagedImage } from '../../shared/core/retire-decide.js';
import {
  planRetirement,
  type RetirementPlan,
  type RetirementPlanInput,
  retirementCandidates,
  type SafetyFacts,
} from '../../shared/core/retire-plan.js';
import { type Rule, RuleSchema } from '../../shared/rules/schema.js';
import { ACCOUNT, image } from './builders.js';

/** Shared data of the retirement tests (`retire-*.test.ts`, `deletion.test.ts`). */

/** Not on a whole minute, so rounding shows. */
export const NOW = new Date('2026-12-01T12:00:30.000Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const NEXT_MINUTE = new Date('2026-12-01T12:01:00.000Z');

export function retireRule(
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

export const APPLY = retireRule({ keep: 1, deprecateAfterDays: 10, deregisterAfterDays: 30, apply: true });
export const DRY = retireRule({ keep: 1, deprecateAfterDays: 10, deregisterAfterDays: 30 });

export const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();

let serial = 0;
/** A managed source image, tagged by the tool, created `days` ago, with one snapshot. */
export function src(
  days: number,
  overrides: Partial<ObservedImage> = {},
  ruleName = 'golden',
): ObservedImage {
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
export function orphan(days: number, region: string, sourceImageId: string, sourceRegion: string) {
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
export function copyOf(
  source: ObservedImage,
  region: string,
  days: number,
  overrides: Partial<ObservedImage> = {},
) {
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

export const asSource = (img: ObservedImage, rule: Rule): ManagedImage => ({
  image: img,
  rule,
  role: 'source',
  sourceImageId: img.imageId,
  sourceRegion: img.region,
});

export const asCopy = (
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

/** Plans `region` (default us-east-1) for a rule over `sources` (all its managed sources), with `safety` facts. */
export function planFor(
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

/** The images a plan deprecates and deregisters, as `kind imageId`, in plan order. */
export function retirementsOf(plan: { readonly actions: readonly Action[] }): string[] {
  return plan.actions.flatMap((a) =>
    a.kind === 'deprecate' || a.kind === 'disable-image' || a.kind === 'deregister'
      ? [`${a.kind} ${a.imageId}`]
      : [],
  );
}

export const deregistered = (plan: { readonly actions: readonly Action[] }): string[] =>
  plan.actions.filter(isKind('deregister')).map((a) => a.imageId);

export function only<K extends Action['kind']>(
  plan: { readonly actions: readonly Action[] },
  kind: K,
): ActionOf<K>[] {
  return plan.actions.filter(isKind(kind));
}
