import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, isPlainObject } from '../src/index.js';

const scalar = fc.oneof(
  fc.string(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const key = fc.string({ minLength: 1, maxLength: 8 });

/** JSON objects whose arrays hold scalars only (objects inside arrays are covered by the tables). */
const { event } = fc.letrec<{ event: Record<string, unknown>; value: unknown }>((tie) => ({
  event: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(scalar, { maxLength: 4 }), tie('event')),
}));

/** An exact-match pattern that names every leaf of the event with one of its own values. */
function exactPatternFor(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const pattern: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) {
    if (isPlainObject(child)) {
      const nested = exactPatternFor(child);
      if (nested) pattern[name] = nested;
    } else if (Array.isArray(child)) {
      if (child.length > 0) pattern[name] = [child[child.length - 1]];
    } else {
      pattern[name] = [child];
    }
  }
  return Object.keys(pattern).length > 0 ? pattern : undefined;
}

describe('matcher properties', () => {
  it('an exact pattern built from an event’s own values always matches it', () => {
    fc.assert(
      fc.property(event, (e) => {
        const pattern = exactPatternFor(e);
        fc.pre(pattern !== undefined);
        expect(compilePattern(pattern).matches(e)).toBe(true);
      }),
    );
  });

  it('anything-but X never matches X, and matches every other string', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (x, y) => {
        const pattern = compilePattern({ f: [{ 'anything-but': x }] });
        expect(pattern.matches({ f: x })).toBe(false);
        expect(pattern.matches({ f: y })).toBe(x !== y);
      }),
    );
  });

  it('anything-but a number list never matches a listed number', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1 }), fc.nat(), (list, pick) => {
        const excluded = list[pick % list.length];
        const pattern = compilePattern({ f: [{ 'anything-but': list }] });
        expect(pattern.matches({ f: excluded })).toBe(false);
      }),
    );
  });

  it('numeric ranges agree with plain comparison', () => {
    const number = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(number, number, number, fc.boolean(), fc.boolean(), (a, b, x, openLow, openHigh) => {
        fc.pre(a < b);
        const pattern = compilePattern({
          n: [{ numeric: [openLow ? '>' : '>=', a, openHigh ? '<' : '<=', b] }],
        });
        const expected = (openLow ? x > a : x >= a) && (openHigh ? x < b : x <= b);
        expect(pattern.matches({ n: x })).toBe(expected);
      }),
    );
  });

  it('a prefix matches every extension of itself and a suffix every string ending with it', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (s, t) => {
        expect(compilePattern({ f: [{ prefix: s }] }).matches({ f: s + t })).toBe(true);
        expect(compilePattern({ f: [{ suffix: t }] }).matches({ f: s + t })).toBe(true);
      }),
    );
  });

  it('an escaped wildcard matches exactly its literal text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (literal, other) => {
        const escaped = literal.replaceAll('\\', '\\\\').replaceAll('*', '\\*');
        const pattern = compilePattern({ f: [{ wildcard: escaped }] });
        expect(pattern.matches({ f: literal })).toBe(true);
        expect(pattern.matches({ f: other })).toBe(other === literal);
        expect(compilePattern({ f: [{ wildcard: `*${escaped}` }] }).matches({ f: other + literal })).toBe(
          true,
        );
      }),
    );
  });

  it('equals-ignore-case matches any ASCII re-casing', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'aBcDeF-0_Z') }), (s) => {
        const pattern = compilePattern({ f: [{ 'equals-ignore-case': s }] });
        expect(pattern.matches({ f: s.toUpperCase() })).toBe(true);
        expect(pattern.matches({ f: s.toLowerCase() })).toBe(true);
      }),
    );
  });

  it('$or of two patterns matches exactly when either pattern matches', () => {
    const small = fc.constantFrom('a', 'b', 'c');
    const leafPattern = fc.record({
      x: fc.array(small, { minLength: 1 }),
      y: fc.array(small, { minLength: 1 }),
    });
    const smallEvent = fc.record({ x: small, y: small }, { requiredKeys: [] });
    fc.assert(
      fc.property(leafPattern, leafPattern, smallEvent, (p, q, e) => {
        const either = compilePattern({ $or: [p, q] }).matches(e);
        expect(either).toBe(compilePattern(p).matches(e) || compilePattern(q).matches(e));
      }),
    );
  });

  it('exists true and exists false are complements on any event', () => {
    fc.assert(
      fc.property(event, key, (e, name) => {
        const present = compilePattern({ [name]: [{ exists: true }] }).matches(e);
        const absent = compilePattern({ [name]: [{ exists: false }] }).matches(e);
        expect(present).toBe(!absent);
      }),
    );
  });
});
