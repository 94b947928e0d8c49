import { createHash, randomBytes } from 'node:crypto';
import type { LaunchTemplateRecord, LaunchTemplateTokenRecord } from './launch-template-model.js';
import type { ExternalReferenceRecord } from './reference-sources.js';

/**
 * The emulator's model of EC2: images and snapshots per region, with what each action reads and
 * writes. Records are mutable and private to the emulator; tests read them through the `*View`
 * copies returned by `toImageView`/`toSnapshotView`.
 */

export type ImageState = 'pending' | 'available' | 'failed' | 'deregistered' | 'disabled';
export type SnapshotState = 'pending' | 'completed' | 'error';
export type RootDeviceType = 'ebs' | 'instance-store';
export type BlockPublicAccessState = 'unblocked' | 'block-new-sharing';

/**
 * Tags are per account: an account that tags a shared or public AMI sees its own tags only, and
 * CopyImageTags copies only the caller's tags. Keyed account id → key → value.
 */
export type TagStore = Map<string, Map<string, string>>;

export interface EbsDevice {
  /** Absent for an empty volume created at launch (a non-root mapping with only a size). */
  snapshotId?: string;
  volumeSize: number;
  volumeType: string;
  deleteOnTermination: boolean;
  encrypted: boolean;
  kmsKeyId?: string;
  iops?: number;
  throughput?: number;
}

export interface BlockDevice {
  deviceName: string;
  virtualName?: string;
  noDevice?: boolean;
  ebs?: EbsDevice;
}

export interface LaunchPermissions {
  userIds: Set<string>;
  /** `Group=all`: the image is public. */
  public: boolean;
  organizationArns: Set<string>;
  organizationalUnitArns: Set<string>;
}

/** No launch permission but the owner's: a new image, a copy, a reset or a disabled image. */
export function privateLaunchPermissions(): LaunchPermissions {
  return {
    userIds: new Set(),
    public: false,
    organizationArns: new Set(),
    organizationalUnitArns: new Set(),
  };
}

export interface ProductCode {
  productCode: string;
  type: 'marketplace' | 'devpay';
}

export interface StateReason {
  code: string;
  message: string;
}

export interface DeregistrationProtection {
  enabled: boolean;
  withCooldown: boolean;
  /** Set when protection enabled WithCooldown was disabled: deregistration stays refused until then. */
  cooldownUntil?: Date;
}

export interface ImageRecord {
  imageId: string;
  region: string;
  ownerId: string;
  ownerAlias?: string;
  name: string;
  description?: string;
  state: ImageState;
  stateReason?: StateReason;
  rootDeviceType: RootDeviceType;
  rootDeviceName: string;
  imageLocation: string;
  architecture: string;
  virtualizationType: string;
  enaSupport: boolean;
  bootMode?: string;
  imdsSupport?: string;
  tpmSupport?: string;
  sriovNetSupport?: string;
  kernelId?: string;
  ramdiskId?: string;
  platform?: string;
  blockDeviceMappings: BlockDevice[];
  creationDate: Date;
  deprecationTime?: Date;
  lastLaunchedTime?: Date;
  deregistrationProtection: DeregistrationProtection;
  launchPermissions: LaunchPermissions;
  productCodes: ProductCode[];
  tags: TagStore;
  sourceImageId?: string;
  sourceImageRegion?: string;
}

export interface CreateVolumePermissions {
  userIds: Set<string>;
  public: boolean;
}

export interface SnapshotRecord {
  snapshotId: string;
  region: string;
  ownerId: string;
  ownerAlias?: string;
  volumeId: string;
  volumeSize: number;
  state: SnapshotState;
  stateMessage?: string;
  startTime: Date;
  progress: string;
  description: string;
  encrypted: boolean;
  kmsKeyId?: string;
  createVolumePermissions: CreateVolumePermissions;
  productCodes: ProductCode[];
  tags: TagStore;
  transferType?: 'time-based' | 'standard';
  completionDurationMinutes?: number;
}

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';

/** A seeded instance: only what DescribeInstances and image reference checks read. */
export interface InstanceRecord {
  instanceId: string;
  reservationId: string;
  region: string;
  ownerId: string;
  imageId: string;
  state: InstanceStateName;
  instanceType: string;
  launchTime: Date;
  tags: TagStore;
}

/**
 * A CopyImage client token remembered for idempotent retries: the same token with the same
 * parameters gets the original result, with other parameters `IdempotentParameterMismatch`.
 */
export interface CopyTokenRecord {
  fingerprint: string;
  imageId: string;
}

