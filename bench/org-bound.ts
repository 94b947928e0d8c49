/**
 * The least time the organization fan-out can take (`npm run bench -- org`), derived from EC2's
 * token buckets and the calls each (account, region) strictly needs. Pure: `bench/org.ts` measures,
 * this derives, and `bench/README.md` states the same formulas (and applies them to 1,000 accounts
 * × 16 regions on Lambda with `orgBound` too).
 *
 * EC2 throttles per (account, region, API class): a bucket of `capacity` tokens refilled at
 * `refillPerSecond`, one token a call. A bucket that must serve d calls needs at least
 * max(0, d − capacity) / refill seconds. Every account has its own buckets, so member accounts never
 * slow each other down; what they share is the fan-out's concurrency C (the queue runs at most C
 * items at a time) and the hub's sharing, which comes first (an item is queued once its sources are
 * shared).
 */

export interface Bucket {
  readonly capacity: number;
  /** Already multiplied by the bench's `--speed`. */
  readonly refillPerSecond: number;
}

export interface Buckets {
  /** Describe* and Get*. */
  readonly reads: Bucket;
  /** Every other call. */
  readonly writes: Bucket;
}

/** Calls one bucket pair (an account's region) must serve. */
export interface Needs {
  readonly reads: number;
  readonly writes: number;
}

export interface OrgBoundInput {
  /** A: member accounts under the OU. */
  readonly accounts: number;
  /** R: regions of `accounts.regions`, the source region among them. */
  readonly regions: number;
  /** N: source images. */
  readonly images: number;
  /** EBS snapshots per source image. */
  readonly snapshotsPerImage: number;
  /** C: work items (one per account and region) running at once. */
  readonly concurrency: number;
  readonly buckets: Buckets;
  /**
   * τ: the duration of one work item when nothing else runs (its calls' round trips, no throttling):
   * no item can take less, however many run beside it.
   */
  readonly itemSeconds: number;
  /**
   * τ_loop: the event-loop time one item takes alone, the larger of the tool's (the SDK, the XML,
   * the core) and the emulator's (EC2's work), when every item shares one tool process and one
   * emulator, as in this bench: then A·R items need A·R times it. 0 on Lambda, where each item has
   * an instance of its own and EC2 is not one process.
   */
  readonly itemLoopSeconds?: number;
  /**
   * κ / P: the CPU time one item takes alone (the tool's and the emulator's processes, user and
   * system: the SDK, loopback TCP, the garbage collector's threads) over the machine's P cores. 0 on
   * Lambda, for the same reason.
   */
  readonly itemCpuSeconds?: number;
  readonly cores?: number;
  /** τ_hub: the hub's sharing run alone (its round trips), the least the hub phase takes unthrottled. */
  readonly hubRunSeconds?: number;
  /** τ_resolve: the targets' resolution through Organizations alone (its round trips), before the hub's run. */
  readonly resolveSeconds?: number;
}

export interface OrgBound {
  readonly hub: Needs;
  /** A member account's source region: its copies there, and every one of its items' listing of the shared sources. */
  readonly memberSourceRegion: Needs;
  /** A member account's other regions. */
  readonly memberOtherRegion: Needs;
  /** Throttling of the hub's source region: the sharing, before any item. */
  readonly hubBucketSeconds: number;
  /** max(hubBucketSeconds, τ_hub). */
  readonly hubSeconds: number;
  /** Throttling of the busiest member bucket (the same for every account). */
  readonly memberBucketSeconds: number;
  /** Each item at least max(its account's bucket time, τ). */
  readonly itemSeconds: number;
  /** ⌈A·R / C⌉: some slot of the C runs at least this many items, one after another. */
  readonly waves: number;
  /** A·R · max(τ_loop, κ / P): every item's event-loop time one after another, or its CPU time spread over the cores. */
  readonly loopSeconds: number;
  /** max(⌈A·R / C⌉ · max(T_member, τ), A·R · max(τ_loop, κ / P)). */
  readonly fanOutSeconds: number;
  readonly boundSeconds: number;
}

/** Accounts one ModifySnapshotAttribute may add (the adapter's batch). */
export const SNAPSHOT_PERMISSION_BATCH = 500;
/** Images one DescribeImages page returns at most. */
export const DESCRIBE_IMAGES_PAGE = 1000;

/** The least time a bucket needs to serve `calls`. */
export function bucketSeconds(calls: number, bucket: Bucket): number {
  const beyond = Math.max(0, calls - bucket.capacity);
  if (beyond === 0) return 0;
  return bucket.refillPerSecond > 0 ? beyond / bucket.refillPerSecond : Number.POSITIVE_INFINITY;
}

