import { createHash } from 'node:crypto';
import type { Rule } from '../rules/schema.js';
import type { Action, Plan, PlanNote, TagChange } from './actions.js';
import {
  type ImageDetail,
  type LaunchPermission,
  LINEAGE,
  launchPermissionKey,
  type Observation,
  type Tags,
} from './model.js';

/**
 * The planner: a pure function from a rule and what was observed to the actions that bring the
 * observed images to the state the rule describes. It reads no clock, no environment and no
 * network, so the same inputs always give the same plan, and an image already in its desired
 * state gives an empty one (the same event delivered twice changes nothing).
 *
 * Order within the plan: tags, then launch permissions, then snapshot permissions, then copies.
 * Tagging the source first means CopyImageTags carries the source's final tags to every copy.
 */
export function plan(rule: Rule, observation: Observation): Plan {
  const actions: Action[] = [];
  const notes: PlanNote[] = [];

  if (observation.source) {
    const detail = observation.source;
    const imageTags = sourceImageTags(rule);
    planImage(rule, detail, imageTags, snapshotTags(rule, imageTags), observation.accountId, actions, notes);
  }

  for (const region of rule.copy?.regions ?? []) {
    if (region === observation.sourceRegion) continue;
    const target = observation.targets[region];
    if (target === undefined) continue;
    if (target.status === 'unavailable') {
      notes.push({ region, message: `region skipped: ${target.error.code} from ${target.error.operation}` });
      continue;
    }
    const live = target.copies.filter((c) => c.state === 'pending' || c.state === 'available');
    const failed = target.copies.filter(
      (c) => c.state === 'failed' || c.state === 'error' || c.state === 'invalid',
    );
    if (live.length === 0) {
      planCopy(rule, observation, region, failed.length, actions, notes);
    } else {
      for (const copy of live.filter((c) => c.state === 'pending')) {
        notes.push({ region, imageId: copy.imageId, message: 'copy in progress (pending)' });
      }
      if (live.length > 1) {
        notes.push({
          region,
          message: `${live.length} copies of ${observation.sourceImageId} exist here (${live.map((c) => c.imageId).join(', ')}); none is started again`,
        });
      }
    }
    for (const detail of target.details) {
      if (detail.image.state !== 'available') continue;
      const imageTags = copyImageTags(rule, observation.sourceImageId, observation.sourceRegion);
      planImage(
        rule,
        detail,
        imageTags,
        snapshotTags(rule, imageTags),
        observation.accountId,
        actions,
        notes,
      );
    }
  }

  const phase: Record<Action['kind'], number> = { tag: 0, 'share-image': 1, 'share-snapshot': 2, copy: 3 };
  return { actions: actions.sort((a, b) => phase[a.kind] - phase[b.kind]), notes };
}

/** The source AMI: the rule's image tags, plus the rule's name so the tool (and IAM conditions) can tell it is managed. */
export function sourceImageTags(rule: Rule): Tags {
  return { ...rule.tags?.image, [LINEAGE.rule]: rule.name };
}

/** A copy: the rule's copy tags and its lineage. */
export function copyImageTags(rule: Rule, sourceImageId: string, sourceRegion: string): Tags {
  return {
    ...rule.copy?.tags,
    [LINEAGE.rule]: rule.name,
    [LINEAGE.sourceImageId]: sourceImageId,
    [LINEAGE.sourceRegion]: sourceRegion,
  };
}

/** Snapshots inherit their image's tags unless the rule says otherwise, plus the rule's snapshot extras. */
export function snapshotTags(rule: Rule, imageTags: Tags): Tags {
  const inherit = rule.tags?.inheritToSnapshots ?? true;
  return {
    ...(inherit ? imageTags : { [LINEAGE.rule]: rule.name }),
    ...rule.tags?.snapshots,
  };
}

