import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, type FilterSpec, parseFilters } from '../filters.js';
import {
  ACCOUNT_ID_PATTERN,
  type BlockDevice,
  canLaunch,
  defaultEbsKmsKeyArn,
  type ImageRecord,
  type ImageState,
  imagesUsingSnapshot,
  isRegistered,
  newId,
  privateLaunchPermissions,
  type SnapshotRecord,
  snapshotIdsOf,
  tagsOf,
} from '../model.js';
import { checkMaxResults } from '../pagination.js';
import type { QueryNode } from '../query.js';
import { isoTime, type XmlObject } from '../xml.js';
import {
  checkImageId,
  checkKmsKeyNeedsEncryption,
  ownedImage,
  pageFor,
  RETURN_TRUE,
  readTagSpecifications,
  tagSetXml,
  visibleSnapshot,
} from './common.js';

/**
 * Image lifecycle actions: DescribeImages, RegisterImage, DeregisterImage, deprecation,
 * deregistration protection, and DisableImage/EnableImage.
 */

const OWNER_ALIASES = new Set(['amazon', 'aws-marketplace', 'aws-backup-vault']);
const DAY_MS = 24 * 60 * 60 * 1000;

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
 * or that are shared with it; another account id is images shared *directly* with that account, not
 * through its organisation or OU
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html).
 */
function executableBy(image: ImageRecord, who: string, accountId: string): boolean {
  if (who === 'all') return image.launchPermissions.public;
  if (who === 'self' || who === accountId) {
    return image.ownerId === accountId || image.launchPermissions.userIds.has(accountId);
  }
  return image.launchPermissions.userIds.has(who);
}

/**
 * Visibility: images the caller owns, public images, and images shared with the caller.
 * Deregistered images are not returned. Deprecated images are hidden from non-owners unless
 * IncludeDeprecated or asked for by id; disabled images unless IncludeDisabled or asked for by id.
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
      return image === undefined || !canLaunch(image, accountId);
    });
    if (missing.length > 0) throw Ec2Error.imageNotFound(missing);
    candidates = requested.flatMap((id) => {
      const image = ctx.state.images.get(id);
      return image === undefined ? [] : [image];
    });
  } else {
    candidates = [...ctx.state.images.values()].filter(
      (image) =>
        canLaunch(image, accountId) &&
        (includeDeprecated || image.ownerId === accountId || !isDeprecated(image, now)) &&
        (includeDisabled || image.state !== 'disabled'),
    );
  }
  const selected = candidates.filter(
    (image) =>
      image.state !== 'deregistered' &&
      (owners.length === 0 || owners.some((owner) => ownedBy(image, owner, accountId))) &&
      (executableUsers.length === 0 || executableUsers.some((who) => executableBy(image, who, accountId))) &&
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

// ---- RegisterImage -------------------------------------------------------------------------------

/**
 * The Name rule of the EC2 model's CreateImage/RegisterImage documentation: 3–128 of letters,
 * digits, ( ) [ ] space . / - ' @ _ (the error codes page lists a narrower set; the wider one is
 * accepted).
 */
const IMAGE_NAME_PATTERN = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

export function checkImageName(name: string): void {
  if (!IMAGE_NAME_PATTERN.test(name)) {
    throw new Ec2Error(
      'InvalidAMIName.Malformed',
      `AMI name '${name}' is invalid: it must be 3-128 characters of letters, numbers, ` +
        'parentheses, square brackets, spaces, periods, slashes, dashes, single quotes, at-signs or underscores',
    );
  }
}

export function checkImageNameFree(ctx: ActionContext, name: string): void {
  for (const image of ctx.state.images.values()) {
    if (image.ownerId === ctx.accountId && image.name === name && isRegistered(image)) {
      throw new Ec2Error(
        'InvalidAMIName.Duplicate',
        `AMI name ${name} is already in use by AMI ${image.imageId}`,
      );
    }
  }
}

export function checkDescription(description: string | undefined): void {
  if (description !== undefined && [...description].length > 255) {
    throw Ec2Error.invalidParameterValue('The description must be at most 255 characters long.');
  }
}

/**
 * One `BlockDeviceMapping.N` of RegisterImage. An `Ebs.SnapshotId` must name a completed snapshot
 * the caller can use. An EBS mapping without a snapshot is an empty volume created at launch, as
 * in AWS — except on the root device, where (an emulator convenience) a new completed snapshot of
 * `Ebs.VolumeSize` GiB is created for the caller. Returns the mapping and that new snapshot.
 */
