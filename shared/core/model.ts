import type { AwsCallError } from './errors.js';

/**
 * What the core knows about EC2, in its own words. Observation produces these; the planner reads
 * only these. They are plain data, so planner tests are tables of literals.
 */

export type Tags = Readonly<Record<string, string>>;

export type ImageState =
  | 'pending'
  | 'available'
  | 'invalid'
  | 'deregistered'
  | 'transient'
  | 'failed'
  | 'error'
  | 'disabled';

export interface ObservedImage {
  readonly region: string;
  readonly imageId: string;
  readonly name: string;
  readonly ownerId: string;
  /** `amazon` or `aws-marketplace` for images owned by AWS or sold on the Marketplace. */
  readonly ownerAlias?: string;
  readonly state: ImageState;
  /** EC2's stateReason message, set on failed images. */
  readonly stateReason?: string;
  /** `instance-store` images have their root volume template in S3 and no snapshots. */
  readonly rootDeviceType: 'ebs' | 'instance-store';
  /** The EBS snapshots of the block device mappings, in mapping order. */
  readonly snapshotIds: readonly string[];
  readonly tags: Tags;
  readonly isPublic: boolean;
  /** Set by EC2 on copies. */
  readonly sourceImageId?: string;
  readonly sourceImageRegion?: string;
  readonly creationDate?: string;
  readonly deprecationTime?: string;
  /** EC2 reports e.g. `enabled`, `disabled`, `enabled-with-cooldown`...; anything but absent/`disabled` protects. */
  readonly deregistrationProtection?: string;
  /**
   * When the image last launched an instance, in any account (launches by accounts it is shared
   * with count too). EC2 reports a launch with up to a 24-hour delay, and has data since April
   * 2017; absent: no launch reported.
   */
  readonly lastLaunchedTime?: string;
  /** Marketplace product codes: such an image can never be made public. */
  readonly hasMarketplaceCode: boolean;
}

export interface ObservedSnapshot {
  readonly snapshotId: string;
  readonly tags: Tags;
  readonly encrypted: boolean;
  /** The KMS key of an encrypted snapshot, as EC2 reports it (a key ARN). */
  readonly kmsKeyId?: string;
  /**
   * Who manages that key, as KMS says (read only for sources shared with target accounts):
   * `AWS` (the `aws/ebs` key) can never be used by another account.
   */
  readonly kmsKeyManager?: 'AWS' | 'CUSTOMER';
  /** Accounts with createVolumePermission; undefined when not observed (the rule does not share snapshots). */
  readonly createVolumeUserIds?: readonly string[];
}

export type LaunchPermission =
  | { readonly kind: 'account'; readonly id: string }
  | { readonly kind: 'organization'; readonly arn: string }
  | { readonly kind: 'organizational-unit'; readonly arn: string }
  | { readonly kind: 'public' };

export function launchPermissionKey(permission: LaunchPermission): string {
  switch (permission.kind) {
    case 'account':
      return `account:${permission.id}`;
    case 'organization':
      return `organization:${permission.arn}`;
    case 'organizational-unit':
      return `ou:${permission.arn}`;
    case 'public':
      return 'public';
  }
}

/**
 * An image as the planner sees it: what DescribeImages said, and what else was read about it.
 * What was not read is either unknown (the planner leaves it alone, with a note) or, for an image
 * `fresh` to the tool, known by construction (see `fresh`).
 */
export interface ImageDetail {
  readonly image: ObservedImage;
  /** undefined when not read (the rule shares nothing, or the image is `fresh`). */
  readonly launchPermissions?: readonly LaunchPermission[];
  /** The snapshots read, with their tags (and create-volume permissions when read). */
  readonly snapshots: readonly ObservedSnapshot[];
  /** Whether account-level block public access for AMIs is on in this region; observed only when public sharing is wanted. */
  readonly publicSharingBlocked?: boolean;
  /**
   * Nothing but DescribeImages was read, because the image is new to the tool, and what a new
   * image has is known without asking: no launch or create-volume permissions granted yet; a
   * source's snapshots without the rule's tags; a copy's snapshots with exactly the tags its
   * CopyImage set, as long as the image itself still carries those.
   */
  readonly fresh?: boolean;
}

/** What was seen in one target region of a rule. */
export type TargetObservation =
  | {
      readonly status: 'observed';
      /** Every copy of the source in this region (found by SourceImageId), whatever its state. */
      readonly copies: readonly ObservedImage[];
      /** Copies observed in full (the event path for a copy, and the scheduled reconcile). */
      readonly details: readonly ImageDetail[];
    }
  /** The region could not be read: not enabled, not authorised, throttled... (the error says which, and whether a retry can help). */
  | { readonly status: 'unavailable'; readonly error: AwsCallError }
  /**
   * Not read, because no copy can be there: the source is new to the tool, and the tool starts a
   * copy only after tagging its source. A copy is started with a first-generation token.
   */
  | { readonly status: 'none-yet' };

/** Everything the planner needs for one managed image family: a source and its copies. */
export interface Observation {
  /** The account the tool runs in: only its own images can be re-permissioned. */
  readonly accountId: string;
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  /** The source in full, when the work concerns it (its own event, or a reconcile of its region). */
  readonly source?: ImageDetail;
  /** The source image, when known, to start copies from (observed in full or not). */
  readonly sourceImage?: ObservedImage;
  /** Target regions that were looked at; a region absent here is left alone. */
  readonly targets: Readonly<Record<string, TargetObservation>>;
  /**
   * The rule's target accounts (`accounts`, resolved): the source is shared with each of them,
   * snapshots included, so that each can copy it. Absent: the rule has none.
   */
  readonly memberAccounts?: readonly string[];
}

/**
 * Lineage tags: every copy names its source image, source region and rule, and (copies made since
 * pointers were added) the source's creation date, which orders releases (`releaseOrder`) with no
 * read of the source.
 */
export const LINEAGE = {
  rule: 'ami-lifecycle:rule',
  sourceImageId: 'ami-lifecycle:source-image-id',
  sourceRegion: 'ami-lifecycle:source-region',
  sourceCreated: 'ami-lifecycle:source-created',
  /** On copies owned by a target account: the account that owns the source (the hub). */
  sourceAccount: 'ami-lifecycle:source-account',
} as const;
