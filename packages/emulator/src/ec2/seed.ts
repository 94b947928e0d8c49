import { randomUUID } from 'node:crypto';
import type { LaunchTemplateRecord, LaunchTemplateStruct } from './launch-template-model.js';
import {
  type BlockDevice,
  defaultEbsKmsKeyArn,
  type ImageRecord,
  type ImageState,
  type InstanceRecord,
  type InstanceStateName,
  newId,
  type ProductCode,
  type RootDeviceType,
  type SnapshotRecord,
  type SnapshotState,
  type StateReason,
} from './model.js';
import type { ExternalReferenceType } from './reference-sources.js';
import type { World } from './world.js';

/**
 * Programmatic seeding for tests and demos: put images and snapshots straight into the model, in
 * any account, with any state, without going through the API (so without throttling or counters).
 * Inputs are checked and a mistake throws a plain `Error` at once.
 */

export interface SeedSnapshotInput {
  region: string;
  /** Default: the emulator's account. */
  ownerId?: string;
  ownerAlias?: string;
  /** GiB; default 8. */
  volumeSize?: number;
  encrypted?: boolean;
  /** Default for an encrypted snapshot: the owner's AWS managed EBS key in the region. */
  kmsKeyId?: string;
  description?: string;
  /** Default `completed`. */
  state?: SnapshotState;
  /** The owner's tags. */
  tags?: Record<string, string>;
  /** createVolumePermission for `all`. */
  public?: boolean;
  /** createVolumePermission for these account ids. */
  sharedWith?: readonly string[];
  productCodes?: readonly ProductCode[];
  startTime?: Date;
}

/** One block device of a seeded image. */
export interface SeedDevice {
  /** Default: the root device name for the first device, then /dev/sdb, /dev/sdc, … */
  deviceName?: string;
  /** An existing snapshot in the region; otherwise a new snapshot is created from the fields below. */
  snapshotId?: string;
  /** True: an empty EBS volume created at launch, with no snapshot. */
  noSnapshot?: boolean;
  /** An instance store volume (`ephemeral0`, …) instead of EBS. */
  virtualName?: string;
  volumeSize?: number;
  volumeType?: string;
  deleteOnTermination?: boolean;
  encrypted?: boolean;
  kmsKeyId?: string;
  /** Owner's tags on the new snapshot. */
  snapshotTags?: Record<string, string>;
}

export interface SeedImageInput {
  region: string;
  name: string;
  /** Default: the emulator's account. */
  ownerId?: string;
  /** `amazon`, `aws-marketplace`, … for `Owner=amazon` style queries. */
  ownerAlias?: string;
  description?: string;
  /** Default `ebs`. */
  rootDeviceType?: RootDeviceType;
  /** Default `/dev/xvda`. */
  rootDeviceName?: string;
  /** Default for EBS: one 8 GiB gp3 root volume with a new snapshot; for instance-store: none. */
  blockDeviceMappings?: readonly SeedDevice[];
  /** Instance-store manifest location; default `<owner>-amis/<name>/image.manifest.xml`. */
  imageLocation?: string;
  /** The owner's tags. */
  tags?: Record<string, string>;
  /** Default `available`. */
  state?: ImageState;
  stateReason?: StateReason;
  public?: boolean;
  launchPermissions?: {
    userIds?: readonly string[];
    organizationArns?: readonly string[];
    organizationalUnitArns?: readonly string[];
  };
  productCodes?: readonly ProductCode[];
  /**
   * Create-volume permission on the snapshots created for this image (as `seedSnapshot`'s
   * `sharedWith` and `public`): what another account needs to copy the image.
   */
  snapshotPermissions?: { sharedWith?: readonly string[]; public?: boolean };
  architecture?: string;
  virtualizationType?: string;
  enaSupport?: boolean;
  bootMode?: string;
  imdsSupport?: string;
  platform?: 'windows';
  creationDate?: Date;
  deprecationTime?: Date;
  lastLaunchedTime?: Date;
  deregistrationProtection?: { enabled: boolean; withCooldown?: boolean };
  sourceImageId?: string;
  sourceImageRegion?: string;
  /**
   * Emit the `EC2 AMI State Change` event for the seeded state when it is one EC2 sends
   * (`available`, `failed`, `deregistered`, `disabled`), as RegisterImage does. Default true.
   */
  emitEvent?: boolean;
}

export interface SeededImage {
  imageId: string;
  /** The image's snapshots, in block device order (new and pre-existing ones). */
  snapshotIds: string[];
}

function checkRegion(world: World, region: string): void {
  if (!world.regions.isKnown(region)) throw new Error(`seed: unknown region ${region}`);
}

