/**
 * An EventBridge event-pattern matcher, written to `shared/reference/eventbridge-patterns.md`
 * (EventBridge User Guide, aws/event-ruler, and LocalStack's AWS-validated pattern tests).
 *
 * How it works. A pattern compiles to a tree of conditions: a *field test* (a dotted path, the values
 * allowed there, and whether absence is allowed) or an *or* of branches. An event is flattened into
 * leaf fields: the dotted path of every scalar, plus the array elements it sits in. A pattern matches
 * when every condition can be satisfied by leaf fields that are *array-consistent*: no two chosen
 * fields come from different elements of the same array (current Ruler, `rulesForJSONEvent`).
 *
 * Choices made between sources (each is also commented where it is implemented):
 * - Exact matching of numbers compares their JSON text (`300` ≠ `300.0` ≠ `3.0e2`), as the EventBridge
 *   User Guide says. Current Ruler additionally matches them by value.
 * - `numeric` accepts any finite double and compares as doubles (current Ruler's `ComparableNumber`);
 *   the archived User Guide's ±1.0e9 / 6-decimal limit is not enforced, since which limit the live
 *   service applies is unconfirmed.
 * - The same path written twice in one pattern (`"a.b"` and `a: {b}`, or an `$or` branch repeating an
 *   outer field) is accepted and both tests must hold. Ruler rejects a repeated path; AWS accepts
 *   duplicate JSON keys, so the service does not appear to apply Ruler's check.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { isPlainObject, JsonNumber } from './json.js';

export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';

  constructor(
    /** What is wrong, in Ruler/EventBridge wording where one exists. */
    readonly reason: string,
    /** Where, as a JSON path into the pattern, for example `$.detail.State[0].numeric`. */
    readonly path: string,
  ) {
    super(`Event pattern is not valid. Reason: ${reason} (at ${path})`);
  }
}

/** Operator names. They are case-sensitive, and an `$or` whose objects use them as field names is not an or. */
export const PATTERN_OPERATORS = [
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'cidr',
  'exists',
  'equals-ignore-case',
  'wildcard',
] as const;

export interface EventPattern {
  /** The pattern as it was given to {@link compilePattern}. */
  readonly source: unknown;
  matches(event: unknown): boolean;
}

// ---------------------------------------------------------------------------------------------------
// Compiled form

type Leaf =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

type ValueMatcher = (leaf: Leaf) => boolean;

interface FieldTest {
  kind: 'field';
  /** Dotted path, as Ruler joins it: `detail.state.status`. */
  path: string;
  /** The leaf matches when any matcher accepts it. */
  matchers: ValueMatcher[];
  /** `{"exists": false}` was listed: the test also passes when the path has no leaf in the event. */
  allowAbsent: boolean;
}

interface OrCondition {
  kind: 'or';
  branches: Condition[][];
}

type Condition = FieldTest | OrCondition;

// ---------------------------------------------------------------------------------------------------
// Compiling

function jsonPathKey(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function fail(reason: string, path: string): never {
  throw new InvalidEventPatternError(reason, path);
}

function isJsonNumber(value: unknown): value is number | JsonNumber {
  return typeof value === 'number' || value instanceof JsonNumber;
}

function numberText(value: number | JsonNumber): string {
  return value instanceof JsonNumber ? value.text : String(value);
}

function numberValue(value: number | JsonNumber, path: string): number {
  const n = value instanceof JsonNumber ? value.value : value;
  if (!Number.isFinite(n)) fail('numbers in a pattern must be finite', path);
  return n;
}

/**
 * Ruler treats `$or` as an or-relationship only when its value is an array of at least two objects and
 * none of those objects uses an operator name as a field name; otherwise `$or` is an ordinary field
 * (kept for backward compatibility), which usually makes the pattern invalid.
 */
function isOrRelationship(value: unknown): value is Record<string, unknown>[] {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every(
      (branch) =>
        isPlainObject(branch) &&
        Object.keys(branch).every((key) => !(PATTERN_OPERATORS as readonly string[]).includes(key)),
    )
  );
}

