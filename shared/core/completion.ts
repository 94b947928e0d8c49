import { createHash } from 'node:crypto';
import { parameterNamesFor } from '../rules/publish.js';
import type { Rule } from '../rules/schema.js';
import { AmiLifecycleError, AwsCallError } from './errors.js';
import { elapsedMs } from './metrics.js';
import type { ObservedImage } from './model.js';
import {
  type Detail,
  type DetailInput,
  DetailType,
  imageArn,
  SCHEMA_VERSION,
  type ToolEvent,
  toolEvent,
} from './notifications.js';
import type {
  ClaimsForRegion,
  CompletionClaims,
  Ec2ForRegion,
  EventPublisher,
  LoggerPort,
  MetricsPort,
} from './ports.js';

/**
 * Completion of a distribution: the source and a copy in every target region are available, and
 * every change the rule asks for has been applied to each of them. It is announced once per source
 * image and distribution (targets and grantees), by whichever handler finishes the last change.
 *
 * How, without reading EC2: every handler (a source's or a copy's event, a reconcile run) that has
 * applied every change to its image records its region as done in the release's item, one atomic
 * write that returns every region done so far. The write that completes the set is the last
 * change; its writer claims the announcement (a lease in the source region's table, so of
 * duplicates finishing together one publishes), publishes, marks the claim published and tags the
 * source `ami-lifecycle:distributed=<fingerprint>`, so later runs skip the family without reading
 * anything else. A handler never gives up a completion because a sibling is still busy: the
 * sibling's own mark comes later, and it is the last.
 *
 * A crash after publishing and before marking leaves a claim whose lease runs out, and the next
 * handler to complete the set publishes again: the event's `eventId` is the same, so consumers can
 * drop the repeat.
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
  /** Releases completed and how long they took, counted by the invocation that announces. */
  readonly metrics?: MetricsPort;
}

export type CompletionResult =
  | { readonly status: 'announced'; readonly detail: Detail<typeof DetailType.DistributionCompleted> }
  | { readonly status: 'already-announced' }
  | { readonly status: 'incomplete'; readonly reason: string };

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

/** The key of a release in its source region's table: source, and distribution fingerprint. */
export function releaseKey(rule: Rule, sourceRegion: string, sourceImageId: string): string {
  return `${sourceRegion}/${sourceImageId}/${distributionFingerprint(rule, sourceRegion)}`;
}

export function sharedWith(rule: Rule): Detail<typeof DetailType.DistributionCompleted>['sharedWith'] {
  return {
    accounts: [...(rule.share?.accounts ?? [])],
    organizations: [...(rule.share?.organizations ?? [])],
    organizationalUnits: [...(rule.share?.organizationalUnits ?? [])],
    public: rule.share?.public === true && rule.share.allowPublic,
  };
}

/** One image of a release whose changes have all been applied. */
export interface DoneImage {
  readonly rule: Rule;
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  /**
   * The source's name, given by whoever records the source region: kept with the release, so
   * whichever region's handler completes it names the source without reading it.
   */
  readonly imageName?: string;
  /** The region done, and its image there (the source in the source region, else the copy). */
  readonly region: string;
  readonly imageId: string;
  /**
   * The caller saw the source without its announcement tag: if the release turns out announced
   * already (a crash between publishing and tagging), the tag is written now, so later runs skip
   * the family.
   */
  readonly sourceUntagged?: boolean;
}

/**
 * Records `done` and, when that completes the release, announces it. Reads no EC2; one DynamoDB
 * write when the release is still incomplete. Throws `CompletionInProgressError` when another
 * invocation still holds the claim after the waits, and `AwsCallError` when a call fails, so the
 * caller's retry finishes the announcement.
 */
