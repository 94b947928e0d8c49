import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETAIL_TYPES, renderSchema, schemaFileName } from './catalogue.js';

/** `npm run schemas`: writes schemas/events/*.json from the zod schemas. */
for (const detailType of DETAIL_TYPES) {
  const file = join(import.meta.dirname, 'events', schemaFileName(detailType));
  writeFileSync(file, renderSchema(detailType));
  console.log(`wrote ${file}`);
}