function compileObject(object: Record<string, unknown>, prefix: string[], jsonPath: string): Condition[] {
  const keys = Object.keys(object).filter((key) => object[key] !== undefined);
  if (keys.length === 0) fail('Empty objects are not allowed', jsonPath);
  const conditions: Condition[] = [];
  for (const key of keys) {
    const value = object[key];
    const path = jsonPathKey(jsonPath, key);
    if (key === '$or' && isOrRelationship(value)) {
      conditions.push({
        kind: 'or',
        branches: value.map((branch, index) => compileObject(branch, prefix, `${path}[${index}]`)),
      });
    } else if (isPlainObject(value)) {
      conditions.push(...compileObject(value, [...prefix, key], path));
    } else if (Array.isArray(value)) {
      try {
        conditions.push(compileLeaf(value, [...prefix, key].join('.'), path));
      } catch (error) {
        if (key === '$or' && error instanceof InvalidEventPatternError)
          fail(
            `${error.reason} ("$or" is read as a field name here: an or-relationship needs an array of at least ` +
              'two objects that use no operator name as a field)',
            error.path,
          );
        throw error;
      }
    } else {
      fail(`"${key}" must be an object or an array`, path);
    }
  }
  return conditions;
}

function compileLeaf(values: unknown[], fieldPath: string, jsonPath: string): FieldTest {
  if (values.length === 0) fail('Empty arrays are not allowed', jsonPath);
  const test: FieldTest = { kind: 'field', path: fieldPath, matchers: [], allowAbsent: false };
  values.forEach((value, index) => {
    const path = `${jsonPath}[${index}]`;
    if (typeof value === 'string') test.matchers.push(exactString(value));
    else if (isJsonNumber(value)) {
      numberValue(value, path);
      test.matchers.push(exactNumber(numberText(value)));
    } else if (typeof value === 'boolean')
      test.matchers.push((leaf) => leaf.kind === 'boolean' && leaf.value === value);
    else if (value === null) test.matchers.push((leaf) => leaf.kind === 'null');
    else if (isPlainObject(value)) {
      const compiled = compileMatchExpression(value, path);
      if (compiled === 'absent') test.allowAbsent = true;
      else test.matchers.push(compiled);
    } else fail('Match value must be String, number, true, false, or null', path);
  });
  return test;
}

const exactString =
  (expected: string): ValueMatcher =>
  (leaf) =>
    leaf.kind === 'string' && leaf.value === expected;

// EventBridge User Guide: "numbers are compared by their string representation" for exact matching.
const exactNumber =
  (text: string): ValueMatcher =>
  (leaf) =>
    leaf.kind === 'number' && leaf.text === text;

/** Case-insensitive comparison key. Ruler folds case per code point; lower-casing both sides is close enough. */
const fold = (value: string): string => value.toLowerCase();

function compileMatchExpression(
  expression: Record<string, unknown>,
  jsonPath: string,
): ValueMatcher | 'absent' {
  const keys = Object.keys(expression);
  const [operator] = keys;
  if (operator === undefined) fail('Empty objects are not allowed', jsonPath);
  if (keys.length > 1) fail(`Only one key allowed in match expression, found ${keys.join(', ')}`, jsonPath);
  const operand = expression[operator];
  const path = jsonPathKey(jsonPath, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return compilePrefixOrSuffix(operator, operand, path);
    case 'equals-ignore-case': {
      const expected = fold(requireString(operand, operator, path));
      return (leaf) => leaf.kind === 'string' && fold(leaf.value) === expected;
    }
    case 'wildcard': {
      const regex = compileWildcard(requireString(operand, operator, path), path);
      return (leaf) => leaf.kind === 'string' && regex.test(leaf.value);
    }
    case 'anything-but':
      return compileAnythingBut(operand, path);
    case 'numeric':
      return compileNumeric(operand, path);
    case 'cidr':
      return compileCidr(operand, path);
    case 'exists':
      if (typeof operand !== 'boolean') fail('exists match pattern must be either true or false', path);
      // Leaf-only semantics: exists:true needs a scalar (null included) at exactly this path;
      // exists:false passes when there is none, which includes the path being an object.
      return operand ? () => true : 'absent';
    default: {
      const lower = operator.toLowerCase();
      const hint = (PATTERN_OPERATORS as readonly string[]).includes(lower)
        ? ` (operator names are case-sensitive: use "${lower}")`
        : '';
      return fail(`Unrecognized match type ${operator}${hint}`, path);
    }
  }
}

