import { createHash } from 'node:crypto';
import type { Rule } from '../rules/schema.js';
import { AmiLifecycleError, AwsCallError } from './errors.js';
import type { ImageDetail, ObservedImage } from './model.js';
import {
  type Detail,
  type DetailInput,
  DetailType,
  imageArn,
  SCHEMA_VERSION,
  toolEvent,
} from './notifications.js';
import { observeDetail } from './observe.js';
import { plan } from './plan.js';
import type { ClaimsForRegion, CompletionClaims, Ec2ForRegion, EventPublisher, LoggerPort } from './ports.js';

/**
 * Completion of a distribution: every target region has an available copy, and the source and
 * every copy are shared and tagged as the rule says (the planner has nothing left to do for the
 * family). It is announced once per source image and distribution (targets and grantees): a claim
 * in the source region's table decides who announces, whoever observes completion first (a copy's
 * `available` event, a repeat of it, or the schedule).
 *
 * Order: every copy available (one cheap listing per region) → claim → the family observed in full
 * (released when something is left to do) → publish → mark published → tag the source. Claiming
 * before the full check means that of several observers only one reads the whole family. The tag
 * (`ami-lifecycle:distributed` = the distribution's fingerprint) lets later observers skip the
 * family without reading anything else. A crash after publishing and before marking leaves a
 * claim whose lease runs out, and the next observer publishes again: the event's `eventId` is the
 * same, so consumers can drop the repeat.
 */

export const DISTRIBUTED_TAG = 'ami-lifecycle:distributed';

/** Another invocation is announcing this family right now; retrying later finds it announced (or takes over). */
export class CompletionInProgressError extends AmiLifecycleError {
  readonly retryable = true;
}

