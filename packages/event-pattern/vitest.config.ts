import { defineProject } from 'vitest/config';

/** `npm test -w` in this package runs its own tests; the repository's root config runs them as projects too. */
export default defineProject({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
