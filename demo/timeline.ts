/**
 * How `npm start` shows what happened: one line per event, handler result, notification and
 * dead-letter, in order of effect, and the helpers for each kind of line.
 *
 * In order of effect: a handler's line stands at the time it started, with how long it ran, so its
 * result comes before the events and notifications it caused (they happen while it runs), and an
 * event before the handlers it triggered. The stack records a delivery when it finishes, which
 * would put a handler's result after everything it published.
 *
 * - A chat notification (a message in the custom-notification format of Amazon Q Developer in chat
 *   applications, `{"version":"1.0","source":"custom","content":{"title",…}}`, or any message on a
 *   topic whose name ends in `-chat`) is one line: its title.
 * - Any other notification is its subject; with `--verbose`, then its body (the `email` body of a
 *   JSON structure), as an email subscriber reads them.
 */
import type { DeadLetterRecord, DeliveryRecord } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import { bodyFor, type PublishedMessage } from '@ami-lifecycle/emulator/sns/index.js';
import type { TimelineEntry } from '@ami-lifecycle/emulator/stack.js';
import { eventLine, isRecord, shortenArns, wrap } from './events.js';

/** The title of a chat custom notification, or undefined when the message is not one. */
export function chatTitle(message: PublishedMessage): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyFor(message, 'https'));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !isRecord(parsed.content)) return undefined;
  const { title, description } = parsed.content;
  if (typeof title === 'string') return title;
  return typeof description === 'string' ? description.split('\n')[0] : undefined;
}

/**
 * The lines of a notification: the headline first (`[topic] title` or `[topic] subject`), then the
 * body lines of a plain-text message (none for chat).
 */
export function notificationLines(message: PublishedMessage): string[] {
  const title = chatTitle(message);
  if (title !== undefined || message.topicName.endsWith('-chat')) {
    const line = title ?? bodyFor(message, 'https').split('\n')[0] ?? '';
    return [`[${message.topicName}] ${line}`];
  }
  const body = bodyFor(message, 'email').replace(/\n+$/, '').split('\n');
  return [`[${message.topicName}] ${message.subject ?? '(no subject)'}`, ...body];
}

