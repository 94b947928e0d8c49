import type { Rule } from '../rules/schema.js';
import { AwsCallError } from './errors.js';
import type { ImageDetail, Observation, ObservedImage, TargetObservation } from './model.js';
import type { Ec2ForRegion, Ec2Reader } from './ports.js';

/**
 * Observation: read-only EC2 calls that gather what the planner compares with the rule. Nothing
 * here writes. A target region that cannot be read (not enabled, no permission, throttled) is
 * recorded as unavailable instead of failing the whole observation, so one region never blocks
 * the others.
 */

/** The source image's own event: the source in full, and the copies (by SourceImageId) in every target region. */
export async function observeSource(
  rule: Rule,
  source: ObservedImage,
  accountId: string,
  ec2: Ec2ForRegion,
): Promise<Observation> {
  const targetRegions = (rule.copy?.regions ?? []).filter((r) => r !== source.region);
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

/** A copy's own event: that copy in full, in its region. */
export async function observeCopy(
  rule: Rule,
  copy: ObservedImage,
  sourceImageId: string,
  sourceRegion: string,
  accountId: string,
  ec2: Ec2ForRegion,
): Promise<Observation> {
  const detail = await observeDetail(rule, copy, accountId, ec2(copy.region));
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
