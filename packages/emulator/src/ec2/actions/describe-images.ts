import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, type FilterSpec, parseFilters } from '../filters.js';
import {
  ACCOUNT_ID_PATTERN,
  type BlockDevice,
  type ImageRecord,
  sharedThroughOrganization,
  tagsOf,
} from '../model.js';
import { checkMaxResults } from '../pagination.js';
import { isoTime, type XmlObject } from '../xml.js';
import { checkImageId, pageFor, tagSetXml } from './common.js';

/** DescribeImages, and the rendering of an image that it and other actions share. */

const OWNER_ALIASES = new Set(['amazon', 'aws-marketplace', 'aws-backup-vault']);

// ---- rendering -----------------------------------------------------------------------------------

/**
 * The `deregistrationProtection` string of DescribeImages. Its value set is not modelled
 * [unverified]; these are the values AWS documentation examples show, and `disabled-until-<time>`
 * for the 24-hour cooldown after disabling protection that was enabled WithCooldown.
 */
export function deregistrationProtectionState(image: ImageRecord, now: Date): string {
  const protection = image.deregistrationProtection;
  if (protection.enabled)
    return protection.withCooldown ? 'enabled-with-cooldown' : 'enabled-without-cooldown';
  if (protection.cooldownUntil !== undefined && protection.cooldownUntil > now) {
    return `disabled-until-${isoTime(protection.cooldownUntil)}`;
  }
  return 'disabled';
}

export function blockDeviceXml(mapping: BlockDevice): XmlObject {
  const ebs = mapping.ebs;
  return {
    deviceName: mapping.deviceName,
    virtualName: mapping.virtualName,
    noDevice: mapping.noDevice === true ? '' : undefined,
    ebs:
      ebs === undefined
        ? undefined
        : {
            deleteOnTermination: ebs.deleteOnTermination,
            iops: ebs.iops,
            snapshotId: ebs.snapshotId,
            volumeSize: ebs.volumeSize,
            volumeType: ebs.volumeType,
            kmsKeyId: ebs.kmsKeyId,
            throughput: ebs.throughput,
            encrypted: ebs.encrypted,
          },
  };
}

/** One `imagesSet/item`, as seen by `accountId` (tags are the caller's own). */
export function imageXml(image: ImageRecord, accountId: string, now: Date): XmlObject {
  const windows = image.platform === 'windows';
  const tags = tagSetXml(image.tags, accountId);
  return {
    imageId: image.imageId,
    imageLocation: image.imageLocation,
    imageState: image.state,
    imageOwnerId: image.ownerId,
    creationDate: isoTime(image.creationDate),
    isPublic: image.launchPermissions.public,
    productCodes:
      image.productCodes.length === 0 ? undefined : image.productCodes.map((code) => ({ ...code })),
    architecture: image.architecture,
    imageType: 'machine',
    kernelId: image.kernelId,
    ramdiskId: image.ramdiskId,
    platform: image.platform,
    platformDetails: windows ? 'Windows' : 'Linux/UNIX',
    usageOperation: windows ? 'RunInstances:0002' : 'RunInstances',
    stateReason: image.stateReason === undefined ? undefined : { ...image.stateReason },
    imageOwnerAlias: image.ownerAlias,
    name: image.name,
    description: image.description,
    rootDeviceType: image.rootDeviceType,
    rootDeviceName: image.rootDeviceName,
    blockDeviceMapping: image.blockDeviceMappings.map(blockDeviceXml),
    virtualizationType: image.virtualizationType,
    tagSet: tags.length === 0 ? undefined : tags,
    hypervisor: 'xen',
    enaSupport: image.enaSupport,
    sriovNetSupport: image.sriovNetSupport,
    bootMode: image.bootMode,
    tpmSupport: image.tpmSupport,
    imdsSupport: image.imdsSupport,
    deprecationTime: image.deprecationTime === undefined ? undefined : isoTime(image.deprecationTime),
    deregistrationProtection: deregistrationProtectionState(image, now),
    lastLaunchedTime: image.lastLaunchedTime === undefined ? undefined : isoTime(image.lastLaunchedTime),
    sourceImageId: image.sourceImageId,
    sourceImageRegion: image.sourceImageRegion,
  };
}

// ---- DescribeImages ------------------------------------------------------------------------------

function imageFilterSpec(accountId: string): FilterSpec<ImageRecord> {
  const ebsValues = (image: ImageRecord, read: (mapping: BlockDevice) => string | undefined) =>
    image.blockDeviceMappings.map(read);
  return {
    fields: {
      architecture: (image) => [image.architecture],
      'block-device-mapping.delete-on-termination': (image) =>
        ebsValues(image, (m) => (m.ebs === undefined ? undefined : String(m.ebs.deleteOnTermination))),
      'block-device-mapping.device-name': (image) => ebsValues(image, (m) => m.deviceName),
      'block-device-mapping.snapshot-id': (image) => ebsValues(image, (m) => m.ebs?.snapshotId),
      'block-device-mapping.volume-size': (image) =>
        ebsValues(image, (m) => (m.ebs === undefined ? undefined : String(m.ebs.volumeSize))),
      'block-device-mapping.volume-type': (image) => ebsValues(image, (m) => m.ebs?.volumeType),
      'block-device-mapping.encrypted': (image) =>
        ebsValues(image, (m) => (m.ebs === undefined ? undefined : String(m.ebs.encrypted))),
      'creation-date': (image) => [isoTime(image.creationDate)],
      description: (image) => [image.description],
      'ena-support': (image) => [String(image.enaSupport)],
      hypervisor: () => ['xen'],
      'image-id': (image) => [image.imageId],
      'image-type': () => ['machine'],
      'is-public': (image) => [String(image.launchPermissions.public)],
      'kernel-id': (image) => [image.kernelId],
      'manifest-location': (image) => [image.imageLocation],
      name: (image) => [image.name],
      'owner-alias': (image) => [image.ownerAlias],
      'owner-id': (image) => [image.ownerId],
      platform: (image) => [image.platform],
      'product-code': (image) => image.productCodes.map((code) => code.productCode),
      'product-code.type': (image) => image.productCodes.map((code) => code.type),
      'ramdisk-id': (image) => [image.ramdiskId],
      'root-device-name': (image) => [image.rootDeviceName],
      'root-device-type': (image) => [image.rootDeviceType],
      'source-image-id': (image) => [image.sourceImageId],
      'source-image-region': (image) => [image.sourceImageRegion],
      'sriov-net-support': (image) => [image.sriovNetSupport],
      state: (image) => [image.state],
      'state-reason-code': (image) => [image.stateReason?.code],
      'state-reason-message': (image) => [image.stateReason?.message],
      'virtualization-type': (image) => [image.virtualizationType],
    },
    tagsOf: (image) => tagsOf(image.tags, accountId),
  };
}

