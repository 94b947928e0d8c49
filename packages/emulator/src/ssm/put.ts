import type { SsmAction } from './context.js';
import { SsmError } from './errors.js';
import { type ParameterStoreChangeEvent, parameterEvent } from './events.js';
import { readTags, type Tag } from './input.js';
import { checkNewName, NAME_MEMBER_MAX, nameKey, trimName } from './names.js';
import {
  type DataType,
  EC2_IMAGE,
  latest,
  PARAMETER_TIERS,
  PARAMETER_TYPES,
  type ParameterRecord,
  type ParameterTier,
  type RegionStore,
  type VersionRecord,
} from './store.js';

/** Parameter Store keeps the 100 most recent versions of a parameter. */
export const MAX_VERSIONS = 100;
/** "Most resources can have a maximum of 50 tags" (AddTagsToResource). */
export const MAX_TAGS = 50;
/** Standard parameters hold up to 4 KB, advanced ones 8 KB (PutParameter's `Value` and `Tier`). */
const STANDARD_VALUE_BYTES = 4096;
const ADVANCED_VALUE_BYTES = 8192;
const DATA_TYPES: readonly string[] = ['text', EC2_IMAGE];

/**
 * PutParameter: creates a parameter (version 1) or, with `Overwrite`, a new version of it. Members
 * not given on an overwrite keep the previous version's (type, description, allowed pattern, data
 * type, tier, KMS key). An `aws:ec2:image` value is not stored yet: the change waits for the
 * asynchronous validation (`scheduleValidation`), though its version number is answered now, as
 * AWS answers it.
 */
export const putParameter: SsmAction = (ctx) => {
  const { input, store } = ctx;
  const rawName = input.requiredString('Name', { min: 1, max: NAME_MEMBER_MAX });
  const description = input.string('Description', { max: 1024 });
  const value = input.requiredString('Value', { min: 1 });
  const type = input.enumValue('Type', PARAMETER_TYPES);
  const keyId = input.string('KeyId', { min: 1, max: 256 });
  const overwrite = input.boolean('Overwrite') ?? false;
  const allowedPattern = input.string('AllowedPattern', { max: 1024 });
  const tags = readTags(input, 'Tags') ?? [];
  const tier = input.enumValue('Tier', PARAMETER_TIERS);
  const policies = input.string('Policies', { min: 1, max: 4096 });
  const requestedDataType = input.string('DataType', { max: 128 });

  if (overwrite && tags.length > 0)
    throw SsmError.validation(
      "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove " +
        'overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.',
    );
  const name = trimName(rawName);
  checkNewName(name, store.region, store.accountId);
  if (policies !== undefined)
    throw SsmError.validation('Parameter policies are not emulated by the local SSM.');
  if (requestedDataType !== undefined && !DATA_TYPES.includes(requestedDataType))
    throw SsmError.validation(
      `The following data type is not supported: ${requestedDataType} (Data type names are all lowercase.)`,
    );
  if (store.pending.has(nameKey(name)))
    throw new SsmError(
      'TooManyUpdates',
      `The validation of an earlier aws:ec2:image value of ${name} is still in process; try again later.`,
    );

  const existing = store.get(name);
  if (existing !== undefined && !overwrite)
    throw new SsmError(
      'ParameterAlreadyExists',
      'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
    );
  const previous = existing === undefined ? undefined : latest(existing);
  if (previous === undefined && type === undefined)
    throw SsmError.validation('A parameter type is required when you create a parameter.');
  const newType = type ?? previous?.type ?? 'String';
  if (previous !== undefined && newType !== previous.type)
    throw new SsmError(
      'HierarchyTypeMismatchException',
      `Parameter Store doesn't support changing a parameter type in a hierarchy. You can't change ${name} from ${previous.type} to ${newType}.`,
    );
  const dataType = (requestedDataType ?? previous?.dataType ?? 'text') as DataType;
  checkDataType(name, dataType, newType, previous);

  const pattern = allowedPattern ?? previous?.allowedPattern;
  checkValue(value, pattern);
  const resolvedTier = resolveTier(name, tier, previous, Buffer.byteLength(value));
  if (tags.length > MAX_TAGS) throw tooManyTags();
  if (existing !== undefined) checkVersionLimit(existing);

  const description_ = description ?? previous?.description;
  const keyId_ = newType === 'SecureString' ? (keyId ?? previous?.keyId ?? 'alias/aws/ssm') : undefined;
  const record: VersionRecord = {
    version: (previous?.version ?? 0) + 1,
    value,
    type: newType,
    dataType,
    tier: resolvedTier,
    ...(description_ !== undefined ? { description: description_ } : {}),
    ...(pattern !== undefined ? { allowedPattern: pattern } : {}),
    ...(keyId_ !== undefined ? { keyId: keyId_ } : {}),
    labels: [],
    lastModifiedDate: ctx.now,
    lastModifiedUser: ctx.user,
  };
  if (dataType === EC2_IMAGE) ctx.scheduleValidation({ name: existing?.name ?? name, record, tags });
  else ctx.emit(commitVersion(store, existing?.name ?? name, record, tags));
  return { Version: record.version, Tier: record.tier };
};