export async function recordDone(done: DoneImage, deps: CompletionDependencies): Promise<CompletionResult> {
  const { rule, sourceRegion, sourceImageId } = done;
  const key = releaseKey(rule, sourceRegion, sourceImageId);
  const claims = deps.claims(sourceRegion);
  const { regions, imageName, firstDoneAt } = await claims.markDone(
    key,
    done.region,
    done.imageId,
    done.imageName,
  );
  const expected = [sourceRegion, ...targetRegions(rule, sourceRegion)];
  const waiting = expected.filter((r) => !regions.has(r));
  if (waiting.length > 0) return { status: 'incomplete', reason: `waiting for ${waiting.join(', ')}` };

  const outcome = await claimPatiently(claims, key, deps);
  const fingerprint = distributionFingerprint(rule, sourceRegion);
  if (outcome === 'published') {
    if (done.sourceUntagged === true) {
      await deps.ec2(sourceRegion).createTags([sourceImageId], { [DISTRIBUTED_TAG]: fingerprint });
    }
    return { status: 'already-announced' };
  }

  const input: DetailInput<typeof DetailType.DistributionCompleted> = {
    rule: rule.name,
    sourceImageId,
    sourceRegion,
    imageName: imageName ?? done.imageName ?? '',
    regions: expected.map((region, i) => ({
      region,
      role: i === 0 ? ('source' as const) : ('copy' as const),
      ...doneImage(regions, region),
      status: 'available' as const,
    })),
    sharedWith: sharedWith(rule),
    completedAt: deps.now().toISOString(),
    ...publishedParameters(rule, sourceRegion, expected),
  };
  const event = toolEvent(
    DetailType.DistributionCompleted,
    input,
    [sourceRegion, sourceImageId, fingerprint],
    {
      resources: input.regions.flatMap((r) =>
        r.imageId === undefined ? [] : [imageArn(r.region, r.imageId)],
      ),
      busRegion: sourceRegion,
    },
  );
  await publishClaimed(claims, key, event, deps);
  await deps.ec2(sourceRegion).createTags([sourceImageId], { [DISTRIBUTED_TAG]: fingerprint });
  const dimensions = { rule: rule.name, region: sourceRegion };
  deps.metrics?.add('ReleasesCompleted', 1, dimensions);
  const took = elapsedMs(firstDoneAt, deps.now());
  if (took !== undefined) deps.metrics?.add('ReleaseCompletionTime', took, dimensions);
  deps.logger.info(`distribution of ${sourceImageId} complete: ${expected.length} region(s)`, {
    sourceImageId,
    rule: rule.name,
    regions: input.regions.map((r) => `${r.region}:${r.imageId ?? ''}`),
  });
  return {
    status: 'announced',
    detail: { schemaVersion: SCHEMA_VERSION, eventId: event.detail.eventId, ...input },
  };
}

/** The parameters the rule publishes for a release of `sourceRegion` in each of its regions: what the completion names. */
function publishedParameters(
  rule: Rule,
  sourceRegion: string,
  regions: readonly string[],
): { parameters?: { region: string; name: string }[] } {
  if ((rule.publish?.parameters ?? []).length === 0) return {};
  return {
    parameters: regions.flatMap((region) =>
      parameterNamesFor(rule, region, sourceRegion).map((name) => ({ region, name })),
    ),
  };
}

function doneImage(regions: ReadonlyMap<string, string>, region: string): { imageId?: string } {
  const imageId = regions.get(region);
  return imageId === undefined ? {} : { imageId };
}

/**
 * Publishes the event of a claim this invocation holds and marks the claim published; a failed
 * publish gives the claim back (so a retry need not wait for the lease) and throws.
 */
export async function publishClaimed(
  claims: CompletionClaims,
  key: string,
  event: ToolEvent,
  deps: Pick<CompletionDependencies, 'events' | 'logger' | 'owner'>,
): Promise<void> {
  try {
    await deps.events.publish([event]);
  } catch (error) {
    await claims.release(key, deps.owner);
    throw error;
  }
  if (!(await claims.published(key, deps.owner))) {
    deps.logger.warn(`${event.detailType} of ${key}: the claim was taken over after its lease ran out`, {
      key,
    });
  }
}

/** Waits before asking again while another invocation holds the claim (7.7 s in all). */
const CLAIM_WAITS_MS = [200, 500, 1000, 2000, 4000];

/**
 * A claim, waiting a few seconds for a live claim of another invocation to be published (it
 * usually is within a second), so two handlers completing together do not end in a failed
 * invocation. Throws `CompletionInProgressError` when the claim is still held after the waits.
 */
export async function claimPatiently(
  claims: CompletionClaims,
  key: string,
  deps: Pick<CompletionDependencies, 'owner' | 'sleep'>,
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
 * Every region's status, the source first, read from EC2 (what a failure report shows); a region
 * that cannot be read is `unreadable`, never a thrown error.
 */
export async function familyStatus(
  rule: Rule,
  source: ObservedImage,
  copiesIn: (region: string) => Promise<readonly ObservedImage[]>,
): Promise<RegionStatus[]> {
  const targets = await Promise.all(
    targetRegions(rule, source.region).map(async (region): Promise<RegionStatus> => {
      try {
        return regionStatus(region, await copiesIn(region));
      } catch (error) {
        if (!(error instanceof AwsCallError)) throw error;
        return { region, role: 'copy', status: 'unreadable', reason: `${error.code}: ${error.message}` };
      }
    }),
  );
  const own: RegionStatus = {
    region: source.region,
    role: 'source',
    imageId: source.imageId,
    status: source.state === 'available' ? 'available' : source.state === 'pending' ? 'pending' : 'failed',
    ...(source.state === 'available' ? {} : { reason: `source is ${source.state}` }),
  };
  return [own, ...targets];
}
