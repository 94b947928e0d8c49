import { RulesValidationError } from '../core/errors.js';
import { checkShape, checkSize } from './input-limits.js';
import type { RulesFile } from './schema.js';
import { readRulesText, validateRules } from './validate.js';

/**
 * The rules as the deployed functions read them: the JSON `serverless package` wrote from the
 * operator's YAML (`compileRules`), validated again here with the same schema and checks, so a
 * package built from a bad or hand-edited file still fails at cold start, before any event. JSON
 * keeps the YAML parser out of the function bundle.
 */
export function loadCompiledRules(path: string): RulesFile {
  const text = readRulesText(path);
  checkSize(text, path);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RulesValidationError(path, [
      `not JSON: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  checkShape(raw, path);
  return validateRules(raw, path);
}
