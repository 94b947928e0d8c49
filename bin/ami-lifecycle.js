#!/usr/bin/env node
// The published entry point. The CLI is written in TypeScript; tsx compiles it on load so that
// `npx ami-lifecycle` works from a checkout or an installed package without a build step.
import { register } from 'tsx/esm/api';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `ami-lifecycle needs Node.js 22 or later; this is ${process.version}. ` +
      'Inside the project, `npx ami-lifecycle` runs it on the Node.js 24 the project installs.',
  );
  process.exit(1);
}

register();
await import('../cli/main.ts');
