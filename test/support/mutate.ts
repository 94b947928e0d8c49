import fc from 'fast-check';

/**
 * Inputs for property tests of parsers: a valid value with one of its fields (at any depth)
 * replaced by anything, or removed. They reach the checks a parser makes after the first field,
 * which arbitrary values rarely do.
 */

/** Every path to a value inside `value` (objects and arrays), the root included as []. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix];
  if (value === null || typeof value !== 'object') return paths;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value);
  for (const [key, item] of entries) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

/** `value` with the thing at `path` replaced (or deleted, when `replacement` is the DELETE marker). */
const DELETE = Symbol('delete');
function withAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  const copy: Record<string | number, unknown> | unknown[] = Array.isArray(value)
    ? [...value]
    : { ...(value as Record<string, unknown>) };
  const next =
    rest.length === 0
      ? replacement
      : withAt((copy as Record<string | number, unknown>)[head], rest, replacement);
  if (next === DELETE) {
    if (Array.isArray(copy)) copy.splice(Number(head), 1);
    else delete copy[head];
  } else (copy as Record<string | number, unknown>)[head] = next;
  return copy;
}

/** A valid value with one of its fields replaced by anything, or removed. */
export function mutated(valid: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(valid);
  return fc
    .tuple(fc.constantFrom(...paths), fc.oneof(fc.constant<unknown>(DELETE), fc.anything()))
    .map(([path, replacement]) => withAt(valid, path, replacement));
}
