import { availableParallelism, loadavg } from 'node:os';
import { DEFAULT_ACCOUNT_ID } from '@ami-lifecycle/emulator/ec2/index.js';
import { createEc2ForRegion, sharedConnections } from '../shared/aws/clients.js';
import { createOrganizationsFor } from '../shared/aws/organizations.js';
import { type MemberResult, reconcileMember } from '../shared/core/member.js';
import type { MembersFor, MemberWorkItem } from '../shared/core/ports.js';
import { reconcileRegions } from '../shared/core/reconcile.js';
import { resolveTargets, workItems } from '../shared/core/targets.js';
import type { Rule } from '../shared/rules/schema.js';
import { startEmulatorProcess } from './emulator-client.js';
import { type Buckets, type OrgBound, type OrgBoundInput, orgBound } from './org-bound.js';
import { runQueue } from './org-queue.js';
import { CALIBRATION, organizationSeed, orgRegions, orgRules, WARM } from './org-setup.js';
import { median } from './report.js';
import {
  type CallTotals,
  MUTATING_BURST,
  MUTATING_RATE,
  NON_MUTATING_BURST,
  NON_MUTATING_RATE,
  SOURCE_REGION,
  totalsOf,
} from './scale.js';

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };
const events = { publish: async () => {} };

/**
 * The organization fan-out (`npm run bench -- org`): N source images of the hub (the management
 * account) in us-east-1, one rule whose `accounts` names an OU holding A member accounts (half of
 * them in a nested OU) and R regions, no hub `copy` (the hub only shares; every copy is a member's).
 * Timed, as one scheduled round runs it: targets resolved through Organizations, the hub's source
 * region reconciled with them (each source shared: launch permission and snapshot create-volume
 * permission), then the A·R (account, region) items through a queue of at most C at a time (Lambda
 * on SQS with maximum concurrency C, batch size 1), each `reconcileMember` as its own account,
 * until every member copy is started: CopyImage is the tool's last call for a copy; when it becomes
 * available is EC2's copy time (the emulator's copy delay), which no rate limit or concurrency
 * changes. An item that throws (retryable) or leaves copies deferred by the cap goes back to the
 * queue, as SQS redelivers it or the next run takes it up.
 *
 * The emulator (EC2 and Organizations) runs in its own process (`emulator-process.ts`); a member's
 * EC2 client uses the 12-digit account id as access key, so the emulator acts for that account, on
 * its buckets, as the member role would. The bound is `org-bound.ts`'s; τ, the duration of one item
 * alone, is measured after the timed run (untimed) on three calibration accounts outside the OU.
 */

export interface OrgOptions {
  accounts: number;
  regions: number;
  images: number;
  /** Multiplies the buckets' refill rates (1 = EC2's documented defaults). */
  speed: number;
  /** C: items in flight at once (the queue's maximum concurrency). */
  concurrency: number;
  /** EC2 calls in flight within one item (the product's RECONCILE_CONCURRENCY default). */
  itemConcurrency: number;
  /** maxCopiesInFlight per (account, region) (the product's MAX_COPIES_IN_FLIGHT default). */
  cap: number;
  copyDelayMs: number;
  onProgress?: (message: string) => void;
}

/** Calls of one (account, region), succeeded or failed, throttled ones apart. */
export type AccountRegionCalls = Record<string, Record<string, CallTotals>>;

export interface OrgResult {
  readonly wallMs: number;
  /**
   * The machine's 1-minute load average before and after the timed round: other processes on the
   * same cores slow the tool's event loop, which bounds this bench (compare with the cores).
   */
  readonly loadAverage: readonly [number, number];
  readonly phasesMs: { readonly resolve: number; readonly hub: number; readonly fanOut: number };
  readonly bound: OrgBound;
  /** What the bound was derived from. */
  readonly boundInput: OrgBoundInput;
  readonly buckets: Buckets;
  /** τ: the median duration of the calibration accounts' items, each alone. */
  readonly itemAloneMs: number;
  /** τ_loop: the median event-loop time (active) of the same items, the tool's or the emulator's, the larger. */
  readonly itemLoopMs: number;
  /** κ: the median CPU time of the same items, both processes. */
  readonly itemCpuMs: number;
  /** τ_hub: the hub sharing the sources with the calibration accounts, alone. */
  readonly hubAloneMs: number;
  /**
   * The fan-out's event loops: the share of its time each was busy, and the tool's busy time per
   * item (against τ_loop alone).
   */
  readonly fanOutLoop: {
    readonly tool: number;
    readonly emulator: number;
    readonly toolPerItemMs: number;
    /** CPU time per item in the fan-out, both processes (against κ alone). */
    readonly cpuPerItemMs: number;
  };
  /** Items' durations during the timed run (each delivery). */
  readonly itemMs: { readonly median: number; readonly max: number };
  readonly items: number;
  /** Deliveries beyond one per item: thrown (retryable) or copies left deferred. */
  readonly redeliveries: number;
  readonly skipped: number;
  readonly hubFailures: number;
  readonly targets: number;
  /** Every EC2 call of the timed run, throttled ones included. */
  readonly calls: number;
  readonly totals: CallTotals;
  /** account → region → calls (the hub under its own id). */
  readonly byAccount: AccountRegionCalls;
  readonly hubAccountId: string;
  /** Member copies started (pending or available), against A·R·N. */
  readonly copiesStarted: number;
  readonly copiesExpected: number;
}

