import { type ImageRecord, type SnapshotRecord, snapshotIdsOf, type TagStore, tagsOf } from './model.js';

/**
 * Read-only copies of the model's records for tests and demos (`Ec2Emulator.getImage`, …): plain
 * data, detached from the emulator's state.
 */

/** A view picks the record's fields it copies as they are, and converts the others (dates to strings, sets to arrays). */
export interface ImageView
  extends Pick<
    ImageRecord,
    | 'imageId'
    | 'region'
    | 'ownerId'
    | 'ownerAlias'
    | 'name'
    | 'description'
    | 'state'
    | 'stateReason'
    | 'rootDeviceType'
    | 'rootDeviceName'
    | 'blockDeviceMappings'
    | 'productCodes'
    | 'sourceImageId'
    | 'sourceImageRegion'
  > {
  snapshotIds: string[];
  creationDate: string;
  deprecationTime?: string;
  lastLaunchedTime?: string;
  deregistrationProtection: { enabled: boolean; withCooldown: boolean; cooldownUntil?: string };
  launchPermissions: {
    userIds: string[];
    public: boolean;
    organizationArns: string[];
    organizationalUnitArns: string[];
  };
  /** The owner's tags. */
  tags: Record<string, string>;
  /** Tags by the account that attached them (the owner's and any other account's). */
  tagsByAccount: Record<string, Record<string, string>>;
}

export interface SnapshotView
  extends Pick<
    SnapshotRecord,
    | 'snapshotId'
    | 'region'
    | 'ownerId'
    | 'volumeSize'
    | 'state'
    | 'description'
    | 'encrypted'
    | 'kmsKeyId'
    | 'transferType'
    | 'completionDurationMinutes'
  > {
  createVolumePermissions: { userIds: string[]; public: boolean };
  tags: Record<string, string>;
  tagsByAccount: Record<string, Record<string, string>>;
  startTime: string;
}

function tagRecords(store: TagStore): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [account, tags] of store) out[account] = Object.fromEntries(tags);
  return out;
}

export function toImageView(image: ImageRecord): ImageView {
  return structuredClone({
    imageId: image.imageId,
    region: image.region,
    ownerId: image.ownerId,
    ownerAlias: image.ownerAlias,
    name: image.name,
    description: image.description,
    state: image.state,
    stateReason: image.stateReason,
    rootDeviceType: image.rootDeviceType,
    rootDeviceName: image.rootDeviceName,
    blockDeviceMappings: image.blockDeviceMappings,
    snapshotIds: snapshotIdsOf(image),
    creationDate: image.creationDate.toISOString(),
    deprecationTime: image.deprecationTime?.toISOString(),
    lastLaunchedTime: image.lastLaunchedTime?.toISOString(),
    deregistrationProtection: {
      enabled: image.deregistrationProtection.enabled,
      withCooldown: image.deregistrationProtection.withCooldown,
      cooldownUntil: image.deregistrationProtection.cooldownUntil?.toISOString(),
    },
    launchPermissions: {
      userIds: [...image.launchPermissions.userIds],
      public: image.launchPermissions.public,
      organizationArns: [...image.launchPermissions.organizationArns],
      organizationalUnitArns: [...image.launchPermissions.organizationalUnitArns],
    },
    productCodes: image.productCodes,
    tags: Object.fromEntries(tagsOf(image.tags, image.ownerId)),
    tagsByAccount: tagRecords(image.tags),
    sourceImageId: image.sourceImageId,
    sourceImageRegion: image.sourceImageRegion,
  });
}

export function toSnapshotView(snapshot: SnapshotRecord): SnapshotView {
  return structuredClone({
    snapshotId: snapshot.snapshotId,
    region: snapshot.region,
    ownerId: snapshot.ownerId,
    volumeSize: snapshot.volumeSize,
    state: snapshot.state,
    description: snapshot.description,
    encrypted: snapshot.encrypted,
    kmsKeyId: snapshot.kmsKeyId,
    createVolumePermissions: {
      userIds: [...snapshot.createVolumePermissions.userIds],
      public: snapshot.createVolumePermissions.public,
    },
    tags: Object.fromEntries(tagsOf(snapshot.tags, snapshot.ownerId)),
    tagsByAccount: tagRecords(snapshot.tags),
    startTime: snapshot.startTime.toISOString(),
    transferType: snapshot.transferType,
    completionDurationMinutes: snapshot.completionDurationMinutes,
  });
}
