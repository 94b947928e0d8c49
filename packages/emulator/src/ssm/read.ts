import type { SsmAction, SsmContext } from './context.js';
import { SsmError } from './errors.js';
import { page, parameterFilters } from './filters.js';
import { checkPath, NAME_MEMBER_MAX, type ParameterReference, parseReference, underPath } from './names.js';
import { historyShape, metadataShape, parameterShape } from './shapes.js';
import { latest, type ParameterRecord, type VersionRecord } from './store.js';

/**
 * The reads. A parameter whose only change is an `aws:ec2:image` value still being validated is
 * not there yet, and a pending update is not the latest version yet: the store holds only
 * validated versions, so every read sees what AWS shows before validation ends.
 */

interface Resolved {
  parameter: ParameterRecord;
  version: VersionRecord;
}

/**
 * The version a reference names: the latest, `name:3`, or `name:label`. An ARN names a parameter
 * of its own account and region only (sharing across accounts is not emulated).
 */
function resolve(ctx: SsmContext, reference: ParameterReference): Resolved | SsmError {
  const { arn } = reference;
  const parameter =
    arn !== undefined && (arn.region !== ctx.store.region || arn.accountId !== ctx.store.accountId)
      ? undefined
      : ctx.store.get(reference.name);
  if (parameter === undefined) return SsmError.parameterNotFound();
  if (reference.selector === undefined) return { parameter, version: latest(parameter) };
  const version = parameter.versions.find((v) =>
    reference.version !== undefined
      ? v.version === reference.version
      : v.labels.includes(reference.label ?? ''),
  );
  if (version === undefined) return SsmError.versionNotFound(parameter.name, reference.selector.slice(1));
  return { parameter, version };
}

export const getParameter: SsmAction = (ctx) => {
  const reference = parseReference(ctx.input.requiredString('Name', { min: 1, max: NAME_MEMBER_MAX }));
  const withDecryption = ctx.input.boolean('WithDecryption') ?? false;
  const found = resolve(ctx, reference);
  if (found instanceof SsmError) throw found;
  return {
    Parameter: parameterShape(ctx.store, found.parameter, found.version, {
      withDecryption,
      ...(reference.selector !== undefined ? { selector: reference.selector } : {}),
    }),
  };
};

/**
 * GetParameters: up to 10 names (with selectors); what cannot be found is listed in
 * `InvalidParameters` as the caller wrote it. "The results are listed in alphabetical order."
 */
export const getParameters: SsmAction = (ctx) => {
  const names = ctx.input.requiredNames();
  const withDecryption = ctx.input.boolean('WithDecryption') ?? false;
  const found: Array<{ key: string; shape: Record<string, unknown> }> = [];
  const invalid: string[] = [];
  for (const raw of new Set(names)) {
    const reference = parseReference(raw);
    const resolved = resolve(ctx, reference);
    if (resolved instanceof SsmError) invalid.push(raw);
    else
      found.push({
        key: resolved.parameter.name,
        shape: parameterShape(ctx.store, resolved.parameter, resolved.version, {
          withDecryption,
          ...(reference.selector !== undefined ? { selector: reference.selector } : {}),
        }),
      });
  }
  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { Parameters: found.map((f) => f.shape), InvalidParameters: invalid };
};

/** GetParametersByPath: the latest versions under a path, one level or all (`Recursive`), paged by 10. */
export const getParametersByPath: SsmAction = (ctx) => {
  const path = checkPath(ctx.input.requiredString('Path', { min: 1, max: NAME_MEMBER_MAX }));
  const recursive = ctx.input.boolean('Recursive') ?? false;
  const withDecryption = ctx.input.boolean('WithDecryption') ?? false;
  const maxResults = ctx.input.integer('MaxResults', { min: 1, max: 10 }) ?? 10;
  const token = ctx.input.string('NextToken');
  const matches = parameterFilters(ctx.input, 'GetParametersByPath');
  const candidates = ctx.store
    .sorted()
    .filter((parameter) => underPath(parameter.name, path, recursive) && matches(parameter));
  const result = page('GetParametersByPath', candidates, (p) => p.name, maxResults, token);
  return {
    Parameters: result.items.map((parameter) =>
      parameterShape(ctx.store, parameter, latest(parameter), { withDecryption }),
    ),
    ...(result.nextToken !== undefined ? { NextToken: result.nextToken } : {}),
  };
};

/** GetParameterHistory: every kept version, oldest first, with its labels; paged by 50. */
export const getParameterHistory: SsmAction = (ctx) => {
  const reference = parseReference(ctx.input.requiredString('Name', { min: 1, max: NAME_MEMBER_MAX }));
  const withDecryption = ctx.input.boolean('WithDecryption') ?? false;
  const maxResults = ctx.input.integer('MaxResults', { min: 1, max: 50 }) ?? 50;
  const token = ctx.input.string('NextToken');
  const found = resolve(ctx, { ...reference, selector: undefined });
  if (found instanceof SsmError) throw found;
  const { parameter } = found;
  const versionKey = (v: VersionRecord) => String(v.version).padStart(20, '0');
  const result = page('GetParameterHistory', parameter.versions, versionKey, maxResults, token);
  return {
    Parameters: result.items.map((version) => historyShape(parameter, version, withDecryption)),
    ...(result.nextToken !== undefined ? { NextToken: result.nextToken } : {}),
  };
};

/**
 * DescribeParameters: metadata of the latest versions, filtered by `ParameterFilters` (and the
 * deprecated `Filters`: `Name`, `Type` or `KeyId` equal to one of the values), paged by 10.
 */
export const describeParameters: SsmAction = (ctx) => {
  const legacy = (ctx.input.objectList('Filters') ?? []).map((filter) => {
    const key = filter.enumValue('Key', ['Name', 'Type', 'KeyId'] as const);
    const values = filter.stringList('Values', { min: 1, max: 50, item: { min: 1, max: 1024 } }) ?? [];
    return (parameter: ParameterRecord) => {
      const last = latest(parameter);
      const actual = key === 'Name' ? parameter.name : key === 'Type' ? last.type : last.keyId;
      return actual !== undefined && values.includes(actual);
    };
  });
  const matches = parameterFilters(ctx.input, 'DescribeParameters');
  const maxResults = ctx.input.integer('MaxResults', { min: 1, max: 50 }) ?? 10;
  const token = ctx.input.string('NextToken');
  // Parameters shared by other accounts are not emulated: the Shared listing is empty.
  const shared = ctx.input.boolean('Shared') ?? false;
  const candidates = shared
    ? []
    : ctx.store.sorted().filter((parameter) => matches(parameter) && legacy.every((test) => test(parameter)));
  const result = page('DescribeParameters', candidates, (p) => p.name, maxResults, token);
  return {
    Parameters: result.items.map((parameter) => metadataShape(ctx.store, parameter, latest(parameter))),
    ...(result.nextToken !== undefined ? { NextToken: result.nextToken } : {}),
  };
};
