import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches, globsIntersect, isLiteralGlob } from '../../shared/rules/glob.js';

describe('globMatches', () => {
  it.each([
    {
      glob: 'golden-linux-*',
      name: 'golden-linux-2024.06',
      matches: true,
      why: '* matches a run of characters',
    },
    { glob: 'golden-linux-*', name: 'golden-linux-', matches: true, why: '* matches nothing too' },
    { glob: 'golden-linux-*', name: 'golden-windows-1', matches: false, why: 'the literal prefix differs' },
    { glob: '*-prod', name: 'web-prod', matches: true, why: 'a leading *' },
    { glob: '*-prod', name: 'web-prod-2', matches: false, why: 'the glob is anchored at the end' },
    { glob: 'web', name: 'web-prod', matches: false, why: 'a literal must match the whole name' },
    { glob: 'web', name: 'web', matches: true, why: 'a literal matches itself' },
    { glob: 'a?c', name: 'abc', matches: true, why: '? matches one character' },
    { glob: 'a?c', name: 'ac', matches: false, why: '? cannot match nothing' },
    { glob: 'a?c', name: 'abbc', matches: false, why: '? cannot match two characters' },
    { glob: 'a.c', name: 'abc', matches: false, why: 'a dot is a literal, not a regex wildcard' },
    { glob: 'img (v1)+[x]', name: 'img (v1)+[x]', matches: true, why: 'regex metacharacters are literals' },
    { glob: 'img (v1)+', name: 'img (v1)(v1)', matches: false, why: '+ does not repeat' },
    {
      glob: 'a$b^c|d\\e',
      name: 'a$b^c|d\\e',
      matches: true,
      why: 'anchors, bars and backslashes are literals',
    },
    { glob: 'a*', name: 'a\nb', matches: true, why: '* matches a newline (any character)' },
    { glob: '*', name: '', matches: true, why: 'a lone * matches the empty name' },
    { glob: 'Web-*', name: 'web-1', matches: false, why: 'matching is case-sensitive, like EC2 filters' },
  ])('$glob vs "$name": $why', ({ glob, name, matches }) => {
    expect(globMatches(glob, name)).toBe(matches);
  });
});

describe('isLiteralGlob', () => {
  it.each([
    { glob: 'golden-linux-1', literal: true },
    { glob: 'golden-*', literal: false },
    { glob: 'golden-?', literal: false },
  ])('$glob → $literal', ({ glob, literal }) => {
    expect(isLiteralGlob(glob)).toBe(literal);
  });
});

describe('globsIntersect', () => {
  it.each([
    { a: 'web-*', b: '*-prod', intersect: true, why: 'web-prod matches both' },
    { a: 'a?c', b: 'abd', intersect: false, why: 'the last characters differ' },
    { a: 'a?c', b: 'abc', intersect: true, why: '? produces the b' },
    { a: 'web-1', b: 'web-1', intersect: true, why: 'equal literals' },
    { a: 'web-1', b: 'web-2', intersect: false, why: 'different literals' },
    { a: 'web-1', b: 'web-*', intersect: true, why: 'a literal the glob matches' },
    { a: 'db-1', b: 'web-*', intersect: false, why: 'a literal the glob does not match' },
    { a: 'web-*', b: 'db-*', intersect: false, why: 'different literal prefixes' },
    { a: '*-linux', b: '*-windows', intersect: false, why: 'different literal suffixes' },
    { a: 'a*', b: '*b', intersect: true, why: 'ab matches both' },
    { a: '??', b: '???', intersect: false, why: 'fixed lengths differ' },
    { a: '??', b: 'a*', intersect: true, why: 'a and one more character' },
    { a: '?*?', b: 'x', intersect: false, why: 'the left needs at least two characters' },
    { a: '*', b: '', intersect: true, why: '* matches the empty string' },
    { a: '?', b: '', intersect: false, why: '? needs a character' },
    { a: 'a*b*c', b: '*bc*', intersect: true, why: 'abc matches both' },
    { a: 'a*a', b: 'b*', intersect: false, why: 'must start with both a and b' },
  ])('$a ∩ $b: $why', ({ a, b, intersect }) => {
    expect(globsIntersect(a, b)).toBe(intersect);
    expect(globsIntersect(b, a)).toBe(intersect);
  });

  const char = fc.constantFrom('a', 'b');
  const glob = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 4 }).map((chars) => chars.join(''));

  /** Every string over {a, b, z} up to `length`: z stands for any character neither glob names. */
  function* strings(length: number): Generator<string> {
    yield '';
    let previous = [''];
    for (let n = 1; n <= length; n++) {
      const next = previous.flatMap((s) => ['a', 'b', 'z'].map((c) => s + c));
      yield* next;
      previous = next;
    }
  }

  it('is true whenever some string matches both globs (globs derived from one string)', () => {
    // Each glob is built from the same name by turning characters into ? and runs into *, so the
    // name matches both; random globs would almost never share a name.
    const derived = (name: string) =>
      fc
        .array(fc.constantFrom('keep', 'any-one', 'star', 'star-and-keep'), {
          minLength: name.length,
          maxLength: name.length,
        })
        .map((ops) =>
          [...name]
            .map((c, i) => {
              const op = ops[i];
              if (op === 'any-one') return '?';
              if (op === 'star') return '*';
              if (op === 'star-and-keep') return `*${c}`;
              return c;
            })
            .join(''),
        );
    fc.assert(
      fc.property(
        fc
          .array(char, { maxLength: 8 })
          .map((chars) => chars.join(''))
          .chain((name) => fc.tuple(fc.constant(name), derived(name), derived(name))),
        ([name, a, b]) => {
          expect(globMatches(a, name)).toBe(true);
          expect(globMatches(b, name)).toBe(true);
          expect(globsIntersect(a, b)).toBe(true);
        },
      ),
    );
  });

  it('agrees with a brute-force search for a common string', () => {
    // A common string, if one exists, needs at most one character per non-* character of the globs.
    fc.assert(
      fc.property(glob, glob, (a, b) => {
        let witness: string | undefined;
        for (const s of strings(a.length + b.length)) {
          if (globMatches(a, s) && globMatches(b, s)) {
            witness = s;
            break;
          }
        }
        expect(globsIntersect(a, b), `witness: ${JSON.stringify(witness)}`).toBe(witness !== undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('is true for a glob and itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '*', '?'), maxLength: 20 }), (g) => {
        expect(globsIntersect(g, g)).toBe(true);
      }),
    );
  });

  it('is symmetric', () => {
    fc.assert(
      fc.property(glob, glob, (a, b) => {
        expect(globsIntersect(a, b)).toBe(globsIntersect(b, a));
      }),
    );
  });
});
