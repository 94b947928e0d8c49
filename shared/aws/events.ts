import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { AwsCallError } from '../core/errors.js';
import { EVENT_SOURCE } from '../core/notifications.js';
import type { EventPublisher } from '../core/ports.js';

/** PutEvents takes at most 10 entries a call. */
const BATCH = 10;
/** Entry error codes a resend can fix; the others (malformed detail, access denied) never will. */
const RETRYABLE_ENTRY_CODES = new Set(['InternalFailure', 'ThrottlingException']);
const ATTEMPTS = 3;
const BACKOFF_MS = 100;

/**
 * Publishes the tool's notifications on its event bus. PutEvents answers HTTP 200 even when some
 * entries fail, so every response's FailedEntryCount is checked and only the failed entries are
 * sent again; the SDK's own retries do not do this.
 */
export function createEventPublisher(
  client: EventBridgeClient,
  eventBusName: string,
  region: string,
  /** Waits between re-sends; injectable so tests need not wait. */
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): EventPublisher {
  return {
    async publish(events) {
      let pending: PutEventsRequestEntry[] = events.map((e) => ({
        EventBusName: eventBusName,
        Source: EVENT_SOURCE,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
        ...(e.resources ? { Resources: [...e.resources] } : {}),
      }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const failed: Array<{ entry: PutEventsRequestEntry; code: string; message: string }> = [];
        for (let i = 0; i < pending.length; i += BATCH) {
          const batch = pending.slice(i, i + BATCH);
          let output: PutEventsCommandOutput;
          try {
            output = await client.send(new PutEventsCommand({ Entries: batch }));
          } catch (error) {
            throw new AwsCallError('PutEvents', region, error);
          }
          if (!output.FailedEntryCount) continue;
          batch.forEach((entry, j) => {
            const result = output.Entries?.[j];
            if (result?.ErrorCode)
              failed.push({ entry, code: result.ErrorCode, message: result.ErrorMessage ?? '' });
          });
        }
        const permanent = failed.find((f) => !RETRYABLE_ENTRY_CODES.has(f.code));
        const last = failed[0];
        if (permanent !== undefined || (last !== undefined && attempt >= ATTEMPTS)) {
          const first = permanent ?? last;
          const error = new Error(first?.message ?? '');
          error.name = first?.code ?? 'PutEventsFailed';
          throw new AwsCallError('PutEvents', region, error, permanent === undefined);
        }
        pending = failed.map((f) => f.entry);
        // Exponential backoff with full jitter before re-sending throttled entries (100 ms, 200 ms, ...).
        if (pending.length > 0) await sleep(Math.random() * BACKOFF_MS * 2 ** (attempt - 1));
      }
    },
  };
}
