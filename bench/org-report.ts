import type { OrgOptions, OrgResult } from './org.js';
import { boundFormula } from './org-bound.js';
import { fixed, type Section } from './report.js';
import type { CallTotals } from './scale.js';

/**
 * How `bench/main.ts` prints an org run: a markdown section, or with `--json` one document
 * (`OrgJson`, its first six fields those the brief fixed). Both come from the same `OrgResult`.
 */

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const seconds = (ms: number) => round(ms / 1000, 3);

/** Calls of one (account, region): succeeded or failed, throttled apart. */
type Calls = CallTotals;

const all = (c: Calls) => c.reads + c.writes + c.throttledReads + c.throttledWrites;

/** Per region, a member account's calls there: the least, the most, over the accounts. */
function memberSpread(result: OrgResult): Record<string, { min: Calls; max: Calls }> {
  const out: Record<string, { min: Calls; max: Calls }> = {};
  for (const [account, regions] of Object.entries(result.byAccount)) {
    if (account === result.hubAccountId) continue;
    for (const [region, calls] of Object.entries(regions)) {
      const seen = out[region];
      if (seen === undefined) out[region] = { min: calls, max: calls };
      else {
        if (all(calls) < all(seen.min)) seen.min = calls;
        if (all(calls) > all(seen.max)) seen.max = calls;
      }
    }
  }
  return out;
}

/** What `medianRun` reads of a run. */
interface Timed {
  readonly wallMs: number;
  readonly bound: { readonly boundSeconds: number };
}

/** Wall / bound; undefined when the bound is 0 (nothing to divide by). */
const ratioOf = (run: Timed) =>
  run.bound.boundSeconds > 0 ? run.wallMs / 1000 / run.bound.boundSeconds : undefined;

/** A run's figures as the JSON gives them. */
const timing = (run: Timed) => {
  const ratio = ratioOf(run);
  return {
    wallSeconds: seconds(run.wallMs),
    boundSeconds: round(run.bound.boundSeconds, 3),
    ratio: ratio === undefined ? null : round(ratio, 3),
  };
};

/**
 * Of several whole runs (`--runs`), the one with the median wall / bound (the lower middle of an
 * even count): one run's ratio on a shared 2-core machine moves by ±0.15 with what else runs there,
 * so a figure worth quoting is a median, reported with every run's figures beside it.
 */
export function medianRun<T extends Timed>(results: readonly T[]): T {
  const key = (run: T) => ratioOf(run) ?? Number.POSITIVE_INFINITY;
  const sorted = [...results].sort((a, b) => key(a) - key(b));
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  if (chosen === undefined) throw new Error('medianRun needs at least one run');
  return chosen;
}

/** `result` is the reported run; `runs`, when there were several, every run in the order they ran. */
export function orgJson(options: OrgOptions, result: OrgResult, runs: readonly OrgResult[] = [result]) {
  const { bound } = result;
  const reported = timing(result);
  return {
    accounts: options.accounts,
    regions: options.regions,
    images: options.images,
    wallSeconds: reported.wallSeconds,
    boundSeconds: reported.boundSeconds,
    calls: result.calls,
    ratio: reported.ratio,
    runs: runs.map(timing),
    bound: boundFormula(result.boundInput, bound),
    terms: {
      hubBucketSeconds: round(bound.hubBucketSeconds, 3),
      hubAloneSeconds: seconds(result.hubAloneMs),
      memberBucketSeconds: round(bound.memberBucketSeconds, 3),
      waves: bound.waves,
      itemAloneSeconds: seconds(result.itemAloneMs),
      itemLoopSeconds: seconds(result.itemLoopMs),
      itemCpuSeconds: seconds(result.itemCpuMs),
      cores: result.boundInput.cores ?? 1,
      fanOutSeconds: round(bound.fanOutSeconds, 3),
      needs: {
        hub: bound.hub,
        memberRegion: bound.memberOtherRegion,
        memberSourceRegion: bound.memberSourceRegion,
      },
    },
    speed: options.speed,
    concurrency: options.concurrency,
    itemConcurrency: options.itemConcurrency,
    cap: options.cap,
    copyDelayMs: options.copyDelayMs,
    loadAverage: result.loadAverage.map((x) => round(x, 2)),
    phasesSeconds: {
      resolve: seconds(result.phasesMs.resolve),
      hub: seconds(result.phasesMs.hub),
      fanOut: seconds(result.phasesMs.fanOut),
    },
    fanOutLoop: {
      tool: round(result.fanOutLoop.tool, 3),
      emulator: round(result.fanOutLoop.emulator, 3),
      toolPerItemSeconds: seconds(result.fanOutLoop.toolPerItemMs),
      cpuPerItemSeconds: seconds(result.fanOutLoop.cpuPerItemMs),
    },
    itemSeconds: { median: seconds(result.itemMs.median), max: seconds(result.itemMs.max) },
    items: result.items,
    redeliveries: result.redeliveries,
    skipped: result.skipped,
    hubFailures: result.hubFailures,
    targets: result.targets,
    ...result.totals,
    copiesStarted: result.copiesStarted,
    copiesExpected: result.copiesExpected,
    converged:
      result.copiesStarted === result.copiesExpected && result.skipped === 0 && result.hubFailures === 0,
    hubCalls: result.byAccount[result.hubAccountId] ?? {},
    memberCallsByRegion: memberSpread(result),
    callsByAccount: result.byAccount,
  };
}

