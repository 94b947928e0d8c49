import { join } from 'node:path';
import { type CounterSnapshot, createEc2Emulator, DEFAULT_REGIONS } from '../local/ec2/index.js';
import { startLocalServer } from '../local/server.js';
import { createEc2ForRegion } from '../shared/aws/clients.js';
import { type ReconcileReport, reconcileRegion } from '../shared/core/reconcile.js';
import { loadRulesFile } from '../shared/rules/load.js';
import type { Rule } from '../shared/rules/schema.js';
import { fixed, type Section } from './report.js';

/**
 * The scale scenario: N source images distributed to 8 regions by the scheduled reconcile alone,
 * through the real adapter and SDK, against the emulator's throttle model (EC2's documented token
 * buckets, optionally sped up by `speed` so a run fits in a test). Each region reconciles on its
 * own, as each regional stack's schedule does, until a run plans nothing.
 *
 * The bound: the calls that MUST be made, divided by the rate the buckets allow. Per region, the
 * mutating calls needed are known exactly (source region: one CreateTags and one
 * ModifyImageAttribute per source; each target: one CopyImage and one ModifyImageAttribute per
 * source), and a region cannot finish faster than (calls − burst) / refill. Regions run in
 * parallel, so the bound of the whole is the largest region's.
 *
 *   npm run bench -- scale [--images 200] [--speed 1] [--cap 90] [--concurrency 8] [--copy-delay-ms 100] [--targets 8]
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
  onRun?: (region: string, run: number, report: ReconcileReport) => void;
}

export interface ScaleResult {
  images: number;
  regions: number;
  wallMs: number;
  boundMs: number;
  runsByRegion: Record<string, number>;
  failures: number;
  /** Calls that succeeded or failed (throttled ones counted apart), by action. */
  callsByAction: Record<string, { calls: number; throttled: number }>;
  /** Mutating calls made by one more full run after convergence. */
  mutatingAfterConvergence: number;
  converged: boolean;
}

/** EC2's documented token buckets, per account and region (before `speed`). */
export const MUTATING_RATE = 5;
export const MUTATING_BURST = 50;
export const NON_MUTATING_RATE = 20;
export const NON_MUTATING_BURST = 100;
export const MUTATING_ACTIONS = [
  'CopyImage',
  'CreateTags',
  'ModifyImageAttribute',
  'ModifySnapshotAttribute',
];

export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const { rules: fileRules } = loadRulesFile(join(import.meta.dirname, '../test/fixtures/rules/scale.yaml'));
  const rules = options.targets === undefined ? fileRules : withTargets(fileRules, options.targets);
  const rule = rules[0];
  if (rule?.copy === undefined) throw new Error('scale.yaml must hold one rule that copies');
  const targets = rule.copy.regions;
  const regions = ['us-east-1', ...targets];
  const emulator = createEc2Emulator({
    copyDelayMs: options.copyDelayMs,
    throttle: {
      mutating: { capacity: MUTATING_BURST, refillPerSecond: MUTATING_RATE * options.speed },
      nonMutating: { capacity: NON_MUTATING_BURST, refillPerSecond: NON_MUTATING_RATE * options.speed },
    },
  });
  const server = await startLocalServer({ ec2: emulator.service });
  const ec2 = createEc2ForRegion({
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 10,
  });
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const deps = { rules, accountId: emulator.accountId, ec2, logger };
  try {
    for (let i = 0; i < options.images; i++) {
      emulator.seedImage({
        region: 'us-east-1',
        name: `scale-${String(i).padStart(5, '0')}`,
        emitEvent: false,
        creationDate: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
      });
    }
    const reconcile = (region: string) =>
      reconcileRegion(deps, {
        region,
        dryRun: false,
        maxCopiesInFlight: options.cap,
        concurrency: options.concurrency,
      });

    let failures = 0;
    const runsByRegion: Record<string, number> = {};
    const started = performance.now();
    await Promise.all(
      regions.map(async (region) => {
        for (let run = 1; ; run++) {
          const report = await reconcile(region);
          failures += report.failures.length;
          options.onRun?.(region, run, report);
          const idle = Object.keys(report.planned).length === 0 && report.deferredCopies === 0;
          const pending = emulator.listImages(region).some((i) => i.state === 'pending');
          if (idle && !pending) {
            runsByRegion[region] = run;
            return;
          }
          if (run > 200) throw new Error(`${region} did not converge in 200 runs`);
          // Copies in flight: wait for them, as the next scheduled run would.
          if (pending) await new Promise((r) => setTimeout(r, options.copyDelayMs));
        }
      }),
    );
    const wallMs = performance.now() - started;
    const counters = emulator.counters();

    emulator.resetCounters();
    emulator.resetThrottle();
    await Promise.all(regions.map(reconcile));
    const mutatingAfterConvergence = sumCalls(emulator.counters(), MUTATING_ACTIONS);

    const mutatingPerRegion = 2 * options.images;
    const boundMs =
      (Math.max(0, mutatingPerRegion - MUTATING_BURST) / (MUTATING_RATE * options.speed)) * 1000;
    const converged = targets.every(
      (region) =>
        emulator.listImages(region).filter((i) => i.state === 'available').length === options.images,
    );
    return {
      images: options.images,
      regions: targets.length,
      wallMs,
      boundMs,
      runsByRegion,
      failures,
      callsByAction: Object.fromEntries(
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
      ),
      mutatingAfterConvergence,
      converged,
    };
  } finally {
    emulator.close();
    await server.close();
  }
}

