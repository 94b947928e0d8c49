import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import {
  type BlockDevice,
  defaultEbsKmsKeyArn,
  type ImageRecord,
  imagesUsingSnapshot,
  isRegistered,
  newId,
  privateLaunchPermissions,
  type SnapshotRecord,
  snapshotIdsOf,
} from '../model.js';
import type { QueryNode } from '../query.js';
import { isoTime } from '../xml.js';
import { checkKmsKeyNeedsEncryption, ownedImage, readTagSpecifications, visibleSnapshot } from './common.js';

/**
 * RegisterImage and DeregisterImage, and the name and description rules CopyImage shares. Listing
 * is in `describe-images.ts`; deprecation, deregistration protection and disabling in
 * `image-states.ts`.
 */

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
