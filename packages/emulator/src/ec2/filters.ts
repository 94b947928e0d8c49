import { Ec2Error } from './errors.js';
import type { QueryNode } from './query.js';

/**
 * `Filter.N.Name` / `Filter.N.Value.M` as EC2 documents them: names and values are case-sensitive;
 * several values of one filter are OR-ed; different filters are AND-ed; values may use `*` (any run
 * of characters) and `?` (one character), and `\*`, `\?`, `\\` stand for the literal characters.
 */
export interface Filter {
  name: string;
  values: string[];
}

/** EC2's documented ceilings on filters [unverified exact numbers]: 50 filters, 200 values each. */
const MAX_FILTERS = 50;
const MAX_FILTER_VALUES = 200;

export function parseFilters(params: QueryNode): Filter[] {
  const filters: Filter[] = [];
  for (const item of params.items('Filter')) {
    const name = item.string('Name');
    if (name === undefined || name === '') {
      throw Ec2Error.invalidParameterValue("The filter 'null' is invalid");
    }
    const values = item.strings('Value');
    if (values.length === 0) throw Ec2Error.invalidParameterValue(`The filter '${name}' requires a value`);
    if (values.length > MAX_FILTER_VALUES) {
      throw new Ec2Error(
        'FilterLimitExceeded',
        `The filter '${name}' has more than ${MAX_FILTER_VALUES} values`,
      );
    }
    filters.push({ name, values });
  }
  if (filters.length > MAX_FILTERS) {
    throw new Ec2Error('FilterLimitExceeded', `The request has more than ${MAX_FILTERS} filters`);
  }
  return filters;
}

const patternCache = new Map<string, RegExp>();

/** Compiles an EC2 filter value to an anchored regular expression. */
export function wildcardPattern(value: string): RegExp {
  const cached = patternCache.get(value);
  if (cached !== undefined) return cached;
  const chars = [...value];
  let source = '';
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i] ?? '';
    if (char === '\\' && i + 1 < chars.length) {
      i += 1;
      source += escapeRegExp(chars[i] ?? '');
    } else if (char === '*') {
      source += '[\\s\\S]*';
    } else if (char === '?') {
      source += '[\\s\\S]';
    } else {
      source += escapeRegExp(char);
    }
  }
  const pattern = new RegExp(`^${source}$`, 'u');
  if (patternCache.size > 10_000) patternCache.clear();
  patternCache.set(value, pattern);
  return pattern;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function matchesAny(candidates: readonly string[], values: readonly string[]): boolean {
  return values.some((value) => {
    const pattern = wildcardPattern(value);
    return candidates.some((candidate) => pattern.test(candidate));
  });
}

/**
 * For each supported filter name, the values a resource offers to match against (a resource
 * matches a filter when any of its values matches any filter value). `tag:<key>` and `tag-key` are
 * handled by `tagsOf`, the caller's view of the resource's tags.
 */
export interface FilterSpec<T> {
  fields: Record<string, (resource: T) => readonly (string | undefined)[]>;
  tagsOf?: (resource: T) => ReadonlyMap<string, string>;
}

/** Checks every filter name first (`InvalidParameterValue` for an unknown one), then returns the predicate. */
export function compileFilters<T>(filters: readonly Filter[], spec: FilterSpec<T>): (resource: T) => boolean {
  const tests: Array<(resource: T) => boolean> = [];
  for (const filter of filters) {
    const tagsOf = spec.tagsOf;
    if (tagsOf !== undefined && filter.name.startsWith('tag:')) {
      const key = filter.name.slice(4);
      tests.push((resource) => {
        const value = tagsOf(resource).get(key);
        return value !== undefined && matchesAny([value], filter.values);
      });
    } else if (tagsOf !== undefined && filter.name === 'tag-key') {
      tests.push((resource) => matchesAny([...tagsOf(resource).keys()], filter.values));
    } else {
      const field = Object.hasOwn(spec.fields, filter.name) ? spec.fields[filter.name] : undefined;
      if (field === undefined) throw Ec2Error.invalidParameterValue(`The filter '${filter.name}' is invalid`);
      tests.push((resource) =>
        matchesAny(
          field(resource).filter((value): value is string => value !== undefined),
          filter.values,
        ),
      );
    }
  }
  return (resource) => tests.every((test) => test(resource));
}
