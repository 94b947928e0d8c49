/**
 * What the compiler and the operators share: the error a pattern is refused with, the operator names,
 * the form an event's scalar takes when it is tested (a leaf), and the number rules.
 */
import { JsonNumber } from './json.js';

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

export type Leaf =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export type ValueMatcher = (leaf: Leaf) => boolean;

export function jsonPathKey(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

export function fail(reason: string, path: string): never {
  throw new InvalidEventPatternError(reason, path);
}

export function isJsonNumber(value: unknown): value is number | JsonNumber {
  return typeof value === 'number' || value instanceof JsonNumber;
}

export function numberText(value: number | JsonNumber): string {
  return value instanceof JsonNumber ? value.text : String(value);
}

export function numberValue(value: number | JsonNumber, path: string): number {
  const n = value instanceof JsonNumber ? value.value : value;
  if (!Number.isFinite(n)) fail('numbers in a pattern must be finite', path);
  return n;
}
