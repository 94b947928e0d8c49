#!/usr/bin/env node
// The published entry point. The CLI is written in TypeScript; tsx compiles it on load so that
// `npx ami-lifecycle` works from a checkout or an installed package without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
