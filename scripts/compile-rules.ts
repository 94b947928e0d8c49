import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RulesValidationError } from '../shared/core/errors.js';
import { compileRules } from '../shared/rules/load.js';

/**
 * The rules file as the deployed functions read it: validated, then written as JSON.
 *
 *   node --import tsx scripts/compile-rules.ts config/ami-rules.yaml .rules/rules.json
 *
 * `serverless package` runs it (scripts/esbuild-plugins.ts). Exit 2 with every problem when the
 * file does not validate, as `ami-lifecycle validate` does.
 */
const [source, target] = process.argv.slice(2);
if (source === undefined || target === undefined) {
  console.error('usage: compile-rules.ts RULES_YAML OUTPUT_JSON');
  process.exit(2);
}
try {
  const json = compileRules(source);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, json);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(error instanceof RulesValidationError ? 2 : 1);
}