export function seedSnapshot(world: World, input: SeedSnapshotInput): SnapshotRecord {
  checkRegion(world, input.region);
  const ownerId = input.ownerId ?? world.accountId;
  const encrypted = input.encrypted ?? input.kmsKeyId !== undefined;
  const snapshot: SnapshotRecord = {
    snapshotId: newId('snap'),
    region: input.region,
    ownerId,
    ownerAlias: input.ownerAlias,
    volumeId: newId('vol'),
    volumeSize: input.volumeSize ?? 8,
    state: input.state ?? 'completed',
    startTime: input.startTime ?? world.now(),
    progress: (input.state ?? 'completed') === 'completed' ? '100%' : '0%',
    description: input.description ?? '',
    encrypted,
    kmsKeyId: encrypted ? (input.kmsKeyId ?? defaultEbsKmsKeyArn(input.region, ownerId)) : undefined,
    createVolumePermissions: { userIds: new Set(input.sharedWith ?? []), public: input.public ?? false },
    productCodes: [...(input.productCodes ?? [])],
    tags: new Map(input.tags === undefined ? [] : [[ownerId, new Map(Object.entries(input.tags))]]),
    transferType: 'standard',
  };
  world.region(input.region).snapshots.set(snapshot.snapshotId, snapshot);
  return snapshot;
}

export function seedImage(world: World, input: SeedImageInput): SeededImage {
  checkRegion(world, input.region);
  const state = world.region(input.region);
  const ownerId = input.ownerId ?? world.accountId;
  const rootDeviceType = input.rootDeviceType ?? 'ebs';
  const rootDeviceName = input.rootDeviceName ?? '/dev/xvda';
  const devices = input.blockDeviceMappings ?? (rootDeviceType === 'ebs' ? [{}] : []);
  if (rootDeviceType === 'ebs' && devices.length === 0)
    throw new Error('seed: an EBS image needs a block device');

  const snapshotIds: string[] = [];
  const mappings = devices.map((device, index): BlockDevice => {
    const deviceName =
      device.deviceName ?? (index === 0 ? rootDeviceName : `/dev/sd${String.fromCharCode(97 + index)}`);
    if (device.virtualName !== undefined) return { deviceName, virtualName: device.virtualName };
    let snapshotId: string | undefined;
    let encrypted = device.encrypted ?? device.kmsKeyId !== undefined;
    let kmsKeyId = device.kmsKeyId;
    let volumeSize = device.volumeSize ?? 8;
    if (device.snapshotId !== undefined) {
      const existing = state.snapshots.get(device.snapshotId);
      if (existing === undefined)
        throw new Error(`seed: no snapshot ${device.snapshotId} in ${input.region}`);
      snapshotId = existing.snapshotId;
      encrypted = existing.encrypted;
      kmsKeyId = existing.kmsKeyId;
      volumeSize = device.volumeSize ?? existing.volumeSize;
    } else if (device.noSnapshot !== true) {
      const created = seedSnapshot(world, {
        region: input.region,
        ownerId,
        volumeSize,
        encrypted,
        kmsKeyId,
        description: `Created for seeded image ${input.name}`,
        tags: device.snapshotTags,
        state: input.state === 'pending' ? 'pending' : 'completed',
        ...input.snapshotPermissions,
      });
      snapshotId = created.snapshotId;
      kmsKeyId = created.kmsKeyId;
    }
    if (snapshotId !== undefined) snapshotIds.push(snapshotId);
    return {
      deviceName,
      ebs: {
        snapshotId,
        volumeSize,
        volumeType: device.volumeType ?? 'gp3',
        deleteOnTermination: device.deleteOnTermination ?? true,
        encrypted,
        kmsKeyId,
      },
    };
  });

  const image: ImageRecord = {
    imageId: newId('ami'),
    region: input.region,
    ownerId,
    ownerAlias: input.ownerAlias,
    name: input.name,
    description: input.description,
    state: input.state ?? 'available',
    stateReason: input.stateReason,
    rootDeviceType,
    rootDeviceName,
    imageLocation:
      rootDeviceType === 'ebs'
        ? `${ownerId}/${input.name}`
        : (input.imageLocation ?? `${ownerId}-amis/${input.name}/image.manifest.xml`),
    architecture: input.architecture ?? 'x86_64',
    virtualizationType: input.virtualizationType ?? 'hvm',
    enaSupport: input.enaSupport ?? true,
    bootMode: input.bootMode,
    imdsSupport: input.imdsSupport,
    platform: input.platform,
    blockDeviceMappings: mappings,
    creationDate: input.creationDate ?? world.now(),
    deprecationTime: input.deprecationTime,
    lastLaunchedTime: input.lastLaunchedTime,
    deregistrationProtection: {
      enabled: input.deregistrationProtection?.enabled ?? false,
      withCooldown: input.deregistrationProtection?.withCooldown ?? false,
    },
    launchPermissions: {
      userIds: new Set(input.launchPermissions?.userIds ?? []),
      public: input.public ?? false,
      organizationArns: new Set(input.launchPermissions?.organizationArns ?? []),
      organizationalUnitArns: new Set(input.launchPermissions?.organizationalUnitArns ?? []),
    },
    productCodes: [...(input.productCodes ?? [])],
    tags: new Map(input.tags === undefined ? [] : [[ownerId, new Map(Object.entries(input.tags))]]),
    sourceImageId: input.sourceImageId,
    sourceImageRegion: input.sourceImageRegion,
  };
  state.images.set(image.imageId, image);
  // Every state but pending is one EC2 sends an event for.
  if ((input.emitEvent ?? true) && image.state !== 'pending') {
    world.emitImageState(image, image.state, randomUUID(), image.stateReason?.message);
  }
  return { imageId: image.imageId, snapshotIds };
}