function requireString(value: unknown, operator: string, path: string): string {
  if (typeof value !== 'string') fail(`${operator} match pattern must be a string`, path);
  return value;
}

function compilePrefixOrSuffix(operator: 'prefix' | 'suffix', operand: unknown, path: string): ValueMatcher {
  const test = (value: string, affix: string) =>
    operator === 'prefix' ? value.startsWith(affix) : value.endsWith(affix);
  if (typeof operand === 'string') return (leaf) => leaf.kind === 'string' && test(leaf.value, operand);
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case')
      fail(`${operator} match pattern must be a string or {"equals-ignore-case": string}`, path);
    const affix = fold(
      requireString(operand['equals-ignore-case'], 'equals-ignore-case', `${path}["equals-ignore-case"]`),
    );
    return (leaf) => leaf.kind === 'string' && test(fold(leaf.value), affix);
  }
  return fail(`${operator} match pattern must be a string`, path);
}

/**
 * `*` matches any run of characters (including none); `\*` is a literal `*` and `\\` a literal `\`.
 * Consecutive unescaped `*` and any other escape are invalid (Ruler README, "Wildcard matching").
 */
function compileWildcard(pattern: string, path: string): RegExp {
  let source = '';
  let previousWasWildcard = false;
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern.charAt(index);
    if (char === '\\') {
      const next = pattern.charAt(index + 1);
      if (next !== '*' && next !== '\\')
        fail(`Invalid escape character at pos ${index} in wildcard pattern`, path);
      source += `\\${next}`;
      index++;
      previousWasWildcard = false;
    } else if (char === '*') {
      if (previousWasWildcard)
        fail(`Consecutive wildcard characters at pos ${index} in wildcard pattern`, path);
      source += '.*';
      previousWasWildcard = true;
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      previousWasWildcard = false;
    }
  }
  return new RegExp(`^${source}$`, 'su');
}

function stringList(value: unknown, operator: string, path: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) {
    if (value.length === 0) fail('Empty arrays are not allowed', path);
    return value.map((item, index) => requireString(item, operator, `${path}[${index}]`));
  }
  return fail(`${operator} match pattern must be a string or an array of strings`, path);
}

/**
 * anything-but matches any *present* leaf that the inner condition rejects: JSON `null`, numbers and
 * booleans included (a number has no string prefix, so `{"anything-but": {"prefix": "x"}}` accepts it).
 * A missing field has no leaf, so it never matches (LS `content_anything_*_missing_NEG`).
 */
function compileAnythingBut(operand: unknown, path: string): ValueMatcher {
  if (typeof operand === 'string') return (leaf) => !(leaf.kind === 'string' && leaf.value === operand);
  // Excluded numbers compare by JSON text, like exact matching (anything-but is its negation).
  if (isJsonNumber(operand)) {
    numberValue(operand, path);
    const text = numberText(operand);
    return (leaf) => !(leaf.kind === 'number' && leaf.text === text);
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) fail('Empty arrays are not allowed', path);
    const strings = new Set<string>();
    const numbers = new Set<string>();
    operand.forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (typeof item === 'string') strings.add(item);
      else if (isJsonNumber(item)) {
        numberValue(item, itemPath);
        numbers.add(numberText(item));
      } else if (item === null || typeof item === 'boolean')
        fail('Inside anything-but list, null and boolean values are not supported', itemPath);
      else fail('Inside anything-but list, only strings and numbers are allowed', itemPath);
    });
    if (strings.size > 0 && numbers.size > 0)
      fail('Inside anything-but list, either all values are number or string', path);
    return (leaf) =>
      !(
        (leaf.kind === 'string' && strings.has(leaf.value)) ||
        (leaf.kind === 'number' && numbers.has(leaf.text))
      );
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const [inner] = keys;
    if (inner === undefined) fail('Empty objects are not allowed', path);
    if (keys.length > 1)
      fail(`Only one key allowed in anything-but expression, found ${keys.join(', ')}`, path);
    const innerPath = jsonPathKey(path, inner);
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(inner))
      fail(`Unsupported anything-but pattern: ${inner}`, innerPath);
    const values = stringList(operand[inner], inner, innerPath);
    let excluded: (value: string) => boolean;
    switch (inner) {
      case 'prefix':
      case 'suffix':
        // AWS rejects an empty anything-but prefix (LS content_anything_prefix_empty_EXC); it would
        // exclude every string. An empty suffix is the same case and is rejected likewise.
        if (values.includes('')) fail(`anything-but ${inner} must not be an empty string`, innerPath);
        excluded = (value) =>
          values.some((affix) => (inner === 'prefix' ? value.startsWith(affix) : value.endsWith(affix)));
        break;
      case 'equals-ignore-case': {
        const folded = new Set(values.map(fold));
        excluded = (value) => folded.has(fold(value));
        break;
      }
      case 'wildcard': {
        const regexes = values.map((value, index) =>
          compileWildcard(value, Array.isArray(operand[inner]) ? `${innerPath}[${index}]` : innerPath),
        );
        excluded = (value) => regexes.some((regex) => regex.test(value));
        break;
      }
      default:
        return fail(`Unsupported anything-but pattern: ${inner}`, innerPath);
    }
    return (leaf) => !(leaf.kind === 'string' && excluded(leaf.value));
  }
  return fail('Value of anything-but must be an array or single string/number value', path);
}

