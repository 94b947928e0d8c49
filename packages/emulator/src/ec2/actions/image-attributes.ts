import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import {
  ACCOUNT_ID_PATTERN,
  blockPublicAccessOf,
  type ImageRecord,
  privateLaunchPermissions,
} from '../model.js';
import type { QueryNode } from '../query.js';
import { isoTime, type XmlObject, type XmlValue } from '../xml.js';
import { ownedImage, RETURN_TRUE, visibleImage } from './common.js';
import { deregistrationProtectionState } from './describe-images.js';
import { checkDescription } from './images.js';

/**
 * DescribeImageAttribute, ModifyImageAttribute, ResetImageAttribute, and the account's block public
 * access for AMIs (Get/Enable/DisableImageBlockPublicAccess): per region, `block-new-sharing` or
 * `unblocked`, and existing public AMIs stay public.
 */

// ---- DescribeImageAttribute ----------------------------------------------------------------------

const DESCRIBABLE_ATTRIBUTES = new Set([
  'description',
  'kernel',
  'ramdisk',
  'launchPermission',
  'productCodes',
  'blockDeviceMapping',
  'sriovNetSupport',
  'bootMode',
  'tpmSupport',
  'uefiData',
  'lastLaunchedTime',
  'imdsSupport',
  'deregistrationProtection',
]);

/** `<x><value>v</value></x>`, or an empty `<x></x>` when the attribute has no value. */
function wrapped(value: string | undefined): XmlObject {
  return value === undefined ? {} : { value };
}

export function launchPermissionItems(image: ImageRecord): XmlValue[] {
  const items: XmlObject[] = [];
  if (image.launchPermissions.public) items.push({ group: 'all' });
  for (const userId of [...image.launchPermissions.userIds].sort()) items.push({ userId });
  for (const arn of [...image.launchPermissions.organizationArns].sort())
    items.push({ organizationArn: arn });
  for (const arn of [...image.launchPermissions.organizationalUnitArns].sort()) {
    items.push({ organizationalUnitArn: arn });
  }
  return items;
}

/**
 * Any caller who can see the image may read its descriptive attributes; launch permissions are the
 * owner's only. `blockDeviceMapping` is deprecated and answers `AuthFailure`, HTTP 401 (the code is
 * documented:
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageAttribute.html); an
 * unknown attribute is moto's `InvalidRequest`.
 */
export const describeImageAttribute: ActionHandler = (ctx) => {
  const imageId = ctx.params.requiredString('ImageId');
  const attribute = ctx.params.requiredString('Attribute');
  if (!DESCRIBABLE_ATTRIBUTES.has(attribute)) {
    throw new Ec2Error('InvalidRequest', 'The request received was invalid');
  }
  if (attribute === 'blockDeviceMapping') {
    throw new Ec2Error('AuthFailure', 'Unauthorized attempt to access restricted resource', 401);
  }
  const image = attribute === 'launchPermission' ? ownedImage(ctx, imageId) : visibleImage(ctx, imageId);
  const values: Record<string, () => XmlValue> = {
    description: () => wrapped(image.description),
    kernel: () => wrapped(image.kernelId),
    ramdisk: () => wrapped(image.ramdiskId),
    launchPermission: () => launchPermissionItems(image),
    productCodes: () => image.productCodes.map((code) => ({ ...code })),
    sriovNetSupport: () => wrapped(image.sriovNetSupport),
    bootMode: () => wrapped(image.bootMode),
    tpmSupport: () => wrapped(image.tpmSupport),
    uefiData: () => wrapped(undefined),
    lastLaunchedTime: () =>
      wrapped(image.lastLaunchedTime === undefined ? undefined : isoTime(image.lastLaunchedTime)),
    imdsSupport: () => wrapped(image.imdsSupport),
    deregistrationProtection: () => wrapped(deregistrationProtectionState(image, ctx.now)),
  };
  const value = values[attribute];
  return { imageId: image.imageId, [attribute]: value === undefined ? undefined : value() };
};

// ---- ModifyImageAttribute ------------------------------------------------------------------------

