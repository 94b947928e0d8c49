/**
 * An EventBridge event-pattern matcher, written to the EventBridge User Guide's event-pattern pages,
 * AWS's open-source matcher (aws/event-ruler) and LocalStack's AWS-validated pattern tests.
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
import { isPlainObject, JsonNumber } from './json.js';
import {
  fail,
  InvalidEventPatternError,
  isJsonNumber,
  jsonPathKey,
  type Leaf,
  numberText,
  numberValue,
  PATTERN_OPERATORS,
  type ValueMatcher,
} from './model.js';
import { compileMatchExpression, exactNumber, exactString } from './operators.js';

export { InvalidEventPatternError, PATTERN_OPERATORS };

export interface EventPattern {
  /** The pattern as it was given to {@link compilePattern}. */
  readonly source: unknown;
  matches(event: unknown): boolean;
}

// ---------------------------------------------------------------------------------------------------
// Compiled form

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
