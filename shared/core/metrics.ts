import type { ActionOutcome } from './apply.js';
import { countBy } from './collections.js';
import type { MetricsPort } from './ports.js';

/**
 * The metrics the tool emits, in one table: the Lambda adapter writes them as CloudWatch EMF
 * (namespace `ami-lifecycle`, with Powertools' `service` dimension), the dashboard and alarms of
 * the stack are generated from this table (`scripts/observability.ts`), and docs/observability.md
 * lists it. Dimensions are bounded on purpose: rules, regions, action kinds and APIs, never an
 * image id, so the number of metrics does not grow with the number of images.
 */

export const METRIC_NAMESPACE = 'ami-lifecycle';

export type MetricUnit = 'Count' | 'Milliseconds';
export type DimensionName = 'rule' | 'region' | 'action' | 'api' | 'detailType';

export interface MetricDefinition {
  readonly unit: MetricUnit;
  readonly dimensions: readonly DimensionName[];
  /**
   * Also emitted with the `service` dimension alone, a total over rules and regions the stack's
   * alarms watch (an alarm cannot search for dimension values). Only where an alarm needs it: each
   * dimension set is a metric CloudWatch bills.
   */
  readonly rollup?: boolean;
  /** Which function emits it, and when: for docs/observability.md. */
  readonly what: string;
}

export const METRICS = {
  ReleasesStarted: {
    unit: 'Count',
    dimensions: ['rule', 'region'],
    what: '`AMI Distribution Started` published (once per release; region: the source region)',
  },
  ReleasesCompleted: {
    unit: 'Count',
    dimensions: ['rule', 'region'],
    what: '`AMI Distribution Completed` published (once per release; region: the source region)',
  },
  ReleaseCompletionTime: {
    unit: 'Milliseconds',
    dimensions: ['rule', 'region'],
    what: 'From the first region of the release recorded done (the source, once its copies started) to the last',
  },
  CopiesStarted: {
    unit: 'Count',
    dimensions: ['rule', 'region'],
    what: 'CopyImage calls that answered with a live copy (region: the destination), event path and reconcile',
  },
  CopiesCompleted: {
    unit: 'Count',
    dimensions: ['rule', 'region'],
    what: "A copy's `available` event handled in its region",
  },
  CopyDuration: {
    unit: 'Milliseconds',
    dimensions: ['rule', 'region'],
    what: "From the copy's creation (CopyImage) to its `available` event, both known without a call",
  },
  CopiesFailed: {
    unit: 'Count',
    dimensions: ['rule', 'region'],
    rollup: true,
    what: "A copy's `failed` event handled in its region (`AMI Copy Failed` published)",
  },
  ActionsFailed: {
    unit: 'Count',
    dimensions: ['action', 'region'],
    rollup: true,
    what: 'Actions (copy, tag, share, deprecate…) whose AWS call failed, retryable or not',
  },
  RetirementActions: {
    unit: 'Count',
    dimensions: ['action', 'region'],
    what: 'Retirement applied, by stage: `deprecate`, `disable-image`, `deregister`, `delete-snapshot`',
  },
  ReconcileRepairs: {
    unit: 'Count',
    dimensions: ['region'],
    what: 'Drift a reconcile run repaired: tags, shares, public permissions removed, copies events missed',
  },
  ReconcileDeferredCopies: {
    unit: 'Count',
    dimensions: ['region'],
    what: 'Copies due that a reconcile run left to a later run (the copy cap, a source not tagged yet)',
  },
  ReconcileFailures: {
    unit: 'Count',
    dimensions: ['region'],
    what: 'Failures a reconcile run reported (reads, actions, completion records), as in its `Reconcile Report`',
  },
  RetriedCalls: {
    unit: 'Count',
    dimensions: ['api', 'region'],
    what: 'AWS calls the SDK retried (`$metadata.attempts` > 1), whatever their outcome',
  },
  ThrottledCalls: {
    unit: 'Count',
    dimensions: ['api', 'region'],
    what: 'Attempts AWS answered with a throttling error (classified as in `errors.ts`)',
  },
  RetryDelay: {
    unit: 'Milliseconds',
    dimensions: ['api', 'region'],
    what: 'Time the SDK waited between attempts (`$metadata.totalRetryDelay`), summed per invocation',
  },
  NotificationsSent: {
    unit: 'Count',
    dimensions: ['detailType'],
    what: 'Messages notify published (email and chat topics), by the event they came from',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

/** The dimensions a metric takes, exactly: the type keeps a call from adding an unbounded one. */
export type DimensionsOf<N extends MetricName> = {
  readonly [K in (typeof METRICS)[N]['dimensions'][number]]: string;
};

/** For callers that emit nothing (the CLI, tests that do not look at metrics). */
export const noMetrics: MetricsPort = { add: () => undefined };

/** Retirement stages as `RetirementActions` counts them. */
const RETIREMENT = new Set(['deprecate', 'disable-image', 'deregister', 'delete-snapshot']);

/**
 * What an applied plan adds to the metrics, counted first so each (metric, dimensions) is one call
 * however many actions the plan had: copies started, retirement by stage, failed actions by kind.
 */
export function recordOutcomes(metrics: MetricsPort, outcomes: readonly ActionOutcome[]): void {
  const pair = (a: string, b: string) => JSON.stringify([a, b]);
  const unpair = (key: string) => JSON.parse(key) as [string, string];
  const failed = outcomes.filter((o) => o.status === 'failed').map((o) => o.action);
  const applied = outcomes.flatMap((o) => (o.status === 'applied' ? [o] : []));
  const copies = applied.flatMap((o) => (o.action.kind === 'copy' ? [o.action] : []));
  // A snapshot in use is kept, and one already gone was deleted earlier: neither is this deletion.
  const retired = applied
    .filter((o) => RETIREMENT.has(o.action.kind))
    .filter(
      (o) => o.result?.kind !== 'delete-snapshot' || ['deleted', 'with-image'].includes(o.result.outcome),
    )
    .map((o) => o.action);
  for (const [key, n] of Object.entries(countBy(copies, (a) => pair(a.rule, a.region)))) {
    const [rule, region] = unpair(key);
    metrics.add('CopiesStarted', n, { rule, region });
  }
  for (const [name, list] of [
    ['RetirementActions', retired],
    ['ActionsFailed', failed],
  ] as const) {
    for (const [key, n] of Object.entries(countBy(list, (a) => pair(a.kind, a.region)))) {
      const [action, region] = unpair(key);
      metrics.add(name, n, { action, region });
    }
  }
}

/** Milliseconds from `from` (an ISO date EC2 or the tool wrote) to `to`; undefined when `from` is absent or unreadable. */
export function elapsedMs(from: string | undefined, to: Date): number | undefined {
  if (from === undefined) return undefined;
  const start = Date.parse(from);
  if (Number.isNaN(start)) return undefined;
  return Math.max(0, to.getTime() - start);
}
