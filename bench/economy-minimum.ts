/**
 * The two references the API-economy benchmark measures against, for ONE AMI with n EBS snapshots
 * distributed from its region to R target regions, shared with accounts (S ≥ 1) and with snapshot
 * permissions: I = R + 1 images in all (the source and R copies), each with n snapshots.
 *
 * - `strictMinimum`: what EC2 itself cannot do with less, whatever the design. The headline figure.
 * - `designMinimum`: what this design (observe, plan only what differs, apply; announce completion
 *   once the family is observed in full) cannot do without. Kept beside it to show where the
 *   design's own reads go.
 *
 * Neither depends on S as long as S ≥ 1: one ModifyImageAttribute carries every account.
 */

/** The EC2 actions that change something (EC2's mutating bucket); every other one counted is a read. */
export const WRITES: readonly string[] = [
  'CopyImage',
  'CreateTags',
  'ModifyImageAttribute',
  'ModifySnapshotAttribute',
];

export interface StrictMinimum {
  /** action → calls; actions absent here have a strict minimum of 0. */
  readonly byAction: Readonly<Record<string, number>>;
  /** R + 1 + (n + 1)(R + 1). */
  readonly writes: number;
  /** R + 1. */
  readonly reads: number;
  /** writes + reads. */
  readonly total: number;
  /** total + (R + 1): the reads that announcing completion adds. */
  readonly withCompletion: number;
}

/**
 * The strict minimum of EC2 calls to distribute one AMI with `snapshots` (n) EBS snapshots to
 * `regions` (R) target regions, shared with accounts and with snapshot permissions, I = R + 1 images.
 *
 * Writes, R + 1 + (n + 1)(R + 1):
 * - CopyImage, R: one per target region, since a copy is regional. Its TagSpecifications tag the
 *   copy and its snapshots at creation, so no copy needs a CreateTags.
 * - CreateTags, 1: the source image and its n snapshots in one call (CreateTags takes many
 *   resources for one tag set; the source exists before the tool sees it, so it must be tagged
 *   after the fact).
 * - ModifyImageAttribute, I: launch permissions are per image and images are regional; one call
 *   adds every account at once, and CopyImage cannot set them.
 * - ModifySnapshotAttribute, n × I: createVolumePermission takes one snapshot per call.
 *
 * Reads, R + 1:
 * - DescribeImages, one per image whose `EC2 AMI State Change` event arrives (the source's
 *   `available`, then each copy's in its region): the event carries only the id and state, and
 *   the image's name, tags and snapshots are needed to act on it. Nothing else needs reading if
 *   every call above is made exactly once.
 *
 * With completion (`withCompletion`), R + 1 more reads: announcing that every region has its copy
 * needs one more look at the source and at each target region once the last copy is done, since
 * copies finish in any order and none knows it is the last.
 *
 * With n = 2: 10, 20 and 45 calls for R = 1, 3 and 8.
 */
export function strictMinimum(regions: number, snapshots: number): StrictMinimum {
  const images = regions + 1;
  const byAction: Record<string, number> = {
    CopyImage: regions,
    CreateTags: 1,
    ModifyImageAttribute: images,
    ModifySnapshotAttribute: snapshots * images,
    DescribeImages: images,
  };
  const writes = sumOf(byAction, WRITES);
  const reads = sumOf(byAction, readsOf(Object.keys(byAction)));
  return { byAction, writes, reads, total: writes + reads, withCompletion: writes + reads + images };
}

/**
 * The least calls per action THIS design needs, with n snapshots and I = R + 1 images: what
 * observe, plan only what differs, apply, and announcing completion cannot do without, not what
 * EC2 could be made to do blindly.
 *
 * Writes
 * - CopyImage: R. One per target region; TagSpecifications tag each copy and its snapshots at creation.
 * - CreateTags: 2. One for the source and its snapshots (one tag set on all), one for the
 *   announcement tag on the source once the release is complete, so later observers read nothing.
 * - ModifyImageAttribute: I. One call per image adds every account.
 * - ModifySnapshotAttribute: n × I. createVolumePermission takes one snapshot per call.
 *
 * Reads (every action is planned from what is there, so a repeated event writes nothing)
 * - DescribeImages: 3R + 2. One on the source's event (its name, owner, tags and snapshots, to match
 *   a rule). One per target region for copies already there (an earlier delivery, the scheduled
 *   reconcile, a pending copy): CopyImage's ClientToken only deduplicates the same request, and EC2
 *   has no cross-region listing. One per copy, on the copy's own event. Then R + 1 to announce
 *   completion: the source, which a copy's event does not carry, and one listing per target region
 *   to see every copy available.
 * - DescribeImageAttribute: 2I. Launch permissions are not in DescribeImages; one call per image,
 *   and the family observed once more in full to announce completion (another region's handler
 *   may not have shared its copy yet).
 * - DescribeSnapshots: 2I (0 without snapshots). The snapshots' tags, all of an image's in one
 *   call; again once more to announce completion.
 * - DescribeSnapshotAttribute: 2n × I. createVolumePermission, one snapshot per call; again to announce.
 *
 * Total: writes R + 2 + (n + 1)·I, reads 3R + 2 + 2(n + 2)·I; with n = 2, 60 calls for R = 3.
 * The measured figure is higher: every copy's event makes the cheap completion check, since none
 * knows it is the last; only the claim holder observes the family in full.
 */
export function designMinimum(regions: number, snapshots: number): Record<string, number> {
  const images = regions + 1;
  return {
    CopyImage: regions,
    CreateTags: 2,
    ModifyImageAttribute: images,
    ModifySnapshotAttribute: snapshots * images,
    DescribeImages: 3 * regions + 2,
    DescribeImageAttribute: 2 * images,
    DescribeSnapshots: snapshots > 0 ? 2 * images : 0,
    DescribeSnapshotAttribute: 2 * snapshots * images,
  };
}

/** The reads among `actions`: everything that is not a write. */
export function readsOf(actions: readonly string[]): string[] {
  return actions.filter((a) => !WRITES.includes(a));
}

/** Calls of `keys` in `values`, 0 for an absent key. */
export function sumOf(values: Readonly<Record<string, number>>, keys: readonly string[]): number {
  return keys.reduce((n, k) => n + (values[k] ?? 0), 0);
}