const LOWER_BOUNDS = ['>', '>='];
const UPPER_BOUNDS = ['<', '<='];

/**
 * `[op, n]`, `[lowerOp, n, upperOp, m]` (either order) or `["=", n]`. Values are compared as doubles;
 * see the file comment for why the archived ±1e9 range is not enforced.
 */
function compileNumeric(operand: unknown, path: string): ValueMatcher {
  if (!Array.isArray(operand) || operand.length === 0)
    fail('Value of numeric must be a non-empty array', path);
  if (operand.length % 2 !== 0)
    fail('numeric expression must be pairs of an operator and a number, such as [">", 0, "<=", 5]', path);
  if (operand.length > 4) fail('Too many terms in numeric range expression', path);
  const terms: Array<{ op: string; value: number }> = [];
  for (let index = 0; index < operand.length; index += 2) {
    const op: unknown = operand[index];
    const value: unknown = operand[index + 1];
    if (typeof op !== 'string' || !['=', ...LOWER_BOUNDS, ...UPPER_BOUNDS].includes(op))
      fail(`Unrecognized numeric range operator: ${JSON.stringify(op)}`, `${path}[${index}]`);
    if (!isJsonNumber(value)) fail(`Value of ${op} must be a number`, `${path}[${index + 1}]`);
    terms.push({ op, value: numberValue(value, `${path}[${index + 1}]`) });
  }
  const [first, second] = terms;
  if (first === undefined) return fail('Value of numeric must be a non-empty array', path);
  if (first.op === '=' || second?.op === '=') {
    if (second !== undefined) fail('Too many terms in numeric range expression: "=" must stand alone', path);
    const expected = first.value;
    return (leaf) => leaf.kind === 'number' && leaf.value === expected;
  }
  const lowers = terms.filter((term) => LOWER_BOUNDS.includes(term.op));
  const uppers = terms.filter((term) => UPPER_BOUNDS.includes(term.op));
  if (lowers.length > 1 || uppers.length > 1)
    fail('Too many terms in numeric range expression: at most one lower and one upper bound', path);
  const [lower] = lowers;
  const [upper] = uppers;
  if (lower !== undefined && upper !== undefined && !(lower.value < upper.value))
    fail('Bottom must be less than top in numeric range expression', path);
  return (leaf) => {
    if (leaf.kind !== 'number') return false;
    const n = leaf.value;
    if (lower !== undefined && !(lower.op === '>' ? n > lower.value : n >= lower.value)) return false;
    if (upper !== undefined && !(upper.op === '<' ? n < upper.value : n <= upper.value)) return false;
    return true;
  };
}

