import { join } from 'node:path';
import { type CounterSnapshot, DEFAULT_REGIONS } from '@ami-lifecycle/emulator/ec2/index.js';
import { apiClassOf } from '@ami-lifecycle/emulator/ec2/throttle.js';
import { createEc2ForRegion } from '../shared/aws/clients.js';
import { reconcileRegion } from '../shared/core/reconcile.js';
import { loadRulesFile } from '../shared/rules/load.js';
import type { Rule } from '../shared/rules/schema.js';
import { type EmulatorProcess, startEmulatorProcess } from './emulator-client.js';

/**
 * The scale scenario: N source images distributed to 8 regions by the scheduled reconcile alone,
 * through the real adapter and SDK, against the emulator's throttle model (EC2's documented token
 * buckets, optionally sped up by `speed` so a run fits in a test). Each region reconciles on its
 * own, as each regional stack's schedule does, until a run plans nothing.
 *
 * The emulator runs in a process of its own (`bench/emulator-process.ts`): the tool's side, here,
 * reaches it only over HTTP through the SDK, and asks it for counters and image states over IPC.
 * So neither starves the other's event loop, and the wall time is the tool's.
 *
 * The bound: the calls that MUST be made, divided by the rate the buckets allow. Per region, the
 * mutating calls needed are known exactly (source region: one CreateTags and one
 * ModifyImageAttribute per source; each target: one CopyImage and one ModifyImageAttribute per
 * source), and a region cannot finish faster than (calls − burst) / refill. Regions run in
 * parallel, so the bound of the whole is the largest region's.
 *
 *   npm run bench -- scale [--images 200] [--speed 1] [--cap 90] [--concurrency 8] [--copy-delay-ms 100] [--targets 8] [--json]
 */

export interface ScaleOptions {
  images: number;
  /** Multiplies the buckets' refill rates (1 = EC2's documented defaults). */
  speed: number;
  /** maxCopiesInFlight per region (the emulator allows 100). */
  cap: number;
  concurrency: number;
  copyDelayMs: number;
  /** Copy to this many regions (the emulator's first N other than us-east-1) instead of scale.yaml's 8. */
  targets?: number;
  onRun?: (region: string, run: number, summary: RunSummary) => void;
}

/** What one reconcile run tells this benchmark (all it reads of the core's report). */
export interface RunSummary {
  /** Actions planned, by kind; empty when the region needs nothing. */
  readonly planned: Readonly<Record<string, number>>;
  /** Copies the cap held back for a later run. */
  readonly deferredCopies: number;
  readonly failures: number;
}

/** EC2 calls that succeeded or failed, by API class, and the throttled ones apart. */
export interface CallTotals {
  /** Describe* and Get* calls: EC2's non-mutating bucket. */
  reads: number;
  /** Every other call: the mutating bucket. */
  writes: number;
  throttledReads: number;
  throttledWrites: number;
}

/** One full run of every region after convergence. */
export interface SteadyRun extends CallTotals {
  failures: number;
}

export interface ScaleResult {
  images: number;
  /** Target regions (us-east-1, the source region, is reconciled too). */
  regions: number;
  wallMs: number;
  boundMs: number;
  /** Writes each region must make (the largest region's): the bound's numerator before the burst. */
  writesNeededPerRegion: number;
  /** Reconcile runs until convergence, per region (us-east-1 included). */
  runsByRegion: Record<string, number>;
  failures: number;
  /** Calls that succeeded or failed (throttled ones counted apart), by action. */
  callsByAction: Record<string, { calls: number; throttled: number }>;
  /** The same, by API class, over the whole convergence. */
  totals: CallTotals;
  callsByRegion: Record<string, CallTotals>;
  /** Mutating calls (throttled ones included) made by the first full run after convergence. */
  mutatingAfterConvergence: number;
  /** Two more full runs of every region after convergence, counters and buckets reset before each. */
  afterConvergence: SteadyRun[];
  converged: boolean;
}

/** EC2's documented token buckets, per account and region (before `speed`). */
export const MUTATING_RATE = 5;
export const MUTATING_BURST = 50;
export const NON_MUTATING_RATE = 20;
export const NON_MUTATING_BURST = 100;
export const SOURCE_REGION = 'us-east-1';
/** A region still planning after this many runs is reported as not converging. */
const MAX_RUNS = 200;

/** The tool's side: what `reconcileOnce` needs to call the core. */
interface Tool {
  readonly rules: readonly Rule[];
  readonly accountId: string;
  readonly ec2: ReturnType<typeof createEc2ForRegion>;
  readonly cap: number;
  readonly concurrency: number;
}

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * One scheduled reconcile run of `region`, as the regional stack's schedule makes it. The ONLY
 * place this benchmark calls the core (its signature and report are being reworked): adapt here,
 * and keep reading no more of the report than `planned`, `deferredCopies` and `failures`.
 */
async function reconcileOnce(tool: Tool, region: string): Promise<RunSummary> {
  // A variable, not a literal in the call: the reworked core requires `events` and `now`, the
  // core before it does not know them, and both accept this object (no excess-property check).
  // The scale rule has no `retire` section, so nothing is ever published.
  const deps = {
    rules: tool.rules,
    accountId: tool.accountId,
    ec2: tool.ec2,
    logger: SILENT,
    events: { publish: async () => {} },
    now: () => new Date(),
  };
  const report = await reconcileRegion(deps, {
    region,
    dryRun: false,
    maxCopiesInFlight: tool.cap,
    concurrency: tool.concurrency,
  });
  return {
    planned: { ...report.planned },
    deferredCopies: report.deferredCopies,
    failures: report.failures.length,
  };
}

