import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The relative links of a Markdown file, and which of them do not resolve: to a file or folder of
 * the repository, and for a `#anchor` into a Markdown file, to one of its headings (or an explicit
 * `<a name>`/`id`). Links in code (fenced blocks, inline code) are text, not links.
 */

export interface Link {
  readonly line: number;
  readonly target: string;
}

/** The text without code: fenced blocks and inline code spans blanked, line numbers kept. */
function withoutCode(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/`+[^`\n]*`+/g, (span) => ' '.repeat(span.length));
}

export function linksOf(markdown: string): Link[] {
  const text = withoutCode(markdown);
  const links: Link[] = [];
  const patterns = [
    /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
    /^\s*\[[^\]]+\]:\s*(\S+)/gm,
    /\bhref="([^"]+)"/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const target = match[1] ?? '';
      const line = text.slice(0, match.index).split('\n').length;
      links.push({ line, target });
    }
  }
  return links;
}

/** GitHub's anchors for a Markdown file's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of withoutCode(markdown.replace(/`/g, '')).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (heading ?? '')
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const [, name] of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(name ?? '');
  return anchors;
}

const external = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** The problems of one Markdown file's relative links, as `file:line: target: why`; none when all resolve. */
export function brokenLinks(root: string, file: string): string[] {
  const markdown = readFileSync(file, 'utf8');
  const name = relative(root, file);
  return linksOf(markdown).flatMap(({ line, target }) => {
    if (external.test(target)) return [];
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const where = `${name}:${line}: ${target}`;
    if (resolved !== root && !resolved.startsWith(root + sep)) return [`${where}: outside the repository`];
    if (!existsSync(resolved)) return [`${where}: no such file`];
    if (
      anchor === undefined ||
      anchor === '' ||
      !resolved.endsWith('.md') ||
      statSync(resolved).isDirectory()
    )
      return [];
    return anchorsOf(readFileSync(resolved, 'utf8')).has(anchor) ? [] : [`${where}: no such heading`];
  });
}

/** README.md and every Markdown file in docs/. */
export function documentationFiles(root: string, docs: readonly string[]): string[] {
  return [join(root, 'README.md'), ...docs.map((d) => join(root, 'docs', d))];
}
