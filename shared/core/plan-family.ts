import type { Rule } from '../rules/schema.js';
import { type Action, actionId, type Plan, type PlanNote, sortByPhase } from './actions.js';
import { deregistration } from './deletion.js';
import {
  type ImageDetail,
  type LaunchPermission,
  launchPermissionKey,
  type Observation,
  type ObservedImage,
} from './model.js';
import {
  copyAction,
  copyImageTags,
  desiredCopyTags,
  occupiesRegion,
  snapshotTags,
  sourceImageTags,
} from './plan-copy.js';
import { memberGrants } from './plan-members.js';
import { type TagsWanted, tagActions } from './plan-tags.js';

/**
 * The distribution planner: a pure function from a rule and what was observed of one image family
 * (a source and its copies) to the actions that bring it to the state the rule describes. It reads
 * no clock, no environment and no network, so the same inputs always give the same plan, and a
 * family already in its desired state gives an empty one.
 *
 * Order: tags, launch permissions, snapshot permissions, copies, clean-ups. A copy waits for its
 * source's tags (an `after` edge), so CopyImageTags carries the source's final tags to it.
 */

export interface FamilyPlan extends Plan {
  /**
   * Target regions whose copy waits for its source to be tagged in its own region: the copy is
   * planned `after` the source region's tag action (`actionId('tag', sourceRegion, sourceImageId)`),
   * which another region's plan holds; applied alone, such a copy is deferred (`resolvePlans`).
   */
  readonly waiting: readonly string[];
}

export interface FamilyPlanOptions {
  /**
   * Remove failed copies once a good one exists (default). The event path leaves that to the
   * schedule: only the reconcile function may deregister.
   */
  readonly cleanUp?: boolean;
  /**
   * Tags only at creation (a target account's run, `RegionPlanOptions.copyOnly`): no tag action on
   * an image that exists. CopyImage's TagSpecifications tag each copy and its snapshots; the member
   * role may tag nothing after, so an action here could only fail (and hold the release's
   * completion up, its copy never settled).
   */
  readonly tagsAtCreationOnly?: boolean;
}

export function planFamily(
  rule: Rule,
  observation: Observation,
  options: FamilyPlanOptions = {},
): FamilyPlan {
  const actions: Action[] = [];
  const notes: PlanNote[] = [];
  const waiting: string[] = [];
  const { accountId, sourceImageId, sourceRegion } = observation;

  const sourceTagIds: string[] = [];
  if (observation.source) {
    const imageTags = sourceImageTags(rule);
    const planned = planImage(rule, observation.source, 'source', {
      image: imageTags,
      snapshots: snapshotTags(rule, imageTags),
      accountId,
      members: memberGrants(observation.source, observation.memberAccounts ?? [], notes),
    });
    actions.push(...planned.actions);
    notes.push(...planned.notes);
    sourceTagIds.push(...planned.actions.filter((a) => a.kind === 'tag').map((a) => a.id));
  }

  const source = observation.sourceImage ?? observation.source?.image;
  // The source region needs no copy of the account's own image; another account's image (a target
  // account copying the hub's) gets one there, owned by the account.
  const foreignSource = source !== undefined && source.ownerId !== accountId;
  for (const region of rule.copy?.regions ?? []) {
    if (region === sourceRegion && !foreignSource) continue;
    const target = observation.targets[region];
    if (target === undefined) continue;
    if (target.status === 'unavailable') {
      notes.push({ region, message: `region skipped: ${target.error.code} from ${target.error.operation}` });
      continue;
    }
    const copies = target.status === 'observed' ? target.copies : [];
    const occupying = copies.filter(occupiesRegion);
    const spent = copies.filter((c) => !occupiesRegion(c));
    if (occupying.length === 0 && source !== undefined) {
      const blocked = copyBlocked(rule, source);
      const untagged = sourceTagIds.length === 0 && sourceUntagged(rule, source, accountId);
      if (blocked !== undefined) {
        notes.push({ region, imageId: source.imageId, message: blocked });
      } else {
        if (untagged) waiting.push(region);
        if (spent.length > 0) {
          notes.push({
            region,
            message: `${spent.length} earlier copy attempt(s) failed or are gone here (${spent.map((c) => `${c.imageId} ${c.state}`).join(', ')}); starting attempt ${spent.length + 1}`,
          });
        }
        const copy = copyAction(rule, source, region, {
          generation: spent.length,
          spentImageIds: spent.map((c) => c.imageId),
          verify: target.status === 'observed',
          after: untagged ? [actionId('tag', source.region, source.imageId)] : sourceTagIds,
        });
        if (copy !== undefined) actions.push(copy);
      }
    }
    for (const copy of occupying.filter((c) => c.state === 'pending')) {
      notes.push({ region, imageId: copy.imageId, message: 'copy in progress (pending)' });
    }
    if (occupying.length > 1) {
      notes.push({
        region,
        message: `${occupying.length} copies of ${sourceImageId} exist here (${occupying.map((c) => c.imageId).join(', ')}); none is started again`,
      });
    }
    if (target.status !== 'observed') continue;
    const imageTags = desiredCopyTags(rule, sourceImageId, sourceRegion);
    for (const detail of target.details) {
      if (detail.image.state !== 'available') continue;
      const planned = planImage(rule, detail, 'copy', {
        image: imageTags,
        snapshots: snapshotTags(rule, imageTags),
        created: copyImageTags(rule, sourceImageId, sourceRegion),
        accountId,
        ...(options.tagsAtCreationOnly ? { tagsAtCreationOnly: true } : {}),
      });
      actions.push(...planned.actions);
      notes.push(...planned.notes);
    }
    if (options.cleanUp !== false) actions.push(...cleanUpFailedCopies(rule, copies, observation, notes));
  }

  return { actions: sortByPhase(actions), notes, waiting };
}

