import type { Rule } from '../rules/schema.js';
import type { Action, PlanNote } from './actions.js';
import { type ActionOutcome, applyPlan } from './apply.js';
import { countBy, groupBy } from './collections.js';
import {
  announceIfComplete,
  type CompletionDependencies,
  CompletionInProgressError,
  isAnnounced,
} from './completion.js';
import { renderAction, renderPlan } from './diff.js';
import { AwsCallError } from './errors.js';
import { type ImageRole, identifyImage } from './identify.js';
import type { ImageDetail, LaunchPermission, Observation, ObservedImage } from './model.js';
import { observeDetail } from './observe.js';
import { plan } from './plan.js';
import { runLimited } from './pool.js';
import type { Ec2ForRegion, Ec2Reader, EventPublisher, LoggerPort } from './ports.js';
import { type RetirementReport, retireRegion, toManagedImage } from './retire.js';
import type { RetirementEc2ForRegion } from './retirement-ports.js';

/**
 * The scheduled repair: the same observe → plan → apply as the event path, over every image a
 * rule manages, for ONE region. A run changes only its own region (tags and shares of the images
 * there, copies into it, since CopyImage is called in the destination), and only reads elsewhere
 * (the sources of copies). Regions are independent — each has its own rate limits and copy limit —
 * so runs for different regions go in parallel (one scheduled invocation per regional stack, or
 * one task per region in the CLI), and 16 regions take about as long as one.
 *
 * It repairs what events missed: copies that were never started or that failed (retried with a
 * new token generation), permissions missing, tags drifted. It never has more than
 * `maxCopiesInFlight` copies pending in its region (the rest wait for the next run), stops starting
 * work once `shouldStop` says so (before the Lambda timeout), and a run after convergence plans
 * nothing, so it makes no mutating call.
 */

