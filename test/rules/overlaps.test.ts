import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overlappingPairs, rulesOverlap } from '../../shared/rules/overlaps.js';
import type { Rule } from '../../shared/rules/schema.js';

/**
 * The indexed search for overlapping rules finds exactly the pairs that comparing every pair finds:
 * it only skips pairs whose name globs cannot match a common string.
 */
const glob = fc
  .array(fc.constantFrom('a', 'b', '-', '*', '?'), { minLength: 1, maxLength: 5 })
  .map((chars) => chars.join(''));

const rule = fc.record({
  regions: fc.subarray(['us-east-1', 'eu-west-1'], { minLength: 1 }),
  owners: fc.subarray(['self', '111122223333'], { minLength: 1 }),
  names: fc.option(fc.array(glob, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  tags: fc.option(fc.dictionary(fc.constantFrom('team', 'os'), fc.constantFrom('x', 'y')), {
    nil: undefined,
  }),
});

type Match = typeof rule extends fc.Arbitrary<infer T> ? T : never;

function asRules(matches: readonly Match[]): Rule[] {
  return matches.map(
    (match, i) =>
      ({
        name: `r${i}`,
        match: {
          regions: match.regions,
          owners: match.owners,
          ...(match.names === undefined ? {} : { names: match.names }),
          ...(match.tags === undefined ? {} : { tags: match.tags }),
        },
      }) as Rule,
  );
}

function everyPair(rules: readonly Rule[]): [number, number][] {
  const pairs: [number, number][] = [];
  rules.forEach((a, i) => {
    rules.forEach((b, j) => {
      if (i < j && rulesOverlap(a, b)) pairs.push([i, j]);
    });
  });
  return pairs;
}

describe('overlappingPairs', () => {
  it('finds the same pairs, in the same order, as comparing every pair', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 12 }), (matches) => {
        const rules = asRules(matches);
        expect(overlappingPairs(rules)).toEqual(everyPair(rules));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    {
      why: 'a glob whose literal prefix extends the other one',
      names: [['web-*'], ['web-prod-*']],
      overlap: true,
    },
    { why: 'literal prefixes that diverge', names: [['web-*'], ['db-*']], overlap: false },
    {
      why: 'a leading wildcard can match anything the other starts with',
      names: [['*-prod'], ['web-*']],
      overlap: true,
    },
    {
      why: 'leading wildcards with suffixes that cannot agree',
      names: [['*-prod'], ['*-dev']],
      overlap: false,
    },
    { why: 'a rule without names matches every name', names: [undefined, ['web-*']], overlap: true },
  ])('$why', ({ names, overlap }) => {
    const rules = asRules(
      names.map((n) => ({ regions: ['us-east-1'], owners: ['self'], names: n, tags: undefined })),
    );
    expect(overlappingPairs(rules)).toEqual(overlap ? [[0, 1]] : []);
  });
});