const ORGANIZATION_ARN = /^arn:aws[a-z-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/;
const OU_ARN =
  /^arn:aws[a-z-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/;
const MAX_USER_IDS = 10_000;

type PermissionKind = 'userId' | 'group' | 'organizationArn' | 'organizationalUnitArn';

interface PermissionChange {
  kind: PermissionKind;
  value: string;
}

interface LaunchPermissionChanges {
  add: PermissionChange[];
  remove: PermissionChange[];
}

function itemValueError(value: string, kind: PermissionKind): Ec2Error {
  return new Ec2Error(
    'InvalidAMIAttributeItemValue',
    `Invalid attribute item value "${value}" for ${kind} item type.`,
  );
}

/** Validates one launch permission item; the whole request is validated before anything changes. */
function checkPermission(change: PermissionChange): PermissionChange {
  const { kind, value } = change;
  const valid =
    kind === 'userId'
      ? ACCOUNT_ID_PATTERN.test(value)
      : kind === 'group'
        ? value === 'all'
        : kind === 'organizationArn'
          ? ORGANIZATION_ARN.test(value)
          : OU_ARN.test(value);
  if (!valid) throw itemValueError(value, kind);
  return change;
}

/** Structured form: `LaunchPermission.Add.N.UserId=…`, `.Group=all`, `.OrganizationArn=…`, `.OrganizationalUnitArn=…`. */
function structuredChanges(list: QueryNode[]): PermissionChange[] {
  return list.map((item) => {
    const fields: Array<[PermissionKind, string | undefined]> = [
      ['userId', item.string('UserId')],
      ['group', item.string('Group')],
      ['organizationArn', item.string('OrganizationArn')],
      ['organizationalUnitArn', item.string('OrganizationalUnitArn')],
    ];
    const given = fields.filter((field): field is [PermissionKind, string] => field[1] !== undefined);
    const first = given[0];
    if (first === undefined || given.length > 1) {
      throw Ec2Error.invalidParameterCombination(
        `${item.path} must specify exactly one of UserId, Group, OrganizationArn or OrganizationalUnitArn.`,
      );
    }
    return checkPermission({ kind: first[0], value: first[1] });
  });
}

/** Flat form: `OperationType=add|remove` with `UserId.N`, `UserGroup.N`, `OrganizationArn.N`, `OrganizationalUnitArn.N`. */
function flatChanges(params: QueryNode): { operation: 'add' | 'remove'; changes: PermissionChange[] } {
  const operation = params.requiredString('OperationType');
  if (operation !== 'add' && operation !== 'remove') {
    throw Ec2Error.invalidParameterValue(
      `Value (${operation}) for parameter OperationType is invalid. Expected add or remove.`,
    );
  }
  const changes: PermissionChange[] = [
    ...params.strings('UserId').map((value) => ({ kind: 'userId' as const, value })),
    ...params.strings('UserGroup').map((value) => ({ kind: 'group' as const, value })),
    ...params.strings('OrganizationArn').map((value) => ({ kind: 'organizationArn' as const, value })),
    ...params
      .strings('OrganizationalUnitArn')
      .map((value) => ({ kind: 'organizationalUnitArn' as const, value })),
  ];
  return { operation, changes: changes.map(checkPermission) };
}

const FLAT_LAUNCH_PERMISSION_PARAMS = [
  'OperationType',
  'UserId',
  'UserGroup',
  'OrganizationArn',
  'OrganizationalUnitArn',
];

type Modification =
  | { attribute: 'launchPermission'; changes: LaunchPermissionChanges }
  | { attribute: 'description'; value: string }
  | { attribute: 'imdsSupport'; value: string };

/**
 * Reads the one attribute a ModifyImageAttribute call changes (EC2 takes one per call), from any of
 * the three wire forms: structured (`LaunchPermission.Add.N.UserId=…`), flat
 * (`Attribute=launchPermission&OperationType=add&UserId.N=…`) or `Description.Value=…`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyImageAttribute.html).
 * Naming two attributes is `InvalidParameterCombination` [unverified code].
 */
function readModification(params: QueryNode): Modification {
  const attribute = params.string('Attribute');
  const named = new Set<string>();
  if (attribute !== undefined) named.add(attribute);
  if (params.child('LaunchPermission').present) named.add('launchPermission');
  if (params.child('Description').present) named.add('description');
  if (params.child('ImdsSupport').present) named.add('imdsSupport');
  if (attribute === undefined && FLAT_LAUNCH_PERMISSION_PARAMS.some((name) => params.child(name).present)) {
    named.add('launchPermission');
  }
  if (named.size === 0) throw Ec2Error.invalidParameterCombination('No attributes specified.');
  if (named.size > 1) {
    throw Ec2Error.invalidParameterCombination(
      `Only one attribute can be modified at a time; the request names ${[...named].sort().join(', ')}.`,
    );
  }
  const [only] = named;
  switch (only) {
    case 'launchPermission': {
      const changes: LaunchPermissionChanges = {
        add: structuredChanges(params.items('LaunchPermission.Add')),
        remove: structuredChanges(params.items('LaunchPermission.Remove')),
      };
      const flatGiven = FLAT_LAUNCH_PERMISSION_PARAMS.some((name) => params.child(name).present);
      if (flatGiven || !params.child('LaunchPermission').present) {
        const flat = flatChanges(params);
        changes[flat.operation].push(...flat.changes);
      }
      const userIds = [...changes.add, ...changes.remove].filter((change) => change.kind === 'userId');
      if (userIds.length > MAX_USER_IDS) {
        throw Ec2Error.invalidParameterValue(
          `At most ${MAX_USER_IDS} account IDs can be specified in one request.`,
        );
      }
      return { attribute: 'launchPermission', changes };
    }
    case 'description': {
      const value = params.string('Description.Value') ?? params.string('Value');
      if (value === undefined) throw Ec2Error.missingParameter('Description.Value');
      checkDescription(value);
      return { attribute: 'description', value };
    }
    case 'imdsSupport': {
      const value = params.string('ImdsSupport.Value') ?? params.string('Value');
      if (value !== 'v2.0') {
        throw Ec2Error.invalidParameterValue(
          `Value (${value ?? ''}) for parameter ImdsSupport is invalid. Expected v2.0.`,
        );
      }
      return { attribute: 'imdsSupport', value };
    }
    default:
      throw Ec2Error.invalidParameterValue(
        `Value (${only}) for parameter attribute is invalid. Valid values: description, imdsSupport, launchPermission.`,
      );
  }
}

/**
 * Refusals to make an AMI public. The codes are not documented [unverified]; this emulator answers
 * `OperationNotPermitted` both for Marketplace product codes and for block public access set to
 * `block-new-sharing` in the region.
 */
function checkMayBePublic(ctx: ActionContext, image: ImageRecord): void {
  if (image.productCodes.some((code) => code.type === 'marketplace')) {
    throw new Ec2Error(
      'OperationNotPermitted',
      `The image ${image.imageId} has an AWS Marketplace product code and cannot be made public.`,
    );
  }
  if (blockPublicAccessOf(ctx.state, ctx.accountId) === 'block-new-sharing') {
    throw new Ec2Error(
      'OperationNotPermitted',
      `Block public access for AMIs is enabled in ${ctx.region}; the image ${image.imageId} cannot be made public.`,
    );
  }
}

/**
 * "A disabled AMI can't be shared"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableImage.html). The code is not
 * documented [unverified]; this emulator answers `IncorrectState`. Removing permissions is allowed
 * (a disabled AMI has none, so it does nothing).
 */
function checkMayBeShared(image: ImageRecord): void {
  if (image.state === 'disabled') {
    throw new Ec2Error(
      'IncorrectState',
      `The image ${image.imageId} is disabled and can't be shared. Enable it first.`,
    );
  }
}

function applyPermission(image: ImageRecord, change: PermissionChange, add: boolean): void {
  const permissions = image.launchPermissions;
  if (change.kind === 'group') {
    permissions.public = add;
    return;
  }
  const set =
    change.kind === 'userId'
      ? permissions.userIds
      : change.kind === 'organizationArn'
        ? permissions.organizationArns
        : permissions.organizationalUnitArns;
  if (add) set.add(change.value);
  else set.delete(change.value);
}

/** Adding a permission that exists, or removing one that does not, is a no-op. */
export const modifyImageAttribute: ActionHandler = (ctx) => {
  const imageId = ctx.params.requiredString('ImageId');
  const modification = readModification(ctx.params);
  const image = ownedImage(ctx, imageId);
  switch (modification.attribute) {
    case 'launchPermission': {
      const { add, remove } = modification.changes;
      if (add.length > 0) checkMayBeShared(image);
      const makesPublic = add.some((change) => change.kind === 'group') && !image.launchPermissions.public;
      if (makesPublic) checkMayBePublic(ctx, image);
      for (const change of add) applyPermission(image, change, true);
      for (const change of remove) applyPermission(image, change, false);
      break;
    }
    case 'description':
      image.description = modification.value;
      break;
    case 'imdsSupport':
      image.imdsSupport = modification.value;
      break;
  }
  return RETURN_TRUE;
};

// ---- ResetImageAttribute -------------------------------------------------------------------------

/**
 * Only `launchPermission` resets (the model's only resettable attribute), to the default: no
 * explicit permissions, not public.
 */
export const resetImageAttribute: ActionHandler = (ctx) => {
  const imageId = ctx.params.requiredString('ImageId');
  const attribute = ctx.params.requiredString('Attribute');
  if (attribute !== 'launchPermission') {
    throw Ec2Error.invalidParameterValue(
      `Value (${attribute}) for parameter attribute is invalid. Only launchPermission can be reset.`,
    );
  }
  const image = ownedImage(ctx, imageId);
  image.launchPermissions = privateLaunchPermissions();
  return RETURN_TRUE;
};

// ---- block public access -------------------------------------------------------------------------

export const getImageBlockPublicAccessState: ActionHandler = (ctx) => ({
  imageBlockPublicAccessState: blockPublicAccessOf(ctx.state, ctx.accountId),
  managedBy: 'account',
});

export const enableImageBlockPublicAccess: ActionHandler = (ctx) => {
  const state = ctx.params.requiredString('ImageBlockPublicAccessState');
  if (state !== 'block-new-sharing') {
    throw Ec2Error.invalidParameterValue(
      `Value (${state}) for parameter ImageBlockPublicAccessState is invalid. Expected block-new-sharing.`,
    );
  }
  ctx.state.blockPublicAccess.set(ctx.accountId, 'block-new-sharing');
  return { imageBlockPublicAccessState: 'block-new-sharing' };
};

export const disableImageBlockPublicAccess: ActionHandler = (ctx) => {
  ctx.state.blockPublicAccess.set(ctx.accountId, 'unblocked');
  return { imageBlockPublicAccessState: 'unblocked' };
};
