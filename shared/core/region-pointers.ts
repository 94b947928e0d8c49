import { ruleRegions } from '../rules/publish.js';
import type { Rule } from '../rules/schema.js';
import { type Action, type PlanNote, subjectImageIds } from './actions.js';
import type { RegionInventory } from './observe-region.js';
import { planPointers } from './plan-pointers.js';
import { type ObservedPointers, type Release, releaseOfCopyTags, releaseOrder } from './pointers-model.js';
import type { ManagedImage } from './retire-decide.js';

/**
 * The scheduled reconcile's view of the pointers in one region: which rules have pointers here,
 * which release each should name (the pin's, else the newest available here), and which images
 * retirement must keep because a pointer names them.
 */

/** The rules with pointers in `region`. */
export function publishingRulesIn(rules: readonly Rule[], region: string): Rule[] {
  return rules.filter((r) => r.publish !== undefined && ruleRegions(r).includes(region));
}

/**
 * Images retirement keeps, with why: the images the rules' parameters name, the images of the
 * named templates' default and latest versions, and the images here of a rule's pinned release.
 */
export function protectedImages(
  pointers: ReadonlyMap<string, ObservedPointers>,
  managed: readonly ManagedImage[],
): Map<string, string> {
  const kept = new Map<string, string>();
  for (const observed of pointers.values()) {
    for (const parameter of observed.parameters.values()) {
      kept.set(parameter.value, `SSM parameter ${parameter.name} names it`);
    }
    for (const [label, template] of observed.templates) {
      for (const [which, version] of [
        ['default', template?.defaultVersion],
        ['latest', template?.latestVersion],
      ] as const) {
        if (version?.imageId !== undefined) {
          kept.set(version.imageId, `launch template ${label}'s ${which} version ${version.number} uses it`);
        }
      }
    }
    const pin = observed.state?.pin;
    if (pin === undefined) continue;
    for (const m of managed) {
      if (m.rule.name === observed.rule && m.sourceImageId === pin.sourceImageId) {
        kept.set(
          m.image.imageId,
          `rule ${observed.rule} is pinned to its release ${pin.sourceImageId} (rollback)`,
        );
      }
    }
  }
  return kept;
}

/** The release of a managed image, from what the run listed (no read). */
export function releaseOfManaged(m: ManagedImage, sourcesByRule: RegionInventory['sourcesByRule']): Release {
  if (m.role === 'source') {
    return {
      sourceImageId: m.sourceImageId,
      sourceRegion: m.sourceRegion,
      order: releaseOrder(m.image.creationDate, m.sourceImageId),
    };
  }
  const tagged = releaseOfCopyTags(m.image, m.sourceImageId, m.sourceRegion);
  if (tagged !== undefined) return tagged;
  const source = (sourcesByRule.get(m.rule.name) ?? []).find(
    (s) => s.imageId === m.sourceImageId && s.region === m.sourceRegion,
  );
  return {
    sourceImageId: m.sourceImageId,
    sourceRegion: m.sourceRegion,
    order: releaseOrder(source?.creationDate, m.sourceImageId),
  };
}

/** Whether the image can be pointed at: available, and not deprecated. */
function usable(m: ManagedImage, now: Date): boolean {
  if (m.image.state !== 'available') return false;
  const deprecation =
    m.image.deprecationTime === undefined ? Number.NaN : Date.parse(m.image.deprecationTime);
  return Number.isNaN(deprecation) || deprecation > now.getTime();
}

/**
 * The release a rule's pointers should name here, with its image: the release of `only` when
 * given (a pin: its image available), else the newest whose image is usable.
 */
export function chooseRelease(
  inventory: RegionInventory,
  ruleName: string,
  now: Date,
  only?: string,
): { m: ManagedImage; release: Release } | undefined {
  return inventory.managed
    .filter((m) => m.rule.name === ruleName && m.image.region === inventory.region)
    .filter((m) =>
      only === undefined ? usable(m, now) : m.sourceImageId === only && m.image.state === 'available',
    )
    .map((m) => ({ m, release: releaseOfManaged(m, inventory.sourcesByRule) }))
    .sort((a, b) => b.release.order.localeCompare(a.release.order))[0];
}

/**
 * The pointer actions of the region's plan: per rule with pointers here, `planPointers` toward the
 * pinned release (when pinned) or the newest release whose image here is usable, each move after
 * that image's own actions in `family` (its tags and shares), so a pointer moves only to an image
 * shared and tagged.
 */
export function planRegionPointers(
  inventory: RegionInventory,
  family: readonly Action[],
  now: Date,
): { actions: Action[]; notes: PlanNote[] } {
  const { region } = inventory;
  const actions: Action[] = [];
  const notes: PlanNote[] = [];
  for (const [ruleName, observed] of inventory.pointers) {
    const pin = observed.state?.pin;
    const chosen = chooseRelease(inventory, ruleName, now, pin?.sourceImageId);
    const rule = chosen?.m.rule;
    if (rule === undefined || chosen === undefined) {
      notes.push({
        region,
        message: `rule ${ruleName}: ${pin === undefined ? 'no release is available here' : `its pinned release ${pin.sourceImageId} has no available image here`}; pointers left as they are`,
      });
      continue;
    }
    const { imageId } = chosen.m.image;
    const after = family
      .filter((a) => a.region === region && a.kind !== 'announce' && subjectImageIds(a).includes(imageId))
      .map((a) => a.id);
    const plan = planPointers(rule, region, { release: chosen.release, imageId, after }, observed, {
      kind: 'forward',
    });
    actions.push(...plan.actions);
    notes.push(...plan.notes);
  }
  return { actions, notes };
}
