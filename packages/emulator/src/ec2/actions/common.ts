import type { ActionContext } from '../context.js';
import { Ec2Error } from '../errors.js';
import {
  IMAGE_ID_PATTERN,
  type ImageRecord,
  SNAPSHOT_ID_PATTERN,
  type SnapshotRecord,
  type TagStore,
  tagsOf,
} from '../model.js';
import { type Page, paginate } from '../pagination.js';
import type { QueryNode } from '../query.js';
import type { XmlObject, XmlValue } from '../xml.js';

/** Helpers shared by the action modules: id checks, resource lookup with visibility, tag input. */

export function checkImageId(imageId: string): string {
  if (!IMAGE_ID_PATTERN.test(imageId)) throw Ec2Error.imageIdMalformed(imageId);
  return imageId;
}

export function checkSnapshotId(snapshotId: string): string {
  if (!SNAPSHOT_ID_PATTERN.test(snapshotId)) throw Ec2Error.snapshotIdMalformed(snapshotId);
  return snapshotId;
}

/**
 * The image `imageId` of the request's region as the caller may address it: it must exist and be
 * launchable by the caller (owned, public or shared), else `InvalidAMIID.NotFound`, as EC2 does not
 * reveal others' private images; a deregistered image is `InvalidAMIID.Unavailable`.
 */
export function visibleImage(ctx: ActionContext, imageId: string): ImageRecord {
  checkImageId(imageId);
  const image = ctx.state.images.get(imageId);
  if (image === undefined || !ctx.world.canLaunch(image, ctx.accountId))
    throw Ec2Error.imageNotFound([imageId]);
  if (image.state === 'deregistered') throw Ec2Error.imageUnavailable(imageId);
  return image;
}

/** As `visibleImage`, and only the owner may change it (`AuthFailure` otherwise). */
export function ownedImage(ctx: ActionContext, imageId: string): ImageRecord {
  const image = visibleImage(ctx, imageId);
  if (image.ownerId !== ctx.accountId) throw Ec2Error.notAuthorized(imageId);
  return image;
}

export function visibleSnapshot(ctx: ActionContext, snapshotId: string): SnapshotRecord {
  checkSnapshotId(snapshotId);
  const snapshot = ctx.state.snapshots.get(snapshotId);
  if (snapshot === undefined) throw Ec2Error.snapshotNotFound(snapshotId);
  const { createVolumePermissions: permissions } = snapshot;
  if (snapshot.ownerId !== ctx.accountId && !permissions.public && !permissions.userIds.has(ctx.accountId)) {
    throw Ec2Error.snapshotNotFound(snapshotId);
  }
  return snapshot;
}

export function ownedSnapshot(ctx: ActionContext, snapshotId: string): SnapshotRecord {
  const snapshot = visibleSnapshot(ctx, snapshotId);
  if (snapshot.ownerId !== ctx.accountId) throw Ec2Error.notAuthorized(snapshotId);
  return snapshot;
}

/** `KmsKeyId` goes only with `Encrypted=true` (CopyImage, and RegisterImage's EBS mappings). */
export function checkKmsKeyNeedsEncryption(kmsKeyId: string | undefined, encrypted: boolean): void {
  if (kmsKeyId !== undefined && !encrypted) {
    throw new Ec2Error(
      'InvalidParameterDependency',
      'The parameter KmsKeyId requires the parameter Encrypted to be set.',
    );
  }
}

/**
 * One page of `items` for this call's `MaxResults` (checked by the caller against the action's
 * range) and `NextToken`: a token is only good for the action and region it was issued for.
 */
export function pageFor<T>(
  ctx: ActionContext,
  items: readonly T[],
  keyOf: (item: T) => string,
  maxResults: number | undefined,
): Page<T> {
  return paginate(items, keyOf, {
    action: ctx.action,
    region: ctx.region,
    maxResults,
    nextToken: ctx.params.string('NextToken'),
  });
}

// ---- tags ----------------------------------------------------------------------------------------

