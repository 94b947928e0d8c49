/**
 * DynamoDB attribute values as the JSON protocol carries them (`{"S":"x"}`, `{"N":"1.5"}`, …):
 * validation of what a request sends, the canonical form items are stored in, and the comparisons,
 * arithmetic and `size()` expressions need.
 *
 * Numbers are decimals, not doubles: DynamoDB keeps up to 38 significant digits, so `N` values are
 * parsed into a BigInt mantissa and a power of ten and compared and added exactly. A stored number
 * comes back in canonical form (`"1.50"` → `"1.5"`, `"1e2"` → `"100"`), as DynamoDB returns them.
 */
import { DynamoDbError } from './errors.js';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type Item = Record<string, AttributeValue>;

/** The type descriptor of a value: `S`, `N`, `B`, `BOOL`, `NULL`, `L`, `M`, `SS`, `NS`, `BS`. */
export type AttributeType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'L' | 'M' | 'SS' | 'NS' | 'BS';

export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  'S',
  'N',
  'B',
  'BOOL',
  'NULL',
  'L',
  'M',
  'SS',
  'NS',
  'BS',
];

export function typeOf(value: AttributeValue): AttributeType {
  if ('S' in value) return 'S';
  if ('N' in value) return 'N';
  if ('B' in value) return 'B';
  if ('BOOL' in value) return 'BOOL';
  if ('NULL' in value) return 'NULL';
  if ('L' in value) return 'L';
  if ('M' in value) return 'M';
  if ('SS' in value) return 'SS';
  if ('NS' in value) return 'NS';
  return 'BS';
}

// ---------------------------------------------------------------------------------------------------
// Decimal numbers

/** `mantissa × 10^exponent`, with the mantissa's trailing zeros folded into the exponent. */
export interface Decimal {
  mantissa: bigint;
  exponent: number;
}

const NUMBER_PATTERN = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;
const MAX_DIGITS = 38;
/** DynamoDB's range: positive magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125. */
const MIN_ADJUSTED_EXPONENT = -130;
const MAX_ADJUSTED_EXPONENT = 125;

function normalize(mantissa: bigint, exponent: number): Decimal {
  if (mantissa === 0n) return { mantissa: 0n, exponent: 0 };
  let m = mantissa;
  let e = exponent;
  while (m % 10n === 0n) {
    m /= 10n;
    e += 1;
  }
  return { mantissa: m, exponent: e };
}

function digitCount(value: bigint): number {
  return (value < 0n ? -value : value).toString().length;
}

/** Checks DynamoDB's precision and range; `ValidationException` as DynamoDB words it. */
function checkRange(decimal: Decimal): Decimal {
  if (decimal.mantissa === 0n) return decimal;
  const digits = digitCount(decimal.mantissa);
  if (digits > MAX_DIGITS)
    throw DynamoDbError.validation('Attempting to store more than 38 significant digits in a Number');
  const adjusted = decimal.exponent + digits - 1;
  if (adjusted > MAX_ADJUSTED_EXPONENT)
    throw DynamoDbError.validation(
      'Number overflow. Attempting to store a number with magnitude larger than supported range',
    );
  if (adjusted < MIN_ADJUSTED_EXPONENT)
    throw DynamoDbError.validation(
      'Number underflow. Attempting to store a number with magnitude smaller than supported range',
    );
  return decimal;
}

/** Parses an `N` string; `ValidationException` for anything that is not a number DynamoDB can store. */
export function parseDecimal(text: string): Decimal {
  const match = NUMBER_PATTERN.exec(text);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match ?? [];
  if (match === null || (whole === '' && fraction === ''))
    throw DynamoDbError.validation(`The parameter cannot be converted to a numeric value: ${text}`);
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '');
  const mantissa = BigInt(digits === '' ? '0' : digits) * (sign === '-' ? -1n : 1n);
  return checkRange(normalize(mantissa, Number(exponent) - fraction.length));
}

