import { SsmError } from './errors.js';
import type { Input } from './input.js';
import { checkPath, nameKey, underPath } from './names.js';
import { latest, type ParameterRecord } from './store.js';

/**
 * `ParameterFilters` (the `ParameterStringFilter` shape) and the opaque `NextToken` of the listing
 * actions. DescribeParameters takes every key but `Label`; GetParametersByPath takes `Type`,
 * `KeyId` and `Label` only. Options are `Equals` and `BeginsWith` (`Name` also `Contains`; `Path`
 * `Recursive` and `OneLevel`; `Label` only `Equals`), as the `ParameterStringFilter` shape says.
 */
export type FilterAction = 'DescribeParameters' | 'GetParametersByPath';

const KEY = /^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$/;
const ACCEPTED: Record<FilterAction, (key: string) => boolean> = {
  DescribeParameters: (key) => key !== 'Label',
  GetParametersByPath: (key) => key === 'Type' || key === 'KeyId' || key === 'Label',
};

function optionsFor(key: string): readonly string[] {
  if (key === 'Name') return ['Equals', 'BeginsWith', 'Contains'];
  if (key === 'Path') return ['Recursive', 'OneLevel'];
  if (key === 'Label') return ['Equals'];
  return ['Equals', 'BeginsWith'];
}

export type ParameterPredicate = (parameter: ParameterRecord) => boolean;

/** The values a filter key compares, of a parameter's latest version (labels: of any version). */
function fieldValues(parameter: ParameterRecord, key: string): string[] {
  const last = latest(parameter);
  if (key.startsWith('tag:')) {
    const tag = parameter.tags.get(key.slice(4));
    return tag === undefined ? [] : [tag];
  }
  switch (key) {
    case 'Name':
      return [parameter.name];
    case 'Type':
      return [last.type];
    case 'KeyId':
      return last.keyId === undefined ? [] : [last.keyId];
    case 'Tier':
      return [last.tier];
    case 'DataType':
      return [last.dataType];
    default:
      return parameter.versions.flatMap((v) => v.labels);
  }
}

/** Normalises a name for comparison: `/Name` and `Name` of a one-level parameter compare alike. */
const comparable = (key: string, value: string) => (key === 'Name' ? nameKey(value) : value);

function compile(filter: Input, action: FilterAction): ParameterPredicate {
  const key = filter.requiredString('Key', { min: 1, max: 132 });
  const option = filter.string('Option', { min: 1, max: 10 });
  const values = filter.stringList('Values', { min: 1, max: 50, item: { min: 1, max: 1024 } });
  if (!KEY.test(key) || !ACCEPTED[action](key))
    throw new SsmError('InvalidFilterKey', `The filter key ${key} isn't valid for ${action}.`);
  const allowed = optionsFor(key);
  const chosen = option ?? (key === 'Path' ? 'OneLevel' : 'Equals');
  if (!allowed.includes(chosen))
    throw new SsmError(
      'InvalidFilterOption',
      `The filter option ${chosen} isn't valid for the key ${key}. Valid options are: ${allowed.join(', ')}.`,
    );
  if (key === 'Path') {
    if (values === undefined)
      throw new SsmError('InvalidFilterValue', 'The Path filter needs at least one value.');
    const paths = values.map((value) => checkPath(value));
    return (parameter) => paths.some((path) => underPath(parameter.name, path, chosen === 'Recursive'));
  }
  // A tag filter without values matches every parameter that has the tag.
  if (values === undefined) {
    if (!key.startsWith('tag:'))
      throw new SsmError('InvalidFilterValue', `The filter ${key} needs at least one value.`);
    return (parameter) => fieldValues(parameter, key).length > 0;
  }
  const wanted = values.map((value) => comparable(key, value));
  return (parameter) =>
    fieldValues(parameter, key).some((raw) => {
      const actual = comparable(key, raw);
      return wanted.some((value) =>
        chosen === 'Equals'
          ? actual === value
          : chosen === 'BeginsWith'
            ? actual.startsWith(value) || raw.startsWith(value)
            : actual.includes(value),
      );
    });
}

/** Every filter must match (AND); an empty or missing list matches everything. */
export function parameterFilters(input: Input, action: FilterAction): ParameterPredicate {
  const predicates = (input.objectList('ParameterFilters') ?? []).map((filter) => compile(filter, action));
  return (parameter) => predicates.every((predicate) => predicate(parameter));
}

interface TokenBody {
  a: string;
  k: string;
}

/** A token naming the action and the last key returned; the next page starts after it. */
export function encodeToken(action: string, lastKey: string): string {
  const body: TokenBody = { a: action, k: lastKey };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeToken(action: string, token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const body: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof body === 'object' && body !== null && 'a' in body && 'k' in body) {
      const { a, k } = body;
      if (a === action && typeof k === 'string') return k;
    }
  } catch {
    // fall through: an unreadable token is invalid
  }
  throw SsmError.invalidNextToken();
}

/** One page of `items` (already in key order) after the token's key, and the next token. */
export function page<T>(
  action: string,
  items: readonly T[],
  keyOf: (item: T) => string,
  maxResults: number,
  token: string | undefined,
): { items: T[]; nextToken?: string } {
  const after = decodeToken(action, token);
  const start = after === undefined ? 0 : items.findIndex((item) => keyOf(item) > after);
  const rest = start === -1 ? [] : items.slice(start);
  const chosen = rest.slice(0, maxResults);
  const last = chosen.at(-1);
  return rest.length > maxResults && last !== undefined
    ? { items: chosen, nextToken: encodeToken(action, keyOf(last)) }
    : { items: chosen };
}