export interface RegionState {
  readonly name: string;
  readonly images: Map<string, ImageRecord>;
  readonly snapshots: Map<string, SnapshotRecord>;
  /** Keyed `${accountId}:${clientToken}`; tokens are scoped to the destination region. */
  readonly copyTokens: Map<string, CopyTokenRecord>;
  readonly instances: Map<string, InstanceRecord>;
  readonly launchTemplates: Map<string, LaunchTemplateRecord>;
  /** Keyed `${accountId}:${action}:${clientToken}`: CreateLaunchTemplate(Version) tokens. */
  readonly launchTemplateTokens: Map<string, LaunchTemplateTokenRecord>;
  readonly externalReferences: ExternalReferenceRecord[];
  /** Block public access for AMIs is an account setting per region; accounts not listed have the default. */
  readonly blockPublicAccess: Map<string, BlockPublicAccessState>;
  readonly defaultBlockPublicAccess: BlockPublicAccessState;
}

export function createRegionState(
  name: string,
  defaultBlockPublicAccess: BlockPublicAccessState,
): RegionState {
  return {
    name,
    images: new Map(),
    snapshots: new Map(),
    copyTokens: new Map(),
    instances: new Map(),
    launchTemplates: new Map(),
    launchTemplateTokens: new Map(),
    externalReferences: [],
    blockPublicAccess: new Map(),
    defaultBlockPublicAccess,
  };
}

export function blockPublicAccessOf(region: RegionState, accountId: string): BlockPublicAccessState {
  return region.blockPublicAccess.get(accountId) ?? region.defaultBlockPublicAccess;
}

// ---- ids -----------------------------------------------------------------------------------------

/** Current-format ids: a prefix and 17 lower-case hex digits (`ami-0abcdef1234567890`). */
export function newId(prefix: 'ami' | 'snap' | 'vol' | 'i' | 'r' | 'lt'): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** AMI ids are `ami-` plus 8 (old format) or 17 hex digits. */
export const IMAGE_ID_PATTERN = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const SNAPSHOT_ID_PATTERN = /^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/**
 * The ARN of the AWS managed EBS key (`alias/aws/ebs`) of an account in a region. It is derived
 * from the pair so it is stable, and so snapshots encrypted with it can be recognised: those
 * cannot be shared with other accounts (EC2 documents this for ModifySnapshotAttribute).
 */
export function defaultEbsKmsKeyArn(region: string, accountId: string): string {
  const hex = createHash('sha256').update(`aws/ebs:${region}:${accountId}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `arn:aws:kms:${region}:${accountId}:key/${uuid}`;
}

// ---- tags ----------------------------------------------------------------------------------------

export function tagsOf(store: TagStore, accountId: string): Map<string, string> {
  return store.get(accountId) ?? new Map();
}

export function mutableTagsOf(store: TagStore, accountId: string): Map<string, string> {
  let tags = store.get(accountId);
  if (tags === undefined) {
    tags = new Map();
    store.set(accountId, tags);
  }
  return tags;
}

// ---- relations -----------------------------------------------------------------------------------

/** Images that still hold their snapshots: every state but deregistered and failed. */
export function isRegistered(image: ImageRecord): boolean {
  return image.state !== 'deregistered' && image.state !== 'failed';
}

export function snapshotIdsOf(image: ImageRecord): string[] {
  const ids: string[] = [];
  for (const mapping of image.blockDeviceMappings) {
    if (mapping.ebs?.snapshotId !== undefined) ids.push(mapping.ebs.snapshotId);
  }
  return ids;
}

/** The registered images of the region whose block device mappings use `snapshotId`. */
export function imagesUsingSnapshot(region: RegionState, snapshotId: string): ImageRecord[] {
  return [...region.images.values()].filter(
    (image) => isRegistered(image) && snapshotIdsOf(image).includes(snapshotId),
  );
}

// ---- visibility ----------------------------------------------------------------------------------

/**
 * Where an account sits in an organization: the organization's ARN and the ARNs of the OUs above
 * the account, nearest first. Launch permissions granted to the organization, or to any of those
 * OUs (sharing with an OU reaches the accounts of its child OUs too), apply to the account.
 */
export interface OrganizationMembership {
  organizationArn: string;
  ouArns: readonly string[];
}

/**
 * Launch permission held by `accountId`: owner, public, shared directly with the account, or
 * shared with its organization or one of the OUs it is under (`membership`).
 */
export function canLaunch(
  image: ImageRecord,
  accountId: string,
  membership?: OrganizationMembership,
): boolean {
  const permissions = image.launchPermissions;
  return (
    image.ownerId === accountId ||
    permissions.public ||
    permissions.userIds.has(accountId) ||
    sharedThroughOrganization(permissions, membership)
  );
}

/** Whether launch permissions reach an account through its organization or an OU above it. */
export function sharedThroughOrganization(
  permissions: LaunchPermissions,
  membership: OrganizationMembership | undefined,
): boolean {
  return (
    membership !== undefined &&
    (permissions.organizationArns.has(membership.organizationArn) ||
      membership.ouArns.some((arn) => permissions.organizationalUnitArns.has(arn)))
  );
}

export function canUseSnapshot(snapshot: SnapshotRecord, accountId: string): boolean {
  return (
    snapshot.ownerId === accountId ||
    snapshot.createVolumePermissions.public ||
    snapshot.createVolumePermissions.userIds.has(accountId)
  );
}
