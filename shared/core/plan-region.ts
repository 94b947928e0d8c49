import type { Rule } from '../rules/schema.js';
import {
  type Action,
  dropActions,
  isKind,
  type Plan,
  type PlanNote,
  sortByPhase,
  type TagAction,
} from './actions.js';
import { groupBy } from './collections.js';
import { planSnapshotSweep, RETIRED_TAG } from './deletion.js';
import { LINEAGE, type Observation } from './model.js';
import type { RegionInventory } from './observe-region.js';
import { planFamily } from './plan-family.js';
import { planRegionPointers } from './region-pointers.js';
import type { ManagedImage } from './retire-decide.js';
import { planRetirement, type RetirementRefusal } from './retire-plan.js';

/**
 * The plan of one region for the scheduled reconcile: a pure function of the rules and the
 * region's inventory (`observeRegion`). It is the event path's planner (`planFamily`) applied to
 * every family the region holds, plus what only a whole region shows:
 *
 * - the copy cap: at most `maxCopiesInFlight` copies pending here, counting those already pending,
 *   newest sources first; the rest are deferred to a later run;
 * - retirement (`planRetirement`), and no new copy of a source that retirement supersedes;
 * - the sweep of snapshots a deletion left behind;
 * - tags grouped across images: images (and snapshots) lacking the same tags are tagged in one
 *   CreateTags, up to EC2's 1,000 resources a call.
 */

export interface RegionPlanOptions {
  /** Copies pending here at most, counting those already pending (AWS allows 100). */
  readonly maxCopiesInFlight: number;
  readonly now: Date;
  /**
   * The run acts in a target account (`reconcileMember`): another account's sources are only
   * copied from, never tagged, and its own copies are tagged only at creation, by CopyImage (the
   * member role may tag nothing after): no tag action at all.
   */
  readonly copyOnly?: boolean;
}

export interface DeferredCopy {
  readonly rule: string;
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  /** `cap`: held back by the copy cap; `source-untagged`: waits for its source to be tagged in its region. */
  readonly why: 'cap' | 'source-untagged';
}

export interface RegionPlan extends Plan {
  readonly region: string;
  /**
   * Tag actions merged into another (`groupTags`): merged id → the id of the action that carries
   * it, so another region's action waiting for a merged one waits for the group.
   */
  readonly aliases: ReadonlyMap<string, string>;
  /** Copies pending here when the region was observed. */
  readonly copiesInFlight: number;
  /** The cap `resolvePlans` applies, once it knows which copies can start. */
  readonly maxCopiesInFlight: number;
  /** Copies due here that a later run starts. */
  readonly deferred: readonly DeferredCopy[];
  readonly refused: readonly RetirementRefusal[];
  readonly wouldDeregister: readonly RetirementRefusal[];
  readonly wouldDisable: readonly RetirementRefusal[];
}