function needsSeconds(needs: Needs, buckets: Buckets): number {
  return Math.max(bucketSeconds(needs.reads, buckets.reads), bucketSeconds(needs.writes, buckets.writes));
}

/**
 * The calls strictly needed:
 * - hub, source region: per source, one ModifyImageAttribute adding every account's launch
 *   permission, and per snapshot one ModifySnapshotAttribute per 500 accounts; one listing of the
 *   sources (a DescribeImages page per 1,000).
 * - a member's region r: N CopyImage (called in the destination), and one listing of its own
 *   images there (none yet: one page).
 * - a member's source region, besides: each of its R items lists the shared sources there.
 */
export function orgNeeds(
  input: Pick<OrgBoundInput, 'accounts' | 'regions' | 'images' | 'snapshotsPerImage'>,
): {
  hub: Needs;
  memberSourceRegion: Needs;
  memberOtherRegion: Needs;
} {
  const { accounts, regions, images, snapshotsPerImage } = input;
  const pages = Math.max(1, Math.ceil(images / DESCRIBE_IMAGES_PAGE));
  return {
    hub: {
      reads: pages,
      writes:
        accounts === 0
          ? 0
          : images * (1 + snapshotsPerImage * Math.ceil(accounts / SNAPSHOT_PERMISSION_BATCH)),
    },
    memberOtherRegion: { reads: 1, writes: images },
    memberSourceRegion: { reads: 1 + regions * pages, writes: images },
  };
}

/**
 * bound = τ_resolve + max(T_hub, τ_hub) + max(⌈A·R / C⌉ · max(T_member, τ), A·R · max(τ_loop, κ / P)),
 * where T_x is the bucket time of x's calls. The targets are resolved first, and the hub's sharing
 * with them precedes every item; then the items run C
 * at a time, none shorter than τ nor than its account's bucket time, and (in one process pair on P
 * cores) never two on the same event loop at once nor more CPU than the cores give.
 */
export function orgBound(input: OrgBoundInput): OrgBound {
  const needs = orgNeeds(input);
  const hubBucketSeconds = needsSeconds(needs.hub, input.buckets);
  const hubSeconds = Math.max(hubBucketSeconds, input.hubRunSeconds ?? 0);
  const memberBucketSeconds = Math.max(
    needsSeconds(needs.memberSourceRegion, input.buckets),
    needsSeconds(needs.memberOtherRegion, input.buckets),
  );
  const items = input.accounts * input.regions;
  const waves = items === 0 ? 0 : Math.ceil(items / Math.max(1, input.concurrency));
  const itemSeconds = Math.max(memberBucketSeconds, input.itemSeconds);
  const cpuPerCore = (input.itemCpuSeconds ?? 0) / Math.max(1, input.cores ?? 1);
  const loopSeconds = items * Math.max(input.itemLoopSeconds ?? 0, cpuPerCore);
  const fanOutSeconds = Math.max(waves * itemSeconds, loopSeconds);
  return {
    ...needs,
    hubBucketSeconds,
    hubSeconds,
    memberBucketSeconds,
    itemSeconds,
    waves,
    loopSeconds,
    fanOutSeconds,
    boundSeconds: (input.resolveSeconds ?? 0) + hubSeconds + fanOutSeconds,
  };
}

/** The bound, in words, with its figures. */
export function boundFormula(input: OrgBoundInput, bound: OrgBound): string {
  const s = (x: number) => x.toFixed(2);
  const items = input.accounts * input.regions;
  return [
    `τ_resolve ${s(input.resolveSeconds ?? 0)} s + max(T_hub ${s(bound.hubBucketSeconds)} s, τ_hub ${s(input.hubRunSeconds ?? 0)} s)`,
    `+ max(⌈A·R/C⌉ = ⌈${items}/${input.concurrency}⌉ = ${bound.waves} waves`,
    `× max(T_member ${s(bound.memberBucketSeconds)} s, τ ${s(input.itemSeconds)} s),`,
    `A·R × max(τ_loop, κ/P) = ${items} × max(${s(input.itemLoopSeconds ?? 0)}, ${s(input.itemCpuSeconds ?? 0)}/${input.cores ?? 1}) s)`,
    `= ${s(bound.boundSeconds)} s. Needs: hub source region ${bound.hub.writes} writes, ${bound.hub.reads} read(s);`,
    `a member's region ${bound.memberOtherRegion.writes} writes, ${bound.memberOtherRegion.reads} read;`,
    `its source region ${bound.memberSourceRegion.writes} writes, ${bound.memberSourceRegion.reads} reads`,
  ].join(' ');
}
