import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { groupBy } from '../core/collections.js';
import { AwsCallError } from '../core/errors.js';
import { EVENT_SOURCE, type ToolEvent } from '../core/notifications.js';
import type { EventPublisher } from '../core/ports.js';

/** PutEvents takes at most 10 entries a call. */
const MAX_ENTRIES = 10;
/**
 * Entries and whole requests are kept at most 256 KB: EventBridge accepts 1 MB since 2026-01-29,
 * but the events are forwarded to SNS, which still takes 256 KB.
 */
export const MAX_BATCH_BYTES = 256 * 1024;
/** Entry error codes a resend can fix; the others (malformed detail, access denied) never will. */
const RETRYABLE_ENTRY_CODES = new Set(['InternalFailure', 'ThrottlingException']);
const ATTEMPTS = 5;
const BACKOFF_MS = 100;
const BACKOFF_CAP_MS = 2000;

const encoder = new TextEncoder();

/** EventBridge's size of an entry: Source, DetailType, Detail and Resources in UTF-8 bytes (Time unset). */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : encoder.encode(s).length);
  return (
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

/** Consecutive entries grouped into requests of at most 10 entries and 256 KB. */
export function batches(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const result: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const bytes = entrySize(entry);
    if (current.length > 0 && (current.length === MAX_ENTRIES || size + bytes > MAX_BATCH_BYTES)) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0) result.push(current);
  return result;
}

export interface EventPublisherOptions {
  /** The EventBridge client of a region (built once per region by the caller). */
  readonly clientFor: (region: string) => EventBridgeClient;
  /** The tool's bus: the same name in every regional stack. */
  readonly busName: string;
  /** Where events without a `busRegion` go: the region the code runs in. */
  readonly region: string;
  /** When set, every event goes to the bus of this region, whatever its `busRegion`. */
  readonly eventsRegion?: string;
  /** Waits between re-sends; injectable so tests need not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Publishes the tool's events on its bus. PutEvents answers HTTP 200 even when some entries fail,
 * so every response's FailedEntryCount is checked and only the failed entries are sent again, with
 * exponential backoff and full jitter; the SDK's own retries do not do this. An entry no resend can
 * fix, or one still failing after the last attempt, throws an `AwsCallError` (retryable or not)
 * after the other entries were sent: events are never dropped quietly.
 */
export function createEventPublisher(options: EventPublisherOptions): EventPublisher {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const regionOf = (event: ToolEvent) => options.eventsRegion || event.busRegion || options.region;
  return {
    async publish(events) {
      for (const event of events) {
        const size = entrySize(toEntry(event, options.busName));
        if (size > MAX_BATCH_BYTES) {
          const error = new Error(`${event.detailType} is ${size} bytes; at most ${MAX_BATCH_BYTES}`);
          error.name = 'EventTooLarge';
          throw new AwsCallError('PutEvents', regionOf(event), error, false);
        }
      }
      const byRegion = groupBy(events, regionOf);
      await Promise.all(
        [...byRegion].map(([region, regional]) =>
          putAll(
            options.clientFor(region),
            region,
            regional.map((e) => toEntry(e, options.busName)),
            sleep,
          ),
        ),
      );
    },
  };
}

function toEntry(event: ToolEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    ...(event.resources ? { Resources: [...event.resources] } : {}),
  };
}

async function putAll(
  client: EventBridgeClient,
  region: string,
  entries: readonly PutEventsRequestEntry[],
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  let pending = [...entries];
  for (let attempt = 1; pending.length > 0; attempt++) {
    const failed: Array<{ entry: PutEventsRequestEntry; code: string; message: string }> = [];
    for (const batch of batches(pending)) {
      let output: PutEventsCommandOutput;
      try {
        output = await client.send(new PutEventsCommand({ Entries: batch }));
      } catch (error) {
        throw new AwsCallError('PutEvents', region, error);
      }
      if (!output.FailedEntryCount) continue;
      // Entries come back in the order sent: the failed ones carry an ErrorCode.
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
      const error = new Error(
        `${failed.length} event(s) not accepted${first?.message ? `: ${first.message}` : ''}`,
      );
      error.name = first?.code ?? 'PutEventsFailed';
      throw new AwsCallError('PutEvents', region, error, permanent === undefined);
    }
    pending = failed.map((f) => f.entry);
    if (pending.length > 0) {
      await sleep(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}