/** Why no copy of the source can start, or undefined. */
function copyBlocked(rule: Rule, source: ObservedImage): string | undefined {
  if (rule.copy === undefined) return 'the rule copies nothing';
  if (source.state !== 'available') return `no copy started: the source is ${source.state}`;
  return undefined;
}

/**
 * Whether the source lacks its rule's tags, which the account can put on it: its copies then wait
 * for its region's tag action, so that every copy takes them at creation.
 */
function sourceUntagged(rule: Rule, source: ObservedImage, accountId: string): boolean {
  if (source.ownerId !== accountId) return false;
  return Object.entries(sourceImageTags(rule)).some(([k, v]) => source.tags[k] !== v);
}

/**
 * Failed copies are removed once the region has a good one: they cannot be launched, hold no data
 * anyone can use, and only cost snapshot storage. Through the one delete path; protected ones stay.
 */
function cleanUpFailedCopies(
  rule: Rule,
  copies: readonly ObservedImage[],
  observation: Observation,
  notes: PlanNote[],
): Action[] {
  const good = copies.find((c) => c.state === 'available');
  if (good === undefined) return [];
  return copies
    .filter((c) => c.state === 'failed' || c.state === 'error' || c.state === 'invalid')
    .flatMap((copy) => {
      if (copy.ownerId !== observation.accountId) return [];
      const protection = copy.deregistrationProtection;
      if (protection !== undefined && protection !== '' && protection !== 'disabled') {
        notes.push({
          region: copy.region,
          imageId: copy.imageId,
          message: `failed copy kept: deregistration protection is ${protection}`,
        });
        return [];
      }
      return deregistration(
        {
          image: copy,
          rule,
          role: 'copy',
          sourceImageId: observation.sourceImageId,
          sourceRegion: observation.sourceRegion,
        },
        `failed copy (${copy.stateReason ?? copy.state}), replaced by ${good.imageId}`,
      );
    });
}

interface Wanted extends TagsWanted {
  readonly accountId: string;
  /** A source's: the target accounts to share it with, snapshots included (see `memberGrants`). */
  readonly members?: readonly string[];
  /** See `FamilyPlanOptions.tagsAtCreationOnly`. */
  readonly tagsAtCreationOnly?: boolean;
}

