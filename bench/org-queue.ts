import { AwsCallError } from '../shared/core/errors.js';

/**
 * The fan-out's queue as Lambda consumes an SQS queue with batch size 1 and maximum concurrency C:
 * at most C items run at once, each slot taking the next message as soon as its item ends. An item
 * that throws a retryable `AwsCallError` is redelivered (SQS after its visibility timeout; here at
 * once, so the wall time is the work's), and so is one that `again` says is not finished (copies
 * the cap deferred: the next run starts them). Any other error ends the run.
 */
export interface QueueOutcome<R> {
  /** Each item's last result, in the items' order. */
  readonly results: readonly R[];
  /** Every delivery's duration. */
  readonly durationsMs: readonly number[];
  readonly deliveries: number;
}

/** Deliveries of one item at most, before the run gives up on it. */
const MAX_DELIVERIES = 10;

export async function runQueue<T, R>(
  items: readonly T[],
  run: (item: T) => Promise<R>,
  concurrency: number,
  again: (result: R) => boolean = () => false,
): Promise<QueueOutcome<R>> {
  const queue = items.map((item, index) => ({ item, index, delivery: 1 }));
  const results = new Array<R>(items.length);
  const durationsMs: number[] = [];
  let deliveries = 0;
  const slot = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      deliveries += 1;
      const started = performance.now();
      let redeliver = false;
      try {
        const result = await run(next.item);
        results[next.index] = result;
        redeliver = again(result);
      } catch (error) {
        if (!(error instanceof AwsCallError) || !error.retryable) throw error;
        redeliver = true;
      } finally {
        durationsMs.push(performance.now() - started);
      }
      if (redeliver) {
        if (next.delivery >= MAX_DELIVERIES)
          throw new Error(`an item still not done after ${MAX_DELIVERIES} deliveries`);
        queue.push({ ...next, delivery: next.delivery + 1 });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, slot));
  return { results, durationsMs, deliveries };
}
