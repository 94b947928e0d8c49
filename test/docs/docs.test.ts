import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GENERATED_DOCS, ROOT } from '../../scripts/docs/docs.js';
import { titledKinds } from '../../scripts/docs/json-schema.js';
import { rulesJsonSchema } from '../../scripts/docs/rules.js';
import { parseRules } from '../../shared/rules/load.js';
import { VALUE_KINDS } from '../../shared/rules/schema.js';
import { anchorsOf, brokenLinks, documentationFiles, linksOf } from './links.js';

const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the generated docs', () => {
  it.each(GENERATED_DOCS.map((d) => d.path))('%s is what the code generates (run `npm run docs`)', (path) => {
    const doc = GENERATED_DOCS.find((d) => d.path === path);
    expect(read(path)).toBe(doc?.render());
  });

  it('docs/rules.md names every kind of value the rules schema titles, and its examples validate', () => {
    const titled = [...titledKinds(rulesJsonSchema()).keys()].sort();
    const listed = VALUE_KINDS.map((kind) => z.toJSONSchema(kind).title).sort();
    expect(listed).toEqual(titled);
    const yaml = [...read('docs/rules.md').matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '');
    expect(yaml.length).toBeGreaterThan(0);
    for (const text of yaml) expect(() => parseRules(text, 'docs/rules.md')).not.toThrow();
  });
});

describe('links in README.md and docs/', () => {
  it.each(documentationFiles(ROOT, docs).map((f) => f.slice(ROOT.length + 1)))(
    '%s: every relative link resolves inside the repository',
    (file) => {
      expect(brokenLinks(ROOT, join(ROOT, file))).toEqual([]);
    },
  );

  it('README.md links into docs/, and every doc in docs/ is linked from README.md', () => {
    const targets = linksOf(read('README.md')).map((l) => l.target.split('#')[0]);
    for (const doc of docs) expect(targets).toContain(`docs/${doc}`);
  });

  it('the link checker itself: code is not a link, anchors follow GitHub, escapes are refused', () => {
    expect(linksOf('[a](x.md) `[b](y.md)`\n```\n[c](z.md)\n```\n[d]: w.md').map((l) => l.target)).toEqual([
      'x.md',
      'w.md',
    ]);
    expect([...anchorsOf('# The `rules[].copy` file\n## Exit codes\n## Exit codes')]).toEqual([
      'the-rulescopy-file',
      'exit-codes',
      'exit-codes-1',
    ]);
    expect(linksOf('[x](../outside.md)')).toEqual([{ line: 1, target: '../outside.md' }]);
  });
});