export function orgSection(
  options: OrgOptions,
  result: OrgResult,
  runs: readonly OrgResult[] = [result],
): Section {
  const json = orgJson(options, result, runs);
  const s = (x: number) => fixed(x, 2);
  const cell = (c: Calls) =>
    `${fixed(c.reads)} / ${fixed(c.writes)}${c.throttledReads + c.throttledWrites > 0 ? ` (+${c.throttledReads + c.throttledWrites} throttled)` : ''}`;
  return {
    title: 'Organization fan-out',
    notes: [
      `${options.images} source images of the hub in us-east-1, one rule targeting an OU of ${options.accounts} member accounts ` +
        `(half of them in a nested OU) in ${options.regions} regions, no hub copy. Timed: targets resolved through Organizations, ` +
        'the hub shares every source (launch permission, snapshot create-volume permission), then the A·R (account, region) ' +
        `items run ${options.concurrency} at a time (Lambda on SQS, maximum concurrency C, batch size 1), each \`reconcileMember\` as ` +
        `its own account (its EC2 calls on its own buckets, ${options.itemConcurrency} in flight, cap ${options.cap}), until every member copy is started. ` +
        `Buckets per (account, region): writes ${result.buckets.writes.capacity} + ${fixed(result.buckets.writes.refillPerSecond, 2)}/s, ` +
        `reads ${result.buckets.reads.capacity} + ${fixed(result.buckets.reads.refillPerSecond, 2)}/s (EC2's refill × ${options.speed}).`,
      `Bound: ${json.bound}.`,
    ],
    tables: [
      {
        head: ['figure', 'value'],
        numeric: [false, true],
        rows: [
          ['accounts × regions × images', `${options.accounts} × ${options.regions} × ${options.images}`],
          ['wall time (s)', s(json.wallSeconds)],
          ['bound (s)', s(json.boundSeconds)],
          ['wall / bound', json.ratio === null ? 'n/a' : s(json.ratio)],
          ...(json.runs.length > 1
            ? [
                [
                  `wall / bound of each of ${json.runs.length} runs (the median run reported)`,
                  json.runs.map((run) => (run.ratio === null ? 'n/a' : s(run.ratio))).join(', '),
                ],
              ]
            : []),
          [
            'resolve / hub / fan-out (s)',
            `${s(json.phasesSeconds.resolve)} / ${s(json.phasesSeconds.hub)} / ${s(json.phasesSeconds.fanOut)}`,
          ],
          [
            'an item alone: wall / event loop / CPU (s)',
            `${s(json.terms.itemAloneSeconds)} / ${s(json.terms.itemLoopSeconds)} / ${s(json.terms.itemCpuSeconds)}`,
          ],
          [
            'an item in the fan-out: median / max (s)',
            `${s(json.itemSeconds.median)} / ${s(json.itemSeconds.max)}`,
          ],
          [
            'fan-out: tool / emulator event loop busy',
            `${fixed(json.fanOutLoop.tool * 100)} % / ${fixed(json.fanOutLoop.emulator * 100)} %`,
          ],
          ['tool event-loop time per item in the fan-out (s)', s(json.fanOutLoop.toolPerItemSeconds)],
          ['CPU time per item in the fan-out, both processes (s)', s(json.fanOutLoop.cpuPerItemSeconds)],
          [
            'EC2 calls (reads / writes)',
            `${fixed(json.calls)} (${fixed(json.reads)} / ${fixed(json.writes)})`,
          ],
          ['throttled (retried)', fixed(json.throttledReads + json.throttledWrites)],
          ['items / redeliveries / skipped', `${json.items} / ${json.redeliveries} / ${json.skipped}`],
          ['member copies started', `${fixed(json.copiesStarted)} of ${fixed(json.copiesExpected)}`],
        ],
      },
      {
        caption:
          'EC2 calls per (account, region), reads / writes (succeeded or failed; throttled apart): the hub, and the least and most of a member account:',
        head: ['region', 'hub', 'member (least)', 'member (most)'],
        numeric: [false, true, true, true],
        rows: Object.entries(json.memberCallsByRegion).map(([region, spread]) => {
          const hub = json.hubCalls[region];
          return [region, hub === undefined ? '0 / 0' : cell(hub), cell(spread.min), cell(spread.max)];
        }),
      },
    ],
  };
}
