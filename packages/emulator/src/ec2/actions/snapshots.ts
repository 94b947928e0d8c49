import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, parseFilters } from '../filters.js';
import {
  ACCOUNT_ID_PATTERN,
  canUseSnapshot,
  defaultEbsKmsKeyArn,
  imagesUsingSnapshot,
  type SnapshotRecord,
  tagsOf,
} from '../model.js';
import { checkMaxResults } from '../pagination.js';
import type { QueryNode } from '../query.js';
import { isoTime, type XmlObject } from '../xml.js';
import { checkSnapshotId, ownedSnapshot, pageFor, RETURN_TRUE, tagSetXml } from './common.js';

/**
 * DescribeSnapshots, DescribeSnapshotAttribute, ModifySnapshotAttribute, DeleteSnapshot. EC2 refuses
 * to delete a snapshot a registered image uses (`InvalidSnapshot.InUse`).
 */

export function snapshotXml(snapshot: SnapshotRecord, accountId: string): XmlObject {
  const tags = tagSetXml(snapshot.tags, accountId);
  return {
    snapshotId: snapshot.snapshotId,
    volumeId: snapshot.volumeId,
    status: snapshot.state,
    statusMessage: snapshot.stateMessage,
    startTime: isoTime(snapshot.startTime),
    progress: snapshot.progress,
    ownerId: snapshot.ownerId,
    ownerAlias: snapshot.ownerAlias,
    volumeSize: snapshot.volumeSize,
    description: snapshot.description,
    encrypted: snapshot.encrypted,
    kmsKeyId: snapshot.kmsKeyId,
    tagSet: tags.length === 0 ? undefined : tags,
    storageTier: 'standard',
    transferType: snapshot.transferType,
    completionDurationMinutes: snapshot.completionDurationMinutes,
  };
}

function checkUsers(values: readonly string[], extra: ReadonlySet<string>): void {
  for (const value of values) {
    if (!ACCOUNT_ID_PATTERN.test(value) && !extra.has(value)) {
      throw new Ec2Error('InvalidUserID.Malformed', `Invalid user id: "${value}"`);
    }
  }
}

function restorableBy(snapshot: SnapshotRecord, who: string, accountId: string): boolean {
  const permissions = snapshot.createVolumePermissions;
  if (who === 'all') return permissions.public;
  if (who === 'self' || who === accountId)
    return snapshot.ownerId === accountId || permissions.userIds.has(accountId);
  return permissions.userIds.has(who);
}

/**
 * Snapshots the caller owns, public ones, and those shared with it. An unknown or inaccessible
 * `SnapshotId` is `InvalidSnapshot.NotFound` (first one named). MaxResults is 5–1000.
 */
export const describeSnapshots: ActionHandler = (ctx) => {
  const { params, accountId } = ctx;
  const snapshotIds = params.strings('SnapshotId');
  const owners = params.strings('Owner');
  const restorableUsers = params.strings('RestorableBy');
  const maxResults = checkMaxResults(params.integer('MaxResults'), 5, 1000);
  for (const snapshotId of snapshotIds) checkSnapshotId(snapshotId);
  checkUsers(owners, new Set(['self', 'amazon']));
  checkUsers(restorableUsers, new Set(['self', 'all']));
  const matches = compileFilters<SnapshotRecord>(parseFilters(params), {
    fields: {
      description: (s) => [s.description],
      encrypted: (s) => [String(s.encrypted)],
      'owner-alias': (s) => [s.ownerAlias],
      'owner-id': (s) => [s.ownerId],
      progress: (s) => [s.progress],
      'snapshot-id': (s) => [s.snapshotId],
      'start-time': (s) => [isoTime(s.startTime)],
      status: (s) => [s.state],
      'storage-tier': () => ['standard'],
      'transfer-type': (s) => [s.transferType],
      'volume-id': (s) => [s.volumeId],
      'volume-size': (s) => [String(s.volumeSize)],
    },
    tagsOf: (s) => tagsOf(s.tags, accountId),
  });

  let candidates: SnapshotRecord[];
  if (snapshotIds.length > 0) {
    candidates = [];
    for (const snapshotId of new Set(snapshotIds)) {
      const snapshot = ctx.state.snapshots.get(snapshotId);
      if (snapshot === undefined || !canUseSnapshot(snapshot, accountId))
        throw Ec2Error.snapshotNotFound(snapshotId);
      candidates.push(snapshot);
    }
  } else {
    candidates = [...ctx.state.snapshots.values()].filter((snapshot) => canUseSnapshot(snapshot, accountId));
  }
  const selected = candidates.filter(
    (snapshot) =>
      (owners.length === 0 ||
        owners.some((owner) =>
          owner === 'self'
            ? snapshot.ownerId === accountId
            : owner === 'amazon'
              ? snapshot.ownerAlias === 'amazon'
              : snapshot.ownerId === owner,
        )) &&
      (restorableUsers.length === 0 ||
        restorableUsers.some((who) => restorableBy(snapshot, who, accountId))) &&
      matches(snapshot),
  );
  const page = pageFor(ctx, selected, (snapshot) => snapshot.snapshotId, maxResults);
  return {
    snapshotSet: page.items.map((snapshot) => snapshotXml(snapshot, accountId)),
    nextToken: page.nextToken,
  };
};

