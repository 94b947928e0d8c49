import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { readRules } from '../../shared/lambda/rules-file.js';
import { readRules as readRulesInBundle } from '../../shared/lambda/rules-file.lambda.js';
import { loadCompiledRules } from '../../shared/rules/compiled.js';
import { compileRules, loadRulesFile } from '../../shared/rules/load.js';

const EXAMPLE = fileURLToPath(new URL('../../config/ami-rules.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ami-lifecycle-compiled-rules-'));

function written(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('rules compiled at package time', () => {
  it('the JSON reads back as the same rules as the YAML it came from', () => {
    const json = written('rules.json', compileRules(EXAMPLE));
    expect(loadCompiledRules(json)).toEqual(loadRulesFile(EXAMPLE));
    expect(readRules(json)).toEqual(readRulesInBundle(json));
  });

  it('a file that does not validate is not compiled: the problems are the YAML loader’s, with lines', () => {
    const bad = written('bad.yaml', 'version: 1\nrules:\n  - name: x\n    match: [\n');
    expect(() => compileRules(bad)).toThrow(RulesValidationError);
    expect(() => compileRules(bad)).toThrow(/line \d+, column \d+/);
  });

  it('at cold start the JSON is validated again, with the same schema and checks', () => {
    const json = written('edited.json', JSON.stringify({ version: 1, rules: [{ name: 'x' }] }));
    expect(() => loadCompiledRules(json)).toThrow(/rules\[0\] "x": match: is required/);
    expect(() => loadCompiledRules(written('broken.json', '{"version": 1,'))).toThrow(/not JSON/);
  });

  it('run from source, a function reads YAML too; bundled, only JSON', () => {
    expect(readRules(EXAMPLE)).toEqual(loadRulesFile(EXAMPLE).rules);
    expect(() => readRulesInBundle(EXAMPLE)).toThrow(/reads the JSON written by `serverless package`/);
  });
});
