/**
 * JSON helpers for the local EventBridge.
 *
 * EventBridge compares numbers in exact-match patterns by their *text*: `300`, `300.0` and `3.0e2` are
 * three different values (EventBridge User Guide, "Event patterns"). `JSON.parse` throws the text away,
 * so {@link parseJson} keeps it: every number becomes a {@link JsonNumber} holding both the source text
 * and its value. The matcher accepts plain JS numbers too (their text is `String(n)`), so parsed and
 * hand-built values mix freely.
 */

export class JsonNumber {
  constructor(
    /** The number exactly as written in the JSON source, for example `3.0e2`. */
    readonly text: string,
    readonly value: number,
  ) {}

  /** Serialises back to a plain number, so `JSON.stringify` of a parsed document works. */
  toJSON(): number {
    return this.value;
  }
}

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

function sourceText(context: unknown, value: number): string {
  if (typeof context === 'object' && context !== null && 'source' in context) {
    const source = context.source;
    if (typeof source === 'string') return source;
  }
  return String(value);
}

/**
 * Parses JSON text, keeping the source text of every number (as a {@link JsonNumber}). Uses the
 * reviver's `context.source` (JSON.parse source text access, Node 21+); on older runtimes the text
 * falls back to `String(value)`.
 */
export function parseJson(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text, (_key: string, value: unknown, context?: unknown) =>
      typeof value === 'number' ? new JsonNumber(sourceText(context, value), value) : value,
    );
    return parsed;
  } catch (error) {
    throw new JsonSyntaxError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The fields `TestEventPattern` requires in its `Event`. The API reference also lists `resources`, but
 * the service does not enforce it (LocalStack's AWS-validated tests), so neither do we.
 */
export const TEST_EVENT_REQUIRED_FIELDS = [
  'id',
  'account',
  'source',
  'time',
  'region',
  'detail-type',
] as const;

/** Why `event` is not acceptable as a TestEventPattern `Event`, or `undefined` when it is. */
export function testEventProblem(event: unknown): string | undefined {
  if (!isPlainObject(event)) return 'the event must be a JSON object';
  const missing = TEST_EVENT_REQUIRED_FIELDS.filter((field) => !(field in event));
  if (missing.length > 0) return `the event is missing required field(s): ${missing.join(', ')}`;
  return undefined;
}