export const describeSnapshotAttribute: ActionHandler = (ctx) => {
  const snapshotId = ctx.params.requiredString('SnapshotId');
  const attribute = ctx.params.requiredString('Attribute');
  if (attribute !== 'createVolumePermission' && attribute !== 'productCodes') {
    throw Ec2Error.invalidParameterValue(
      `Value (${attribute}) for parameter attribute is invalid. Expected createVolumePermission or productCodes.`,
    );
  }
  const snapshot = ownedSnapshot(ctx, snapshotId);
  if (attribute === 'productCodes') {
    return { snapshotId, productCodes: snapshot.productCodes.map((code) => ({ ...code })) };
  }
  const items: XmlObject[] = [];
  if (snapshot.createVolumePermissions.public) items.push({ group: 'all' });
  for (const userId of [...snapshot.createVolumePermissions.userIds].sort()) items.push({ userId });
  return { snapshotId, createVolumePermission: items };
};

interface VolumePermissionChange {
  kind: 'userId' | 'group';
  value: string;
}

function checkVolumePermission(change: VolumePermissionChange): VolumePermissionChange {
  const valid = change.kind === 'userId' ? ACCOUNT_ID_PATTERN.test(change.value) : change.value === 'all';
  if (!valid) {
    throw new Ec2Error(
      'InvalidAMIAttributeItemValue',
      `Invalid attribute item value "${change.value}" for ${change.kind} item type.`,
    );
  }
  return change;
}

function structuredVolumeChanges(list: QueryNode[]): VolumePermissionChange[] {
  return list.map((item) => {
    const userId = item.string('UserId');
    const group = item.string('Group');
    if ((userId === undefined) === (group === undefined)) {
      throw Ec2Error.invalidParameterCombination(`${item.path} must specify exactly one of UserId or Group.`);
    }
    return checkVolumePermission(
      userId !== undefined ? { kind: 'userId', value: userId } : { kind: 'group', value: group ?? '' },
    );
  });
}

const MAX_SNAPSHOT_MODIFICATIONS = 500;

/**
 * `createVolumePermission` only, structured or flat form; add or remove, not both, and at most 500
 * modifications a call
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html). Both
 * in one call is `InvalidParameterCombination` [unverified code]. Refusals whose codes are
 * unverified, answered with `OperationNotPermitted`: making an encrypted or Marketplace snapshot
 * public, and sharing a snapshot encrypted with the AWS managed EBS key with another account.
 */
