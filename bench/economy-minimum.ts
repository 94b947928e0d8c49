/**
 * The two references the API-economy benchmark measures against, for ONE AMI with n EBS snapshots
 * distributed from its region to R target regions, shared with accounts (S ≥ 1) and with snapshot
 * permissions: I = R + 1 images in all (the source and R copies), each with n snapshots.
 *
 * - `strictMinimum`: what EC2 itself cannot do with less, whatever the design. The headline figure.
 * - `designMinimum`: what this design cannot do without: the strict minimum and the announcement
 *   tag on the source.
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
 * The least calls per action THIS design needs, with n snapshots and I = R + 1 images: the strict
 * minimum and one more write.
 *
 * - The strict minimum's calls, each made once: a source new to the tool and a copy's own event
 *   are planned from DescribeImages alone (what a new image has is known without asking: no
 *   permissions granted, snapshots as the tool left them, no copy of a source the tool has not
 *   tagged yet).
 * - Completion reads nothing from EC2: each handler records its region done in the release's
 *   DynamoDB item, and the one whose write completes the set announces.
 * - CreateTags: 1 more, the announcement tag on the source (`ami-lifecycle:distributed`), so that
 *   later observers (a repeated event, the schedule) skip the family without reading it.
 *
 * Total: strict minimum + 1: 11, 21 and 46 calls for R = 1, 3 and 8 with n = 2.
 */
export function designMinimum(regions: number, snapshots: number): Record<string, number> {
  const strict = strictMinimum(regions, snapshots).byAction;
  return { ...strict, CreateTags: (strict.CreateTags ?? 0) + 1 };
}

/** The reads among `actions`: everything that is not a write. */
export function readsOf(actions: readonly string[]): string[] {
  return actions.filter((a) => !WRITES.includes(a));
}

/** Calls of `keys` in `values`, 0 for an absent key. */
export function sumOf(values: Readonly<Record<string, number>>, keys: readonly string[]): number {
  return keys.reduce((n, k) => n + (values[k] ?? 0), 0);
}
