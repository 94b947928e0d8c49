import type { Rule } from '../rules/schema.js';
import { type Action, actionId, type Plan, type PlanNote } from './actions.js';
import { publishAnnouncements } from './announcements.js';
import { type ActionOutcome, applyPlan } from './apply.js';
import { observeRegion, type RegionInventory } from './observe-region.js';
import { planPointers } from './plan-pointers.js';
import type { Pin, Release } from './pointers-model.js';
import type { Ec2ForRegion, EventPublisher, SsmForRegion } from './ports.js';
import { chooseRelease, releaseOfManaged } from './region-pointers.js';
import type { ManagedImage } from './retire-decide.js';

/**
 * Rollback and unpin of one rule's pointers, in the regions asked: observe each region as the
 * reconcile does, plan (pure), apply with the one applier.
 *
 * - Rollback to a release: in each region, its image there re-enabled if disabled and un-deprecated
 *   if deprecated, then every pointer moved to it, then the rule state pinned to it, so new
 *   releases leave the pointers alone (the pin is kept in AWS, so the functions honour it).
 * - Unpin: the pin removed in each region, and the pointers moved forward to the newest release
 *   whose image there is usable.
 */

export type RollbackTarget =
  | { readonly kind: 'previous' }
  | { readonly kind: 'image'; readonly imageId: string };

export interface PointerCommandDependencies {
  readonly rule: Rule;
  readonly rules: readonly Rule[];
  readonly accountId: string;
  readonly regions: readonly string[];
  readonly ec2: Ec2ForRegion;
  readonly ssm: SsmForRegion;
  readonly now: Date;
  readonly concurrency: number;
}

export interface RegionPointerPlan {
  readonly region: string;
  readonly plan: Plan;
}

/** Why a rollback cannot be planned: an input problem (exit 2), never an AWS failure. */
export class RollbackInputError extends Error {}

async function observeAll(deps: PointerCommandDependencies): Promise<RegionInventory[]> {
  return Promise.all(
    deps.regions.map((region) =>
      observeRegion({
        rules: deps.rules,
        region,
        accountId: deps.accountId,
        ec2: deps.ec2,
        ssm: deps.ssm,
        now: deps.now,
        concurrency: deps.concurrency,
        retirement: false,
      }),
    ),
  );
}

/** The release a rollback goes to: the one an image id names (a source, or a copy of the rule), or the one before the head. */
function targetRelease(rule: Rule, inventories: readonly RegionInventory[], target: RollbackTarget): Release {
  const managed = inventories.flatMap((i) => i.managed.filter((m) => m.rule.name === rule.name));
  const releaseOf = (m: ManagedImage) =>
    releaseOfManaged(m, inventories.find((i) => i.region === m.image.region)?.sourcesByRule ?? new Map());
  if (target.kind === 'image') {
    const found = managed.find((m) => m.image.imageId === target.imageId);
    if (found === undefined) {
      throw new RollbackInputError(
        `${target.imageId} is not an image of rule ${rule.name} in ${inventories.map((i) => i.region).join(', ')}`,
      );
    }
    return releaseOf(found);
  }
  const head = inventories.map((i) => i.pointers.get(rule.name)?.state?.head).find((h) => h !== undefined);
  if (head === undefined)
    throw new RollbackInputError(`rule ${rule.name} has no release its pointers name yet`);
  const older = managed
    .map(releaseOf)
    .filter((r) => r.order < head.order && r.sourceImageId !== head.sourceImageId)
    .sort((a, b) => b.order.localeCompare(a.order))[0];
  if (older === undefined)
    throw new RollbackInputError(`rule ${rule.name} has no release before ${head.sourceImageId}`);
  return older;
}