export const modifySnapshotAttribute: ActionHandler = (ctx) => {
  const { params } = ctx;
  const snapshotId = params.requiredString('SnapshotId');
  const attribute = params.string('Attribute');
  if (attribute !== undefined && attribute !== 'createVolumePermission') {
    throw Ec2Error.invalidParameterValue(
      `Value (${attribute}) for parameter attribute is invalid. Only createVolumePermission can be modified.`,
    );
  }
  const add = structuredVolumeChanges(params.items('CreateVolumePermission.Add'));
  const remove = structuredVolumeChanges(params.items('CreateVolumePermission.Remove'));
  const flat = [
    ...params.strings('UserId').map((value): VolumePermissionChange => ({ kind: 'userId', value })),
    ...params.strings('UserGroup').map((value): VolumePermissionChange => ({ kind: 'group', value })),
  ].map(checkVolumePermission);
  const operation = params.string('OperationType');
  if (operation !== undefined || flat.length > 0) {
    if (operation === undefined) throw Ec2Error.missingParameter('OperationType');
    if (operation === 'add') add.push(...flat);
    else if (operation === 'remove') remove.push(...flat);
    else {
      throw Ec2Error.invalidParameterValue(
        `Value (${operation}) for parameter OperationType is invalid. Expected add or remove.`,
      );
    }
  }
  if (add.length > 0 && remove.length > 0) {
    throw Ec2Error.invalidParameterCombination(
      'You can add or remove permissions in one request, but not both.',
    );
  }
  if (add.length + remove.length === 0)
    throw Ec2Error.invalidParameterCombination('No permissions specified.');
  if (add.length + remove.length > MAX_SNAPSHOT_MODIFICATIONS) {
    throw Ec2Error.invalidParameterValue(
      `At most ${MAX_SNAPSHOT_MODIFICATIONS} modifications can be made in one request.`,
    );
  }
  const snapshot = ownedSnapshot(ctx, snapshotId);
  checkShareable(ctx, snapshot, add);
  const permissions = snapshot.createVolumePermissions;
  for (const change of add) {
    if (change.kind === 'group') permissions.public = true;
    else permissions.userIds.add(change.value);
  }
  for (const change of remove) {
    if (change.kind === 'group') permissions.public = false;
    else permissions.userIds.delete(change.value);
  }
  return RETURN_TRUE;
};

function checkShareable(
  ctx: ActionContext,
  snapshot: SnapshotRecord,
  add: readonly VolumePermissionChange[],
): void {
  const makesPublic = add.some((change) => change.kind === 'group');
  if (makesPublic && snapshot.encrypted) {
    throw new Ec2Error(
      'OperationNotPermitted',
      `Encrypted snapshot ${snapshot.snapshotId} cannot be made public.`,
    );
  }
  if (makesPublic && snapshot.productCodes.some((code) => code.type === 'marketplace')) {
    throw new Ec2Error(
      'OperationNotPermitted',
      `Snapshot ${snapshot.snapshotId} has an AWS Marketplace product code and cannot be made public.`,
    );
  }
  const sharesWithOthers = add.some((change) => change.kind === 'userId' && change.value !== ctx.accountId);
  if (sharesWithOthers && snapshot.kmsKeyId === defaultEbsKmsKeyArn(snapshot.region, snapshot.ownerId)) {
    throw new Ec2Error(
      'OperationNotPermitted',
      `Snapshot ${snapshot.snapshotId} is encrypted with the AWS managed key for EBS and cannot be shared with other accounts. ` +
        'Copy it with a customer managed key first.',
    );
  }
}

/** Refused with `InvalidSnapshot.InUse` (moto's message) while a registered image uses the snapshot. */
export const deleteSnapshot: ActionHandler = (ctx) => {
  const snapshot = ownedSnapshot(ctx, ctx.params.requiredString('SnapshotId'));
  const user = imagesUsingSnapshot(ctx.state, snapshot.snapshotId)[0];
  if (user !== undefined) {
    throw new Ec2Error(
      'InvalidSnapshot.InUse',
      `The snapshot ${snapshot.snapshotId} is currently in use by ${user.imageId}`,
    );
  }
  ctx.state.snapshots.delete(snapshot.snapshotId);
  return RETURN_TRUE;
};
