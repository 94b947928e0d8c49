import type { LaunchPermission, ObservedImage, ObservedSnapshot, Tags } from './model.js';
import type { ToolEvent } from './notifications.js';

/**
 * The small interfaces the core needs from the outside world. The AWS adapters in `shared/aws/`
 * implement them with SDK clients; tests implement them with object literals. Every method either
 * returns what was asked or throws an `AwsCallError` (never returns an error as a value).
 */

/** Read-only EC2 calls in one region. Observation uses only these, so observing changes nothing. */
export interface Ec2Reader {
  /** The image, or undefined when EC2 does not know it (InvalidAMIID.NotFound). */
  describeImage(imageId: string): Promise<ObservedImage | undefined>;
  /**
   * Every image in this region visible with these owners (`self` or account ids) and, when given,
   * names matching one of the globs (EC2 filter wildcards), whatever its state. Paginated.
   */
  listImages(query: { owners: readonly string[]; names?: readonly string[] }): Promise<ObservedImage[]>;
  /**
   * Ids of the account's own images in this region shared directly with `accountId`
   * (DescribeImages Owners=self ExecutableBy=account, paginated): one listing answers for every image,
   * where DescribeImageAttribute costs one call per image.
   */
  imagesExecutableBy(accountId: string): Promise<ReadonlySet<string>>;
  /** Ids of the account's own snapshots in this region that `accountId` may create volumes from (DescribeSnapshots RestorableBy). */
  snapshotsRestorableBy(accountId: string): Promise<ReadonlySet<string>>;
  /** Every image in this region (owned by the account) that EC2 says was copied from `sourceImageId`, whatever its state. */
  findCopies(sourceImageId: string, sourceRegion: string): Promise<ObservedImage[]>;
  describeLaunchPermissions(imageId: string): Promise<LaunchPermission[]>;
  describeSnapshots(snapshotIds: readonly string[]): Promise<ObservedSnapshot[]>;
  describeCreateVolumeUserIds(snapshotId: string): Promise<string[]>;
  /** Account-level block public access for AMIs (GetImageBlockPublicAccessState is `block-new-sharing`). */
  isPublicSharingBlocked(): Promise<boolean>;
}

export interface CopyImageRequest {
  readonly name: string;
  readonly description: string;
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  /** Deterministic, so a repeated event or a Lambda retry never starts a second copy. */
  readonly clientToken: string;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  readonly copyImageTags: boolean;
  /** Put on the new image by CopyImage itself (TagSpecifications), so tag-on-create policies pass. */
  readonly imageTags: Tags;
  /** Put on all the new snapshots by CopyImage itself; absent for instance-store images, which have none. */
  readonly snapshotTags?: Tags;
  readonly completionDurationMinutes?: number;
}

/** Mutating EC2 calls in one region. Each is safe to repeat. */
export interface Ec2Writer {
  /** Starts a copy into this region (the destination); returns the new image id. */
  copyImage(request: CopyImageRequest): Promise<string>;
  /** One CreateTags call for all the resources (an image and its snapshots). */
  createTags(resourceIds: readonly string[], tags: Tags): Promise<void>;
  /** One ModifyImageAttribute call adding all the permissions. */
  addLaunchPermissions(imageId: string, permissions: readonly LaunchPermission[]): Promise<void>;
  addCreateVolumePermissions(snapshotId: string, userIds: readonly string[]): Promise<void>;
}

export type Ec2Port = Ec2Reader & Ec2Writer;

/** The EC2 interface of a region; implementations build one client per region, once. */
export type Ec2ForRegion = (region: string) => Ec2Port;

/** Operator notifications on the tool's own event bus. */
export interface EventPublisher {
  /** Every event is accepted by its bus, or this throws an `AwsCallError` saying whether a retry can help. */
  publish(events: readonly ToolEvent[]): Promise<void>;
}

/** The logger the core writes to; Powertools' Logger satisfies it. */
export interface LoggerPort {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** What a claim on a family's completion found. */
export type ClaimOutcome =
  /** The caller holds the claim: it publishes, then calls `published` (or `release` when it could not). */
  | 'claimed'
  /** Completion was announced already. */
  | 'published'
  /** Another invocation holds a live claim and may be publishing right now. */
  | 'in-progress';

/**
 * Claims that make `AMI Distribution Completed` exactly once per family: a conditional write that
 * one caller wins. A claim is a lease: one whose holder died before publishing can be taken over
 * once the lease has run out, so a crash never loses the announcement.
 */
export interface CompletionClaims {
  claim(key: string, owner: string): Promise<ClaimOutcome>;
  /** Marks the claim announced; false when the lease had run out and another caller took it over. */
  published(key: string, owner: string): Promise<boolean>;
  /** Gives the claim up (publishing failed) so a retry need not wait for the lease. */
  release(key: string, owner: string): Promise<void>;
}

/** The claims of a region: a family's claims are kept in its source region. */
export type ClaimsForRegion = (region: string) => CompletionClaims;