/** The scale rule, copying to the first `count` of the emulator's regions other than the source's. */
function withTargets(rules: readonly Rule[], count: number): Rule[] {
  const regions = DEFAULT_REGIONS.filter((r) => r !== 'us-east-1').slice(0, count);
  if (regions.length < count) throw new Error(`--targets: the emulator has ${regions.length} other regions`);
  return rules.map((r) => (r.copy ? { ...r, copy: { ...r.copy, regions } } : r));
}

function sumCalls(counters: CounterSnapshot, actions: readonly string[]): number {
  return actions.reduce(
    (n, action) => n + Object.values(counters[action] ?? {}).reduce((m, c) => m + c.calls, 0),
    0,
  );
}

/** The figures of a run, as a markdown section (bench/main.ts prints it). */
export function scaleSection(options: ScaleOptions, result: ScaleResult): Section {
  const s = (ms: number) => fixed(ms / 1000, 1);
  const actions = Object.entries(result.callsByAction).sort(([a], [b]) => a.localeCompare(b));
  const throttled = actions.reduce((n, [, c]) => n + c.throttled, 0);
  const runs = Object.values(result.runsByRegion);
  return {
    title: 'Reconcile at scale',
    notes: [
      `${fixed(options.images)} source images in us-east-1 distributed to ${result.regions} target regions by the scheduled ` +
        'reconcile alone (every region reconciled in parallel until a run plans nothing), through the real adapter and SDK ' +
        `over HTTP against the emulator. EC2's documented token buckets per region: writes ${MUTATING_BURST} + ` +
        `${fixed(MUTATING_RATE * options.speed)}/s, reads ${NON_MUTATING_BURST} + ${fixed(NON_MUTATING_RATE * options.speed)}/s ` +
        `(EC2's refill × ${options.speed}); cap ${options.cap} copies in flight per region, concurrency ${options.concurrency}, ` +
        `copies pending ${options.copyDelayMs} ms.`,
      `Bound: (${fixed(2 * options.images)} writes per region − burst ${MUTATING_BURST}) / ` +
        `${fixed(MUTATING_RATE * options.speed)} per s, the least time the write bucket allows.`,
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
          ['wall / bound', result.boundMs > 0 ? fixed(result.wallMs / result.boundMs, 2) : 'n/a'],
          ['converged', result.converged ? 'yes' : 'NO'],
          ['failures', fixed(result.failures)],
          ['reconcile runs per region', `${Math.min(...runs)}–${Math.max(...runs)}`],
          ['throttled calls (retried)', fixed(throttled)],
          ['writes in a run after convergence', fixed(result.mutatingAfterConvergence)],
        ],
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
