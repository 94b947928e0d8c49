import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { loadCompiledRules } from '../../shared/rules/compiled.js';
import { parseRules } from '../../shared/rules/load.js';
import { mutated } from '../support/mutate.js';

/**
 * The rules loader, fed anything: it returns rules or throws the project's typed
 * `RulesValidationError` whose every issue is a non-empty line; never another exception (a
 * TypeError on an unexpected shape, a stack overflow). Inputs are arbitrary text, arbitrary values
 * written as YAML, and the example rules file with one field replaced by anything or removed.
 */
const EXAMPLE = load(readFileSync(new URL('../../config/ami-rules.yaml', import.meta.url), 'utf8'));

function outcomeOf(parse: () => unknown): 'parsed' | 'refused' {
  try {
    parse();
    return 'parsed';
  } catch (error) {
    expect(error).toBeInstanceOf(RulesValidationError);
    const { issues } = error as RulesValidationError;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) expect(issue).toMatch(/^\S.*\S$/);
    return 'refused';
  }
}

/** A value as YAML, or (for what YAML cannot write, such as `undefined` or a symbol) as text. */
function yamlOf(value: unknown): string {
  try {
    return dump(value, { skipInvalid: true });
  } catch {
    return String(value);
  }
}

describe('the rules loader never throws anything but RulesValidationError', () => {
  it('the example file parses', () => {
    expect(outcomeOf(() => parseRules(dump(EXAMPLE)))).toBe('parsed');
  });

  it('any text, as YAML', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 200 }), (text) => {
        outcomeOf(() => parseRules(text));
      }),
      { numRuns: 300 },
    );
  });

  it('any value, written as YAML', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        outcomeOf(() => parseRules(yamlOf(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('the example file with one field replaced by anything, or removed', () => {
    fc.assert(
      fc.property(mutated(EXAMPLE), (value) => {
        outcomeOf(() => parseRules(yamlOf(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('the packaged JSON at cold start, with one field replaced by anything, or removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-property-'));
    let n = 0;
    fc.assert(
      fc.property(mutated(EXAMPLE), (value) => {
        const path = join(dir, `rules-${n++}.json`);
        writeFileSync(path, JSON.stringify(value) ?? 'undefined');
        outcomeOf(() => loadCompiledRules(path));
      }),
      { numRuns: 200 },
    );
  });
});
