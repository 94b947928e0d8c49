import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventsReference } from './events.js';
import { fill, generatedNotice } from './markdown.js';
import { rulesReference } from './rules.js';

/**
 * The generated docs: each is a hand-written template (prose, examples) with the reference parts
 * filled in from the code. `npm run docs` writes them; test/docs fails when a committed one differs.
 */

export const ROOT = join(import.meta.dirname, '../..');

const template = (name: string) => readFileSync(join(import.meta.dirname, 'templates', name), 'utf8');

export interface GeneratedDoc {
  /** The doc's path from the repository root. */
  readonly path: string;
  readonly render: () => string;
}

/** A template filled in, under the notice naming what to edit instead (the template among them). */
function generated(
  name: string,
  sources: readonly string[],
  values: Readonly<Record<string, string>>,
): string {
  const notice = generatedNotice([...sources, `scripts/docs/templates/${name}`].map((s) => `\`${s}\``));
  return `${notice}\n${fill(template(name), values)}`;
}

export const GENERATED_DOCS: readonly GeneratedDoc[] = [
  {
    path: 'docs/rules.md',
    render: () =>
      generated(
        'rules.md',
        ['shared/rules/schema.ts', 'shared/rules/limits.ts', 'shared/rules/input-limits.ts'],
        rulesReference(),
      ),
  },
  {
    path: 'docs/events.md',
    render: () =>
      generated('events.md', ['shared/core/notifications.ts', 'schemas/examples.ts'], eventsReference()),
  },
];
