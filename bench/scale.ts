import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CounterSnapshot, createEc2Emulator, DEFAULT_REGIONS } from '../local/ec2/index.js';
import { startLocalServer } from '../local/server.js';
import { createEc2ForRegion } from '../shared/aws/clients.js';
import { type ReconcileReport, reconcileRegion } from '../shared/core/reconcile.js';
import { loadRulesFile } from '../shared/rules/load.js';
import type { Rule } from '../shared/rules/schema.js';

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
 *   npm run bench -- [--images 1000] [--speed 20] [--cap 90] [--targets 8]
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

const MUTATING_RATE = 5;
const MUTATING_BURST = 50;
const NON_MUTATING_RATE = 20;
const NON_MUTATING_BURST = 100;
const MUTATING_ACTIONS = ['CopyImage', 'CreateTags', 'ModifyImageAttribute', 'ModifySnapshotAttribute'];

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

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const options: ScaleOptions = {
    images: argument('images', 1000),
    speed: argument('speed', 20),
    cap: argument('cap', 90),
    concurrency: argument('concurrency', 8),
    copyDelayMs: argument('copy-delay-ms', 100),
    ...(process.argv.includes('--targets') ? { targets: argument('targets', 8) } : {}),
  };
  console.log(
    `scale: ${options.images} source images x ${options.targets ?? 8} target regions; EC2 buckets: mutating ${MUTATING_BURST} + ${MUTATING_RATE * options.speed}/s, ` +
      `non-mutating ${NON_MUTATING_BURST} + ${NON_MUTATING_RATE * options.speed}/s per region (EC2's defaults x${options.speed}); cap ${options.cap} copies in flight`,
  );
  const result = await runScale(options);
  console.log(`converged: ${result.converged}; failures: ${result.failures}`);
  console.log(`runs per region: ${JSON.stringify(result.runsByRegion)}`);
  console.log('calls by action (succeeded or failed; throttled apart):');
  for (const [action, c] of Object.entries(result.callsByAction).sort()) {
    console.log(`  ${action.padEnd(26)} ${String(c.calls).padStart(6)}  throttled ${c.throttled}`);
  }
  console.log(`mutating calls in a run after convergence: ${result.mutatingAfterConvergence}`);
  console.log(`wall time: ${(result.wallMs / 1000).toFixed(1)} s`);
  console.log(
    `rate-limit bound: ${(result.boundMs / 1000).toFixed(1)} s ((${2 * options.images} mutating calls per region - burst ${MUTATING_BURST}) / ${MUTATING_RATE * options.speed} per s)`,
  );
  console.log(`ratio wall / bound: ${(result.wallMs / result.boundMs).toFixed(2)}`);
}
