import { fixed, type Section } from './report.js';
import {
  type CallTotals,
  MUTATING_BURST,
  MUTATING_RATE,
  NON_MUTATING_BURST,
  NON_MUTATING_RATE,
  type ScaleOptions,
  type ScaleResult,
} from './scale.js';

/**
 * How `bench/main.ts` prints a scale run: a markdown section, or with `--json` one document
 * (`ScaleJson`). Both are derived from the same `ScaleResult`, so they never disagree.
 */

/** One full run of every region after convergence, as `--json` gives it. */
export interface SteadyJson {
  readonly reads: number;
  readonly writes: number;
  readonly throttled: number;
  readonly failures: number;
  /** reads / (images × regions reconciled): a run's reads per source image and region. */
  readonly readsPerImagePerRun: number;
}

/** `npm run bench -- scale --json`. Seconds to 2 decimals, ratios to 3. */
export interface ScaleJson {
  readonly images: number;
  readonly targets: number;
  /** Regions reconciled: the targets and the source region. */
  readonly regionsReconciled: number;
  readonly speed: number;
  readonly cap: number;
  readonly concurrency: number;
  readonly copyDelayMs: number;
  readonly wallSeconds: number;
  readonly boundSeconds: number;
  /** wallSeconds / boundSeconds; null when the bound is 0 (every write fits in the burst). */
  readonly ratio: number | null;
  readonly bound: string;
  /** Reconcile runs of the region that needed most (the critical path); `runsTotal` sums every region's. */
  readonly runs: number;
  readonly runsTotal: number;
  readonly runsByRegion: Readonly<Record<string, number>>;
  /** EC2 calls over the whole convergence, succeeded or failed; throttled ones are counted apart. */
  readonly reads: number;
  readonly writes: number;
  /** reads / (images × runsTotal): reads per source image and region run, during convergence. */
  readonly readsPerImagePerRun: number;
  readonly throttled: number;
  readonly throttledReads: number;
  readonly throttledWrites: number;
  readonly failures: number;
  readonly converged: boolean;
  readonly callsByAction: ScaleResult['callsByAction'];
  readonly callsByRegion: Readonly<Record<string, CallTotals>>;
  /** Two more full runs after convergence: 0 writes, and the same reads both times, expected. */
  readonly afterConvergence: readonly SteadyJson[];
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The bound, in words: where its figure comes from. */
function boundFormula(options: ScaleOptions, result: ScaleResult): string {
  return (
    `(${result.writesNeededPerRegion} writes per region − burst ${MUTATING_BURST}) / ` +
    `${fixed(MUTATING_RATE * options.speed, 2)} writes per s: the least time the write bucket allows the ` +
    'busiest region (the source region: one CreateTags and one ModifyImageAttribute per source; each target: ' +
    'one CopyImage and one ModifyImageAttribute per source); regions run in parallel'
  );
}

export function scaleJson(options: ScaleOptions, result: ScaleResult): ScaleJson {
  const runs = Object.values(result.runsByRegion);
  const runsTotal = runs.reduce((n, r) => n + r, 0);
  const regionsReconciled = result.regions + 1;
  const { totals } = result;
  return {
    images: result.images,
    targets: result.regions,
    regionsReconciled,
    speed: options.speed,
    cap: options.cap,
    concurrency: options.concurrency,
    copyDelayMs: options.copyDelayMs,
    wallSeconds: round(result.wallMs / 1000, 2),
    boundSeconds: round(result.boundMs / 1000, 2),
    ratio: result.boundMs > 0 ? round(result.wallMs / result.boundMs, 3) : null,
    bound: boundFormula(options, result),
    runs: Math.max(0, ...runs),
    runsTotal,
    runsByRegion: result.runsByRegion,
    reads: totals.reads,
    writes: totals.writes,
    readsPerImagePerRun: runsTotal > 0 ? round(totals.reads / (result.images * runsTotal), 4) : 0,
    throttled: totals.throttledReads + totals.throttledWrites,
    throttledReads: totals.throttledReads,
    throttledWrites: totals.throttledWrites,
    failures: result.failures,
    converged: result.converged,
    callsByAction: result.callsByAction,
    callsByRegion: result.callsByRegion,
    afterConvergence: result.afterConvergence.map((run) => ({
      reads: run.reads,
      writes: run.writes,
      throttled: run.throttledReads + run.throttledWrites,
      failures: run.failures,
      readsPerImagePerRun: round(run.reads / (result.images * regionsReconciled), 4),
    })),
  };
}

/** The figures of a run, as a markdown section (bench/main.ts prints it). */
export function scaleSection(options: ScaleOptions, result: ScaleResult): Section {
  const json = scaleJson(options, result);
  const s = (ms: number) => fixed(ms / 1000, 1);
  const actions = Object.entries(result.callsByAction).sort(([a], [b]) => a.localeCompare(b));
  const runs = Object.values(result.runsByRegion);
  return {
    title: 'Reconcile at scale',
    notes: [
      `${fixed(options.images)} source images in us-east-1 distributed to ${result.regions} target regions by the scheduled ` +
        'reconcile alone (every region reconciled in parallel until a run plans nothing), through the real adapter and SDK ' +
        'over HTTP against the emulator, which runs in a process of its own. ' +
        `EC2's documented token buckets per region: writes ${MUTATING_BURST} + ` +
        `${fixed(MUTATING_RATE * options.speed)}/s, reads ${NON_MUTATING_BURST} + ${fixed(NON_MUTATING_RATE * options.speed)}/s ` +
        `(EC2's refill × ${options.speed}); cap ${options.cap} copies in flight per region, concurrency ${options.concurrency}, ` +
        `copies pending ${options.copyDelayMs} ms.`,
      `Bound: ${json.bound}.`,
      'Reads and writes: EC2 calls that succeeded or failed over the whole convergence (throttled ones apart). ' +
        'Reads per image per run: reads / (images × reconcile runs, all regions). After convergence: two more full ' +
        'runs of every region, counters and buckets reset before each (0 writes and the same reads expected).',
    ],
    tables: [
      {
        head: ['figure', 'value'],
        numeric: [false, true],
        rows: [
          ['source images', fixed(result.images)],
          ['target regions', String(result.regions)],
          ['wall time (s)', s(result.wallMs)],
          ['rate-limit bound (s)', s(result.boundMs)],
          ['wall / bound', json.ratio === null ? 'n/a' : fixed(json.ratio, 2)],
          ['converged', result.converged ? 'yes' : 'NO'],
          ['failures', fixed(result.failures)],
          [
            'reconcile runs per region',
            `${Math.min(...runs)}–${Math.max(...runs)} (total ${fixed(json.runsTotal)})`,
          ],
          ['reads', fixed(json.reads)],
          ['writes', fixed(json.writes)],
          ['reads per image per run', fixed(json.readsPerImagePerRun, 2)],
          ['throttled calls (retried)', `${fixed(json.throttled)} (${fixed(json.throttledReads)} reads)`],
          ...json.afterConvergence.map((run, i) => [
            `run ${i + 1} after convergence: reads / writes`,
            `${fixed(run.reads)} / ${fixed(run.writes)}`,
          ]),
        ],
      },
      {
        caption: 'By region, over the whole convergence (succeeded or failed; throttled apart):',
        head: ['region', 'runs', 'reads', 'writes', 'throttled reads', 'throttled writes'],
        numeric: [false, true, true, true, true, true],
        rows: Object.entries(result.callsByRegion).map(([region, c]) => [
          region,
          String(result.runsByRegion[region] ?? 0),
          fixed(c.reads),
          fixed(c.writes),
          fixed(c.throttledReads),
          fixed(c.throttledWrites),
        ]),
      },
      {
        caption: 'Calls by action (succeeded or failed; throttled ones apart), all regions:',
        head: ['action', 'calls', 'throttled'],
        numeric: [false, true, true],
        rows: actions.map(([action, c]) => [action, fixed(c.calls), fixed(c.throttled)]),
      },
    ],
  };
}
