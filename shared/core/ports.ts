import type { DimensionsOf, MetricName } from './metrics.js';
import type { LaunchPermission, ObservedImage, ObservedSnapshot, Tags } from './model.js';
import type { ToolEvent } from './notifications.js';
import type { ObservedParameter, ObservedTemplate } from './pointers-model.js';

/**
 * The small interfaces the core needs from the outside world. The AWS adapters in `shared/aws/`
 * implement them with SDK clients; tests implement them with object literals. Every method either
 * returns what was asked or throws: an `AwsCallError` for a failure that came from AWS or the
 * network (classified once, in `awsCall`), anything else for a bug. Never an error as a value.
 */

/** Read-only EC2 calls in one region. Observation uses only these, so observing changes nothing. */
export interface Ec2Reader {
  /** The image, or undefined when EC2 does not know it (InvalidAMIID.NotFound). */
  describeImage(imageId: string): Promise<ObservedImage | undefined>;
  /**
   * Those of `imageIds` the account owns in this region, whatever their state (DescribeImages,
   * Owners=self, with an `image-id` filter, which, unlike `ImageIds`, answers for the ids it knows
   * instead of failing on one it does not): one call per 200 ids. An id missing from the answer is
   * not (or no longer, or not yet) an image of the account's here.
   */
  describeImagesById(imageIds: readonly string[]): Promise<ObservedImage[]>;
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
  /** The account's own snapshots in this region carrying the tag key (DescribeSnapshots OwnerIds=self, tag-key filter, paginated). */
  listTaggedSnapshots(tagKey: string): Promise<ObservedSnapshot[]>;
  describeCreateVolumeUserIds(snapshotId: string): Promise<string[]>;
  /** Account-level block public access for AMIs (GetImageBlockPublicAccessState is `block-new-sharing`). */
  isPublicSharingBlocked(): Promise<boolean>;
  /**
   * What in this account and region uses the image, one readable line each (`instance i-…`,
   * `launch-template lt-… v3`, `ssm-parameter …`). Empty: nothing found.
   */
  findReferences(imageId: string): Promise<string[]>;
  /**
   * A launch template's `$Default` and `$Latest` versions, by id or name: one
   * DescribeLaunchTemplateVersions. Undefined when the region has no such template.
   */
  describeLaunchTemplate(template: {
    readonly id?: string;
    readonly name?: string;
  }): Promise<ObservedTemplate | undefined>;
}

