import type { SsmAction, SsmContext } from './context.js';
import { SsmError } from './errors.js';
import { parameterEvent } from './events.js';
import { checkTagText, readTags } from './input.js';
import { checkNameFormat, NAME_MEMBER_MAX, nameKey, trimName } from './names.js';
import { MAX_TAGS, tooManyTags } from './put.js';
import type { ParameterRecord } from './store.js';

/** Removes a parameter (every version, its labels and tags) and sends the `Delete` event. */
function remove(ctx: SsmContext, parameter: ParameterRecord): void {
  const key = nameKey(parameter.name);
  ctx.store.parameters.delete(key);
  // A change still being validated would otherwise bring the deleted parameter back.
  const pending = ctx.store.pending.get(key);
  if (pending?.timer !== undefined) clearTimeout(pending.timer);
  ctx.store.pending.delete(key);
  ctx.emit(parameterEvent(ctx.store, parameter, 'Delete', ctx.now));
}

/** DeleteParameter: by name (not ARN); `ParameterNotFound`, without a message, when there is none. */
export const deleteParameter: SsmAction = (ctx) => {
  const name = trimName(ctx.input.requiredString('Name', { min: 1, max: NAME_MEMBER_MAX }));
  checkNameFormat(name);
  const parameter = ctx.store.get(name);
  if (parameter === undefined) throw SsmError.parameterNotFound();
  remove(ctx, parameter);
  return {};
};

/** DeleteParameters: up to 10 names; those that do not exist come back as `InvalidParameters`. */
export const deleteParameters: SsmAction = (ctx) => {
  const names = ctx.input.requiredNames();
  const deleted: string[] = [];
  const invalid: string[] = [];
  for (const raw of names) {
    const parameter = ctx.store.get(trimName(raw));
    if (parameter === undefined) invalid.push(raw);
    else {
      remove(ctx, parameter);
      deleted.push(raw);
    }
  }
  return { DeletedParameters: deleted, InvalidParameters: invalid };
};

const RESOURCE_TYPES = [
  'Document',
  'ManagedInstance',
  'MaintenanceWindow',
  'Parameter',
  'PatchBaseline',
  'OpsItem',
  'OpsMetadata',
  'Automation',
  'Association',
] as const;

/**
 * The parameter a tagging call names: `ResourceType: Parameter` and the parameter's name as
 * `ResourceId`. Other resource types exist in SSM but not in this emulator, so none of their ids
 * names a resource here (`InvalidResourceId`, as for a parameter that does not exist).
 */
function taggedParameter(ctx: SsmContext): ParameterRecord {
  const type = ctx.input.enumValue('ResourceType', RESOURCE_TYPES);
  const id = ctx.input.requiredString('ResourceId');
  if (type === undefined) throw SsmError.constraint('ResourceType', null, 'Member must not be null');
  const parameter = type === 'Parameter' ? ctx.store.get(trimName(id)) : undefined;
  if (parameter === undefined)
    throw new SsmError(
      'InvalidResourceId',
      "The resource ID isn't valid. Verify that you entered the correct ID and try again.",
    );
  return parameter;
}

/** AddTagsToResource: adds or overwrites tags, at most 50 on a parameter. */
export const addTagsToResource: SsmAction = (ctx) => {
  const tags = readTags(ctx.input, 'Tags');
  if (tags === undefined) throw SsmError.constraint('Tags', null, 'Member must not be null');
  const parameter = taggedParameter(ctx);
  const keys = new Set([...parameter.tags.keys(), ...tags.map((tag) => tag.Key)]);
  if (keys.size > MAX_TAGS) throw tooManyTags();
  for (const tag of tags) parameter.tags.set(tag.Key, tag.Value);
  return {};
};

export const listTagsForResource: SsmAction = (ctx) => {
  const parameter = taggedParameter(ctx);
  return { TagList: [...parameter.tags].map(([Key, Value]) => ({ Key, Value })) };
};

/** RemoveTagsFromResource: keys the parameter does not have are ignored. */
export const removeTagsFromResource: SsmAction = (ctx) => {
  const keys = ctx.input.stringList('TagKeys', { item: { min: 1, max: 128 } });
  if (keys === undefined) throw SsmError.constraint('TagKeys', null, 'Member must not be null');
  for (const key of keys) checkTagText('tagKeys', key);
  const parameter = taggedParameter(ctx);
  for (const key of keys) parameter.tags.delete(key);
  return {};
};