export function planRegion(
  rules: readonly Rule[],
  inventory: RegionInventory,
  options: RegionPlanOptions,
): RegionPlan {
  const { region, accountId, details } = inventory;
  const notes: PlanNote[] = [...inventory.notes];

  const retirement = planRetirement({
    region,
    accountId,
    managed: inventory.managed,
    decisions: inventory.decisions,
    safety: inventory.safety,
    now: options.now,
    protectedImages: inventory.protectedImages,
  });
  notes.push(...retirement.notes);
  const deregistering = new Set(retirement.actions.filter(isKind('deregister')).map((a) => a.imageId));
  const superseded = new Set<string>();
  for (const decisions of inventory.decisions.values()) {
    for (const [imageId, decision] of decisions) if (decision.kind === 'retire') superseded.add(imageId);
  }

  const family: Action[] = [];
  const add = (rule: Rule, observation: Observation) => {
    const planned = planFamily(rule, observation, options.copyOnly ? { tagsAtCreationOnly: true } : {});
    for (const action of planned.actions) {
      if (action.kind === 'copy' && superseded.has(action.sourceImageId)) {
        notes.push({
          region,
          imageId: action.sourceImageId,
          message: 'no new copy: retirement supersedes the source',
        });
        continue;
      }
      family.push(action);
    }
    notes.push(...planned.notes.filter((n) => n.region === region));
  };
  const live = (m: ManagedImage) => !deregistering.has(m.image.imageId);

  // This region's sources.
  for (const m of inventory.managed.filter((m) => m.role === 'source' && live(m))) {
    if (options.copyOnly && m.image.ownerId !== accountId) continue;
    const detail = details.get(m.image.imageId);
    if (detail === undefined) continue;
    add(m.rule, {
      accountId,
      sourceImageId: m.image.imageId,
      sourceRegion: region,
      source: detail,
      targets: {},
      ...memberAccountsOf(inventory, m.rule),
    });
  }

  // Copies into this region, per source of every rule that copies here.
  const copies = inventory.managed.filter((m) => m.role === 'copy');
  const copiesBySource = groupBy(copies, (m) => `${m.sourceRegion}/${m.sourceImageId}`);
  const planned = new Set<string>();
  for (const rule of rules.filter((r) => r.copy?.regions.includes(region))) {
    for (const source of inventory.sourcesByRule.get(rule.name) ?? []) {
      // The account's own source is the image of its region; another account's gets a copy here.
      if (source.region === region && source.ownerId === accountId) continue;
      const found = copiesBySource.get(`${source.region}/${source.imageId}`) ?? [];
      for (const c of found) planned.add(c.image.imageId);
      add(rule, {
        accountId,
        sourceImageId: source.imageId,
        sourceRegion: source.region,
        sourceImage: source,
        targets: {
          [region]: {
            status: 'observed',
            copies: found.map((c) => c.image),
            details: found.filter(live).flatMap((c) => details.get(c.image.imageId) ?? []),
          },
        },
      });
    }
  }
  // Copies whose source is gone or not listed: still shared and tagged; nothing to copy from.
  for (const m of copies.filter((c) => !planned.has(c.image.imageId) && live(c))) {
    const detail = details.get(m.image.imageId);
    add(m.rule, {
      accountId,
      sourceImageId: m.sourceImageId,
      sourceRegion: m.sourceRegion,
      targets: { [region]: { status: 'observed', copies: [m.image], details: detail ? [detail] : [] } },
    });
  }

  const copiesInFlight = inventory.own.filter(
    (i) => i.state === 'pending' && i.sourceImageId !== undefined,
  ).length;

  // The tag records a deletion the tool already decided (retirement with `retire.apply`, or the
  // clean-up of a failed copy): any rule still in the file may finish it.
  const sweeping = rules.map((r) => r.name);
  const sweep = planSnapshotSweep(
    region,
    inventory.toolSnapshots.filter(
      (s) => s.tags[RETIRED_TAG] !== undefined && sweeping.includes(s.tags[LINEAGE.rule] ?? ''),
    ),
    inventory.own,
  );

  // Pointers follow the family's actions (a move waits for its image's tags and shares here).
  const pointers = planRegionPointers(inventory, family, options.now);
  notes.push(...pointers.notes);

  const { actions, aliases } = groupTags([...family, ...pointers.actions, ...retirement.actions, ...sweep]);
  return {
    region,
    actions: sortByPhase(actions),
    aliases,
    notes,
    copiesInFlight,
    maxCopiesInFlight: options.maxCopiesInFlight,
    deferred: [],
    refused: retirement.refused,
    wouldDeregister: retirement.wouldDeregister,
    wouldDisable: retirement.wouldDisable,
  };
}

/** EC2's limit on resources in one CreateTags call. */
const TAG_RESOURCES_PER_CALL = 1000;

/**
 * Tag actions that set the same tags, and that no other action of the region waits for, merged
 * into one CreateTags (up to 1,000 resources each): a source region tags a release of many images
 * in a few calls instead of one per image.
 */
function groupTags(actions: readonly Action[]): { actions: Action[]; aliases: Map<string, string> } {
  const awaited = new Set(actions.flatMap((a) => [...(a.after ?? []), ...(a.waitsFor ?? [])]));
  const aliases = new Map<string, string>();
  const merged: Action[] = [];
  const open = new Map<string, { index: number; action: TagAction }>();
  for (const action of actions) {
    if (action.kind !== 'tag' || awaited.has(action.id)) {
      merged.push(action);
      continue;
    }
    const key = JSON.stringify([
      action.region,
      action.changes.map((c) => [c.key, c.value, c.previous ?? null]),
    ]);
    const current = open.get(key);
    if (
      current !== undefined &&
      current.action.resourceIds.length + action.resourceIds.length <= TAG_RESOURCES_PER_CALL
    ) {
      const grown: TagAction = {
        ...current.action,
        imageIds: [...current.action.imageIds, ...action.imageIds],
        resourceIds: [...current.action.resourceIds, ...action.resourceIds],
      };
      merged[current.index] = grown;
      open.set(key, { index: current.index, action: grown });
      aliases.set(action.id, grown.id);
      continue;
    }
    open.set(key, { index: merged.length, action });
    merged.push(action);
  }
  return { actions: merged, aliases };
}