/** A new launch template version: `sourceVersion`'s data with only the image id changed. */
export interface LaunchTemplateVersionRequest {
  readonly templateId: string;
  readonly sourceVersion: number;
  readonly imageId: string;
  readonly description: string;
  /** Deterministic, so a repeated action answers the version already made. */
  readonly clientToken: string;
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

/** What DeregisterImage said about one snapshot it was asked to delete (`DeleteAssociatedSnapshots`). */
export interface SnapshotDeletionResult {
  readonly snapshotId: string;
  /** `success`, `skipped` (used by another image), `missing-permissions`, `internal-error`, `client-error`. */
  readonly returnCode: string;
}

/** Mutating EC2 calls in one region. Each is safe to repeat. */
export interface Ec2Writer {
  /** Starts a copy into this region (the destination); returns the image id EC2 answered with. */
  copyImage(request: CopyImageRequest): Promise<string>;
  /** One CreateTags call for all the resources (images and snapshots). */
  createTags(resourceIds: readonly string[], tags: Tags): Promise<void>;
  /** One ModifyImageAttribute call adding all the permissions. */
  addLaunchPermissions(imageId: string, permissions: readonly LaunchPermission[]): Promise<void>;
  /** One ModifyImageAttribute call removing them. */
  removeLaunchPermissions(imageId: string, permissions: readonly LaunchPermission[]): Promise<void>;
  addCreateVolumePermissions(snapshotId: string, userIds: readonly string[]): Promise<void>;
  /** EnableImageDeprecation at `at` (UTC, a whole minute, not in the past). */
  enableDeprecation(imageId: string, at: Date): Promise<void>;
  /** DisableImageDeprecation: the image is current again. */
  disableDeprecation(imageId: string): Promise<void>;
  /** DisableImage: the image cannot be launched and loses its launch permissions. */
  disableImage(imageId: string): Promise<void>;
  /** EnableImage: a disabled image is available again (without its former launch permissions). */
  enableImage(imageId: string): Promise<void>;
  /** DeregisterImage with `DeleteAssociatedSnapshots: true`; the per-snapshot results EC2 returned. */
  deregister(imageId: string): Promise<{ snapshotResults: SnapshotDeletionResult[] }>;
  /** DeleteSnapshot. EC2 refuses (`InvalidSnapshot.InUse`) while any registered image uses it. */
  deleteSnapshot(snapshotId: string): Promise<void>;
  /** CreateLaunchTemplateVersion; returns the new version's number. */
  createLaunchTemplateVersion(request: LaunchTemplateVersionRequest): Promise<number>;
  /** ModifyLaunchTemplate's default version. */
  setDefaultLaunchTemplateVersion(templateId: string, version: number): Promise<void>;
}

/** The one EC2 port: every call the tool makes in one region. */
export type Ec2Port = Ec2Reader & Ec2Writer;

/** The EC2 interface of a region; implementations build one client per region, once. */
export type Ec2ForRegion = (region: string) => Ec2Port;

/** What PutParameter writes. */
export interface PutParameterRequest {
  readonly name: string;
  readonly value: string;
  /** `aws:ec2:image` for the pointers (AWS validates the value asynchronously), `text` for the rule state. */
  readonly dataType: 'text' | 'aws:ec2:image';
  readonly description: string;
  /** Put on the parameter when it is created (AWS refuses Tags with Overwrite; see `SsmPort.putParameter`). */
  readonly tags: Tags;
}

/** SSM Parameter Store in one region, as the pointers need it. */
export interface SsmPort {
  /** The parameters that exist among `names` (GetParameters, 10 names a call); absent names do not exist. */
  getParameters(names: readonly string[]): Promise<Map<string, ObservedParameter>>;
  /**
   * Writes the value: creates the parameter with its tags, or, when it exists (`exists`, as
   * observed), overwrites it, with no tag call (the tool tagged it when it created it). A create
   * that finds the parameter made meanwhile (a repeat, a race) overwrites it and then tags it with
   * AddTagsToResource, since AWS refuses Tags together with Overwrite. Returns the version.
   */
  putParameter(request: PutParameterRequest, exists: boolean): Promise<number>;
  /** LabelParameterVersion: attaches the labels to the version (moving them from another). */
  labelParameterVersion(name: string, version: number, labels: readonly string[]): Promise<void>;
}

export type SsmForRegion = (region: string) => SsmPort;

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

/**
 * Counts and durations for operators (the table is `METRICS` in `metrics.ts`). The Lambda adapter
 * sums counts and keeps durations per invocation and writes them as EMF when the invocation ends,
 * so a call costs nothing but memory; the CLI passes `noMetrics`.
 */
export interface MetricsPort {
  add<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void;
}

/** What a claim on a family's announcement found. */
export type ClaimOutcome =
  /** The caller holds the claim: it publishes, then calls `published` (or `release` when it could not). */
  | 'claimed'
  /** Announced already. */
  | 'published'
  /** Another invocation holds a live claim and may be publishing right now. */
  | 'in-progress';

/**
 * Claims that make an announcement exactly once per family: a conditional write that one caller
 * wins. A claim is a lease: one whose holder died before publishing can be taken over once the
 * lease has run out, so a crash never loses the announcement.
 */
export interface CompletionClaims {
  claim(key: string, owner: string): Promise<ClaimOutcome>;
  /** Marks the claim announced; false when the lease had run out and another caller took it over. */
  published(key: string, owner: string): Promise<boolean>;
  /** Gives the claim up (publishing failed) so a retry need not wait for the lease. */
  release(key: string, owner: string): Promise<void>;
  /**
   * Records that `region` of the release `key` is done (its image available and every change to it
   * applied), with the image there (and, from the source region, the source's name), and returns
   * every region recorded done so far with the name: one atomic write, so of handlers finishing
   * together the last one sees the whole set.
   */
  markDone(key: string, region: string, imageId: string, imageName?: string): Promise<ReleaseProgress>;
}

export interface ReleaseProgress {
  /** Region → the image there, for every region recorded done. */
  readonly regions: ReadonlyMap<string, string>;
  readonly imageName?: string;
  /** When the first region was recorded done (ISO 8601): the release's completion time is measured from it. */
  readonly firstDoneAt?: string;
}

/** The claims of a region: a family's claims are kept in its source region. */
export type ClaimsForRegion = (region: string) => CompletionClaims;

/** Who the tool acts for: the account of the caller's credentials (STS), or of the function. */
export interface AccountIdentity {
  accountId(): Promise<string>;
}

/** A copy the copy cap held back, kept so that the copy that frees a slot starts it. */
export interface DeferredCopyEntry {
  /** `<sourceRegion>/<sourceImageId>`. */
  readonly key: string;
  readonly rule: string;
  /** The source's creation date: the newest deferred copy starts first. */
  readonly sourceCreationDate: string;
}

/**
 * The copies in flight in one region, for the event path's copy cap: a slot per copy, kept in the
 * region's table, every change one conditional write so that handlers racing for the last slot
 * cannot both take it.
 */
export interface CopySlots {
  /**
   * Takes a slot for the copy `key` when fewer than `cap` are taken (a slot it holds counts as
   * its own): true. Otherwise records the copy as deferred and answers false.
   */
  acquire(key: string, cap: number, deferred: DeferredCopyEntry): Promise<boolean>;
  /**
   * Gives `key`'s slot back (nothing happens when it held none) and, when a slot is free, takes it
   * for the newest deferred copy and returns that copy, for the caller to start.
   */
  release(key: string, cap: number): Promise<DeferredCopyEntry | undefined>;
  /**
   * The scheduled run's correction, from what it observed: a slot for every copy pending here
   * (`pending`), none for a copy no longer pending whose slot was taken before `takenBefore` (a
   * copy whose event was lost), and no deferred entry for a copy that exists now (`started`).
   */
  resync(pending: readonly string[], started: readonly string[], takenBefore: Date): Promise<void>;
}

export type CopySlotsForRegion = (region: string) => CopySlots;

/** An account under a root or OU, as `ListAccountsForParent` answers it. */
export interface OrganizationAccount {
  readonly id: string;
  /** `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`: only active accounts are targeted. */
  readonly status: string;
}

/**
 * AWS Organizations, read-only, as resolving a rule's target accounts needs it. Callable only from
 * the management account or a delegated administrator.
 */
export interface OrganizationsReader {
  /** The organization's root ids (ListRoots, paginated). */
  listRoots(): Promise<string[]>;
  /** The OUs directly under a root or OU (ListChildren `ORGANIZATIONAL_UNIT`, paginated). */
  listChildOus(parentId: string): Promise<string[]>;
  /** The accounts directly under a root or OU (ListAccountsForParent, paginated). */
  listAccountsForParent(parentId: string): Promise<OrganizationAccount[]>;
}

/** Organizations through a role (`accounts.organizationsRole`), or with the tool's own credentials. */
export type OrganizationsFor = (roleArn: string | undefined) => OrganizationsReader;

/** What KMS says of a key (DescribeKey). */
export interface KeyDescription {
  readonly arn: string;
  /** `AWS` for AWS managed keys (`aws/ebs`), which no other account can ever use. */
  readonly manager: 'AWS' | 'CUSTOMER';
  readonly enabled: boolean;
}

/** KMS in one region. */
export interface KeyReader {
  /**
   * The key (a key id, ARN, alias name or alias ARN), or undefined when the caller cannot use it:
   * KMS answers `NotFoundException` or `AccessDeniedException`.
   */
  describeKey(keyId: string): Promise<KeyDescription | undefined>;
}

export type KeysForRegion = (region: string) => KeyReader;

/** What the tool can do in another account, through the member role it assumes there. */
export interface MemberPorts {
  readonly ec2: Ec2ForRegion;
  readonly kms: KeysForRegion;
}

/** The member ports of an account; implementations assume the role once and keep the clients. */
export type MembersFor = (accountId: string) => MemberPorts;

/**
 * One (account, region) of the organization fan-out: reconcile the copies owned by `account` in
 * `region` for `rules`, the rules that targeted the account when the item was made (the hub
 * resolved them then; the worker does not ask Organizations again).
 */
export interface MemberWorkItem {
  readonly account: string;
  readonly region: string;
  readonly rules: readonly string[];
  /**
   * The release the item is for (the event path's items): once the account's copy of it is
   * available here, or the region is skipped, the pair is recorded for the release's completion.
   */
  readonly release?: { readonly sourceImageId: string; readonly sourceRegion: string };
  /** A copy of the account here that became available (its forwarded event): recorded the same way. */
  readonly imageId?: string;
  /** Per rule, the (account, region) pairs its completion waits for, as the hub resolved them. */
  readonly expected?: Readonly<Record<string, MemberExpectation>>;
}

/** What a release's completion across target accounts waits for: so many pairs, of these targets. */
export interface MemberExpectation {
  /** Of the sorted target accounts and regions: new targets make a new distribution. */
  readonly fingerprint: string;
  readonly pairs: number;
}

/** The queue the fan-out's work items go to (SQS; the member-work function consumes it). */
export interface WorkQueue {
  /** Every item is accepted by the queue, or this throws an `AwsCallError`. */
  send(items: readonly MemberWorkItem[]): Promise<void>;
}

/**
 * What the tool last saw of each rule's target accounts, kept in a table: `swap` stores the new set
 * and returns the one it replaced, in one atomic write, so of runs seeing the same change together
 * exactly one gets the old set back (and reports the change).
 */
export interface TargetsMemory {
  /** Stores `accounts` (sorted) as the rule's targets; the set stored before, undefined the first time. */
  swap(rule: string, accounts: readonly string[]): Promise<readonly string[] | undefined>;
}

export type TargetsMemoryForRegion = (region: string) => TargetsMemory;