function checkUserList(values: readonly string[], extra: ReadonlySet<string>): void {
  for (const value of values) {
    if (!ACCOUNT_ID_PATTERN.test(value) && !extra.has(value)) {
      throw new Ec2Error('InvalidUserID.Malformed', `Invalid user id: "${value}"`);
    }
  }
}

function ownedBy(image: ImageRecord, owner: string, accountId: string): boolean {
  if (owner === 'self') return image.ownerId === accountId;
  if (OWNER_ALIASES.has(owner)) return image.ownerAlias === owner;
  return image.ownerId === owner;
}

/**
 * `ExecutableBy`: `all` is public images; `self` (or the caller's own id) is images the caller owns
 * or that are shared with it, directly or through its organization or an OU it is under; another
 * account id is images shared *directly* with that account, not through its organization or OU
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html).
 */
function executableBy(ctx: ActionContext, image: ImageRecord, who: string): boolean {
  const { accountId } = ctx;
  if (who === 'all') return image.launchPermissions.public;
  if (who === 'self' || who === accountId) {
    const permissions = image.launchPermissions;
    return (
      image.ownerId === accountId ||
      permissions.userIds.has(accountId) ||
      sharedThroughOrganization(permissions, ctx.world.membership(accountId))
    );
  }
  return image.launchPermissions.userIds.has(who);
}

/**
 * Visibility: images the caller owns, public images, and images shared with the caller.
 * Deregistered images are not returned. Deprecated images are hidden from non-owners unless
 * IncludeDeprecated or asked for by id
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html). Disabled images are
 * hidden unless IncludeDisabled, by id too: AWS documents "Default: No disabled AMIs are included
 * in the response" and, unlike for deprecation, no exception for ids (whether AWS answers an id
 * with an empty list, as here, or an error is unverified). Only the owner can see a disabled image
 * at all, as disabling removes every launch permission.
 * When some requested ids do not exist the call fails naming those ids. Whether AWS fails or returns
 * the images that exist is unverified (moto returns them); EC2's Describe* calls generally fail.
 */
export const describeImages: ActionHandler = (ctx) => {
  const { params, accountId, now } = ctx;
  const imageIds = params.strings('ImageId');
  const owners = params.strings('Owner');
  const executableUsers = params.strings('ExecutableBy');
  const includeDeprecated = params.boolean('IncludeDeprecated') ?? false;
  const includeDisabled = params.boolean('IncludeDisabled') ?? false;
  const maxResults = checkMaxResults(params.integer('MaxResults'), 1, 1000);
  for (const imageId of imageIds) checkImageId(imageId);
  checkUserList(owners, new Set(['self', ...OWNER_ALIASES]));
  checkUserList(executableUsers, new Set(['self', 'all']));
  const matchesFilters = compileFilters(parseFilters(params), imageFilterSpec(accountId));

  let candidates: ImageRecord[];
  if (imageIds.length > 0) {
    const requested = [...new Set(imageIds)];
    const missing = requested.filter((id) => {
      const image = ctx.state.images.get(id);
      return image === undefined || !ctx.world.canLaunch(image, accountId);
    });
    if (missing.length > 0) throw Ec2Error.imageNotFound(missing);
    candidates = requested.flatMap((id) => {
      const image = ctx.state.images.get(id);
      return image === undefined ? [] : [image];
    });
  } else {
    candidates = [...ctx.state.images.values()].filter(
      (image) =>
        ctx.world.canLaunch(image, accountId) &&
        (includeDeprecated || image.ownerId === accountId || !isDeprecated(image, now)),
    );
  }
  const selected = candidates.filter(
    (image) =>
      image.state !== 'deregistered' &&
      (includeDisabled || image.state !== 'disabled') &&
      (owners.length === 0 || owners.some((owner) => ownedBy(image, owner, accountId))) &&
      (executableUsers.length === 0 || executableUsers.some((who) => executableBy(ctx, image, who))) &&
      matchesFilters(image),
  );
  const page = pageFor(ctx, selected, (image) => image.imageId, maxResults);
  return {
    imagesSet: page.items.map((image) => imageXml(image, accountId, now)),
    nextToken: page.nextToken,
  };
};

function isDeprecated(image: ImageRecord, now: Date): boolean {
  return image.deprecationTime !== undefined && image.deprecationTime <= now;
}
