/**
 * Calls per action and region, for tests and benchmarks. Every request that named an action is
 * counted exactly once in `calls`, and in one of `succeeded`, `failed` (any error response,
 * injected server errors included) or `throttled` (`RequestLimitExceeded`).
 */
export interface CallCounts {
  calls: number;
  succeeded: number;
  failed: number;
  throttled: number;
}

export type Outcome = 'succeeded' | 'failed' | 'throttled';

/** action → region → counts. */
export type CounterSnapshot = Record<string, Record<string, CallCounts>>;

export class Counters {
  private readonly counts = new Map<string, Map<string, CallCounts>>();

  record(action: string, region: string, outcome: Outcome): void {
    let byRegion = this.counts.get(action);
    if (byRegion === undefined) {
      byRegion = new Map();
      this.counts.set(action, byRegion);
    }
    let counts = byRegion.get(region);
    if (counts === undefined) {
      counts = { calls: 0, succeeded: 0, failed: 0, throttled: 0 };
      byRegion.set(region, counts);
    }
    counts.calls += 1;
    counts[outcome] += 1;
  }

  snapshot(): CounterSnapshot {
    const out: CounterSnapshot = {};
    for (const [action, byRegion] of this.counts) {
      const regions: Record<string, CallCounts> = {};
      for (const [region, counts] of byRegion) regions[region] = { ...counts };
      out[action] = regions;
    }
    return out;
  }

  reset(): void {
    this.counts.clear();
  }
}
