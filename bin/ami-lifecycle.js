#!/usr/bin/env node
// The published entry point: plain JavaScript that any Node.js can parse, so an older one gets one
// clear line instead of a syntax error from code written for 22.12 and later (package.json
// `engines`). It then runs the CLI built ahead of time (`npm run build`, which `npm pack` runs
// first): no TypeScript tooling at run time, and no dependency to resolve.
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`ami-lifecycle needs Node.js 22.12 or later; this is ${process.version}.`);
  // ExitCode.Failure (cli/exit-codes.ts): the command could not run here.
  process.exit(1);
}

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  // Only in a checkout: the package always ships dist/.
  console.error(
    'ami-lifecycle is not built: run `npm run build` (or `npm run cli -- ...` to run the TypeScript source).',
  );
  process.exit(1);
}
await import(cli.href);
