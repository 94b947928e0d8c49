import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { loadCompiledRules } from '../../shared/rules/compiled.js';
import { INPUT_LIMITS } from '../../shared/rules/input-limits.js';
import { loadRulesFile } from '../../shared/rules/load.js';

/**
 * Hostile or broken rules files stop with one `RulesValidationError` that names the file, at
 * `validate` (YAML) and at cold start (the packaged JSON), before anything walks them: no stack
 * overflow, no exhausted memory, no minutes of CPU.
 */
const dir = mkdtempSync(join(tmpdir(), 'rules-limits-'));
function written(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(load: () => unknown): RulesValidationError {
  try {
    load();
  } catch (error) {
    if (error instanceof RulesValidationError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

/** Ten lists, each naming the one before ten times: 10^10 values once expanded, from 90 aliases. */
const BILLION_LAUGHS = [
  'l0: &l0 ["ha","ha","ha","ha","ha","ha","ha","ha","ha","ha"]',
  ...Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(',')}]`),
  'version: 1',
  'rules: *l9',
].join('\n');

describe('rules files that would exhaust the loader', () => {
  it.each([
    { why: 'aliases that expand to billions of values', text: BILLION_LAUGHS, says: /expands to more than/ },
    {
      why: `more than ${INPUT_LIMITS.aliases} aliases`,
      text: `a: &a x\nb: [${Array(INPUT_LIMITS.aliases + 1)
        .fill('*a')
        .join(',')}]\n`,
      says: new RegExp(`more than ${INPUT_LIMITS.aliases} YAML aliases`),
    },
    {
      why: `lists nested ${INPUT_LIMITS.depth + 1} deep`,
      text: `${'['.repeat(INPUT_LIMITS.depth + 1)}${']'.repeat(INPUT_LIMITS.depth + 1)}\n`,
      says: /nest deeper than/,
    },
    {
      why: 'lists nested 100,000 deep (a recursive parser would overflow its stack)',
      text: `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
      says: /nest deeper than/,
    },
    {
      why: `a file one byte over ${INPUT_LIMITS.bytes} bytes`,
      text: `# ${'x'.repeat(INPUT_LIMITS.bytes - 2)}\n`,
      says: /bytes; a rules file may be at most/,
    },
  ])('YAML: $why is refused, naming the file', ({ why, text, says }) => {
    const path = written(`${why.replace(/\W+/g, '-')}.yaml`, text);
    const error = refusal(() => loadRulesFile(path));
    expect(error.message).toContain(path);
    expect(error.issues).toEqual([expect.stringMatching(says)]);
  });

  it.each([
    {
      why: 'lists nested 100,000 deep',
      text: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      says: /nest deeper than/,
    },
    { why: 'a file over the size limit', text: `"${'x'.repeat(INPUT_LIMITS.bytes)}"`, says: /at most/ },
    { why: 'text that is not JSON', text: '{"version": 1,', says: /^not JSON: / },
  ])('packaged JSON at cold start: $why is refused, naming the file', ({ why, text, says }) => {
    const path = written(`${why.replace(/\W+/g, '-')}.json`, text);
    const error = refusal(() => loadCompiledRules(path));
    expect(error.message).toContain(path);
    expect(error.issues).toEqual([expect.stringMatching(says)]);
  });

  it('a file exactly at the size limit is read (and then judged on its content)', () => {
    const path = written('at-limit.yaml', `# ${'x'.repeat(INPUT_LIMITS.bytes - 2)}`);
    expect(refusal(() => loadRulesFile(path)).issues).toEqual([expect.stringMatching(/the file is empty/)]);
  });

  it('anchors and aliases within the limits are ordinary YAML', () => {
    const path = written(
      'aliases.yaml',
      [
        'version: 1',
        'x-accounts: &accounts ["444455556666"]',
        'rules:',
        '  - name: web',
        '    match: { regions: [us-east-1], names: ["web-*"] }',
        '    share: { accounts: *accounts }',
        '  - name: db',
        '    match: { regions: [us-east-1], names: ["db-*"] }',
        '    share: { accounts: *accounts }',
      ].join('\n'),
    );
    // The top-level key is unknown, which is the only problem: the aliases themselves are fine.
    expect(refusal(() => loadRulesFile(path)).issues).toEqual([
      expect.stringMatching(/unknown key "x-accounts"/),
    ]);
  });
});