export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const rules = scaleRules(options.targets);
  const targets = rules[0]?.copy?.regions ?? [];
  const regions = [SOURCE_REGION, ...targets];
  const emulator = await startEmulatorProcess({
    copyDelayMs: options.copyDelayMs,
    throttle: {
      mutating: { capacity: MUTATING_BURST, refillPerSecond: MUTATING_RATE * options.speed },
      nonMutating: { capacity: NON_MUTATING_BURST, refillPerSecond: NON_MUTATING_RATE * options.speed },
    },
  });
  try {
    await emulator.seed(SOURCE_REGION, 'scale-', options.images, Date.UTC(2026, 0, 1));
    const tool: Tool = {
      rules,
      accountId: emulator.accountId,
      ec2: createEc2ForRegion({
        endpoint: emulator.endpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 10,
      }),
      cap: options.cap,
      concurrency: options.concurrency,
    };

    const started = performance.now();
    const { runsByRegion, failures } = await converge(tool, emulator, regions, options);
    const wallMs = performance.now() - started;
    const counters = await emulator.counters();

    const afterConvergence: SteadyRun[] = [];
    for (let i = 0; i < 2; i++) afterConvergence.push(await steadyRun(tool, emulator, regions));

    const states = await Promise.all(targets.map((region) => emulator.states(region)));
    const writesNeededPerRegion = 2 * options.images;
    return {
      images: options.images,
      regions: targets.length,
      wallMs,
      boundMs: (Math.max(0, writesNeededPerRegion - MUTATING_BURST) / (MUTATING_RATE * options.speed)) * 1000,
      writesNeededPerRegion,
      runsByRegion,
      failures,
      callsByAction: byAction(counters),
      totals: totalsOf(counters),
      callsByRegion: Object.fromEntries(regions.map((region) => [region, totalsOf(counters, region)])),
      mutatingAfterConvergence:
        (afterConvergence[0]?.writes ?? 0) + (afterConvergence[0]?.throttledWrites ?? 0),
      afterConvergence,
      converged: states.every((s) => (s.available ?? 0) === options.images),
    };
  } finally {
    await emulator.close();
  }
}

/** Every region reconciled in parallel, each until a run plans nothing and no copy is pending. */
async function converge(
  tool: Tool,
  emulator: EmulatorProcess,
  regions: readonly string[],
  options: ScaleOptions,
): Promise<{ runsByRegion: Record<string, number>; failures: number }> {
  let failures = 0;
  const runsByRegion: Record<string, number> = {};
  await Promise.all(
    regions.map(async (region) => {
      for (let run = 1; ; run++) {
        const summary = await reconcileOnce(tool, region);
        failures += summary.failures;
        options.onRun?.(region, run, summary);
        const idle = Object.keys(summary.planned).length === 0 && summary.deferredCopies === 0;
        const pending = ((await emulator.states(region)).pending ?? 0) > 0;
        if (idle && !pending) {
          runsByRegion[region] = run;
          return;
        }
        if (run >= MAX_RUNS) throw new Error(`${region} did not converge in ${MAX_RUNS} runs`);
        // Copies in flight: wait for them, as the next scheduled run would.
        if (pending) await new Promise((r) => setTimeout(r, options.copyDelayMs));
      }
    }),
  );
  return { runsByRegion, failures };
}

/** One more run of every region, from zeroed counters and full buckets. */
async function steadyRun(
  tool: Tool,
  emulator: EmulatorProcess,
  regions: readonly string[],
): Promise<SteadyRun> {
  await emulator.reset();
  const summaries = await Promise.all(regions.map((region) => reconcileOnce(tool, region)));
  return {
    ...totalsOf(await emulator.counters()),
    failures: summaries.reduce((n, s) => n + s.failures, 0),
  };
}

/** The scale rules: test/fixtures/rules/scale.yaml, copying to `targets` regions when given. */
function scaleRules(targets: number | undefined): Rule[] {
  const { rules } = loadRulesFile(join(import.meta.dirname, '../test/fixtures/rules/scale.yaml'));
  if (rules.length !== 1 || rules[0]?.copy === undefined) {
    throw new Error('scale.yaml must hold one rule that copies');
  }
  if (targets === undefined) return [...rules];
  const regions = DEFAULT_REGIONS.filter((r) => r !== SOURCE_REGION).slice(0, targets);
  if (regions.length < targets)
    throw new Error(`--targets: the emulator has ${regions.length} other regions`);
  return rules.map((r) => (r.copy ? { ...r, copy: { ...r.copy, regions } } : r));
}

/** Calls by action, all regions: succeeded or failed, and throttled apart. */
function byAction(counters: CounterSnapshot): Record<string, { calls: number; throttled: number }> {
  return Object.fromEntries(
    Object.entries(counters).map(([action, byRegion]) => {
      const counts = Object.values(byRegion);
      return [
        action,
        {
          calls: counts.reduce((n, c) => n + c.calls - c.throttled, 0),
          throttled: counts.reduce((n, c) => n + c.throttled, 0),
        },
      ];
    }),
  );
}

/** Calls by API class (the emulator's own classification, the one its buckets use), one region or all. */
export function totalsOf(counters: CounterSnapshot, region?: string): CallTotals {
  const totals: CallTotals = { reads: 0, writes: 0, throttledReads: 0, throttledWrites: 0 };
  for (const [action, byRegion] of Object.entries(counters)) {
    const read = apiClassOf(action) === 'non-mutating';
    for (const [where, c] of Object.entries(byRegion)) {
      if (region !== undefined && where !== region) continue;
      if (read) {
        totals.reads += c.calls - c.throttled;
        totals.throttledReads += c.throttled;
      } else {
        totals.writes += c.calls - c.throttled;
        totals.throttledWrites += c.throttled;
      }
    }
  }
  return totals;
}
