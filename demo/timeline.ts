/**
 * How `npm start` shows what the SNS recorder and the on-failure destinations received: a
 * notification as its subscribers would see it, a dead-letter as one line.
 *
 * - A chat notification (a message in the custom-notification format of Amazon Q Developer in chat
 *   applications, `{"version":"1.0","source":"custom","content":{"title",…}}`, or any message on a
 *   topic whose name ends in `-chat`) is one line: its title.
 * - Any other notification is its subject, then its body (the `email` body of a JSON structure),
 *   as an email subscriber reads them.
 */
import type { DeadLetterRecord } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import { bodyFor, type PublishedMessage } from '@ami-lifecycle/emulator/sns/index.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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
