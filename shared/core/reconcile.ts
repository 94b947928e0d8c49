import type { Rule } from '../rules/schema.js';
import { subjectImageIds } from './actions.js';
import { publishAnnouncements } from './announcements.js';
import { type ActionOutcome, applyPlan } from './apply.js';
import {
  type CompletionDependencies,
  CompletionInProgressError,
  isAnnounced,
  recordDone,
} from './completion.js';
import { copyKey } from './copy-cap.js';
import { AwsCallError } from './errors.js';
import { observeRegion, type RegionInventory } from './observe-region.js';
import { planRegion, resolvePlans } from './plan-region.js';
import type {
  CopySlots,
  CopySlotsForRegion,
  Ec2ForRegion,
  EventPublisher,
  KeysForRegion,
  LoggerPort,
  MetricsPort,
  SsmForRegion,
} from './ports.js';
import {
  buildReport,
  countReport,
  failureOf,
  type ReconcileFailure,
  type ReconcileReport,
} from './reconcile-report.js';
import { renderPlan } from './render.js';

export type { ImageStatus, ReconcileFailure, ReconcileReport } from './reconcile-report.js';

/**
 * The scheduled repair of ONE region: `observeRegion → planRegion → applyPlan → report`, the same
 * planner and applier as the event path, over every image the rules manage here. A run changes
 * only its own region (tags and shares of the images there, copies into it, since CopyImage is
 * called in the destination; retirement of the images there) and only reads elsewhere (the
 * sources of copies). Regions are independent, each with its own rate limits and copy limit, so
 * runs for different regions go in parallel (one scheduled invocation per regional stack, or one
 * task per region in the CLI).
 *
 * It repairs what events missed: copies never started or failed (a new attempt, a new token),
 * permissions missing or forbidden, tags drifted; it retires, and sweeps what a failed deletion
 * left. It never has more than `maxCopiesInFlight` copies pending in its region, stops starting
 * work once `shouldStop` says so, and a run after convergence plans nothing, so it makes no
 * mutating call and reads the same as the run before.
 */

export interface ReconcileDependencies {
  readonly rules: readonly Rule[];
  /** The account the tool acts for. */
  readonly accountId: string;
  readonly ec2: Ec2ForRegion;
  /** SSM, for the rules with pointers (`publish`). */
  readonly ssm?: SsmForRegion;
  /**
   * Rule name → its target accounts (`resolveTargets`), resolved once for the run: the sources are
   * shared with them, snapshots included, so each can copy them (`reconcileMember`).
   */
  readonly targets?: ReadonlyMap<string, readonly string[]>;
  /** KMS, for the pre-flight of sharing an encrypted source with target accounts. */
  readonly kms?: KeysForRegion;
  /** The run acts in a target account: see `RegionPlanOptions.copyOnly`. */
  readonly copyOnly?: boolean;
  readonly logger: LoggerPort;
  /** Where deprecations and deregistrations are announced. */
  readonly events: EventPublisher;
  readonly now: () => Date;
  /** Retire images of rules with a `retire` section (default: yes). */
  readonly retire?: boolean;
  /**
   * Recording what this run finds converged, and announcing the releases that completes (once,
   * through the claims). Without it the run does not announce completions.
   */
  readonly completion?: Omit<CompletionDependencies, 'ec2' | 'logger' | 'events' | 'now'>;
  /** The event path's copy slots, corrected from what the run sees (`CopySlots.resync`). */
  readonly copySlots?: CopySlotsForRegion;
  /** Repairs, deferred copies, failures and retirement of each region's run, for operators. */
  readonly metrics?: MetricsPort;
}

export interface ReconcileOptions {
  readonly region: string;
  /** Plan and report, change nothing. */
  readonly dryRun: boolean;
  /** Copies pending in this region at most, counting those already in flight; below AWS's limit. */
  readonly maxCopiesInFlight: number;
  /** EC2 calls in flight at once (reads and writes); the SDK's adaptive retries absorb throttling. */
  readonly concurrency: number;
  /** Asked before each call is started; true when the run must wrap up (near the Lambda timeout). */
  readonly shouldStop?: () => boolean;
  readonly onProgress?: (progress: ReconcileProgress) => void;
}

export interface ReconcileProgress {
  readonly region: string;
  readonly phase: 'list' | 'observe' | 'apply';
  readonly done: number;
  readonly total: number;
}