function readRegisterMapping(
  ctx: ActionContext,
  node: QueryNode,
  rootDeviceName: string,
): { mapping: BlockDevice; newSnapshot?: SnapshotRecord } {
  const deviceName = node.string('DeviceName');
  if (deviceName === undefined) throw Ec2Error.missingParameter(`${node.path}.DeviceName`);
  const mapping: BlockDevice = { deviceName };
  const virtualName = node.string('VirtualName');
  if (virtualName !== undefined) mapping.virtualName = virtualName;
  if (node.string('NoDevice') !== undefined) mapping.noDevice = true;
  const ebs = node.child('Ebs');
  if (!ebs.present) return { mapping };

  const snapshotId = ebs.string('SnapshotId');
  const volumeSize = ebs.integer('VolumeSize');
  const volumeType = ebs.string('VolumeType') ?? 'gp2';
  const deleteOnTermination = ebs.boolean('DeleteOnTermination') ?? true;
  const iops = ebs.integer('Iops');
  const throughput = ebs.integer('Throughput');
  if (volumeSize !== undefined && (volumeSize < 1 || volumeSize > 65536)) {
    throw Ec2Error.invalidParameterValue(`Volume size ${volumeSize} is out of range (1-65536 GiB).`);
  }
  if (snapshotId !== undefined) {
    const snapshot = visibleSnapshot(ctx, snapshotId);
    if (snapshot.state !== 'completed') {
      throw new Ec2Error('IncorrectState', `Snapshot '${snapshotId}' is not in state 'completed'.`);
    }
    if (volumeSize !== undefined && volumeSize < snapshot.volumeSize) {
      throw new Ec2Error(
        'InvalidBlockDeviceMapping',
        `Volume of size ${volumeSize}GB is smaller than snapshot '${snapshotId}', expect size >= ${snapshot.volumeSize}GB`,
      );
    }
    mapping.ebs = {
      snapshotId,
      volumeSize: volumeSize ?? snapshot.volumeSize,
      volumeType,
      deleteOnTermination,
      encrypted: snapshot.encrypted,
      kmsKeyId: snapshot.kmsKeyId,
      iops,
      throughput,
    };
    return { mapping };
  }
  if (volumeSize === undefined) throw Ec2Error.missingParameter(`${ebs.path}.VolumeSize`);
  const encrypted = ebs.boolean('Encrypted') ?? false;
  const requestedKey = ebs.string('KmsKeyId');
  checkKmsKeyNeedsEncryption(requestedKey, encrypted);
  const kmsKeyId = encrypted ? (requestedKey ?? defaultEbsKmsKeyArn(ctx.region, ctx.accountId)) : undefined;
  mapping.ebs = { volumeSize, volumeType, deleteOnTermination, encrypted, kmsKeyId, iops, throughput };
  if (deviceName !== rootDeviceName) return { mapping };
  const newSnapshot: SnapshotRecord = {
    snapshotId: newId('snap'),
    region: ctx.region,
    ownerId: ctx.accountId,
    volumeId: newId('vol'),
    volumeSize,
    state: 'completed',
    startTime: ctx.now,
    progress: '100%',
    description: `Created for RegisterImage of ${deviceName}`,
    encrypted,
    kmsKeyId,
    createVolumePermissions: { userIds: new Set(), public: false },
    productCodes: [],
    tags: new Map(),
    transferType: 'standard',
  };
  mapping.ebs.snapshotId = newSnapshot.snapshotId;
  return { mapping, newSnapshot };
}

/**
 * RegisterImage, to seed images through the API: an EBS-backed image from `BlockDeviceMapping.N`
 * (with a root-device mapping) or an instance-store image from `ImageLocation`. Defaults follow
 * the model's documentation: architecture i386, virtualization paravirtual, root /dev/sda1 —
 * pass them explicitly for a modern image. The image is `available` at once, which emits the
 * `available` event as AWS does for RegisterImage.
 */