/**
 * Region plans to be applied together (one region alone, or all of a CLI run at once): an action
 * waiting (`after`) for another region's action is kept when that action is in one of the plans,
 * and otherwise left for a later run, with whatever waits for it. A copy of a source that its own
 * region has yet to tag is the case: the CLI tags and copies in one run; a region's schedule
 * copies once its source region's run (or the source's event) has tagged it.
 */
export function resolvePlans(plans: readonly RegionPlan[]): RegionPlan[] {
  const aliases = new Map(plans.flatMap((p) => [...p.aliases]));
  const rename = (ids: readonly string[] | undefined) => (ids ?? []).map((id) => aliases.get(id) ?? id);
  const present = new Set(plans.flatMap((p) => p.actions.map((a) => a.id)));
  const removed = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const action of plans.flatMap((p) => p.actions)) {
      if (removed.has(action.id)) continue;
      if (rename(action.after).some((id) => !present.has(id) || removed.has(id))) {
        removed.add(action.id);
        changed = true;
      }
    }
  }
  return plans.map((plan) => {
    const kept: Action[] = [];
    const deferred: DeferredCopy[] = [...plan.deferred];
    const notes: PlanNote[] = [...plan.notes];
    for (const action of plan.actions) {
      if (removed.has(action.id)) {
        if (action.kind === 'copy') {
          deferred.push({
            rule: action.rule,
            sourceImageId: action.sourceImageId,
            sourceRegion: action.sourceRegion,
            why: 'source-untagged',
          });
          notes.push({
            region: plan.region,
            imageId: action.sourceImageId,
            message: `copy deferred: it waits for its source to be tagged in ${action.sourceRegion}, so that it takes the rule's tags at creation`,
          });
        }
        continue;
      }
      const edges = {
        ...(action.after === undefined ? {} : { after: rename(action.after) }),
        ...(action.waitsFor === undefined
          ? {}
          : { waitsFor: rename(action.waitsFor).filter((id) => present.has(id) && !removed.has(id)) }),
      };
      kept.push({ ...action, ...edges });
    }
    return capCopies({ ...plan, actions: kept, deferred, notes });
  });
}

/**
 * The copy cap, on the copies that can start: at most `maxCopiesInFlight` pending here, counting
 * those already pending, newest sources first; the rest wait for a later run.
 */
function capCopies(plan: RegionPlan): RegionPlan {
  const slots = Math.max(0, plan.maxCopiesInFlight - plan.copiesInFlight);
  const byNewest = plan.actions
    .filter(isKind('copy'))
    .sort(
      (a, b) =>
        (b.sourceCreationDate ?? '').localeCompare(a.sourceCreationDate ?? '') ||
        a.sourceImageId.localeCompare(b.sourceImageId),
    );
  const capped = byNewest.slice(slots);
  if (capped.length === 0) return plan;
  return {
    ...plan,
    actions: dropActions(plan.actions, new Set(capped.map((a) => a.id))),
    deferred: [
      ...capped.map((a) => ({
        rule: a.rule,
        sourceImageId: a.sourceImageId,
        sourceRegion: a.sourceRegion,
        why: 'cap' as const,
      })),
      ...plan.deferred,
    ],
    notes: [
      ...plan.notes,
      {
        region: plan.region,
        message: `${capped.length} copy(ies) deferred: ${plan.copiesInFlight} in flight, cap ${plan.maxCopiesInFlight}`,
      },
    ],
  };
}

/** The images of the plan's copy actions and deferred copies: sources that have no copy here yet. */
export function missingCopies(plan: RegionPlan): DeferredCopy[] {
  return [
    ...plan.actions.filter(isKind('copy')).map((a) => ({
      rule: a.rule,
      sourceImageId: a.sourceImageId,
      sourceRegion: a.sourceRegion,
      why: 'cap' as const,
    })),
    ...plan.deferred,
  ];
}

/** The rule's target accounts, when it has any this run. */
function memberAccountsOf(inventory: RegionInventory, rule: Rule): { memberAccounts?: readonly string[] } {
  const accounts = inventory.targets?.get(rule.name);
  return accounts === undefined || accounts.length === 0 ? {} : { memberAccounts: accounts };
}
