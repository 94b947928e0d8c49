import type { DeadLetterQueue, QueuedMessage } from '../shared/aws/dead-letter-queue.js';
import { AmiLifecycleError } from '../shared/core/errors.js';
import { type DeadLetter, parseDeadLetter } from '../shared/events/dead-letter.js';

/**
 * Replay of dead letters: each message of the queues is read, parsed, and given to the handler
 * for its event, which either describes what it would do (dry run, the default) or does it. A
 * message leaves its queue only when its replay succeeded; every other message is made visible
 * again at once, so a dry run, a failure or an interruption loses nothing. Every action of the
 * handlers is safe to repeat, so replaying an event whose work was done meanwhile changes nothing.
 */

/** How one kind of event is replayed. */
export interface ReplayHandler {
  /** What replay would do, one line per change (or why nothing). Read-only. */
  describe(letter: DeadLetter): Promise<string[]>;
  /** Does it; throws when it fails (the message then stays queued). Returns what was done. */
  replay(letter: DeadLetter): Promise<string[]>;
}

/** The handler for a letter's event, or undefined when the tool does not replay such events. */
export type ReplayRouter = (
  letter: DeadLetter,
) => { readonly name: string; readonly handler: ReplayHandler } | undefined;

export type ReplayOutcome =
  | { readonly status: 'would-replay'; readonly lines: readonly string[] }
  | { readonly status: 'replayed'; readonly lines: readonly string[] }
  | { readonly status: 'failed'; readonly error: string; readonly retryable: boolean }
  | { readonly status: 'not-replayable'; readonly reason: string };

export interface ReplayEntry {
  readonly queue: string;
  readonly messageId: string;
  readonly receiveCount: number;
  readonly sentAt?: string;
  readonly handler?: string;
  readonly letter?: Pick<DeadLetter, 'kind' | 'functionName' | 'reason' | 'attempts' | 'failedAt'> & {
    readonly detailType: string;
    readonly source: string;
    readonly region: string;
    readonly eventId: string;
  };
  readonly outcome: ReplayOutcome;
}

export interface ReplayOptions {
  readonly apply: boolean;
  /** Messages looked at, at most, over all queues. */
  readonly max: number;
  /** How long a message stays hidden while it is handled; longer than the slowest replay. */
  readonly visibilitySeconds: number;
}

export async function replayDeadLetters(
  queues: readonly DeadLetterQueue[],
  route: ReplayRouter,
  options: ReplayOptions,
): Promise<ReplayEntry[]> {
  const entries: ReplayEntry[] = [];
  for (const queue of queues) {
    const seen = new Set<string>();
    const held: QueuedMessage[] = [];
    try {
      while (entries.length < options.max) {
        const batch = await queue.receive(
          Math.min(10, options.max - entries.length),
          options.visibilitySeconds,
        );
        const fresh = batch.filter((m) => !seen.has(m.messageId));
        if (fresh.length === 0) break;
        for (const message of fresh) {
          seen.add(message.messageId);
          // Held until it is deleted, so it is released even when its handling throws.
          held.push(message);
          const entry = await handle(queue, message, route, options);
          entries.push(entry);
          if (entry.outcome.status === 'replayed') {
            await queue.delete(message);
            held.pop();
          }
        }
      }
    } finally {
      // Everything not replayed goes back at once, even when the run stops on an error.
      for (const message of held) await queue.release(message);
    }
  }
  return entries;
}

async function handle(
  queue: DeadLetterQueue,
  message: QueuedMessage,
  route: ReplayRouter,
  options: ReplayOptions,
): Promise<ReplayEntry> {
  const base = {
    queue: queue.url,
    messageId: message.messageId,
    receiveCount: message.receiveCount,
    ...(message.sentAt ? { sentAt: message.sentAt } : {}),
  };
  let letter: DeadLetter;
  try {
    letter = parseDeadLetter(message.body, message.attributes);
  } catch (error) {
    if (!(error instanceof AmiLifecycleError)) throw error;
    return { ...base, outcome: { status: 'not-replayable', reason: error.message } };
  }
  const summary = {
    kind: letter.kind,
    ...(letter.functionName ? { functionName: letter.functionName } : {}),
    reason: letter.reason,
    ...(letter.attempts === undefined ? {} : { attempts: letter.attempts }),
    ...(letter.failedAt ? { failedAt: letter.failedAt } : {}),
    detailType: letter.event['detail-type'],
    source: letter.event.source,
    region: letter.event.region,
    eventId: letter.event.id,
  };
  const target = route(letter);
  if (target === undefined) {
    return {
      ...base,
      letter: summary,
      outcome: {
        status: 'not-replayable',
        reason: `no handler replays ${letter.event.source} / ${letter.event['detail-type']}`,
      },
    };
  }
  try {
    const outcome: ReplayOutcome = options.apply
      ? { status: 'replayed', lines: await target.handler.replay(letter) }
      : { status: 'would-replay', lines: await target.handler.describe(letter) };
    return { ...base, handler: target.name, letter: summary, outcome };
  } catch (error) {
    // A failure of one letter is reported and the message kept; bugs (non-tool errors) propagate.
    if (!(error instanceof AmiLifecycleError)) throw error;
    const retryable = error.retryable;
    return {
      ...base,
      handler: target.name,
      letter: summary,
      outcome: { status: 'failed', error: error.message.split('\n')[0] ?? error.name, retryable },
    };
  }
}
