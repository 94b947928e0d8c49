/**
 * The comparison operators of an event pattern (`prefix`, `suffix`, `equals-ignore-case`, `wildcard`,
 * `anything-but`, `numeric`, `cidr`, `exists`) and exact values, each compiled to a matcher of one leaf.
 * Every operand is checked as EventBridge checks it, so a pattern `PutRule` refuses is refused here.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { isPlainObject } from './json.js';
import {
  fail,
  isJsonNumber,
  jsonPathKey,
  numberText,
  numberValue,
  PATTERN_OPERATORS,
  type ValueMatcher,
} from './model.js';

export const exactString =
  (expected: string): ValueMatcher =>
  (leaf) =>
    leaf.kind === 'string' && leaf.value === expected;

// EventBridge User Guide: "numbers are compared by their string representation" for exact matching.
export const exactNumber =
  (text: string): ValueMatcher =>
  (leaf) =>
    leaf.kind === 'number' && leaf.text === text;

/** Case-insensitive comparison key. Ruler folds case per code point; lower-casing both sides is close enough. */
const fold = (value: string): string => value.toLowerCase();

export function compileMatchExpression(
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
