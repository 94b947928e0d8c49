import { RulesValidationError } from '../core/errors.js';

/**
 * Bounds on a rules document before anything walks it, so a hostile or broken file (a billion
 * laughs of YAML aliases, thousands of nested brackets, a log file passed by mistake) stops with
 * one message naming the file instead of exhausting memory, the stack or the CPU. The bounds are
 * far above any real rules file: 10,000 rules take about 3 MB and 300,000 values, at depth 7.
 */
export const INPUT_LIMITS = {
  /** Bytes of text read as a rules document. */
  bytes: 16 * 1024 * 1024,
  /** Nested lists and maps. */
  depth: 32,
  /** YAML aliases (`*name`) in one document. */
  aliases: 1_000,
  /** Values once every alias is expanded: what validation walks. */
  values: 2_000_000,
} as const;

/** Refuses text larger than {@link INPUT_LIMITS.bytes}, before parsing it. */
export function checkSize(text: string, source: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > INPUT_LIMITS.bytes) {
    throw new RulesValidationError(source, [
      `the file is ${bytes} bytes; a rules file may be at most ${INPUT_LIMITS.bytes} bytes`,
    ]);
  }
}

/**
 * Refuses a parsed document that nests deeper than {@link INPUT_LIMITS.depth} or that expands to
 * more than {@link INPUT_LIMITS.values} values. A YAML alias makes two places share one object, so
 * the document is a graph: the expanded size is counted once per shared object (memoised), which
 * keeps this check linear in the parsed size whatever the aliases multiply to.
 */
export function checkShape(raw: unknown, source: string): void {
  const sizes = new Map<object, number>();
  // Iterative post-order walk: a recursive one would overflow the stack on the depth it must refuse.
  const stack: { node: object; depth: number; expanded: boolean }[] = [];
  if (typeof raw === 'object' && raw !== null) stack.push({ node: raw, depth: 1, expanded: false });
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as (typeof stack)[number];
    if (top.depth > INPUT_LIMITS.depth) {
      throw new RulesValidationError(source, [
        `lists and maps nest deeper than ${INPUT_LIMITS.depth} levels; a rules file needs fewer than 10`,
      ]);
    }
    const children = Object.values(top.node).filter((v): v is object => typeof v === 'object' && v !== null);
    if (!top.expanded) {
      top.expanded = true;
      for (const child of children)
        if (!sizes.has(child)) stack.push({ node: child, depth: top.depth + 1, expanded: false });
      continue;
    }
    stack.pop();
    const size = children.reduce(
      (sum, child) => sum + (sizes.get(child) ?? 0),
      1 + Object.keys(top.node).length,
    );
    if (size > INPUT_LIMITS.values) {
      throw new RulesValidationError(source, [
        `the document expands to more than ${INPUT_LIMITS.values} values (YAML aliases repeat what they name); ` +
          'write the rules out, or use fewer aliases',
      ]);
    }
    sizes.set(top.node, size);
  }
}
