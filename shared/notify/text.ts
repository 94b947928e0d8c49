import { LIMITS } from './limits.js';

/**
 * Text hygiene: values in an event are free text (image names, error messages) that can hold line
 * breaks, control characters and emoji, and be of any length. These make them one line and short
 * enough, cutting only between graphemes, so a subject SNS accepts and a body that reads well
 * come out of whatever the event carries.
 */

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Control characters and line/paragraph separators (SNS refuses them in a subject, and they break a
 * line), and the bidirectional embedding, override and isolate controls (they show the text around
 * them in another order than it is written, so a message could read other than what it says).
 */
const BREAKS = /[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]+/gu;

/** One line of text: breaks and runs of spaces become one space (kept at the ends: parts are joined). */
function flatten(value: string): string {
  return value.replace(BREAKS, ' ').replace(/\s+/g, ' ');
}

/**
 * At most `max` UTF-16 units, cut between graphemes (never inside a surrogate pair or an emoji
 * sequence), with an ellipsis when cut. What is kept is every grapheme before the one that holds
 * unit `max - 1`, the last that leaves room for the ellipsis: found directly (`containing`), not by
 * walking each grapheme before it, which for a long field cost a few microseconds a grapheme.
 */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const cut = max < 1 ? 0 : (graphemes.segment(value).containing(max - 1)?.index ?? 0);
  return `${value.slice(0, cut).trimEnd()}…`;
}

/** A free-text value, flattened to one line and clipped. */
export function clip(value: string, max: number = LIMITS.field): string {
  return truncate(flatten(value).trim(), max);
}

/**
 * A subject SNS accepts: one line, fewer than 100 characters. The name (the part that can be long)
 * is shortened first, so the words that say what happened and where survive.
 */
export function subjectOf(head: string, name: string, tail: string): string {
  const [h, n, t] = [flatten(head), flatten(name).trim(), flatten(tail)];
  const whole = flatten(`${h}${n}${t}`).trim();
  if (whole.length <= LIMITS.subject) return whole;
  const budget = LIMITS.subject - h.length - t.length;
  if (budget >= 8) return flatten(`${h}${truncate(n, budget)}${t}`).trim();
  return truncate(whole, LIMITS.subject);
}

export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
