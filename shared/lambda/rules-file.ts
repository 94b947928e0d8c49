import { loadCompiledRules } from '../rules/compiled.js';
import { loadRulesFile } from '../rules/load.js';
import type { Rule } from '../rules/schema.js';

/**
 * The rules a function runs with, read at cold start. Deployed, RULES_FILE is the JSON written at
 * package time, and the Lambda bundle replaces this module with `rules-file.lambda.ts` (see
 * `scripts/esbuild-plugins.ts`) so that no YAML parser is bundled. Run from source, by the local
 * emulator and the tests, a YAML rules file works too.
 */
export function readRules(path: string): readonly Rule[] {
  return (path.endsWith('.json') ? loadCompiledRules(path) : loadRulesFile(path)).rules;
}