export async function planRollback(
  deps: PointerCommandDependencies,
  target: RollbackTarget,
  by: string,
): Promise<{ release: Release; plans: RegionPointerPlan[] }> {
  const { rule } = deps;
  const inventories = await observeAll(deps);
  const release = targetRelease(rule, inventories, target);
  const pin: Pin = {
    sourceImageId: release.sourceImageId,
    sourceRegion: release.sourceRegion,
    at: deps.now.toISOString(),
    by,
  };
  const plans = inventories.map((inventory): RegionPointerPlan => {
    const { region } = inventory;
    const observed = inventory.pointers.get(rule.name);
    if (observed === undefined) return nothing(region, `rule ${rule.name} has no pointers here`);
    const image = inventory.managed.find(
      (m) =>
        m.rule.name === rule.name && m.sourceImageId === release.sourceImageId && m.image.region === region,
    );
    const usable = image !== undefined && ['available', 'disabled'].includes(image.image.state);
    const revive: Action[] = image === undefined ? [] : reviveActions(image, release);
    const notes: PlanNote[] = usable
      ? []
      : [
          {
            region,
            message: `release ${release.sourceImageId} has no usable image here: pointers left as they are, pinned`,
          },
        ];
    const pointers = planPointers(
      rule,
      region,
      usable ? { release, imageId: image.image.imageId, after: revive.map((a) => a.id) } : undefined,
      observed,
      { kind: 'rollback', pin },
    );
    return {
      region,
      plan: { actions: [...revive, ...pointers.actions], notes: [...notes, ...pointers.notes] },
    };
  });
  return { release, plans: withAnnouncement(plans, rule, release, true, by) };
}

/**
 * The plans with one `AMI Rollback` announcement (in the first region's plan), waiting for every
 * region's rule state: it reports the regions whose pin changed.
 */
function withAnnouncement(
  plans: RegionPointerPlan[],
  rule: Rule,
  release: Pick<Release, 'sourceImageId' | 'sourceRegion'>,
  pinned: boolean,
  by: string,
): RegionPointerPlan[] {
  const states = plans.flatMap((p) =>
    p.plan.actions.filter((a) => a.kind === 'put-rule-state').map((a) => a.id),
  );
  const [first, ...rest] = plans;
  if (first === undefined || states.length === 0) return plans;
  const announce: Action = {
    kind: 'announce',
    id: actionId('announce', first.region, `rollback/${rule.name}`),
    region: first.region,
    waitsFor: states,
    announcement: { kind: 'rollback', rule: rule.name, ...release, pinned, by },
  };
  return [
    { region: first.region, plan: { ...first.plan, actions: [...first.plan.actions, announce] } },
    ...rest,
  ];
}

/** The image made launchable and undeprecated again, before the pointers move to it. */
function reviveActions(m: ManagedImage, release: Release): Action[] {
  const { imageId, region, state, deprecationTime } = m.image;
  const reason = `rollback to ${release.sourceImageId} (rule ${m.rule.name})`;
  const actions: Action[] = [];
  if (state === 'disabled') {
    actions.push({
      kind: 'enable-image',
      id: actionId('enable-image', region, imageId),
      region,
      imageId,
      reason,
    });
  }
  if (deprecationTime !== undefined) {
    actions.push({
      kind: 'undeprecate',
      id: actionId('undeprecate', region, imageId),
      region,
      imageId,
      reason,
    });
  }
  return actions;
}

export async function planUnpin(deps: PointerCommandDependencies, by: string): Promise<RegionPointerPlan[]> {
  const { rule } = deps;
  const inventories = await observeAll(deps);
  const pin = inventories.map((i) => i.pointers.get(rule.name)?.state?.pin).find((p) => p !== undefined);
  const plans = inventories.map((inventory) => {
    const { region } = inventory;
    const observed = inventory.pointers.get(rule.name);
    if (observed === undefined) return nothing(region, `rule ${rule.name} has no pointers here`);
    if (observed.state?.pin === undefined) return nothing(region, `rule ${rule.name} is not pinned here`);
    const chosen = chooseRelease(inventory, rule.name, deps.now);
    const target =
      chosen === undefined
        ? undefined
        : { release: chosen.release, imageId: chosen.m.image.imageId, after: [] };
    return { region, plan: planPointers(rule, region, target, observed, { kind: 'unpin' }) };
  });
  return pin === undefined ? plans : withAnnouncement(plans, rule, pin, false, by);
}

/** A region with nothing to do, and why. */
function nothing(region: string, message: string): RegionPointerPlan {
  return { region, plan: { actions: [], notes: [{ region, message }] } };
}

/** Applies the regions' plans together, announcing on the tool's bus. */
export function applyPointerPlans(
  plans: readonly RegionPointerPlan[],
  deps: { ec2: Ec2ForRegion; ssm: SsmForRegion; events: EventPublisher; concurrency: number },
): Promise<ActionOutcome[]> {
  return applyPlan(
    { actions: plans.flatMap((p) => p.plan.actions), notes: [] },
    { ec2: deps.ec2, ssm: deps.ssm, announce: publishAnnouncements(deps.events) },
    { concurrency: deps.concurrency },
  );
}