export const registerImage: ActionHandler = (ctx) => {
  const { params } = ctx;
  const name = params.requiredString('Name');
  checkImageName(name);
  const description = params.string('Description');
  checkDescription(description);
  const rootDeviceName = params.string('RootDeviceName') ?? '/dev/sda1';
  const imageLocation = params.string('ImageLocation');
  const tagSpecs = readTagSpecifications(params, ['image']);
  const mappings = params
    .items('BlockDeviceMapping')
    .map((node) => readRegisterMapping(ctx, node, rootDeviceName));
  const rootIsEbs = mappings.some(
    ({ mapping }) => mapping.deviceName === rootDeviceName && mapping.ebs !== undefined,
  );
  if (!rootIsEbs && imageLocation === undefined) {
    throw Ec2Error.invalidParameterCombination(
      'Either ImageLocation or an Ebs block device mapping for the root device (RootDeviceName) must be specified.',
    );
  }
  checkImageNameFree(ctx, name);

  const image: ImageRecord = {
    imageId: newId('ami'),
    region: ctx.region,
    ownerId: ctx.accountId,
    name,
    description,
    state: 'available',
    rootDeviceType: rootIsEbs ? 'ebs' : 'instance-store',
    rootDeviceName,
    imageLocation: rootIsEbs ? `${ctx.accountId}/${name}` : (imageLocation ?? ''),
    architecture: params.string('Architecture') ?? 'i386',
    virtualizationType: params.string('VirtualizationType') ?? 'paravirtual',
    enaSupport: params.boolean('EnaSupport') ?? false,
    bootMode: params.string('BootMode'),
    imdsSupport: params.string('ImdsSupport'),
    tpmSupport: params.string('TpmSupport'),
    sriovNetSupport: params.string('SriovNetSupport'),
    kernelId: params.string('KernelId'),
    ramdiskId: params.string('RamdiskId'),
    blockDeviceMappings: mappings.map(({ mapping }) => mapping),
    creationDate: ctx.now,
    deregistrationProtection: { enabled: false, withCooldown: false },
    launchPermissions: privateLaunchPermissions(),
    productCodes: [],
    tags: new Map(),
  };
  const imageTags = tagSpecs.get('image');
  if (imageTags !== undefined) image.tags.set(ctx.accountId, new Map(imageTags));
  for (const { newSnapshot } of mappings) {
    if (newSnapshot !== undefined) ctx.state.snapshots.set(newSnapshot.snapshotId, newSnapshot);
  }
  ctx.state.images.set(image.imageId, image);
  ctx.world.emitImageState(image, 'available', ctx.requestId);
  return { imageId: image.imageId };
};

// ---- DeregisterImage -----------------------------------------------------------------------------

/**
 * Deregistration protection refuses the call. The code is not documented [unverified]; this
 * emulator answers `OperationNotPermitted` (EC2's generic "operation is not allowed"), also
 * during the 24-hour cooldown after protection enabled WithCooldown was disabled.
 */
function checkNotProtected(image: ImageRecord, now: Date): void {
  const protection = image.deregistrationProtection;
  if (protection.enabled) {
    throw new Ec2Error(
      'OperationNotPermitted',
      `The AMI ${image.imageId} can't be deregistered because deregistration protection is enabled. ` +
        'Disable deregistration protection first.',
    );
  }
  if (protection.cooldownUntil !== undefined && protection.cooldownUntil > now) {
    throw new Ec2Error(
      'OperationNotPermitted',
      `The AMI ${image.imageId} can't be deregistered until ${isoTime(protection.cooldownUntil)} ` +
        'because deregistration protection was enabled with a cooldown period.',
    );
  }
}

type DeleteSnapshotReturnCode = 'success' | 'skipped' | 'missing-permissions' | 'client-error';

/**
 * DeregisterImage. With DeleteAssociatedSnapshots, each snapshot of the image is deleted unless
 * another registered image uses it (`skipped`), it belongs to another account
 * (`missing-permissions`) or it is already gone (`client-error`), the return codes EC2 documents
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeregisterImage.html). A pending copy
 * is cancelled. Emits `deregistered`.
 */
export const deregisterImage: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  const deleteSnapshots = ctx.params.boolean('DeleteAssociatedSnapshots') ?? false;
  checkNotProtected(image, ctx.now);

  if (image.state === 'pending') {
    // Deregistering a copy in progress cancels it: its snapshots will never complete.
    ctx.world.cancelCopy(image.imageId);
    for (const snapshotId of snapshotIdsOf(image)) {
      const snapshot = ctx.state.snapshots.get(snapshotId);
      if (snapshot?.state === 'pending') {
        snapshot.state = 'error';
        snapshot.stateMessage = 'The AMI copy was cancelled';
      }
    }
  }
  image.state = 'deregistered';
  const results: Array<{ snapshotId: string; returnCode: DeleteSnapshotReturnCode }> = [];
  if (deleteSnapshots) {
    for (const snapshotId of snapshotIdsOf(image)) {
      const snapshot = ctx.state.snapshots.get(snapshotId);
      let returnCode: DeleteSnapshotReturnCode;
      if (snapshot === undefined) returnCode = 'client-error';
      else if (snapshot.ownerId !== ctx.accountId) returnCode = 'missing-permissions';
      else if (imagesUsingSnapshot(ctx.state, snapshotId).length > 0) returnCode = 'skipped';
      else {
        ctx.state.snapshots.delete(snapshotId);
        returnCode = 'success';
      }
      results.push({ snapshotId, returnCode });
    }
  }
  ctx.world.emitImageState(image, 'deregistered', ctx.requestId);
  return { return: true, deleteSnapshotResultSet: deleteSnapshots ? results : undefined };
};

