import { type Action, actionId, type PlanNote, type TagChange } from './actions.js';
import type { ImageDetail, Tags } from './model.js';

/** The tags an image of a family should carry (see `planFamily`). */
export interface TagsWanted {
  readonly image: Tags;
  readonly snapshots: Tags;
  /** A copy's: the tags its CopyImage put on it, by which a fresh copy's snapshot tags are known. */
  readonly created?: Tags;
}

/**
 * The tag actions an existing image needs: one CreateTags per distinct set of missing tags, so an
 * image and its snapshots that lack the same tags are fixed in a single call.
 */
export function tagActions(
  detail: ImageDetail,
  role: 'source' | 'copy',
  wanted: TagsWanted,
  notes: PlanNote[],
): Action[] {
  const actions: Action[] = [];
  const { image } = detail;
  const { region, imageId } = image;
  const missing: Array<{ resourceId: string; changes: TagChange[] }> = [
    { resourceId: imageId, changes: tagChanges(wanted.image, image.tags) },
  ];
  if (image.rootDeviceType === 'instance-store') {
    notes.push({ region, imageId, message: 'instance-store image: no snapshots to tag or share' });
  } else {
    for (const snapshotId of image.snapshotIds) {
      const present = snapshotTagsOf(detail, snapshotId, role, wanted);
      if (present === undefined) {
        notes.push({
          region,
          imageId,
          message: `snapshot ${snapshotId} not found; its tags are not checked`,
        });
        continue;
      }
      missing.push({ resourceId: snapshotId, changes: tagChanges(wanted.snapshots, present) });
    }
  }
  const groups = new Map<string, { resourceIds: string[]; changes: TagChange[] }>();
  for (const { resourceId, changes } of missing) {
    if (changes.length === 0) continue;
    const key = JSON.stringify(changes.map((c) => [c.key, c.value]));
    const group = groups.get(key);
    if (group) group.resourceIds.push(resourceId);
    else groups.set(key, { resourceIds: [resourceId], changes });
  }
  for (const [n, { resourceIds, changes }] of [...groups.values()].entries()) {
    const id = actionId('tag', region, n === 0 ? imageId : `${imageId}#${n}`);
    actions.push({ kind: 'tag', id, region, imageIds: [imageId], resourceIds, changes });
  }

  return actions;
}

/**
 * A snapshot's tags: as read, or for a fresh image as known without reading (a source's carry none
 * of the rule's yet; a copy's carry what its CopyImage set, while the image still carries its own
 * creation tags); undefined when neither.
 */
function snapshotTagsOf(
  detail: ImageDetail,
  snapshotId: string,
  role: 'source' | 'copy',
  wanted: TagsWanted,
): Tags | undefined {
  const read = detail.snapshots.find((s) => s.snapshotId === snapshotId);
  if (read !== undefined) return read.tags;
  if (!detail.fresh) return undefined;
  if (role === 'source' || wanted.created === undefined) return {};
  const created = wanted.created;
  const asCreated = Object.entries(created).every(([k, v]) => detail.image.tags[k] === v);
  return asCreated ? wanted.snapshots : {};
}

function tagChanges(wanted: Tags, present: Tags): TagChange[] {
  return Object.entries(wanted)
    .filter(([key, value]) => present[key] !== value)
    .map(([key, value]) =>
      Object.hasOwn(present, key) ? { key, value, previous: present[key] } : { key, value },
    );
}
