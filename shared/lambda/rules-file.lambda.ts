import { ConfigurationError } from '../config.js';
import { loadCompiledRules } from '../rules/compiled.js';
import type { Rule } from '../rules/schema.js';

/**
 * `rules-file.ts` in the Lambda bundle: only the JSON `serverless package` wrote from the rules
 * file, validated again here. A YAML RULES_FILE would need the parser this bundle leaves out.
 */
export function readRules(path: string): readonly Rule[] {
  if (!path.endsWith('.json')) {
    throw new ConfigurationError(
      `RULES_FILE ${path}: a packaged function reads the JSON written by \`serverless package\`, not YAML`,
    );
  }
  return loadCompiledRules(path).rules;
}
