import { type Action, actionId, type TagChange } from './actions.js';
import type { ObservedImage, ObservedSnapshot } from './model.js';
import { lineageOfManaged, type ManagedImage } from './retire-decide.js';

/**
 * The one delete path. Every deletion the tool makes (a retired image, a failed copy that a good
 * one replaced, a snapshot a deletion left behind) is planned here, so each goes the same way:
 *
 * 1. the image and its snapshots are tagged `ami-lifecycle:retired = <image id>`: the tool's
 *    decision, written down where a later run finds it;
 * 2. DeregisterImage deletes the snapshots with the image (a lost answer is confirmed by reading);
 * 3. each snapshot EC2 left is deleted (one in use by another image is kept, never forced);
 * 4. the deregistration is announced, with what happened to each snapshot.
 *
 * A snapshot whose deletion failed keeps the tag: once its image is gone, the next run sweeps it
 * (`planSnapshotSweep`). Callers decide WHETHER to delete (managed, owned, unprotected,
 * unreferenced, `retire.apply`); this module only decides HOW.
 */

/** The tag a deregistration leaves on the image's snapshots: the image they were retired with. */
export const RETIRED_TAG = 'ami-lifecycle:retired';

/**
 * An image, with its lineage, removed for `reason`: the tool's intent tagged on it and its
 * snapshots, DeregisterImage, the deletion of each snapshot EC2 left, and the announcement. Used
 * by retirement and by the clean-up of failed copies.
 */
export function deregistration(entry: ManagedImage, reason: string): Action[] {
  const { image } = entry;
  const { region, imageId } = image;
  const snapshotIds = image.rootDeviceType === 'ebs' ? [...image.snapshotIds] : [];
  const lineage = lineageOfManaged(entry);
  const actions: Action[] = [];
  const deregisterId = actionId('deregister', region, imageId);
  const tagId = actionId('tag', region, `retired/${imageId}`);
  const marked = image.tags[RETIRED_TAG] === imageId;
  if (!marked && snapshotIds.length > 0) {
    const change: TagChange = { key: RETIRED_TAG, value: imageId };
    actions.push({
      kind: 'tag',
      id: tagId,
      region,
      imageIds: [imageId],
      resourceIds: [imageId, ...snapshotIds],
      changes: [change],
    });
  }
  actions.push({
    kind: 'deregister',
    id: deregisterId,
    region,
    ...(!marked && snapshotIds.length > 0 ? { after: [tagId] } : {}),
    imageId,
    snapshotIds,
    ...lineage,
    reason,
  });
  const deletions = snapshotIds.map((snapshotId) => ({
    kind: 'delete-snapshot' as const,
    id: actionId('delete-snapshot', region, snapshotId),
    region,
    after: [deregisterId],
    imageId,
    snapshotId,
    reason: `deleted with ${imageId}`,
  }));
  actions.push(...deletions, {
    kind: 'announce',
    id: actionId('announce', region, `deregistered/${imageId}`),
    region: entry.sourceRegion,
    after: [deregisterId],
    waitsFor: deletions.map((d) => d.id),
    announcement: { kind: 'deregistered', imageId, region, ...lineage, reason, snapshotIds },
  });
  return actions;
}

/**
 * Snapshots a deregistration left behind: tagged `ami-lifecycle:retired = <image>` by the tool,
 * whose image is gone from the region, and that no registered image here uses. Each is deleted;
 * one still in use is kept by EC2 (InvalidSnapshot.InUse) and reported, never forced.
 */
export function planSnapshotSweep(
  region: string,
  retiredSnapshots: readonly ObservedSnapshot[],
  registered: readonly ObservedImage[],
): Action[] {
  const images = new Set(registered.filter((i) => i.state !== 'deregistered').map((i) => i.imageId));
  const inUse = new Set(registered.filter((i) => i.state !== 'deregistered').flatMap((i) => i.snapshotIds));
  return retiredSnapshots.flatMap((snapshot) => {
    const imageId = snapshot.tags[RETIRED_TAG];
    if (imageId === undefined || images.has(imageId) || inUse.has(snapshot.snapshotId)) return [];
    return [
      {
        kind: 'delete-snapshot' as const,
        id: actionId('delete-snapshot', region, snapshot.snapshotId),
        region,
        imageId,
        snapshotId: snapshot.snapshotId,
        reason: `left behind when ${imageId} was deregistered`,
      },
    ];
  });
}