export interface ReconcileRegionsOptions extends Omit<ReconcileOptions, 'region'> {
  /** The regions, planned and applied together (see `resolvePlans`). */
  readonly regions: readonly string[];
}

/** One region's outcome of a run: its report, or why it could not be read. */
export type RegionResult =
  | { readonly region: string; readonly report: ReconcileReport }
  | { readonly region: string; readonly error: AwsCallError };

/** One region: see the module comment. Throws `AwsCallError` when the region cannot be read. */
export async function reconcileRegion(
  deps: ReconcileDependencies,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const [result] = await reconcileRegions(deps, { ...options, regions: [options.region] });
  if (result === undefined) throw new Error('reconcileRegions returned no result for one region');
  if ('error' in result) throw result.error;
  return result.report;
}

/**
 * Several regions in one run (the CLI's): each observed and planned as `reconcileRegion` does, and
 * the plans applied together, so an action waiting for another region's (a copy waiting for its
 * source's tags) is made in the same run. A region that cannot be read is a result, not a failure
 * of the run: the others still finish.
 */
export async function reconcileRegions(
  deps: ReconcileDependencies,
  options: ReconcileRegionsOptions,
): Promise<RegionResult[]> {
  const started = Date.now();
  const { rules, accountId, ec2 } = deps;
  const now = deps.now();
  const shouldStop = options.shouldStop ?? (() => false);
  const progress = (region: string, phase: ReconcileProgress['phase'], done: number, total: number) =>
    options.onProgress?.({ region, phase, done, total });

  type Observed = { region: string; inventory: RegionInventory } | { region: string; error: AwsCallError };
  const observed = await Promise.all(
    options.regions.map(async (region): Promise<Observed> => {
      progress(region, 'list', 0, 1);
      try {
        const inventory = await observeRegion({
          rules,
          region,
          accountId,
          ec2,
          ...(deps.ssm ? { ssm: deps.ssm } : {}),
          ...(deps.targets ? { targets: deps.targets } : {}),
          ...(deps.kms ? { kms: deps.kms } : {}),
          ...(deps.copyOnly ? { copyOnly: true } : {}),
          now,
          concurrency: options.concurrency,
          retirement: deps.retire !== false && rules.some((r) => r.retire !== undefined),
        });
        progress(region, 'list', 1, 1);
        progress(region, 'observe', inventory.managed.length, inventory.managed.length);
        return { region, inventory };
      } catch (error) {
        if (!(error instanceof AwsCallError)) throw error;
        return { region, error };
      }
    }),
  );
  const readable = observed.flatMap((o) => ('inventory' in o ? [o] : []));
  const plans = resolvePlans(
    readable.map(({ inventory }) =>
      planRegion(rules, inventory, {
        maxCopiesInFlight: options.maxCopiesInFlight,
        now,
        ...(deps.copyOnly ? { copyOnly: true } : {}),
      }),
    ),
  );

  let outcomes: ActionOutcome[] = [];
  const actions = plans.flatMap((p) => p.actions);
  if (!options.dryRun && actions.length > 0) {
    const regionOf = new Map(plans.flatMap((p) => p.actions.map((a) => [a.id, p.region] as const)));
    const begun = new Map<string, number>();
    outcomes = await applyPlan(
      { actions, notes: [] },
      { ec2, ...(deps.ssm ? { ssm: deps.ssm } : {}), announce: publishAnnouncements(deps.events) },
      {
        concurrency: options.concurrency,
        shouldStop,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
        onStart: (action) => {
          const region = regionOf.get(action.id) ?? action.region;
          const total = plans.find((p) => p.region === region)?.actions.length ?? 0;
          const done = (begun.get(region) ?? 0) + 1;
          begun.set(region, done);
          progress(region, 'apply', done, total);
        },
      },
    );
  }

  const results: RegionResult[] = [];
  for (const entry of observed) {
    if (!('inventory' in entry)) {
      results.push({ region: entry.region, error: entry.error });
      continue;
    }
    const { region, inventory } = entry;
    const plan = plans.find((p) => p.region === region);
    if (plan === undefined) throw new Error(`no plan for ${region}`);
    const ids = new Set(plan.actions.map((a) => a.id));
    const own = outcomes.filter((o) => ids.has(o.action.id));
    const slotFailures: ReconcileFailure[] = [];
    if (deps.copySlots !== undefined && !options.dryRun) {
      try {
        await resyncSlots(deps.copySlots(region), inventory, own, now);
      } catch (error) {
        if (!(error instanceof AwsCallError)) throw error;
        slotFailures.push(failureOf(`correct the copy slots of ${region}`, error));
      }
    }
    const completion =
      deps.completion === undefined || options.dryRun
        ? { announced: [], failures: [] }
        : await recordConverged(deps, deps.completion, inventory, own, shouldStop);
    const report = buildReport({
      region,
      started,
      dryRun: options.dryRun,
      inventory,
      plan,
      diff: renderPlan(plan),
      outcomes: own,
      announced: completion.announced,
      completionFailures: [...slotFailures, ...completion.failures],
    });
    if (deps.metrics !== undefined && !options.dryRun) countReport(report, deps.metrics);
    results.push({ region, report });
  }
  return results;
}

