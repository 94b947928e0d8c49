/**
 * Calls per action and region, for tests and benchmarks, in all and per calling account (the
 * account whose token buckets the call drew on). Every request that named an action is counted
 * exactly once in `calls`, and in one of `succeeded`, `failed` (any error response, injected
 * server errors included) or `throttled` (`RequestLimitExceeded`).
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

/** calling account → action → region → counts. */
export type AccountCounterSnapshot = Record<string, CounterSnapshot>;

type Table = Map<string, Map<string, CallCounts>>;

export class Counters {
  private readonly counts: Table = new Map();
  private readonly byAccount = new Map<string, Table>();

  /** `account`: the caller, whose buckets the call drew on (absent: counted in all only). */
  record(action: string, region: string, outcome: Outcome, account?: string): void {
    count(this.counts, action, region, outcome);
    if (account === undefined) return;
    let table = this.byAccount.get(account);
    if (table === undefined) {
      table = new Map();
      this.byAccount.set(account, table);
    }
    count(table, action, region, outcome);
  }

  snapshot(): CounterSnapshot {
    return snapshotOf(this.counts);
  }

  /** The same counts, per calling account. */
  snapshotByAccount(): AccountCounterSnapshot {
    return Object.fromEntries([...this.byAccount].map(([account, table]) => [account, snapshotOf(table)]));
  }

  reset(): void {
    this.counts.clear();
    this.byAccount.clear();
  }
}

function count(table: Table, action: string, region: string, outcome: Outcome): void {
  let byRegion = table.get(action);
  if (byRegion === undefined) {
    byRegion = new Map();
    table.set(action, byRegion);
  }
  let counts = byRegion.get(region);
  if (counts === undefined) {
    counts = { calls: 0, succeeded: 0, failed: 0, throttled: 0 };
    byRegion.set(region, counts);
  }
  counts.calls += 1;
  counts[outcome] += 1;
}

function snapshotOf(table: Table): CounterSnapshot {
  const out: CounterSnapshot = {};
  for (const [action, byRegion] of table) {
    const regions: Record<string, CallCounts> = {};
    for (const [region, counts] of byRegion) regions[region] = { ...counts };
    out[action] = regions;
  }
  return out;
}