export async function runOrg(options: OrgOptions): Promise<OrgResult> {
  const say = options.onProgress ?? (() => {});
  const regions = orgRegions(options.regions);
  const buckets: Buckets = {
    writes: { capacity: MUTATING_BURST, refillPerSecond: MUTATING_RATE * options.speed },
    reads: { capacity: NON_MUTATING_BURST, refillPerSecond: NON_MUTATING_RATE * options.speed },
  };
  // The hub is the emulator's default account (keys that are not 12 digits act for it).
  const emulator = await startEmulatorProcess({
    copyDelayMs: options.copyDelayMs,
    throttle: { mutating: buckets.writes, nonMutating: buckets.reads },
    organization: organizationSeed(DEFAULT_ACCOUNT_ID, options.accounts),
  });
  try {
    const hub = emulator.accountId;
    const rules = orgRules(hub, regions);
    await emulator.seed(SOURCE_REGION, 'org-', options.images, Date.UTC(2026, 0, 1));
    await emulator.seed(SOURCE_REGION, 'warm-', options.images, Date.UTC(2025, 0, 1));
    // As the member-work function builds them (`createMembersFor`): each account's clients, every
    // account's on one set of keep-alive connections.
    const connections = sharedConnections();
    const client = (accessKeyId: string) =>
      createEc2ForRegion({
        ...connections,
        endpoint: emulator.endpoint,
        credentials: { accessKeyId, secretAccessKey: 'local' },
        maxAttempts: 10,
      });
    const hubEc2 = client('test');
    const ports = new Map<string, ReturnType<MembersFor>>();
    const members: MembersFor = (account) => {
      let found = ports.get(account);
      if (found === undefined) {
        found = { ec2: client(account), kms: () => ({ describeKey: async () => undefined }) };
        ports.set(account, found);
      }
      return found;
    };
    const itemOptions = {
      dryRun: false,
      maxCopiesInFlight: options.cap,
      concurrency: options.itemConcurrency,
    };
    const runItem = (item: MemberWorkItem, ofRules: readonly Rule[] = rules) =>
      reconcileMember(
        { rules: ofRules, hubAccountId: hub, members, logger: SILENT, events, now: () => new Date() },
        item,
        itemOptions,
      );
    const hubRun = (targets: ReadonlyMap<string, readonly string[]>, ofRules: readonly Rule[] = rules) =>
      reconcileRegions(
        {
          rules: ofRules,
          accountId: hub,
          ec2: hubEc2,
          logger: SILENT,
          events,
          now: () => new Date(),
          targets,
        },
        {
          regions: [SOURCE_REGION],
          dryRun: false,
          maxCopiesInFlight: options.cap,
          concurrency: options.itemConcurrency,
        },
      );

    say(
      `org: ${options.accounts} accounts × ${regions.length} regions × ${options.images} images, C ${options.concurrency}`,
    );
    // Untimed warm-up: the same work for the WARM accounts, so that the timed run, like the
    // calibration after it, runs compiled and optimised code; then full buckets and zero counters.
    const warmRules = orgRules(hub, regions, true);
    const warmTargets = new Map([['warm', WARM]]);
    await hubRun(warmTargets, warmRules);
    await runQueue(
      workItems(warmRules, warmTargets),
      (item) => runItem(item, warmRules),
      options.concurrency,
      needsAnotherRun,
    );
    const organizations = createOrganizationsFor({
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await resolveTargets(rules, hub, organizations); // its client built and its code compiled, untimed
    await emulator.reset();
    const loadBefore = loadavg()[0] ?? 0;
    const started = performance.now();
    const resolved = await resolveTargets(rules, hub, organizations);
    const resolvedAt = performance.now();
    const hubResults = await hubRun(resolved.accounts);
    const sharedAt = performance.now();
    const items = workItems(rules, resolved.accounts);
    const fanOutLoop = performance.eventLoopUtilization();
    const fanOutEmu = await emulator.load();
    const fanOutCpu = process.cpuUsage();
    const queue = await runQueue(items, (item) => runItem(item), options.concurrency, needsAnotherRun);
    const ended = performance.now();
    const toolLoop = performance.eventLoopUtilization(fanOutLoop);
    const toolFanOutCpu = process.cpuUsage(fanOutCpu);
    const fanOutEmuEnd = await emulator.load();
    const emuLoop = fanOutEmuEnd.activeMs - fanOutEmu.activeMs;
    const fanOutCpuMs =
      (toolFanOutCpu.user + toolFanOutCpu.system) / 1000 + fanOutEmuEnd.cpuMs - fanOutEmu.cpuMs;
    const wallMs = ended - started;
    const fanOutWallMs = ended - sharedAt;
    say(`org: ${items.length} items in ${((ended - sharedAt) / 1000).toFixed(1)} s`);

    const byAccountCounters = await emulator.accountCounters();
    const totals = totalsOf(await emulator.counters());
    const copiesStarted = await memberCopies(emulator.ownerStates, regions, hub);

    // τ, untimed: the calibration accounts are shared with, then run their items one at a time.
    // The hub shares the N sources with the calibration accounts: the same calls as the timed
    // sharing. The targets are resolved again first (τ_resolve).
    const targets = resolved.accounts.get('org') ?? [];
    await emulator.reset(); // full buckets: alone means unthrottled too
    const r0 = performance.now();
    await resolveTargets(rules, hub, organizations);
    const resolveAloneMs = performance.now() - r0;
    const h0 = performance.now();
    await hubRun(new Map([['org', [...targets, ...CALIBRATION]]]));
    const hubAloneMs = performance.now() - h0;
    const alone: number[] = [];
    const loop: number[] = [];
    const cpu: number[] = [];
    for (const item of workItems(rules, new Map([['org', CALIBRATION]]))) {
      const emu0 = await emulator.load();
      const t0 = performance.now();
      const elu0 = performance.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      await runItem(item);
      const toolLoop = performance.eventLoopUtilization(elu0).active;
      const toolCpu = process.cpuUsage(cpu0);
      alone.push(performance.now() - t0);
      const emu = await emulator.load();
      loop.push(Math.max(toolLoop, emu.activeMs - emu0.activeMs));
      cpu.push((toolCpu.user + toolCpu.system) / 1000 + emu.cpuMs - emu0.cpuMs);
    }
    const itemAloneMs = median(alone);
    const itemLoopMs = median(loop);
    const itemCpuMs = median(cpu);

    const boundInput: OrgBoundInput = {
      accounts: options.accounts,
      regions: regions.length,
      images: options.images,
      snapshotsPerImage: 1,
      concurrency: options.concurrency,
      buckets,
      itemSeconds: itemAloneMs / 1000,
      itemLoopSeconds: itemLoopMs / 1000,
      itemCpuSeconds: itemCpuMs / 1000,
      cores: availableParallelism(),
      hubRunSeconds: hubAloneMs / 1000,
      resolveSeconds: resolveAloneMs / 1000,
    };
    const bound = orgBound(boundInput);
    return {
      wallMs,
      loadAverage: [loadBefore, loadavg()[0] ?? 0],
      phasesMs: {
        resolve: resolvedAt - started,
        hub: sharedAt - resolvedAt,
        fanOut: ended - sharedAt,
      },
      bound,
      boundInput,
      buckets,
      itemAloneMs,
      itemLoopMs,
      itemCpuMs,
      hubAloneMs,
      fanOutLoop: {
        tool: toolLoop.utilization,
        emulator: fanOutWallMs > 0 ? emuLoop / fanOutWallMs : 0,
        toolPerItemMs: toolLoop.active / items.length,
        cpuPerItemMs: fanOutCpuMs / items.length,
      },
      itemMs: {
        median: median(queue.durationsMs),
        max: Math.max(0, ...queue.durationsMs),
      },
      items: items.length,
      redeliveries: queue.deliveries - items.length,
      skipped: queue.results.filter((r) => r.status === 'skipped').length,
      hubFailures: hubResults.reduce((n, r) => n + ('report' in r ? r.report.failures.length : 1), 0),
      targets: targets.length,
      calls: totals.reads + totals.writes + totals.throttledReads + totals.throttledWrites,
      totals,
      byAccount: Object.fromEntries(
        Object.entries(byAccountCounters).map(([account, counters]) => [
          account,
          Object.fromEntries(regions.map((region) => [region, totalsOf(counters, region)])),
        ]),
      ),
      hubAccountId: hub,
      copiesStarted,
      copiesExpected: options.accounts * regions.length * options.images,
    };
  } finally {
    await emulator.close();
  }
}

/** Copies the cap held back: the item is not done (the next delivery starts them). */
function needsAnotherRun(result: MemberResult): boolean {
  return result.status === 'done' && result.report.deferredCopies > 0;
}

/** Member-owned images, pending or available, over the regions. */
async function memberCopies(
  ownerStates: (region: string) => Promise<Record<string, Record<string, number>>>,
  regions: readonly string[],
  hub: string,
): Promise<number> {
  let n = 0;
  for (const region of regions) {
    for (const [owner, states] of Object.entries(await ownerStates(region))) {
      if (owner === hub || CALIBRATION.includes(owner) || WARM.includes(owner)) continue;
      n += (states.pending ?? 0) + (states.available ?? 0);
    }
  }
  return n;
}