export interface ReconcileDependencies {
  readonly rules: readonly Rule[];
  /** The account the tool runs in. */
  readonly accountId: string;
  readonly ec2: Ec2ForRegion;
  readonly logger: LoggerPort;
  /**
   * Retirement of old images, for rules with a `retire` section: without it the run only
   * distributes. Deletions are announced on `events`.
   */
  readonly retirement?: {
    readonly ec2: RetirementEc2ForRegion;
    readonly events: EventPublisher;
    readonly now: () => Date;
  };
  /**
   * Announcing completed distributions of this region's sources that no event announced (the
   * events were missed, or the family completed through this run). Without it the run does not
   * announce.
   */
  readonly completion?: Omit<CompletionDependencies, 'ec2' | 'logger'>;
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

export interface ReconcileFailure {
  readonly action: string;
  readonly operation: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** One managed image of the region, as `ami-lifecycle status` shows it. */
export interface ImageStatus {
  readonly imageId: string;
  readonly name: string;
  readonly role: 'source' | 'copy';
  readonly rule: string;
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  readonly state: string;
  readonly deprecationTime?: string;
  /** Launch permissions granted (accounts, organizations, OUs, public), when observed. */
  readonly sharedWith?: number;
  /** Changes this run planned for the image (tags, shares). */
  readonly pendingChanges: number;
}

export interface ReconcileReport {
  readonly region: string;
  /** When the run started (ISO 8601). */
  readonly startedAt: string;
  readonly dryRun: boolean;
  readonly durationMs: number;
  /** Images the rules manage in this region. */
  readonly managed: { readonly sources: number; readonly copies: number };
  /** Actions planned (after the copy cap), by kind. */
  readonly planned: Readonly<Record<string, number>>;
  readonly applied: Readonly<Record<string, number>>;
  readonly failures: readonly ReconcileFailure[];
  /** Copies pending in the region when the run started. */
  readonly copiesInFlight: number;
  /** Copies the cap held back for a later run. */
  readonly deferredCopies: number;
  /** Actions not started because the run had to stop; the next run does them. */
  readonly skipped: number;
  readonly stoppedEarly: boolean;
  readonly diff: readonly string[];
  readonly notes: readonly string[];
  /** Every managed image of the region (sources here and copies here). */
  readonly images: readonly ImageStatus[];
  /** Sources of this region whose completed distribution this run announced. */
  readonly announced: readonly string[];
  /** What retirement did in this region (rules with `retire` only). */
  readonly retirement?: RetirementReport;
  /** Sources (in any region) that should have a copy here but have none started yet. */
  readonly missingCopies: readonly {
    readonly sourceImageId: string;
    readonly sourceRegion: string;
    readonly rule: string;
  }[];
}

/** One managed image of the region and what it is. */
interface Managed {
  readonly image: ObservedImage;
  readonly role: Extract<ImageRole, { kind: 'source' | 'copy' }>;
}

interface ManagedCopy extends Managed {
  readonly role: Extract<ImageRole, { kind: 'copy' }>;
}

export async function reconcileRegion(
  deps: ReconcileDependencies,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const started = Date.now();
  const { region } = options;
  const { rules, accountId, ec2, logger } = deps;
  const shouldStop = options.shouldStop ?? (() => false);
  const notes: PlanNote[] = [];
  const progress = (phase: ReconcileProgress['phase'], done: number, total: number) =>
    options.onProgress?.({ region, phase, done, total });

  // --- List: every image that can concern this region, each listing made once. -------------
  const listings = new Map<string, Promise<ObservedImage[]>>();
  const list = (where: string, owners: readonly string[], names?: readonly string[]) => {
    const key = JSON.stringify([where, [...owners].sort(), names ? [...names].sort() : null]);
    let listing = listings.get(key);
    if (listing === undefined) {
      listing = ec2(where).listImages(names === undefined ? { owners } : { owners, names });
      listings.set(key, listing);
    }
    return listing;
  };
  // A lookup for identification that answers from listings of the region when it can.
  const known = new Map<string, ObservedImage>();
  // Each image not in a listing is described at most once a run, however many copies point at it.
  const described = new Map<string, Promise<ObservedImage | undefined>>();
  const lookup = async (where: string, imageId: string) => {
    const key = `${where}/${imageId}`;
    const listed = known.get(key);
    if (listed !== undefined) return listed;
    let found = described.get(key);
    if (found === undefined) {
      found = ec2(where).describeImage(imageId);
      described.set(key, found);
    }
    return found;
  };
  const identify = (image: ObservedImage) => identifyImage(image, rules, accountId, lookup);

  const sourceRules = rules.filter((r) => r.match.regions.includes(region));
  const targetRules = rules.filter((r) => r.copy?.regions.includes(region));
  progress('list', 0, 1);

  // This region's own images: copies made into it, and its self-owned sources.
  const own = await list(region, ['self']);
  for (const image of own) known.set(`${region}/${image.imageId}`, image);

  // Sources of every rule that copies into this region or picks up sources here, per source region.
  const sourcesByRule = new Map<string, ObservedImage[]>();
  /** Rules with a source region that could not be listed: retirement must not rank their families on a partial view. */
  const partiallyListed = new Set<string>();
  await Promise.all(
    [...new Set([...sourceRules, ...targetRules])].map(async (rule) => {
      const found: ObservedImage[] = [];
      for (const where of rule.match.regions) {
        let images: ObservedImage[];
        try {
          images = await list(where, rule.match.owners, rule.match.names);
        } catch (error) {
          if (!(error instanceof AwsCallError) || where === region) throw error;
          notes.push({
            region: where,
            message: `rule ${rule.name}: sources in ${where} not read: ${error.message}`,
          });
          partiallyListed.add(rule.name);
          continue;
        }
        for (const image of images) {
          known.set(`${where}/${image.imageId}`, image);
          const role = await identify(image);
          if (role.kind === 'source' && role.rule.name === rule.name) found.push(image);
          if (role.kind === 'ambiguous' && where === region) {
            notes.push({
              region,
              imageId: image.imageId,
              message: `matches ${role.rules.length} rules (${role.rules.map((r) => r.name).join(', ')}); left alone`,
            });
          }
        }
      }
      sourcesByRule.set(rule.name, found);
    }),
  );

  // The copies in this region, by source.
  const copies: ManagedCopy[] = [];
  for (const image of own) {
    const role = await identify(image);
    if (role.kind === 'copy') copies.push({ image, role });
  }
  const sourcesHere: Managed[] = sourceRules.flatMap((rule) =>
    (sourcesByRule.get(rule.name) ?? [])
      .filter((image) => image.region === region)
      .map((image) => ({ image, role: { kind: 'source' as const, rule } })),
  );
  progress('list', 1, 1);

  // --- Observe in full: the sources here and the available copies here. ---------------------
  const toDetail = [...sourcesHere, ...copies.filter((c) => c.image.state === 'available')];
  const reader = await prefetch(ec2(region), toDetail, accountId);
  const details = new Map<string, ImageDetail>();
  let observed = 0;
  await runLimited(
    toDetail,
    options.concurrency,
    async ({ image, role }) => {
      details.set(image.imageId, await observeDetail(role.rule, image, accountId, reader));
      progress('observe', ++observed, toDetail.length);
    },
    shouldStop,
  );

  // --- Plan: the same planner as the event path, one observation per image family. ----------
  const actions: Action[] = [];
  const addPlan = (rule: Rule, observation: Observation) => {
    const result = plan(rule, observation);
    actions.push(...result.actions.filter((a) => a.region === region));
    notes.push(...result.notes.filter((n) => n.region === region));
  };
  for (const { image, role } of sourcesHere) {
    const detail = details.get(image.imageId);
    if (detail === undefined) continue;
    addPlan(role.rule, {
      accountId,
      sourceImageId: image.imageId,
      sourceRegion: region,
      source: detail,
      targets: {},
    });
  }
  const copiesBySource = groupBy(copies, (c) => c.role.sourceImageId);
  const planned = new Set<string>();
  for (const rule of targetRules) {
    for (const source of sourcesByRule.get(rule.name) ?? []) {
      if (source.region === region) continue;
      const found = copiesBySource.get(source.imageId) ?? [];
      for (const c of found) planned.add(c.image.imageId);
      addPlan(rule, {
        accountId,
        sourceImageId: source.imageId,
        sourceRegion: source.region,
        sourceImage: source,
        targets: {
          [region]: {
            status: 'observed',
            copies: found.map((c) => c.image),
            details: found.flatMap((c) => details.get(c.image.imageId) ?? []),
          },
        },
      });
    }
  }
  // Copies whose source is gone or unreadable: still shared and tagged; nothing to copy from.
  for (const { image, role } of copies) {
    if (planned.has(image.imageId)) continue;
    const detail = details.get(image.imageId);
    addPlan(role.rule, {
      accountId,
      sourceImageId: role.sourceImageId,
      sourceRegion: role.sourceRegion,
      targets: { [region]: { status: 'observed', copies: [image], details: detail ? [detail] : [] } },
    });
  }

  // --- The copy cap: newest sources first, the rest wait for the next run. ------------------
  const copiesInFlight = own.filter((i) => i.state === 'pending' && i.sourceImageId !== undefined).length;
  const slots = Math.max(0, options.maxCopiesInFlight - copiesInFlight);
  const creation = new Map([...sourcesByRule.values()].flat().map((i) => [i.imageId, i.creationDate ?? '']));
  const copyActions = actions
    .filter((a) => a.kind === 'copy')
    .sort(
      (a, b) =>
        (creation.get(b.sourceImageId) ?? '').localeCompare(creation.get(a.sourceImageId) ?? '') ||
        a.sourceImageId.localeCompare(b.sourceImageId),
    );
  const deferred = new Set(copyActions.slice(slots));
  if (deferred.size > 0) {
    notes.push({
      region,
      message: `${deferred.size} copy(ies) deferred: ${copiesInFlight} in flight, cap ${options.maxCopiesInFlight}`,
    });
  }
  const toApply = actions.filter((a) => !(a.kind === 'copy' && deferred.has(a)));
  const thePlan = { actions: toApply, notes };
  const diff = renderPlan(thePlan);

  // --- Apply. ------------------------------------------------------------------------------
  let outcomes: ActionOutcome[] = [];
  if (!options.dryRun && toApply.length > 0) {
    let applied = 0;
    outcomes = await applyPlan(thePlan, ec2, {
      concurrency: options.concurrency,
      shouldStop: () => {
        const stop = shouldStop();
        if (!stop) progress('apply', applied++, toApply.length);
        return stop;
      },
    });
    progress('apply', toApply.length, toApply.length);
  }

  // --- Announce: completed families of this region's sources, not announced yet. -------------
  // After convergence every source carries its announcement tag, so this reads nothing.
  const announced: string[] = [];
  const completionFailures: ReconcileFailure[] = [];
  if (deps.completion !== undefined && !options.dryRun) {
    // A source this run changed was listed before the change: it is read again before its check,
    // unless one of its changes failed (then it is not complete anyway).
    const changed = new Set<string>();
    const failedHere = new Set<string>();
    for (const o of outcomes) {
      if (o.action.kind === 'copy') continue;
      (o.status === 'applied' ? changed : failedHere).add(o.action.imageId);
    }
    const candidates = sourcesHere.filter(
      ({ image, role }) =>
        image.state === 'available' && !failedHere.has(image.imageId) && !isAnnounced(role.rule, image),
    );
    const completion = { ...deps.completion, ec2, logger };
    await runLimited(
      candidates,
      options.concurrency,
      async ({ image, role }) => {
        // The copies from one listing per target region, shared by every family of the run.
        const copiesIn = async (where: string) =>
          (await list(where, ['self'])).filter(
            (c) =>
              c.sourceImageId === image.imageId && (c.sourceImageRegion ?? image.region) === image.region,
          );
        try {
          const current = changed.has(image.imageId) ? await ec2(region).describeImage(image.imageId) : image;
          if (current === undefined) return;
          const result = await announceIfComplete(role.rule, current, accountId, completion, copiesIn);
          if (result.status === 'announced') announced.push(image.imageId);
        } catch (error) {
          if (!(error instanceof AwsCallError) && !(error instanceof CompletionInProgressError)) throw error;
          completionFailures.push({
            action: `announce completion of ${image.imageId}`,
            operation: error instanceof AwsCallError ? error.operation : 'ClaimCompletion',
            code: error instanceof AwsCallError ? error.code : error.name,
            message: error.message,
            retryable: error.retryable,
          });
        }
      },
      shouldStop,
    );
  }

  // --- Retire: after distribution, on the same listings. ------------------------------------
  let retirement: RetirementReport | undefined;
  const retiringRules = [...sourceRules, ...targetRules].filter((r) => r.retire !== undefined);
  if (deps.retirement !== undefined && retiringRules.length > 0 && !shouldStop()) {
    retirement = await retireRegion({
      region,
      accountId,
      managed: [...sourcesHere, ...copies].flatMap(({ image, role }) => toManagedImage(image, role) ?? []),
      sourcesByRule: new Map([...sourcesByRule].filter(([name]) => !partiallyListed.has(name))),
      rules: retiringRules,
      ec2: deps.retirement.ec2(region),
      events: deps.retirement.events,
      logger,
      dryRun: options.dryRun,
      now: deps.retirement.now(),
      shouldStop,
      // An orphan copy is deleted only once its source is confirmed gone in its own region.
      lookupImage: lookup,
    });
  }

  const failures: ReconcileFailure[] = outcomes.flatMap((o) =>
    o.status === 'failed'
      ? [
          {
            action: renderAction(o.action),
            operation: o.error.operation,
            code: o.error.code,
            message: o.error.message,
            retryable: o.error.retryable,
          },
        ]
      : [],
  );
  failures.push(...completionFailures);
  const skipped = outcomes.filter((o) => o.status === 'skipped').length;
  for (const failure of failures) logger.error(`failed: ${failure.action}`, { ...failure });
  // Retirement is part of the run: its counts, diff lines and failures join the distribution's.
  for (const f of retirement?.failures ?? []) {
    failures.push({
      action: `retire ${f.imageId}${f.snapshotId ? ` (${f.snapshotId})` : ''}`,
      operation: f.operation,
      code: f.code,
      message: f.message,
      retryable: f.retryable,
    });
  }
  const withRetirement = (counts: Record<string, number>, extra?: Readonly<Record<string, number>>) => {
    for (const [kind, n] of Object.entries(extra ?? {})) if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
    return counts;
  };
  const changes = countBy(
    toApply.filter((a) => a.kind !== 'copy'),
    (a) => a.imageId,
  );
  const images: ImageStatus[] = [...sourcesHere, ...copies].map(({ image, role }) => {
    const launchPermissions = details.get(image.imageId)?.launchPermissions;
    return {
      imageId: image.imageId,
      name: image.name,
      role: role.kind,
      rule: role.rule.name,
      sourceImageId: role.kind === 'copy' ? role.sourceImageId : image.imageId,
      sourceRegion: role.kind === 'copy' ? role.sourceRegion : region,
      state: image.state,
      ...(image.deprecationTime ? { deprecationTime: image.deprecationTime } : {}),
      ...(launchPermissions ? { sharedWith: launchPermissions.length + (image.isPublic ? 1 : 0) } : {}),
      pendingChanges: changes[image.imageId] ?? 0,
    };
  });
  const missingCopies = copyActions.map((a) => ({
    sourceImageId: a.sourceImageId,
    sourceRegion: a.sourceRegion,
    rule: a.rule,
  }));
  return {
    region,
    startedAt: new Date(started).toISOString(),
    dryRun: options.dryRun,
    durationMs: Date.now() - started,
    managed: { sources: sourcesHere.length, copies: copies.length },
    planned: withRetirement(
      countBy(toApply, (a) => a.kind),
      retirement?.planned,
    ),
    applied: withRetirement(
      countBy(
        outcomes.filter((o) => o.status === 'applied'),
        (o) => o.action.kind,
      ),
      retirement?.applied,
    ),
    failures,
    copiesInFlight,
    deferredCopies: deferred.size,
    skipped,
    stoppedEarly: skipped > 0 || observed < toDetail.length || retirement?.stopped === true,
    diff: [...diff, ...(retirement?.lines ?? [])],
    notes: notes.map((n) => `${n.imageId ? `${n.imageId}: ` : ''}${n.message}`),
    images,
    missingCopies,
    announced,
    ...(retirement === undefined ? {} : { retirement }),
  };
}

/**
 * Reads in bulk what observing each image would read one by one, and returns a reader that
 * answers from it. Per image, EC2 needs DescribeImageAttribute (and DescribeSnapshotAttribute per
 * snapshot); across a region's images, listings answer the same questions in a few paginated
 * calls: which own images each shared account can launch (DescribeImages ExecutableBy), which own
 * snapshots it can create volumes from (DescribeSnapshots RestorableBy), and every snapshot's tags
 * (DescribeSnapshots by id, batched). Organizations and OUs have no such listing: images of rules
 * that share with them are read one by one.
 */
async function prefetch(ec2: Ec2Reader, managed: readonly Managed[], accountId: string): Promise<Ec2Reader> {
  const rulesOf = new Map(managed.map((m) => [m.role.rule.name, m.role.rule]));
  const listable = (rule: Rule) =>
    rule.share !== undefined &&
    rule.share.organizations.length === 0 &&
    rule.share.organizationalUnits.length === 0;
  const others = (ids: readonly string[]) => ids.filter((id) => id !== accountId);
  const launchAccounts = [
    ...new Set([...rulesOf.values()].filter(listable).flatMap((r) => others(r.share?.accounts ?? []))),
  ];
  const volumeAccounts = [
    ...new Set(
      [...rulesOf.values()]
        .filter((r) => r.share?.snapshotPermissions)
        .flatMap((r) => others(r.share?.accounts ?? [])),
    ),
  ];
  const snapshotIds = [...new Set(managed.flatMap((m) => m.image.snapshotIds))];
  const [snapshots, executable, restorable] = await Promise.all([
    snapshotIds.length > 0 ? ec2.describeSnapshots(snapshotIds) : [],
    Promise.all(launchAccounts.map(async (a) => [a, await ec2.imagesExecutableBy(a)] as const)),
    Promise.all(volumeAccounts.map(async (a) => [a, await ec2.snapshotsRestorableBy(a)] as const)),
  ]);
  const snapshotById = new Map(snapshots.map((s) => [s.snapshotId, s]));
  const launch = new Map<string, LaunchPermission[]>();
  for (const { image, role } of managed) {
    if (!listable(role.rule)) continue;
    launch.set(
      image.imageId,
      executable.filter(([, ids]) => ids.has(image.imageId)).map(([id]) => ({ kind: 'account', id })),
    );
  }
  const volume = new Map<string, string[]>(
    snapshotIds.map((id) => [id, restorable.filter(([, ids]) => ids.has(id)).map(([account]) => account)]),
  );
  return {
    ...ec2,
    describeSnapshots: async (ids) => {
      const missing = ids.filter((id) => !snapshotById.has(id));
      const fetched = missing.length > 0 ? await ec2.describeSnapshots(missing) : [];
      return [...ids.flatMap((id) => snapshotById.get(id) ?? []), ...fetched];
    },
    describeLaunchPermissions: async (imageId) =>
      launch.get(imageId) ?? ec2.describeLaunchPermissions(imageId),
    describeCreateVolumeUserIds: async (snapshotId) =>
      volumeAccounts.length > 0
        ? (volume.get(snapshotId) ?? ec2.describeCreateVolumeUserIds(snapshotId))
        : ec2.describeCreateVolumeUserIds(snapshotId),
  };
}