// ---- deprecation ---------------------------------------------------------------------------------

/** `YYYY-MM-DDTHH:MM[:SS[.fff]]Z` (or an explicit offset), as the SDK and the CLI send timestamps. */
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * EnableImageDeprecation
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImageDeprecation.html): rounded
 * to the nearest minute; refused in the past, beyond 10 years from now, and for a public AMI beyond
 * 2 years from its creation. The code for an out-of-range time is unverified; this emulator answers
 * `InvalidParameterValue`.
 */
export const enableImageDeprecation: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  const raw = ctx.params.requiredString('DeprecateAt');
  const parsed = TIMESTAMP_PATTERN.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw Ec2Error.invalidParameterValue(`Value (${raw}) for parameter deprecateAt is invalid.`);
  }
  const minute = 60_000;
  const deprecateAt = new Date(Math.round(parsed / minute) * minute);
  const now = ctx.now.getTime();
  if (deprecateAt.getTime() < Math.floor(now / minute) * minute) {
    throw Ec2Error.invalidParameterValue(
      `The deprecation time ${isoTime(deprecateAt)} can't be in the past.`,
    );
  }
  const tenYears = new Date(ctx.now);
  tenYears.setUTCFullYear(tenYears.getUTCFullYear() + 10);
  if (deprecateAt > tenYears) {
    throw Ec2Error.invalidParameterValue(
      `The deprecation time ${isoTime(deprecateAt)} can't be more than 10 years from now.`,
    );
  }
  if (image.launchPermissions.public) {
    const twoYears = new Date(image.creationDate);
    twoYears.setUTCFullYear(twoYears.getUTCFullYear() + 2);
    if (deprecateAt > twoYears) {
      throw Ec2Error.invalidParameterValue(
        `The deprecation time of a public AMI can't be more than 2 years after its creation date (${isoTime(twoYears)}).`,
      );
    }
  }
  image.deprecationTime = deprecateAt;
  return RETURN_TRUE;
};

export const disableImageDeprecation: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  image.deprecationTime = undefined;
  return RETURN_TRUE;
};

// ---- deregistration protection -------------------------------------------------------------------

/** Returns (a string, per the model) the resulting protection state. */
export const enableImageDeregistrationProtection: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  const withCooldown = ctx.params.boolean('WithCooldown') ?? false;
  image.deregistrationProtection = { enabled: true, withCooldown };
  return { return: deregistrationProtectionState(image, ctx.now) };
};

/** With a cooldown, EC2 keeps refusing deregistration for 24 hours after protection is disabled. */
export const disableImageDeregistrationProtection: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  const protection = image.deregistrationProtection;
  if (protection.enabled) {
    image.deregistrationProtection = {
      enabled: false,
      withCooldown: false,
      cooldownUntil: protection.withCooldown
        ? new Date(ctx.now.getTime() + DAY_MS)
        : protection.cooldownUntil,
    };
  }
  return { return: deregistrationProtectionState(image, ctx.now) };
};

// ---- DisableImage / EnableImage ------------------------------------------------------------------

/** The caller's image `ImageId`, which must be in `state` (`IncorrectState` otherwise). */
function ownedImageIn(ctx: ActionContext, state: ImageState): ImageRecord {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  if (image.state !== state) {
    throw new Ec2Error(
      'IncorrectState',
      `The image ${image.imageId} is in state '${image.state}', not '${state}'.`,
    );
  }
  return image;
}

/** DisableImage: an available AMI becomes `disabled` and private (sharing removed); emits `disabled`. */
export const disableImage: ActionHandler = (ctx) => {
  const image = ownedImageIn(ctx, 'available');
  image.state = 'disabled';
  image.launchPermissions = privateLaunchPermissions();
  ctx.world.emitImageState(image, 'disabled', ctx.requestId);
  return RETURN_TRUE;
};

/** EnableImage: a disabled AMI becomes `available` again (still private); emits `available`. */
export const enableImage: ActionHandler = (ctx) => {
  const image = ownedImageIn(ctx, 'disabled');
  image.state = 'available';
  ctx.world.emitImageState(image, 'available', ctx.requestId);
  return RETURN_TRUE;
};
