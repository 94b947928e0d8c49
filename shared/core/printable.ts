/**
 * Text from AWS and from events (image names, tag values, error messages) as it may be shown to a
 * person: in a terminal, in a log line meant for reading, in a diff. Such text can hold terminal
 * escape sequences (which recolour, retitle or rewrite a terminal), carriage returns and line
 * breaks (which forge lines), and bidirectional-override characters (which show text in another
 * order than it is). Each of those becomes a visible `\uXXXX` escape (JSON's own form, so JSON
 * output stays valid); everything else, other
 * scripts and emoji included, is kept as it is.
 */

// Control characters (C0, DEL, C1), the line and paragraph separators, and the bidirectional
// embedding, override and isolate controls.
const UNSAFE = /[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/gu;

function escapedExcept(kept: string): (character: string) => string {
  return (character) =>
    kept.includes(character)
      ? character
      : `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/** One line: every unsafe character and every line break escaped (tabs kept). */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapedExcept('\t'));
}

/** Text of several lines, as the tool writes them: line feeds and tabs kept, the rest escaped. */
export function printableLines(text: string): string {
  return text.replace(UNSAFE, escapedExcept('\t\n'));
}
