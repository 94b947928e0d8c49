import { load, YAMLException } from 'js-yaml';
import { RulesValidationError } from '../core/errors.js';
import { checkShape, checkSize, INPUT_LIMITS } from './input-limits.js';
import type { RulesFile } from './schema.js';
import { readRulesText, validateRules } from './validate.js';

/**
 * Loading a rules file as operators write it: YAML (JSON is YAML too), then the validation of
 * `validate.ts`. The CLI and the tests read rules this way; the deployed functions read the JSON
 * that `compileRules` wrote at package time (`compiled.ts`), so their bundle carries no YAML parser.
 */

export function loadRulesFile(path: string): RulesFile {
  return parseRules(readRulesText(path), path);
}

export function parseRules(text: string, source = 'rules'): RulesFile {
  return validateRules(parseRulesYaml(text, source), source);
}

/**
 * The rules file as the functions will read it: validated here, with line numbers for YAML
 * mistakes, then written as JSON (the schema admits only strings, finite numbers, booleans, lists
 * and maps, all of which JSON holds as they are).
 */
export function compileRules(path: string): string {
  const raw = parseRulesYaml(readRulesText(path), path);
  validateRules(raw, path);
  return `${JSON.stringify(raw)}\n`;
}

/**
 * YAML to plain data, within {@link INPUT_LIMITS}; syntax errors with their line and column.
 * YAML 1.2's core schema: `yes` and `2026-01-01` stay strings, and custom tags (`!Ref`) are errors.
 */
function parseRulesYaml(text: string, source: string): unknown {
  checkSize(text, source);
  let raw: unknown;
  try {
    raw = load(text, { maxDepth: INPUT_LIMITS.depth, maxAliases: INPUT_LIMITS.aliases });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    throw new RulesValidationError(source, [yamlProblem(error)]);
  }
  checkShape(raw, source);
  return raw;
}

function yamlProblem(error: YAMLException): string {
  if (/input is empty/.test(error.reason))
    return 'the file is empty: it has no rules (nor anything but comments)';
  if (/maxDepth/.test(error.reason))
    return `lists and maps nest deeper than ${INPUT_LIMITS.depth} levels; a rules file needs fewer than 10`;
  if (/maxAliases/.test(error.reason))
    return `more than ${INPUT_LIMITS.aliases} YAML aliases (*name); write the rules out, or use fewer aliases`;
  const at = error.mark ? `line ${error.mark.line + 1}, column ${error.mark.column + 1}: ` : '';
  return `${at}${error.reason}`;
}