/**
 * Records, for every family here not announced yet, the images this run leaves converged (available,
 * and every change the plan had for them applied), and announces the releases that completes. After
 * convergence every source carries its announcement tag, so this writes nothing.
 */
async function recordConverged(
  deps: ReconcileDependencies,
  completion: NonNullable<ReconcileDependencies['completion']>,
  inventory: RegionInventory,
  outcomes: readonly ActionOutcome[],
  shouldStop: () => boolean,
): Promise<{ announced: string[]; failures: ReconcileFailure[] }> {
  const { region } = inventory;
  // Images with a change not applied (failed, or not started) are not converged.
  const unsettled = new Set(
    outcomes.filter((o) => o.status !== 'applied').flatMap((o) => subjectImageIds(o.action)),
  );
  const sources = new Map(
    [...inventory.sourcesByRule.values()].flat().map((s) => [`${s.region}/${s.imageId}`, s]),
  );
  const announced: string[] = [];
  const failures: ReconcileFailure[] = [];
  const recordDeps = {
    ...completion,
    ec2: deps.ec2,
    logger: deps.logger,
    events: deps.events,
    now: deps.now,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  };
  for (const m of inventory.managed) {
    if (shouldStop()) break;
    if (m.image.state !== 'available' || unsettled.has(m.image.imageId)) continue;
    const source = m.role === 'source' ? m.image : sources.get(`${m.sourceRegion}/${m.sourceImageId}`);
    if (source === undefined || source.state !== 'available' || isAnnounced(m.rule, source)) continue;
    try {
      const result = await recordDone(
        {
          rule: m.rule,
          sourceImageId: m.sourceImageId,
          sourceRegion: m.sourceRegion,
          imageName: source.name,
          region,
          imageId: m.image.imageId,
          sourceUntagged: true,
        },
        recordDeps,
      );
      if (result.status === 'announced') announced.push(m.sourceImageId);
    } catch (error) {
      if (!(error instanceof AwsCallError) && !(error instanceof CompletionInProgressError)) throw error;
      failures.push(failureOf(`record ${m.image.imageId} done for the release of ${m.sourceImageId}`, error));
    }
  }
  return { announced, failures };
}

/** How long a slot stays although its copy is not seen pending: a copy just started may not be listed yet. */
const SLOT_GRACE_MS = 10 * 60 * 1000;

/**
 * The region's copy slots, corrected from this run's view: a slot for every copy pending here or
 * started by this run, none for one whose copy is no longer pending (its event was lost), and no
 * deferred entry for a source that has its copy now. A failure is reported with the run's; the next
 * run corrects the slots again.
 */
async function resyncSlots(
  slots: CopySlots,
  inventory: RegionInventory,
  outcomes: readonly ActionOutcome[],
  now: Date,
): Promise<void> {
  const copies = inventory.managed.filter((m) => m.role === 'copy');
  const startedNow = outcomes.flatMap((o) =>
    o.status === 'applied' && o.action.kind === 'copy'
      ? [copyKey(o.action.sourceRegion, o.action.sourceImageId)]
      : [],
  );
  const pending = [
    ...inventory.own
      .filter(
        (i) => i.state === 'pending' && i.sourceImageId !== undefined && i.sourceImageRegion !== undefined,
      )
      .map((i) => copyKey(i.sourceImageRegion ?? '', i.sourceImageId ?? '')),
    ...startedNow,
  ];
  const present = [...copies.map((m) => copyKey(m.sourceRegion, m.sourceImageId)), ...startedNow];
  await slots.resync([...new Set(pending)], [...new Set(present)], new Date(now.getTime() - SLOT_GRACE_MS));
}
