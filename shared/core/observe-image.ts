import type { Rule } from '../rules/schema.js';
import { AwsCallError } from './errors.js';
import {
  type ImageDetail,
  LINEAGE,
  type Observation,
  type ObservedImage,
  type TargetObservation,
} from './model.js';
import type { Ec2ForRegion, Ec2Reader } from './ports.js';

/**
 * Observation: read-only EC2 calls that gather what the planner compares with the rule. Nothing
 * here writes. A target region that cannot be read (not enabled, no permission, throttled) is
 * recorded as unavailable instead of failing the whole observation, so one region never blocks
 * the others.
 */

/**
 * The source image's own event. A source new to the tool (it does not carry its rule's tag yet:
 * the tool tags a source before anything else) is `fresh`: nothing more is read, since what a new
 * image has is known, and no copy of it can exist yet. Otherwise (a repeated event, a retry after
 * a partial failure) the source is read in full, and its copies (by SourceImageId) in every target
 * region.
 */
export async function observeSource(
  rule: Rule,
  source: ObservedImage,
  accountId: string,
  ec2: Ec2ForRegion,
): Promise<Observation> {
  const targetRegions = (rule.copy?.regions ?? []).filter((r) => r !== source.region);
  if (isFreshSource(rule, source, accountId)) {
    return {
      accountId,
      sourceImageId: source.imageId,
      sourceRegion: source.region,
      source: { image: source, snapshots: [], fresh: true },
      targets: Object.fromEntries(targetRegions.map((region) => [region, { status: 'none-yet' as const }])),
    };
  }
  const [detail, targets] = await Promise.all([
    observeDetail(rule, source, accountId, ec2(source.region)),
    Promise.all(
      targetRegions.map(async (region) => [region, await observeTarget(source, ec2(region))] as const),
    ),
  ]);
  return {
    accountId,
    sourceImageId: source.imageId,
    sourceRegion: source.region,
    source: detail,
    targets: Object.fromEntries(targets),
  };
}

/** Whether the tool has never touched this source: it owns it and its rule's tag is not on it. */
export function isFreshSource(rule: Rule, source: ObservedImage, accountId: string): boolean {
  return source.ownerId === accountId && source.tags[LINEAGE.rule] !== rule.name;
}

/**
 * A copy's own `available` event: the copy as DescribeImages showed it, and nothing more. A copy
 * becomes available once, carrying exactly the tags its CopyImage set and no permissions, so its
 * shares are added without reading them (adding a permission that exists changes nothing; a
 * repeated event costs a few idempotent writes, never a wrong one). The scheduled reconcile reads
 * everything and repairs drift.
 */
export function observeCopy(
  copy: ObservedImage,
  sourceImageId: string,
  sourceRegion: string,
  accountId: string,
): Observation {
  const detail: ImageDetail = { image: copy, snapshots: [], fresh: true };
  return {
    accountId,
    sourceImageId,
    sourceRegion,
    targets: { [copy.region]: { status: 'observed', copies: [copy], details: [detail] } },
  };
}

async function observeTarget(source: ObservedImage, ec2: Ec2Reader): Promise<TargetObservation> {
  try {
    const copies = await ec2.findCopies(source.imageId, source.region);
    return { status: 'observed', copies, details: [] };
  } catch (error) {
    if (error instanceof AwsCallError) {
      return { status: 'unavailable', error };
    }
    throw error;
  }
}

/**
 * An image in full: its snapshots' tags, and the permissions the rule manages. Permissions are
 * read only when the rule grants some and the account owns the image (only the owner may read or
 * change them).
 */
export async function observeDetail(
  rule: Rule,
  image: ObservedImage,
  accountId: string,
  ec2: Ec2Reader,
): Promise<ImageDetail> {
  const share = rule.share;
  const owned = image.ownerId === accountId;
  const sharesImage =
    share !== undefined &&
    (share.accounts.length > 0 ||
      share.organizations.length > 0 ||
      share.organizationalUnits.length > 0 ||
      (share.public && share.allowPublic));
  const wantsPublic = share?.public === true && share.allowPublic && !image.isPublic;

  const [launchPermissions, snapshots, publicSharingBlocked] = await Promise.all([
    owned && sharesImage ? ec2.describeLaunchPermissions(image.imageId) : undefined,
    image.snapshotIds.length > 0 ? ec2.describeSnapshots(image.snapshotIds) : [],
    owned && wantsPublic ? ec2.isPublicSharingBlocked() : undefined,
  ]);
  const withPermissions =
    owned && share?.snapshotPermissions
      ? await Promise.all(
          snapshots.map(async (s) => ({
            ...s,
            createVolumeUserIds: await ec2.describeCreateVolumeUserIds(s.snapshotId),
          })),
        )
      : snapshots;
  return {
    image,
    snapshots: withPermissions,
    ...(launchPermissions === undefined ? {} : { launchPermissions }),
    ...(publicSharingBlocked === undefined ? {} : { publicSharingBlocked }),
  };
}
