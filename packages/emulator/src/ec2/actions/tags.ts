import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, parseFilters } from '../filters.js';
import { canUseSnapshot, mutableTagsOf, type TagStore, tagsOf } from '../model.js';
import { checkMaxResults } from '../pagination.js';
import {
  checkImageId,
  checkSnapshotId,
  MAX_TAGS_PER_RESOURCE,
  pageFor,
  RETURN_TRUE,
  readTags,
  readTagsToCreate,
  tagLimitExceeded,
} from './common.js';

/**
 * CreateTags, DeleteTags, DescribeTags (at most 50 tags a resource, 1000 resource ids a call;
 * DeleteTags never removes `aws:` tags) for the resources this emulator models: images and
 * snapshots. Tags belong to the calling account (see `TagStore`).
 */

const MAX_RESOURCE_IDS = 1000;

interface Taggable {
  resourceId: string;
  resourceType: 'image' | 'snapshot';
  tags: TagStore;
}

/**
 * The resource behind an id. Which not-found code AWS returns to CreateTags or DeleteTags for a
 * well-formed id that does not exist is unverified; this emulator answers as the resource's own
 * Describe call would: `InvalidAMIID.NotFound` or `InvalidSnapshot.NotFound`. An id of another type
 * or shape is `InvalidID`.
 */
function resolve(ctx: ActionContext, resourceId: string): Taggable {
  if (resourceId.startsWith('ami-')) {
    checkImageId(resourceId);
    const image = ctx.state.images.get(resourceId);
    if (image === undefined || image.state === 'deregistered' || !ctx.world.canLaunch(image, ctx.accountId)) {
      throw Ec2Error.imageNotFound([resourceId]);
    }
    return { resourceId, resourceType: 'image', tags: image.tags };
  }
  if (resourceId.startsWith('snap-')) {
    checkSnapshotId(resourceId);
    const snapshot = ctx.state.snapshots.get(resourceId);
    if (snapshot === undefined || !canUseSnapshot(snapshot, ctx.accountId)) {
      throw Ec2Error.snapshotNotFound(resourceId);
    }
    return { resourceId, resourceType: 'snapshot', tags: snapshot.tags };
  }
  throw new Ec2Error('InvalidID', `The ID '${resourceId}' is not valid`);
}

function resolveAll(ctx: ActionContext): Taggable[] {
  const resourceIds = ctx.params.strings('ResourceId');
  if (resourceIds.length === 0) {
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter resourceIdSet');
  }
  if (resourceIds.length > MAX_RESOURCE_IDS) {
    throw Ec2Error.invalidParameterValue(
      `At most ${MAX_RESOURCE_IDS} resource IDs can be specified in one request.`,
    );
  }
  return [...new Set(resourceIds)].map((id) => resolve(ctx, id));
}

/** Adds or overwrites; refused whole (`TagLimitExceeded`) if any resource would pass 50 tags. */
export const createTags: ActionHandler = (ctx) => {
  if (ctx.params.items('Tag').length === 0) throw Ec2Error.missingParameter('Tag');
  const tags = readTagsToCreate(ctx.params);
  const resources = resolveAll(ctx);
  for (const resource of resources) {
    const existing = tagsOf(resource.tags, ctx.accountId);
    const added = [...tags.keys()].filter((key) => !existing.has(key)).length;
    if (existing.size + added > MAX_TAGS_PER_RESOURCE) throw tagLimitExceeded();
  }
  for (const resource of resources) {
    const target = mutableTagsOf(resource.tags, ctx.accountId);
    for (const [key, value] of tags) target.set(key, value);
  }
  return RETURN_TRUE;
};

/**
 * A key alone deletes the tag whatever its value; a key with a value (even empty) deletes it only
 * when the value matches; no `Tag.N` at all deletes every user tag of the resources.
 */
export const deleteTags: ActionHandler = (ctx) => {
  const tags = readTags(ctx.params);
  const resources = resolveAll(ctx);
  for (const resource of resources) {
    const target = tagsOf(resource.tags, ctx.accountId);
    if (tags.length === 0) {
      target.clear();
      continue;
    }
    for (const { key, value } of tags) {
      if (value === undefined || target.get(key) === value) target.delete(key);
    }
  }
  return RETURN_TRUE;
};

interface TagItem {
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
  resourceTags: ReadonlyMap<string, string>;
}

/** The caller's tags on images and snapshots it can see; MaxResults 5–1000, paginated. */
export const describeTags: ActionHandler = (ctx) => {
  const maxResults = checkMaxResults(ctx.params.integer('MaxResults'), 5, 1000);
  const matches = compileFilters<TagItem>(parseFilters(ctx.params), {
    fields: {
      key: (item) => [item.key],
      value: (item) => [item.value],
      'resource-id': (item) => [item.resourceId],
      'resource-type': (item) => [item.resourceType],
    },
    tagsOf: (item) => item.resourceTags,
  });
  const items: TagItem[] = [];
  const collect = (resourceId: string, resourceType: string, store: TagStore) => {
    const resourceTags = tagsOf(store, ctx.accountId);
    for (const [key, value] of resourceTags)
      items.push({ resourceId, resourceType, key, value, resourceTags });
  };
  for (const image of ctx.state.images.values()) {
    if (image.state !== 'deregistered' && ctx.world.canLaunch(image, ctx.accountId))
      collect(image.imageId, 'image', image.tags);
  }
  for (const snapshot of ctx.state.snapshots.values()) {
    if (canUseSnapshot(snapshot, ctx.accountId)) collect(snapshot.snapshotId, 'snapshot', snapshot.tags);
  }
  const page = pageFor(
    ctx,
    items.filter(matches),
    (item) => `${item.resourceId}\u0000${item.key}`,
    maxResults,
  );
  return {
    tagSet: page.items.map((item) => ({
      resourceId: item.resourceId,
      resourceType: item.resourceType,
      key: item.key,
      value: item.value,
    })),
    nextToken: page.nextToken,
  };
};