/** "You can't change a parameter to or from" `aws:ec2:image`; AMI ids are `String` parameters. */
function checkDataType(name: string, dataType: DataType, type: string, previous: VersionRecord | undefined) {
  if (previous !== undefined && previous.dataType !== dataType)
    throw SsmError.validation(
      `The data type of ${name} is ${previous.dataType}; a parameter can't be changed to or from ${EC2_IMAGE}.`,
    );
  if (dataType === EC2_IMAGE && type !== 'String')
    throw SsmError.validation(
      `The ${EC2_IMAGE} data type is only supported for String parameters, not ${type}.`,
    );
}

function checkValue(value: string, pattern: string | undefined): void {
  if (/\{\{.*\}\}/s.test(value))
    throw SsmError.validation(
      'Parameter value can\'t nest another parameter. Do not use "{{}}" in the value.',
    );
  if (pattern === undefined) return;
  let regex: RegExp;
  try {
    // The whole value must match: the User Guide's example refuses `10,000` for `\d{1,4}`.
    regex = new RegExp(`^(?:${pattern})$`);
  } catch {
    throw new SsmError(
      'InvalidAllowedPatternException',
      "The request doesn't meet the regular expression requirement.",
    );
  }
  if (!regex.test(value))
    throw new SsmError(
      'ParameterPatternMismatchException',
      `Parameter value, cannot be validated against allowedPattern: ${pattern}`,
    );
}

/**
 * The tier a version is stored in. Without `Tier`, a new parameter is Standard (the default tier
 * setting) and an existing one keeps its tier; Intelligent-Tiering picks Advanced only when the
 * value needs it. An advanced parameter can't be made standard again.
 */
function resolveTier(
  name: string,
  tier: ParameterTier | undefined,
  previous: VersionRecord | undefined,
  bytes: number,
): 'Standard' | 'Advanced' {
  const wasAdvanced = previous?.tier === 'Advanced';
  if (tier === 'Standard' && wasAdvanced)
    throw SsmError.validation(`${name} is an advanced parameter; it can't be reverted to the standard tier.`);
  const resolved =
    tier === 'Advanced' || wasAdvanced || (tier === 'Intelligent-Tiering' && bytes > STANDARD_VALUE_BYTES)
      ? 'Advanced'
      : 'Standard';
  if (resolved === 'Standard' && bytes > STANDARD_VALUE_BYTES)
    throw SsmError.validation(
      `Standard tier parameters support a maximum parameter value of ${STANDARD_VALUE_BYTES} characters. To create a larger ` +
        'parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see ' +
        'https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html',
    );
  if (bytes > ADVANCED_VALUE_BYTES)
    throw SsmError.validation(
      `Advanced tier parameters support a maximum parameter value of ${ADVANCED_VALUE_BYTES} characters.`,
    );
  return resolved;
}

/** The oldest of 100 versions goes when a new one comes, unless a label holds it. */
function checkVersionLimit(record: ParameterRecord): void {
  const oldest = record.versions[0];
  if (record.versions.length < MAX_VERSIONS || oldest === undefined || oldest.labels.length === 0) return;
  throw new SsmError(
    'ParameterMaxVersionLimitExceeded',
    `You attempted to create a new version of ${record.name} by calling the PutParameter API with the overwrite flag. ` +
      `Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. ` +
      'Move the label to another version of the parameter, and try again.',
  );
}

export function tooManyTags(): SsmError {
  return new SsmError(
    'TooManyTagsError',
    `A parameter can have a maximum of ${MAX_TAGS} tags. Remove one or more tags and try again.`,
  );
}

/** Stores a validated version (creating the parameter), drops the oldest beyond 100, and says so. */
export function commitVersion(
  store: RegionStore,
  name: string,
  record: VersionRecord,
  tags: readonly Tag[],
): ParameterStoreChangeEvent {
  let parameter = store.get(name);
  const operation = parameter === undefined ? 'Create' : 'Update';
  if (parameter === undefined) {
    parameter = { name, versions: [], tags: new Map() };
    store.parameters.set(nameKey(name), parameter);
  }
  parameter.versions.push(record);
  while (parameter.versions.length > MAX_VERSIONS) parameter.versions.shift();
  for (const tag of tags) parameter.tags.set(tag.Key, tag.Value);
  return parameterEvent(store, parameter, operation, record.lastModifiedDate);
}