export interface CompletionDependencies {
  readonly ec2: Ec2ForRegion;
  readonly events: EventPublisher;
  readonly claims: ClaimsForRegion;
  readonly logger: LoggerPort;
  /** Who claims: the invocation's request id. */
  readonly owner: string;
  readonly now: () => Date;
  /** Waits between claims while another invocation holds one; injectable so tests need not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type CompletionResult =
  | { readonly status: 'announced'; readonly detail: Detail<typeof DetailType.DistributionCompleted> }
  | { readonly status: 'already-announced' }
  | { readonly status: 'incomplete'; readonly reason: string };

/** The copies of the source in a region, whatever their state; throws `AwsCallError` when the region cannot be read. */
export type CopiesIn = (region: string) => Promise<readonly ObservedImage[]>;

/** What makes one distribution of a source: its targets and who may launch it. Changing either is a new distribution. */
export function distributionFingerprint(rule: Rule, sourceRegion: string): string {
  const share = rule.share;
  return createHash('sha256')
    .update(
      JSON.stringify([
        targetRegions(rule, sourceRegion).sort(),
        [...(share?.accounts ?? [])].sort(),
        [...(share?.organizations ?? [])].sort(),
        [...(share?.organizationalUnits ?? [])].sort(),
        share?.public === true && share.allowPublic,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}

export function targetRegions(rule: Rule, sourceRegion: string): string[] {
  return (rule.copy?.regions ?? []).filter((r) => r !== sourceRegion);
}

/** Whether the source carries the tag of this distribution's announcement. */
export function isAnnounced(rule: Rule, source: ObservedImage): boolean {
  return source.tags[DISTRIBUTED_TAG] === distributionFingerprint(rule, source.region);
}

export function sharedWith(rule: Rule): Detail<typeof DetailType.DistributionCompleted>['sharedWith'] {
  return {
    accounts: [...(rule.share?.accounts ?? [])],
    organizations: [...(rule.share?.organizations ?? [])],
    organizationalUnits: [...(rule.share?.organizationalUnits ?? [])],
    public: rule.share?.public === true && rule.share.allowPublic,
  };
}

type RegionStatus = Detail<typeof DetailType.DistributionCompleted>['regions'][number];

/** A target region's status from its copies: the best one counts (available, then pending, then failed). */
export function regionStatus(region: string, copies: readonly ObservedImage[]): RegionStatus {
  const rank = (image: ObservedImage) =>
    image.state === 'available' ? 0 : image.state === 'pending' ? 1 : image.state === 'failed' ? 2 : 3;
  const best = [...copies].sort((a, b) => rank(a) - rank(b))[0];
  if (best === undefined) return { region, role: 'copy', status: 'missing', reason: 'no copy started' };
  if (best.state === 'available' || best.state === 'pending') {
    return { region, role: 'copy', imageId: best.imageId, status: best.state };
  }
  return {
    region,
    role: 'copy',
    imageId: best.imageId,
    status: 'failed',
    reason: best.stateReason || `copy is ${best.state}`,
  };
}

/**
 * Every target region's status; a region that cannot be read is `unreadable`, never a thrown error.
 * With `untilIncomplete`, regions are read one after the other and the reading stops at the first
 * one without an available copy: a completion check then costs one call while copies are still
 * arriving, instead of one per region for every copy's event.
 */
export async function familyStatus(
  rule: Rule,
  source: ObservedImage,
  copiesIn: CopiesIn,
  options: { readonly untilIncomplete?: boolean } = {},
): Promise<{ regions: RegionStatus[]; copies: Map<string, readonly ObservedImage[]> }> {
  const copies = new Map<string, readonly ObservedImage[]>();
  const statusOf = async (region: string): Promise<RegionStatus> => {
    try {
      const found = await copiesIn(region);
      copies.set(region, found);
      return regionStatus(region, found);
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      return { region, role: 'copy', status: 'unreadable', reason: `${error.code}: ${error.message}` };
    }
  };
  const regions = targetRegions(rule, source.region);
  let targets: RegionStatus[];
  if (options.untilIncomplete) {
    targets = [];
    for (const region of regions) {
      const status = await statusOf(region);
      targets.push(status);
      if (status.status !== 'available') break;
    }
  } else {
    targets = await Promise.all(regions.map(statusOf));
  }
  const own: RegionStatus = {
    region: source.region,
    role: 'source',
    imageId: source.imageId,
    status: source.state === 'available' ? 'available' : source.state === 'pending' ? 'pending' : 'failed',
    ...(source.state === 'available' ? {} : { reason: `source is ${source.state}` }),
  };
  return { regions: [own, ...targets], copies };
}

/**
 * Announces the family's completion if it is complete and not yet announced. Read-only until
 * every copy is available; then a claim (given back when the full check finds work left, or a
 * call fails), one PutEvents, one UpdateItem and one CreateTags. Throws
 * `CompletionInProgressError` when another invocation still holds the claim after the waits, and
 * `AwsCallError` when a call fails, so the caller's retry finishes the announcement.
 */
export async function announceIfComplete(
  rule: Rule,
  source: ObservedImage,
  accountId: string,
  deps: CompletionDependencies,
  copiesIn: CopiesIn = (region) => deps.ec2(region).findCopies(source.imageId, source.region),
): Promise<CompletionResult> {
  const { ec2, logger } = deps;
  if (isAnnounced(rule, source)) return { status: 'already-announced' };
  if (source.state !== 'available') return { status: 'incomplete', reason: `source is ${source.state}` };

  // Cheap first: a listing per target region, up to the first without an available copy.
  const { regions, copies } = await familyStatus(rule, source, copiesIn, { untilIncomplete: true });
  const waiting = regions.filter((r) => r.status !== 'available');
  if (waiting.length > 0) {
    return {
      status: 'incomplete',
      reason: waiting.map((r) => `${r.region} ${r.status}`).join(', '),
    };
  }

  // Claim before the full check: of several observers (copies finishing together), one checks and
  // announces while the others wait for its answer, instead of each reading the whole family.
  const fingerprint = distributionFingerprint(rule, source.region);
  const key = `${source.region}/${source.imageId}/${fingerprint}`;
  const claims = deps.claims(source.region);
  const outcome = await claimPatiently(claims, key, deps);
  if (outcome === 'published') {
    // Announced by another invocation; its tag may not be written yet (or its write failed).
    const current = await ec2(source.region).describeImage(source.imageId);
    if (current !== undefined && !isAnnounced(rule, current)) {
      await ec2(source.region).createTags([source.imageId], { [DISTRIBUTED_TAG]: fingerprint });
    }
    return { status: 'already-announced' };
  }

  // In full: the planner must have nothing left to do for the source or any copy.
  let remaining: number;
  try {
    remaining = await changesLeft(rule, source, copies, accountId, ec2);
  } catch (error) {
    await claims.release(key, deps.owner);
    throw error;
  }
  if (remaining > 0) {
    await claims.release(key, deps.owner);
    return { status: 'incomplete', reason: `${remaining} change(s) still to make` };
  }

  const input: DetailInput<typeof DetailType.DistributionCompleted> = {
    rule: rule.name,
    sourceImageId: source.imageId,
    sourceRegion: source.region,
    imageName: source.name,
    regions,
    sharedWith: sharedWith(rule),
    completedAt: deps.now().toISOString(),
  };
  const event = toolEvent(
    DetailType.DistributionCompleted,
    input,
    [source.region, source.imageId, fingerprint],
    {
      resources: regions.flatMap((r) => (r.imageId ? [imageArn(r.region, r.imageId)] : [])),
      busRegion: source.region,
    },
  );
  try {
    await deps.events.publish([event]);
  } catch (error) {
    await claims.release(key, deps.owner);
    throw error;
  }
  if (!(await claims.published(key, deps.owner))) {
    logger.warn(`completion of ${source.imageId}: the claim was taken over after its lease ran out`, {
      sourceImageId: source.imageId,
      key,
    });
  }
  await ec2(source.region).createTags([source.imageId], { [DISTRIBUTED_TAG]: fingerprint });
  logger.info(`distribution of ${source.imageId} complete: ${regions.length} region(s)`, {
    sourceImageId: source.imageId,
    rule: rule.name,
    regions: regions.map((r) => `${r.region}:${r.imageId ?? ''}`),
  });
  return {
    status: 'announced',
    detail: { schemaVersion: SCHEMA_VERSION, eventId: event.detail.eventId, ...input },
  };
}

/** Waits before asking again while another invocation holds the claim (7.7 s in all). */
const CLAIM_WAITS_MS = [200, 500, 1000, 2000, 4000];

/**
 * A claim, waiting a few seconds for a live claim of another invocation to be published (it
 * usually is within a second), so two copies finishing together do not end in a failed
 * invocation. Throws `CompletionInProgressError` when the claim is still held after the waits.
 */
async function claimPatiently(
  claims: CompletionClaims,
  key: string,
  deps: CompletionDependencies,
): Promise<'claimed' | 'published'> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (const wait of [...CLAIM_WAITS_MS, undefined]) {
    const outcome = await claims.claim(key, deps.owner);
    if (outcome !== 'in-progress') return outcome;
    if (wait === undefined) break;
    await sleep(wait);
  }
  throw new CompletionInProgressError(
    `completion of ${key} is being announced by another invocation; a retry confirms it`,
  );
}

/** How many changes the planner would still make to the family, observed in full now. */
async function changesLeft(
  rule: Rule,
  source: ObservedImage,
  copies: ReadonlyMap<string, readonly ObservedImage[]>,
  accountId: string,
  ec2: Ec2ForRegion,
): Promise<number> {
  const [sourceDetail, targetDetails] = await Promise.all([
    observeDetail(rule, source, accountId, ec2(source.region)),
    Promise.all(
      [...copies].map(async ([region, found]) => {
        const available = found.filter((c) => c.state === 'available');
        const details = await Promise.all(
          available.map((copy) => observeDetail(rule, copy, accountId, ec2(region))),
        );
        return [region, details] as const;
      }),
    ),
  ]);
  const remaining = plan(rule, {
    accountId,
    sourceImageId: source.imageId,
    sourceRegion: source.region,
    source: sourceDetail,
    targets: Object.fromEntries(
      targetDetails.map(([region, details]) => [
        region,
        { status: 'observed' as const, copies: details.map((d: ImageDetail) => d.image), details },
      ]),
    ),
  });
  return remaining.actions.length;
}
