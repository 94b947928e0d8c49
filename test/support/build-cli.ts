import { buildCli } from '../../scripts/build-cli.js';

/**
 * Vitest global setup: builds the CLI into `dist/` once per test run, before any test file, so the
 * tests that spawn `bin/ami-lifecycle.js` run the code of this checkout, built as `npm pack` builds
 * it (about a second; the built CLI then starts in a fraction of what tsx takes). Not cleaned
 * first: other test runs in the same checkout may be starting it.
 */
export default async function setup(): Promise<void> {
  await buildCli(undefined, { clean: false });
}
