import { LIMITS } from './limits.js';
import { clip } from './text.js';

/**
 * The document a notification is made from: each detail type says its facts once, as sections of
 * lines, and this renders them both as plain text (email, SMS) and as chat markdown, so the two
 * messages cannot drift apart.
 */

/** Text; a code span (ids, regions) in markdown; or a field's label. */
export type Inline = string | { readonly code: string } | { readonly label: string };
export type Line = readonly Inline[];

export interface Section {
  readonly heading?: string;
  readonly lines: readonly Line[];
  /** Present for lists: capped when rendered, the rest counted ("… and 3 more regions"). */
  readonly list?: {
    readonly one: string;
    readonly many: string;
    /** The whole list's length when the event itself carries only part of it. */
    readonly total?: number;
  };
}

/** What one detail type contributes; `finish` (format.ts) makes the notification from it. */
export interface Draft {
  readonly subject: string;
  readonly sections: readonly (Section | undefined)[];
  readonly nextSteps?: readonly string[];
  readonly eventId: string;
  readonly threadId: string;
  readonly resources: readonly string[];
  readonly keywords: readonly string[];
  readonly context: Readonly<Record<string, string>>;
}

export function render(sections: readonly Section[], style: 'text' | 'markdown', maxItems: number): string {
  return sections
    .map((section) => {
      const out: string[] = [];
      if (section.heading !== undefined) {
        out.push(style === 'markdown' ? `*${section.heading}:*` : `${section.heading}:`);
      }
      const shown = section.list === undefined ? section.lines : section.lines.slice(0, maxItems);
      for (const line of shown) out.push(line.map((inline) => renderInline(inline, style)).join(''));
      if (section.list !== undefined) {
        const more = (section.list.total ?? section.lines.length) - shown.length;
        if (more > 0) out.push(`… and ${more} more ${more === 1 ? section.list.one : section.list.many}`);
      }
      return out.join('\n');
    })
    .join('\n\n');
}

function renderInline(inline: Inline, style: 'text' | 'markdown'): string {
  if (typeof inline === 'string') return inline;
  if ('code' in inline) return style === 'markdown' ? `\`${inline.code}\`` : inline.code;
  return style === 'markdown' ? `*${inline.label}:* ` : `${inline.label}: `;
}

/** A value shown as code in chat: flattened, clipped, and without backticks, which would end the span. */
export function code(value: string): Inline {
  return { code: clip(value).replaceAll('`', "'") };
}

export function label(name: string): Inline {
  return { label: name };
}

/** `a, b, c, and 4 more`, each a code span. */
export function codeList(values: readonly string[], max: number = LIMITS.namedItems): Inline[] {
  const out: Inline[] = [];
  values.slice(0, max).forEach((value, i) => {
    if (i > 0) out.push(', ');
    out.push(code(value));
  });
  if (values.length > max) out.push(`, and ${values.length - max} more`);
  return out;
}