function planImage(
  rule: Rule,
  detail: ImageDetail,
  imageTags: Tags,
  wantedSnapshotTags: Tags,
  accountId: string,
  actions: Action[],
  notes: PlanNote[],
): void {
  const { image } = detail;
  const { region, imageId } = image;

  // Tags: one CreateTags per distinct set of missing tags, so an image and its snapshots that
  // lack the same tags are fixed in a single call.
  const missing: Array<{ resourceId: string; changes: TagChange[] }> = [
    { resourceId: imageId, changes: tagChanges(imageTags, image.tags) },
  ];
  if (image.rootDeviceType === 'instance-store') {
    notes.push({ region, imageId, message: 'instance-store image: no snapshots to tag or share' });
  } else {
    for (const snapshotId of image.snapshotIds) {
      const snapshot = detail.snapshots.find((s) => s.snapshotId === snapshotId);
      if (snapshot === undefined) {
        notes.push({
          region,
          imageId,
          message: `snapshot ${snapshotId} not found; its tags are not checked`,
        });
        continue;
      }
      missing.push({ resourceId: snapshotId, changes: tagChanges(wantedSnapshotTags, snapshot.tags) });
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
  for (const { resourceIds, changes } of groups.values()) {
    actions.push({ kind: 'tag', region, imageId, resourceIds, changes });
  }

  const share = rule.share;
  if (share === undefined) return;
  const wanted = wantedLaunchPermissions(rule, accountId);
  if (image.ownerId !== accountId) {
    if (wanted.length > 0 || share.snapshotPermissions) {
      notes.push({
        region,
        imageId,
        message: `sharing refused: the image is owned by ${image.ownerId}, not this account; only images the account owns can be re-permissioned`,
      });
    }
    return;
  }

  if (detail.launchPermissions !== undefined) {
    const present = new Set(detail.launchPermissions.map(launchPermissionKey));
    if (image.isPublic) present.add('public');
    const add = wanted.filter((p) => {
      if (present.has(launchPermissionKey(p))) return false;
      if (p.kind !== 'public') return true;
      if (image.hasMarketplaceCode) {
        notes.push({
          region,
          imageId,
          message: 'public sharing refused: images with a Marketplace product code cannot be made public',
        });
        return false;
      }
      if (detail.publicSharingBlocked) {
        notes.push({
          region,
          imageId,
          message: 'public sharing refused: block public access for AMIs is on in this region',
        });
        return false;
      }
      return true;
    });
    if (add.length > 0) actions.push({ kind: 'share-image', region, imageId, add });
  }

  if (share.snapshotPermissions && image.rootDeviceType === 'ebs') {
    const wantedUsers = share.accounts.filter((id) => id !== accountId);
    for (const snapshot of detail.snapshots) {
      if (snapshot.createVolumeUserIds === undefined) continue;
      const have = new Set(snapshot.createVolumeUserIds);
      const addUserIds = wantedUsers.filter((id) => !have.has(id));
      if (addUserIds.length > 0) {
        actions.push({
          kind: 'share-snapshot',
          region,
          imageId,
          snapshotId: snapshot.snapshotId,
          addUserIds,
        });
      }
    }
  }
}

/** The launch permissions a rule grants, less the account itself (it can always launch its own images). */
export function wantedLaunchPermissions(rule: Rule, accountId: string): LaunchPermission[] {
  const share = rule.share;
  if (share === undefined) return [];
  const wanted: LaunchPermission[] = [
    ...share.accounts.filter((id) => id !== accountId).map((id) => ({ kind: 'account' as const, id })),
    ...share.organizations.map((arn) => ({ kind: 'organization' as const, arn })),
    ...share.organizationalUnits.map((arn) => ({ kind: 'organizational-unit' as const, arn })),
  ];
  if (share.public && share.allowPublic) wanted.push({ kind: 'public' });
  return wanted;
}

function tagChanges(wanted: Tags, present: Tags): TagChange[] {
  return Object.entries(wanted)
    .filter(([key, value]) => present[key] !== value)
    .map(([key, value]) => (key in present ? { key, value, previous: present[key] } : { key, value }));
}

function planCopy(
  rule: Rule,
  observation: Observation,
  region: string,
  generation: number,
  actions: Action[],
  notes: PlanNote[],
): void {
  const copy = rule.copy;
  const source = observation.sourceImage ?? observation.source?.image;
  if (copy === undefined || source === undefined) return;
  if (source.state !== 'available') {
    notes.push({
      region,
      imageId: source.imageId,
      message: `no copy started: the source is ${source.state}`,
    });
    return;
  }
  const values: Record<string, string> = {
    name: source.name,
    imageId: source.imageId,
    sourceRegion: source.region,
    region,
    rule: rule.name,
    creationDate: source.creationDate ?? '',
  };
  const imageTags = copyImageTags(rule, source.imageId, source.region);
  const kmsKeyId = copy.kmsKeys[region];
  const request = {
    name: amiName(render(copy.name, values)),
    description: render(copy.description, values).slice(0, 255),
    sourceImageId: source.imageId,
    sourceRegion: source.region,
    encrypted: copy.encrypted,
    ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    copyImageTags: copy.copyTags,
    imageTags,
    ...(source.rootDeviceType === 'ebs' ? { snapshotTags: snapshotTags(rule, imageTags) } : {}),
    ...(copy.completionDurationMinutes === undefined
      ? {}
      : { completionDurationMinutes: copy.completionDurationMinutes }),
  };
  if (generation > 0) {
    notes.push({
      region,
      message: `${generation} earlier copy attempt(s) failed here; starting attempt ${generation + 1}`,
    });
  }
  actions.push({
    kind: 'copy',
    region,
    rule: rule.name,
    generation,
    ...request,
    clientToken: clientToken(source.imageId, region, rule.name, generation, request),
  });
}

/**
 * CopyImage's idempotency token: the same source, destination, rule, attempt and parameters give
 * the same token, so EC2 answers a repeated request with the copy it already started. The SDK's
 * default (a random UUID) would start a new copy on every retry. Parameters are part of the token
 * so that editing the rule does not make EC2 reject the next copy as IdempotentParameterMismatch.
 * 64 hex characters: the documented maximum length of a client token.
 */
export function clientToken(
  sourceImageId: string,
  region: string,
  rule: string,
  generation: number,
  parameters: object,
): string {
  return createHash('sha256')
    .update(JSON.stringify([sourceImageId, region, rule, generation, parameters]))
    .digest('hex');
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** AMI names allow letters, digits, spaces and ( ) [ ] . / - ' @ _ and are 3-128 characters long. */
function amiName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9 ()[\]./\-'@_]/g, '-').slice(0, 128);
  return cleaned.length >= 3 ? cleaned : cleaned.padEnd(3, '_');
}