/** Positional notation with no trailing zeros: DynamoDB's canonical form of a stored number. */
export function formatDecimal(decimal: Decimal): string {
  const { mantissa, exponent } = decimal;
  if (mantissa === 0n) return '0';
  const negative = mantissa < 0n;
  const digits = (negative ? -mantissa : mantissa).toString();
  let text: string;
  if (exponent >= 0) text = digits + '0'.repeat(exponent);
  else {
    const point = digits.length + exponent;
    text =
      point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

export function canonicalNumber(text: string): string {
  return formatDecimal(parseDecimal(text));
}

/** -1, 0 or 1, exactly. */
export function compareDecimals(a: Decimal, b: Decimal): number {
  const exponent = Math.min(a.exponent, b.exponent);
  const left = a.mantissa * 10n ** BigInt(a.exponent - exponent);
  const right = b.mantissa * 10n ** BigInt(b.exponent - exponent);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** `a + sign × b`, exactly, range-checked as a stored number is. */
export function addDecimals(a: Decimal, b: Decimal, sign: 1 | -1 = 1): Decimal {
  const exponent = Math.min(a.exponent, b.exponent);
  const left = a.mantissa * 10n ** BigInt(a.exponent - exponent);
  const right = b.mantissa * 10n ** BigInt(b.exponent - exponent);
  return checkRange(normalize(left + BigInt(sign) * right, exponent));
}

// ---------------------------------------------------------------------------------------------------
// Validation of request values

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function binary(value: unknown): string {
  if (typeof value !== 'string' || !BASE64.test(value))
    throw DynamoDbError.serialization('Base64 encoded binary value expected');
  return value;
}

function setOf(values: unknown, kind: 'SS' | 'NS' | 'BS'): string[] {
  if (!Array.isArray(values)) throw DynamoDbError.serialization(`${kind} must be a list`);
  const noun = kind === 'SS' ? 'string' : kind === 'NS' ? 'number' : 'binary';
  if (values.length === 0)
    throw DynamoDbError.validation(
      `One or more parameter values were invalid: An ${noun} set  may not be empty`,
    );
  const members = values.map((member) => {
    if (kind === 'BS') return binary(member);
    if (typeof member !== 'string') throw DynamoDbError.serialization(`${kind} members must be strings`);
    return kind === 'NS' ? canonicalNumber(member) : member;
  });
  if (new Set(members).size !== members.length)
    throw DynamoDbError.validation(
      `One or more parameter values were invalid: Input collection [${values.join(', ')}] contains duplicates.`,
    );
  return members;
}

/**
 * A request's attribute value, checked as DynamoDB checks it and put in canonical form (numbers
 * canonical, a fresh copy). Exactly one type descriptor; `NULL` only `true`; sets non-empty and
 * without duplicates.
 */
export function parseAttributeValue(raw: unknown): AttributeValue {
  if (!isRecord(raw)) throw DynamoDbError.serialization('An AttributeValue must be an object');
  const keys = Object.keys(raw).filter((key) => raw[key] !== undefined && raw[key] !== null);
  if (keys.length === 0)
    throw DynamoDbError.validation(
      'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
    );
  if (keys.length > 1)
    throw DynamoDbError.validation(
      'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
  const [key = ''] = keys;
  const value = raw[key];
  switch (key) {
    case 'S':
      if (typeof value !== 'string') throw DynamoDbError.serialization('S must be a string');
      return { S: value };
    case 'N':
      if (typeof value !== 'string') throw DynamoDbError.serialization('N must be a string');
      return { N: canonicalNumber(value) };
    case 'B':
      return { B: binary(value) };
    case 'BOOL':
      if (typeof value !== 'boolean') throw DynamoDbError.serialization('BOOL must be a boolean');
      return { BOOL: value };
    case 'NULL':
      if (value !== true)
        throw DynamoDbError.validation(
          'One or more parameter values were invalid: Null attribute value types must have the value of true',
        );
      return { NULL: true };
    case 'L':
      if (!Array.isArray(value)) throw DynamoDbError.serialization('L must be a list');
      return { L: value.map(parseAttributeValue) };
    case 'M':
      if (!isRecord(value)) throw DynamoDbError.serialization('M must be an object');
      return { M: parseAttributeMap(value) };
    case 'SS':
    case 'NS':
    case 'BS':
      return { [key]: setOf(value, key) } as AttributeValue;
    default:
      throw DynamoDbError.serialization(`Unknown AttributeValue type: ${key}`);
  }
}

/** A map of attribute values (an item, a key, `ExpressionAttributeValues`, an `M`). */
export function parseAttributeMap(raw: unknown): Item {
  if (!isRecord(raw)) throw DynamoDbError.serialization('Expected a map of attribute values');
  const out: Item = {};
  for (const [name, value] of Object.entries(raw)) out[name] = parseAttributeValue(value);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Comparison, copies and sizes

export function cloneValue<T extends AttributeValue | Item>(value: T): T {
  return structuredClone(value);
}

/** DynamoDB equality: same type and same value; sets compare as sets, numbers numerically. */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  if ('S' in a && 'S' in b) return a.S === b.S;
  if ('N' in a && 'N' in b) return compareDecimals(parseDecimal(a.N), parseDecimal(b.N)) === 0;
  if ('B' in a && 'B' in b) return a.B === b.B;
  if ('BOOL' in a && 'BOOL' in b) return a.BOOL === b.BOOL;
  if ('NULL' in a && 'NULL' in b) return true;
  if ('L' in a && 'L' in b)
    return (
      a.L.length === b.L.length && a.L.every((item, i) => b.L[i] !== undefined && valuesEqual(item, b.L[i]))
    );
  if ('M' in a && 'M' in b) {
    const keys = Object.keys(a.M);
    return (
      keys.length === Object.keys(b.M).length &&
      keys.every((key) => {
        const left = a.M[key];
        const right = b.M[key];
        return left !== undefined && right !== undefined && valuesEqual(left, right);
      })
    );
  }
  const members = (value: AttributeValue) =>
    'SS' in value ? value.SS : 'NS' in value ? value.NS.map(canonicalNumber) : 'BS' in value ? value.BS : [];
  const left = new Set(members(a));
  const right = members(b);
  return left.size === right.length && right.every((member) => left.has(member));
}

/**
 * Ordering for `<`, `<=`, `>`, `>=` and BETWEEN: numbers numerically, strings by UTF-8 bytes,
 * binaries by bytes. Undefined when the two are not both N, both S or both B: the comparison is false.
 */
export function compareValues(a: AttributeValue, b: AttributeValue): number | undefined {
  if ('N' in a && 'N' in b) return compareDecimals(parseDecimal(a.N), parseDecimal(b.N));
  if ('S' in a && 'S' in b) return Buffer.compare(Buffer.from(a.S, 'utf8'), Buffer.from(b.S, 'utf8'));
  if ('B' in a && 'B' in b) return Buffer.compare(Buffer.from(a.B, 'base64'), Buffer.from(b.B, 'base64'));
  return undefined;
}

/** `size()`: bytes of a string or binary, members of a set, list or map; undefined for other types. */
export function sizeOf(value: AttributeValue): number | undefined {
  if ('S' in value) return Buffer.byteLength(value.S, 'utf8');
  if ('B' in value) return Buffer.from(value.B, 'base64').length;
  if ('L' in value) return value.L.length;
  if ('M' in value) return Object.keys(value.M).length;
  if ('SS' in value) return value.SS.length;
  if ('NS' in value) return value.NS.length;
  if ('BS' in value) return value.BS.length;
  return undefined;
}

/**
 * The stored size of a value, close to DynamoDB's item-size rules (strings and binaries by bytes,
 * numbers about one byte per two digits plus one, 1 byte for BOOL/NULL, 3 bytes of overhead per
 * list or map plus one per element).
 */
function valueBytes(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S, 'utf8');
  if ('N' in value) return Math.ceil(value.N.replace(/[-.]/g, '').length / 2) + 1;
  if ('B' in value) return Buffer.from(value.B, 'base64').length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('L' in value) return 3 + value.L.reduce((n, item) => n + 1 + valueBytes(item), 0);
  if ('M' in value)
    return (
      3 +
      Object.entries(value.M).reduce(
        (n, [key, item]) => n + 1 + Buffer.byteLength(key, 'utf8') + valueBytes(item),
        0,
      )
    );
  if ('SS' in value) return value.SS.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  if ('NS' in value)
    return value.NS.reduce((n, s) => n + Math.ceil(s.replace(/[-.]/g, '').length / 2) + 1, 0);
  return value.BS.reduce((n, b) => n + Buffer.from(b, 'base64').length, 0);
}

/** An item's size in bytes: attribute names plus values. */
export function itemBytes(item: Item): number {
  return Object.entries(item).reduce(
    (n, [name, value]) => n + Buffer.byteLength(name, 'utf8') + valueBytes(value),
    0,
  );
}

export const MAX_ITEM_BYTES = 400 * 1024;