/**
 * EC2's default quota of entities (accounts, organizations, OUs; an organization or OU counts as
 * one, whatever its size) one AMI may be shared with in a region. It can be raised, so going over
 * it is said, not refused: the grant is still planned, and EC2 decides.
 */
export const AMI_SHARING_QUOTA = 1000;

function overQuota(entities: number): string {
  return `shared with ${entities.toLocaleString('en-US')} accounts, organizations and OUs once these grants are added: over EC2's default AMI sharing quota of ${AMI_SHARING_QUOTA.toLocaleString('en-US')} per image and region (an organization or OU counts as one). Unless the quota ("AMI sharing" in Service Quotas) was raised for this account, EC2 refuses the grant: share with the organization or OU instead (share.organizations, share.organizationalUnits), or raise the quota`;
}

/** Whether the rule lets images be public: both `public` and `allowPublic`. */
export function publicAllowed(rule: Rule): boolean {
  return rule.share?.public === true && rule.share.allowPublic;
}

function planImage(
  rule: Rule,
  detail: ImageDetail,
  role: 'source' | 'copy',
  wanted: Wanted,
): { actions: Action[]; notes: PlanNote[] } {
  const actions: Action[] = [];
  const notes: PlanNote[] = [];
  const { image } = detail;
  const { region, imageId } = image;

  if (!wanted.tagsAtCreationOnly) actions.push(...tagActions(detail, role, wanted, notes));

  const owned = image.ownerId === wanted.accountId;
  if (owned && image.isPublic && !publicAllowed(rule)) {
    actions.push({
      kind: 'unshare-image',
      id: actionId('unshare-image', region, imageId),
      region,
      imageId,
      remove: [{ kind: 'public' }],
      reason: 'public, but the rule does not allow public sharing (share.public and share.allowPublic)',
    });
  }

  const share = rule.share;
  const members = (wanted.members ?? []).filter((id) => id !== wanted.accountId);
  if (share === undefined && members.length === 0) return { actions, notes };
  const grants = [
    ...wantedLaunchPermissions(rule, wanted.accountId),
    ...members
      .filter((id) => !share?.accounts.includes(id))
      .map((id): LaunchPermission => ({ kind: 'account', id })),
  ];
  if (!owned) {
    if (grants.length > 0 || share?.snapshotPermissions) {
      notes.push({
        region,
        imageId,
        message: `sharing refused: the image is owned by ${image.ownerId}, not this account; only images the account owns can be re-permissioned`,
      });
    }
    return { actions, notes };
  }

  const launchPermissions = detail.launchPermissions ?? (detail.fresh ? [] : undefined);
  if (launchPermissions !== undefined) {
    const present = new Set(launchPermissions.map(launchPermissionKey));
    if (image.isPublic) present.add('public');
    const add = grants.filter((p) => {
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
    const entities = [...launchPermissions, ...add].filter((p) => p.kind !== 'public').length;
    if (add.some((p) => p.kind !== 'public') && entities > AMI_SHARING_QUOTA) {
      notes.push({ region, imageId, message: overQuota(entities) });
    }
    if (add.length > 0) {
      actions.push({
        kind: 'share-image',
        id: actionId('share-image', region, imageId),
        region,
        imageId,
        add,
      });
    }
  }

  const users = [
    ...new Set([
      ...(share?.snapshotPermissions ? share.accounts.filter((id) => id !== wanted.accountId) : []),
      ...members,
    ]),
  ];
  if (users.length > 0 && image.rootDeviceType === 'ebs') {
    for (const snapshotId of image.snapshotIds) {
      const read = detail.snapshots.find((s) => s.snapshotId === snapshotId)?.createVolumeUserIds;
      const have = read ?? (detail.fresh ? [] : undefined);
      if (have === undefined) continue;
      const addUserIds = users.filter((id) => !have.includes(id));
      if (addUserIds.length > 0) {
        actions.push({
          kind: 'share-snapshot',
          id: actionId('share-snapshot', region, snapshotId),
          region,
          imageId,
          snapshotId,
          addUserIds,
        });
      }
    }
  }
  return { actions, notes };
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
  if (publicAllowed(rule)) wanted.push({ kind: 'public' });
  return wanted;
}