// ---- what uses images: instances, launch templates, external references ------------------------

export interface SeedInstanceInput {
  region: string;
  imageId: string;
  /** Default: the emulator's account. */
  ownerId?: string;
  /** Default `running`. */
  state?: InstanceStateName;
  /** Default `t3.micro`. */
  instanceType?: string;
  /** Default now. Also advances the image's `lastLaunchedTime` (EC2 reports it with a delay; the emulator at once). */
  launchTime?: Date;
  tags?: Record<string, string>;
}

export function seedInstance(world: World, input: SeedInstanceInput): string {
  checkRegion(world, input.region);
  const state = world.region(input.region);
  const ownerId = input.ownerId ?? world.accountId;
  const launchTime = input.launchTime ?? world.now();
  const instance: InstanceRecord = {
    instanceId: newId('i'),
    reservationId: newId('r'),
    region: input.region,
    ownerId,
    imageId: input.imageId,
    state: input.state ?? 'running',
    instanceType: input.instanceType ?? 't3.micro',
    launchTime,
    tags: new Map(input.tags === undefined ? [] : [[ownerId, new Map(Object.entries(input.tags))]]),
  };
  state.instances.set(instance.instanceId, instance);
  const image = state.images.get(input.imageId);
  if (image !== undefined && (image.lastLaunchedTime === undefined || image.lastLaunchedTime < launchTime)) {
    image.lastLaunchedTime = launchTime;
  }
  return instance.instanceId;
}

export interface SeedLaunchTemplateInput {
  region: string;
  name: string;
  /** Default: the emulator's account. */
  ownerId?: string;
  /** Versions 1, 2, … in order. */
  versions: ReadonlyArray<{
    imageId?: string;
    instanceType?: string;
    description?: string;
    createTime?: Date;
  }>;
  /** Default 1. */
  defaultVersion?: number;
}

export function seedLaunchTemplate(world: World, input: SeedLaunchTemplateInput): string {
  checkRegion(world, input.region);
  if (input.versions.length === 0) throw new Error('seed: a launch template needs at least one version');
  const defaultVersion = input.defaultVersion ?? 1;
  if (defaultVersion < 1 || defaultVersion > input.versions.length) {
    throw new Error(`seed: default version ${defaultVersion} does not exist`);
  }
  const ownerId = input.ownerId ?? world.accountId;
  for (const existing of world.region(input.region).launchTemplates.values()) {
    if (existing.ownerId === ownerId && existing.launchTemplateName === input.name) {
      throw new Error(`seed: launch template name ${input.name} is already in use`);
    }
  }
  const createdBy = `arn:aws:iam::${ownerId}:root`;
  const versions = input.versions.map((version, index) => {
    const data: LaunchTemplateStruct = {};
    if (version.imageId !== undefined) data.ImageId = version.imageId;
    if (version.instanceType !== undefined) data.InstanceType = version.instanceType;
    return {
      versionNumber: index + 1,
      description: version.description,
      data,
      createTime: version.createTime ?? world.now(),
      createdBy,
    };
  });
  const template: LaunchTemplateRecord = {
    launchTemplateId: newId('lt'),
    launchTemplateName: input.name,
    region: input.region,
    ownerId,
    createTime: versions[0]?.createTime ?? world.now(),
    createdBy,
    defaultVersion,
    versions,
    tags: new Map(),
  };
  world.region(input.region).launchTemplates.set(template.launchTemplateId, template);
  return template.launchTemplateId;
}

export interface SeedImageReferenceInput {
  region: string;
  imageId: string;
  resourceType: ExternalReferenceType;
  /** The referencing resource, for example `arn:aws:ssm:us-east-1:123456789012:parameter/golden/ami`. */
  arn: string;
  /** Default: the emulator's account. */
  ownerId?: string;
}

export function seedImageReference(world: World, input: SeedImageReferenceInput): void {
  checkRegion(world, input.region);
  world.region(input.region).externalReferences.push({
    imageId: input.imageId,
    resourceType: input.resourceType,
    arn: input.arn,
    ownerId: input.ownerId ?? world.accountId,
  });
}