function compileCidr(operand: unknown, path: string): ValueMatcher {
  const cidr = requireString(operand, 'cidr', path);
  const parts = cidr.split('/');
  const [address, mask] = parts;
  if (parts.length !== 2 || address === undefined || mask === undefined)
    fail(`Malformed CIDR "${cidr}", one '/' required`, path);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (family === undefined) fail(`Invalid IP address "${address}" in CIDR`, path);
  const maxMask = family === 'ipv4' ? 32 : 128;
  const bits = /^\d{1,3}$/.test(mask) ? Number(mask) : Number.NaN;
  if (!(bits >= 0 && bits <= maxMask)) fail(`Invalid CIDR mask "${mask}": must be 0 to ${maxMask}`, path);
  const list = new BlockList();
  list.addSubnet(address, bits, family);
  // A value that is not an IP address simply does not match (LS content_ip_address_bad_type_NEG).
  return (leaf) => {
    if (leaf.kind !== 'string') return false;
    if (isIPv4(leaf.value)) return list.check(leaf.value, 'ipv4');
    if (isIPv6(leaf.value) && !leaf.value.includes('%')) return list.check(leaf.value, 'ipv6');
    return false;
  };
}

// ---------------------------------------------------------------------------------------------------
// Matching

/** The arrays a leaf sits in: pairs of (array id, element index), outermost first. */
type ArrayMembership = ReadonlyArray<readonly [number, number]>;

interface EventField {
  leaf: Leaf;
  arrays: ArrayMembership;
}

function toLeaf(value: unknown): Leaf | undefined {
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'boolean') return { kind: 'boolean', value };
  if (value === null) return { kind: 'null' };
  if (isJsonNumber(value)) {
    const n = value instanceof JsonNumber ? value.value : value;
    return { kind: 'number', text: numberText(value), value: n };
  }
  return undefined; // not JSON (undefined, functions, class instances): ignored, as JSON.stringify would
}

/** Every scalar of the event under its dotted path (so `{"a.b": 1}` and `{a: {b: 1}}` flatten alike). */
function flatten(event: Record<string, unknown>): Map<string, EventField[]> {
  const fields = new Map<string, EventField[]>();
  let nextArrayId = 0;
  const walk = (value: unknown, path: string, arrays: ArrayMembership): void => {
    if (isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`, arrays);
    } else if (Array.isArray(value)) {
      const id = nextArrayId++;
      value.forEach((element, index) => {
        walk(element, path, [...arrays, [id, index]]);
      });
    } else {
      const leaf = toLeaf(value);
      if (leaf === undefined) return;
      const list = fields.get(path);
      if (list) list.push({ leaf, arrays });
      else fields.set(path, [{ leaf, arrays }]);
    }
  };
  for (const [key, child] of Object.entries(event)) walk(child, key, []);
  return fields;
}

function consistent(a: ArrayMembership, b: ArrayMembership): boolean {
  for (const [id, index] of a) {
    for (const [otherId, otherIndex] of b) if (id === otherId && index !== otherIndex) return false;
  }
  return true;
}

function solve(
  queue: readonly Condition[],
  chosen: readonly ArrayMembership[],
  fields: Map<string, EventField[]>,
): boolean {
  const [head, ...rest] = queue;
  if (head === undefined) return true;
  if (head.kind === 'or') return head.branches.some((branch) => solve([...branch, ...rest], chosen, fields));
  const present = fields.get(head.path) ?? [];
  for (const field of present) {
    if (!head.matchers.some((matcher) => matcher(field.leaf))) continue;
    if (!chosen.every((arrays) => consistent(arrays, field.arrays))) continue;
    if (solve(rest, [...chosen, field.arrays], fields)) return true;
  }
  // exists:false is about the whole event: no leaf anywhere at this path.
  return head.allowAbsent && present.length === 0 && solve(rest, chosen, fields);
}

/**
 * Validates and compiles an event pattern (a parsed JSON value; numbers may be plain numbers or
 * {@link JsonNumber}s from `parseJson`). Throws {@link InvalidEventPatternError} when it is invalid.
 */
export function compilePattern(pattern: unknown): EventPattern {
  if (!isPlainObject(pattern)) fail('the event pattern must be a JSON object', '$');
  const conditions = compileObject(pattern, [], '$');
  return {
    source: pattern,
    matches(event: unknown): boolean {
      if (!isPlainObject(event)) return false;
      return solve(conditions, [], flatten(event));
    },
  };
}

/** `compilePattern(pattern).matches(event)`. */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}
