import { LineCounter, parseDocument } from 'yaml';
import { RulesValidationError } from '../core/errors.js';
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

/** YAML to plain data; syntax errors with their line and column. */
function parseRulesYaml(text: string, source: string): unknown {
  // With prettyErrors off, yaml does not fill in `linePos`; a LineCounter turns offsets into lines and columns.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    throw new RulesValidationError(
      source,
      document.errors.map((e) => {
        const at = e.pos[0] >= 0 ? lineCounter.linePos(e.pos[0]) : undefined;
        return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]}`;
      }),
    );
  }
  return document.toJS();
}