export const MAX_TAGS_PER_RESOURCE = 50;
const MAX_KEY_LENGTH = 127;
const MAX_VALUE_LENGTH = 256;

export interface TagInput {
  key: string;
  /** Undefined when `Tag.N.Value` was not sent at all (DeleteTags: any value). */
  value: string | undefined;
}

/** Checks a user tag key as EC2 constrains it: non-empty, at most 127 characters, not `aws:`. */
export function checkTagKey(key: string): void {
  if (key === '') {
    throw new Ec2Error(
      'InvalidTagKey.Malformed',
      'Tag keys cannot be empty or null, and cannot start with aws:.',
    );
  }
  if (key.toLowerCase().startsWith('aws:')) {
    throw Ec2Error.invalidParameterValue(
      `Value ( ${key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use`,
    );
  }
  if ([...key].length > MAX_KEY_LENGTH) {
    throw Ec2Error.invalidParameterValue(
      `Value ( ${key} ) for parameter key is invalid. Length exceeds maximum of ${MAX_KEY_LENGTH} characters.`,
    );
  }
}

export function checkTagValue(value: string): void {
  if ([...value].length > MAX_VALUE_LENGTH) {
    throw Ec2Error.invalidParameterValue(
      `Value ( ${value} ) for parameter value is invalid. Length exceeds maximum of ${MAX_VALUE_LENGTH} characters.`,
    );
  }
}

/** `Tag.N.Key` / `Tag.N.Value` under `parent`, keys checked. */
export function readTags(parent: QueryNode, name = 'Tag'): TagInput[] {
  return parent.items(name).map((item) => {
    const key = item.string('Key');
    if (key === undefined) throw Ec2Error.missingParameter(`${item.path}.Key`);
    checkTagKey(key);
    const value = item.string('Value');
    if (value !== undefined) checkTagValue(value);
    return { key, value };
  });
}

/** Tags being created: a value is required (`Tag.N.Value=` for the empty string), as moto enforces. */
export function readTagsToCreate(parent: QueryNode, name = 'Tag'): Map<string, string> {
  const tags = new Map<string, string>();
  for (const { key, value } of readTags(parent, name)) {
    if (value === undefined) {
      throw Ec2Error.invalidParameterValue('Tag value cannot be null. Use empty string instead.');
    }
    tags.set(key, value);
  }
  return tags;
}

/**
 * `TagSpecification.N` for an action that tags what it creates. `allowed` lists the resource types
 * the action accepts; EC2 refuses any other (CopyImage takes `image` and `snapshot`). Returns tags
 * by resource type.
 */
export function readTagSpecifications(
  params: QueryNode,
  allowed: readonly string[],
): Map<string, Map<string, string>> {
  const byType = new Map<string, Map<string, string>>();
  for (const spec of params.items('TagSpecification')) {
    const type = spec.string('ResourceType');
    if (type === undefined) throw Ec2Error.missingParameter(`${spec.path}.ResourceType`);
    if (!allowed.includes(type)) {
      throw Ec2Error.invalidParameterValue(
        `'${type}' is not a valid taggable resource type for this operation.`,
      );
    }
    const tags = byType.get(type) ?? new Map<string, string>();
    for (const [key, value] of readTagsToCreate(spec)) tags.set(key, value);
    if (tags.size > MAX_TAGS_PER_RESOURCE) throw tagLimitExceeded();
    byType.set(type, tags);
  }
  return byType;
}

export function tagLimitExceeded(): Ec2Error {
  return new Ec2Error('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
}

/** `<tagSet><item><key/><value/></item>…`, sorted by key; the caller's tags only. */
export function tagSetXml(store: TagStore, accountId: string): XmlValue[] {
  return [...tagsOf(store, accountId)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]): XmlObject => ({ key, value }));
}

/** `{ return: true }`: EC2 answers `<return>true</return>` for actions whose model has no output. */
export const RETURN_TRUE: XmlObject = { return: true };
