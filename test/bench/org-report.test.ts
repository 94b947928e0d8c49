import { describe, expect, it } from 'vitest';
import { medianRun } from '../../bench/org-report.js';

/** `bench -- org --runs n` reports the run with the median wall / bound. */

const run = (name: string, wallMs: number, boundSeconds: number) => ({
  name,
  wallMs,
  bound: { boundSeconds },
});

describe('medianRun', () => {
  it.each([
    { why: 'one run is its own median', runs: [run('a', 1100, 1)], median: 'a' },
    {
      why: 'the middle ratio, not the middle wall time (b: 1.0 between 0.9 and 1.2)',
      runs: [run('a', 5400, 4.5), run('b', 5000, 5), run('c', 4500, 5)],
      median: 'b',
    },
    {
      why: 'an even count takes the lower middle (1.0 of 0.9, 1.0, 1.1, 1.3): never flatters the figure by averaging',
      runs: [run('a', 1300, 1), run('b', 1000, 1), run('c', 900, 1), run('d', 1100, 1)],
      median: 'b',
    },
    {
      why: 'a run whose bound is zero sorts last (its ratio is unbounded), not first',
      runs: [run('a', 1000, 0), run('b', 1000, 1), run('c', 2000, 1)],
      median: 'c',
    },
  ])('$why', ({ runs, median }) => {
    expect(medianRun(runs).name).toBe(median);
  });

  it('refuses no runs at all', () => {
    expect(() => medianRun([])).toThrow('at least one run');
  });
});
