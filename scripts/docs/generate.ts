import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GENERATED_DOCS, ROOT } from './docs.js';

/** `npm run docs`: writes the generated docs (docs/rules.md, docs/events.md). */
for (const doc of GENERATED_DOCS) {
  const file = join(ROOT, doc.path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, doc.render());
  console.log(`wrote ${doc.path}`);
}