/** One line for a failure sent to (or refused by) an on-failure destination. */
export function deadLetterLine(record: DeadLetterRecord): string {
  const attempts = record.record.requestContext.approximateInvokeCount;
  const why = `${record.record.requestContext.condition} after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  if (record.outcome === 'sent') {
    const queue = record.destinationArn?.split(':').pop() ?? String(record.destinationArn);
    return `${record.functionName}: invocation record sent to ${queue} (${why})`;
  }
  return `${record.functionName}: invocation record NOT sent (${why}): ${record.error?.message ?? 'unknown error'}`;
}

/** A timeline entry at the time it is shown at: a delivery's start, anything else's own time. */
export interface TimedEntry {
  readonly at: number;
  readonly entry: TimelineEntry;
}

/** When a delivery started, in the timeline's clock (ms since the stack started). */
export function deliveryStart(at: number, record: DeliveryRecord): number {
  const ran = Date.parse(record.finishedAt) - Date.parse(record.time);
  return Number.isFinite(ran) ? at - Math.max(0, ran) : at;
}

/**
 * The entries in order of effect (see the top of this file). At the same millisecond a handler
 * comes before events (it may have caused them), except after the event that triggered it.
 */
export function inOrderOfEffect(timeline: readonly TimelineEntry[]): TimedEntry[] {
  const timed = timeline.map((entry, index) => ({
    at: entry.kind === 'delivery' ? deliveryStart(entry.at, entry.record) : entry.at,
    entry,
    index,
  }));
  const rank = (e: TimelineEntry) => (e.kind === 'delivery' ? 0 : 1);
  timed.sort((a, b) => a.at - b.at || rank(a.entry) - rank(b.entry) || a.index - b.index);
  const ordered: TimedEntry[] = [];
  const waiting = new Map<string, TimedEntry[]>();
  const shown = new Set<string>();
  const triggeredIds = new Set(
    timed.flatMap(({ entry }) => (entry.kind === 'event' ? [entry.record.event.id] : [])),
  );
  for (const { at, entry } of timed) {
    if (
      entry.kind === 'delivery' &&
      triggeredIds.has(entry.record.eventId) &&
      !shown.has(entry.record.eventId)
    ) {
      waiting.set(entry.record.eventId, [...(waiting.get(entry.record.eventId) ?? []), { at, entry }]);
      continue;
    }
    ordered.push({ at, entry });
    if (entry.kind === 'event') {
      shown.add(entry.record.event.id);
      ordered.push(...(waiting.get(entry.record.event.id) ?? []));
      waiting.delete(entry.record.event.id);
    }
  }
  return ordered;
}

/** A handler's result: the first line what it decided, then the diff it applied, one change a line. */
export function describeResult(result: unknown): string[] {
  if (!isRecord(result)) return ['done'];
  const diff = Array.isArray(result.diff)
    ? result.diff.filter((l): l is string => typeof l === 'string')
    : [];
  switch (result.status) {
    case 'applied':
    case 'planned': {
      const outcomes = Array.isArray(result.outcomes) ? result.outcomes : [];
      const failed = outcomes.filter((o) => isRecord(o) && o.status === 'failed').length;
      const what =
        diff.length === 0
          ? 'already in its desired state'
          : `${outcomes.length - failed} action(s) ${result.status}${failed ? `, ${failed} failed` : ''}`;
      return [`${String(result.role)}: ${what}`, ...diff];
    }
    case 'ignored':
      return [`ignored: ${String(result.reason)}`];
    case 'reported':
      return [`published ${String(result.detailType)}`];
    default:
      return [
        result.message === undefined
          ? String(result.status)
          : `${String(result.status)}: ${String(result.message)}`,
      ];
  }
}

export interface TimelineView {
  /** Each event's JSON, each notification's body. */
  readonly verbose: boolean;
  /** The function a rule delivers to, to show `→ function` after an event; default the rule's name. */
  readonly functionOfRule?: ReadonlyMap<string, string>;
  /** Lines are wrapped to this width (a piece without separators may stay longer); default 160. */
  readonly width?: number;
}

/** `  +1.23s`: seconds since the stack started, right-aligned. */
function seconds(ms: number): string {
  return `+${(ms / 1000).toFixed(2)}s`.padStart(8);
}

const REGION_WIDTH = 15;
/** Where the text of a line starts: after the time and the region. */
const TEXT_COLUMN = 8 + 2 + REGION_WIDTH + 1;

/** The timeline as lines: one per event, handler, notification and dead-letter, details indented under it. */
export function timelineLines(timeline: readonly TimelineEntry[], view: TimelineView): string[] {
  const width = view.width ?? 160;
  const lines: string[] = [];
  const regionOfEvent = new Map<string, string>();
  for (const entry of timeline) {
    if (entry.kind === 'event') regionOfEvent.set(entry.record.event.id, entry.record.event.region);
  }
  /** A headline at column TEXT_COLUMN + `indent`, then details 4 further in, all wrapped. */
  const push = (at: number, region: string, indent: number, head: string, details: readonly string[]) => {
    const column = TEXT_COLUMN + indent;
    const prefix = `${seconds(at)}  ${region.padEnd(REGION_WIDTH)} ${' '.repeat(indent)}`;
    const [first = '', ...rest] = wrap(head, width - column, 4);
    lines.push(`${prefix}${first}`, ...rest.map((l) => `${' '.repeat(column)}${l}`));
    for (const detail of details) {
      for (const l of wrap(detail, width - column - 4, 2)) lines.push(`${' '.repeat(column + 4)}${l}`);
    }
  };
  for (const { at, entry } of inOrderOfEffect(timeline)) {
    switch (entry.kind) {
      case 'event': {
        const { event, matchedRules } = entry.record;
        const targets = matchedRules.map((rule) => view.functionOfRule?.get(rule) ?? rule);
        const to = targets.length > 0 ? ` → ${targets.join(', ')}` : '';
        push(at, event.region, 0, `${eventLine(event)}${to}`, view.verbose ? [JSON.stringify(event)] : []);
        break;
      }
      case 'delivery': {
        const { record } = entry;
        const ran = `${((Date.parse(record.finishedAt) - Date.parse(record.time)) / 1000).toFixed(2)} s`;
        const [first = 'done', ...diff] =
          record.outcome === 'success'
            ? describeResult(record.result)
            : [`FAILED after ${record.attempts} attempt(s): ${record.error?.name}: ${record.error?.message}`];
        const region = regionOfEvent.get(record.eventId) ?? '';
        push(at, region, 2, `${record.functionName} (${ran}): ${first}`, diff.map(shortenArns));
        break;
      }
      case 'notification': {
        const [first = '', ...body] = notificationLines(entry.record);
        push(at, entry.record.region, 0, first, view.verbose ? body : []);
        break;
      }
      case 'dead-letter':
        push(at, entry.record.region, 0, deadLetterLine(entry.record), []);
        break;
    }
  }
  return lines;
}

/** The timeline for `--json`: one JSON object a line, in the same order, with the time shown. */
export function timelineJsonLines(timeline: readonly TimelineEntry[]): string[] {
  return inOrderOfEffect(timeline).map(({ at, entry }) =>
    JSON.stringify({ at, kind: entry.kind, record: entry.record }),
  );
}
