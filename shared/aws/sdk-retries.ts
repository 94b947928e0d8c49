import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import { isThrottlingError } from '../core/errors.js';

/**
 * How often AWS throttled the tool and how often the SDK retried, read from what the SDK already
 * knows: `$metadata.attempts` and `totalRetryDelay` on every answer (and on the error of a call
 * that failed for good), and the error of each attempt. Nothing is asked of AWS. The tallies are
 * the process's, per API and region, and the Lambda adapter takes them at the end of each
 * invocation (`takeSdkRetries`); a Lambda environment serves one invocation at a time.
 */

export interface SdkRetryTally {
  readonly api: string;
  readonly region: string;
  /** Calls that took more than one attempt. */
  readonly retried: number;
  /** Attempts answered with a throttling error. */
  readonly throttled: number;
  /** Milliseconds the SDK waited between attempts. */
  readonly retryDelayMs: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const tallies = new Map<string, Mutable<SdkRetryTally>>();

function tallyOf(api: string, region: string): Mutable<SdkRetryTally> {
  const key = `${api}\u0000${region}`;
  let tally = tallies.get(key);
  if (tally === undefined) {
    tally = { api, region, retried: 0, throttled: 0, retryDelayMs: 0 };
    tallies.set(key, tally);
  }
  return tally;
}

function countCall(tally: Mutable<SdkRetryTally>, carrier: unknown): void {
  if (typeof carrier !== 'object' || carrier === null || !('$metadata' in carrier)) return;
  const metadata = carrier.$metadata as MetadataBearer['$metadata'];
  if ((metadata.attempts ?? 1) > 1) tally.retried++;
  tally.retryDelayMs += metadata.totalRetryDelay ?? 0;
}

/**
 * Adds the two observers to a client: one around the whole call (after the retries: the attempts
 * and the delay), one around each attempt (inside the retries: which attempts were throttled).
 * Both only look; what the call returns or throws is unchanged.
 */
export function observeRetries<I extends object, O extends MetadataBearer>(
  stack: MiddlewareStack<I, O>,
  api: string,
  region: string,
): void {
  const tally = tallyOf(api, region);
  stack.add(
    (next) => async (args) => {
      try {
        const result = await next(args);
        countCall(tally, result.output);
        return result;
      } catch (error) {
        countCall(tally, error);
        throw error;
      }
    },
    { step: 'initialize', name: 'amiLifecycleRetryTally' },
  );
  stack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isThrottlingError(error)) tally.throttled++;
        throw error;
      }
    },
    // Low in the finalize step: inside the retry middleware, so once per attempt.
    { step: 'finalizeRequest', priority: 'low', name: 'amiLifecycleThrottleTally' },
  );
}

/** What was retried and throttled since the last call, per API and region (non-zero ones), and zeroes the tallies. */
export function takeSdkRetries(): SdkRetryTally[] {
  const taken = [...tallies.values()]
    .filter((t) => t.retried > 0 || t.throttled > 0 || t.retryDelayMs > 0)
    .map((t) => ({ ...t }));
  for (const tally of tallies.values()) {
    tally.retried = 0;
    tally.throttled = 0;
    tally.retryDelayMs = 0;
  }
  return taken;
}
