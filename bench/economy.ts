import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { DEFAULT_REGIONS } from '../local/ec2/index.js';
import { loadRulesFile } from '../shared/rules/load.js';
import { fixed, progress, type Section, type Table } from './report.js';

/**
 * API economy: the EC2 calls the event path makes to distribute ONE AMI with `snapshots` EBS
 * snapshots from us-east-1 to R target regions, shared with S accounts and with snapshot
 * permissions, for each R asked (1, 3 and 8 by default), against the least this design needs.
 *
 * How: for each R a rules file is generated (one rule, matching `economy-*` in us-east-1, copying to
 * the emulator's first R other regions, sharing with S accounts, `snapshotPermissions: true`, one
 * image tag inherited by the snapshots) and `bench/economy-worker.ts` runs it in a fresh process
 * against the local stack, as `npm start` does: the source is seeded and made available, the real
 * handler runs on its event and on each copy's, until nothing is pending. The emulator counts every
 * call by action and region (throttled and failed ones included).
 *
 * The minimum, per action, with n snapshots per image and I = R + 1 images (the source and R copies).
 * It is what the design — observe, plan only what differs, apply — cannot do without, not what
 * EC2 could be made to do blindly:
 *
 * Writes
 * - CopyImage: R. One per target region; CopyImage's TagSpecifications tag each copy and its
 *   snapshots at creation, so copies need no CreateTags.
 * - CreateTags: 1. One call tags the source image and all n snapshots, since the rule gives them the
 *   same tags (a rule with snapshot-only tags needs a second call: CreateTags puts one tag set on
 *   all its resources).
 * - ModifyImageAttribute: I. Launch permissions are per image and images are regional; one call
 *   adds every account (and organization, OU) at once.
 * - ModifySnapshotAttribute: n × I. createVolumePermission takes one snapshot per call.
 *
 * Reads (every action is planned from what is there, so a repeated event writes nothing)
 * - DescribeImages: 2R + 1. The source's event carries only its id and state: one call for its
 *   name, owner, tags and snapshots, to match a rule. One per target region for copies already
 *   there (an earlier delivery, the scheduled reconcile, a pending copy): CopyImage's ClientToken
 *   only deduplicates the same request, and EC2 has no cross-region listing. One per copy, on the
 *   copy's own event (its lineage tags identify it without reading the source).
 * - DescribeImageAttribute: I. Launch permissions are not in DescribeImages; one call per image.
 * - DescribeSnapshots: I. The snapshots' tags, all of an image's snapshots in one call.
 * - DescribeSnapshotAttribute: n × I. createVolumePermission, one snapshot per call.
 *
 *
 * Announcing completion (`AMI Distribution Completed`, once, when every region has an available,
 * shared and tagged copy), after the last copy's own changes:
 * - DescribeImages: R + 1. The source, which the copy's event does not carry, and one listing per
 *   target region to see that every copy is available (copies finish in any order, so the last
 *   one cannot know it is last without looking).
 * - DescribeImageAttribute I, DescribeSnapshots I, DescribeSnapshotAttribute n × I: the family
 *   observed in full once, since another region's handler may not have shared its copy yet.
 * - CreateTags: 1, the announcement tag on the source, so later observers read nothing.
 * The measured figure is higher: every copy's event makes the cheap check (the source, then target
 * regions one by one until one has no available copy yet), since none knows it is the last; only
 * one of them (the claim holder) reads the family in full.
 *
 * Total: writes R + 2 + (n + 1)·I, reads 3R + 2 + 2(n + 2)·I; with n = 2 that is 60 calls for R = 3.
 * S does not change the count as long as S ≥ 1 (one ModifyImageAttribute carries every account).
 *
 *   npm run bench -- economy [--regions 1,3,8] [--shares 2] [--snapshots 2]
 */

const ROOT = resolve(import.meta.dirname, '..');
const WORKER = join(ROOT, 'bench/economy-worker.ts');

export const SOURCE_REGION = 'us-east-1';
export const SOURCE_NAME = 'economy-2026.11.26';

export const WRITES = ['CopyImage', 'CreateTags', 'ModifyImageAttribute', 'ModifySnapshotAttribute'];

/** What the worker prints (one JSON line). */
export interface WorkerResult {
  /** action → calls (throttled and failed included), summed over regions. */
  readonly calls: Record<string, number>;
  readonly throttled: number;
  readonly failed: number;
  /** Handler invocations, Lambda-style retries included: R + 1 state changes and one notify when nothing fails. */
  readonly invocations: number;
  readonly problems: readonly string[];
}

export interface EconomyOptions {
  /** Target region counts to measure, each a separate run. */
  regionCounts: number[];
  /** Accounts the rule shares with. */
  shares: number;
  /** EBS snapshots of the source image. */
  snapshots: number;
  copyDelayMs: number;
}

export interface EconomyRun extends WorkerResult {
  readonly regions: number;
  readonly minimum: Record<string, number>;
}

export interface EconomyResult {
  readonly options: EconomyOptions;
  readonly runs: readonly EconomyRun[];
}

/** The least calls per action this design needs (see the file's comment for why each). */
export function minimumCalls(regions: number, snapshots: number): Record<string, number> {
  const images = regions + 1;
  return {
    CopyImage: regions,
    CreateTags: 2,
    ModifyImageAttribute: images,
    ModifySnapshotAttribute: snapshots * images,
    DescribeImages: 3 * regions + 2,
    DescribeImageAttribute: 2 * images,
    DescribeSnapshots: snapshots > 0 ? 2 * images : 0,
    DescribeSnapshotAttribute: 2 * snapshots * images,
  };
}

function shareAccounts(count: number): string[] {
  const known = ['444455556666', '777788889999'];
  return Array.from({ length: count }, (_, i) => known[i] ?? String(100000000000 + i));
}

export function economyRules(regions: number, shares: number): unknown {
  const targets = DEFAULT_REGIONS.filter((r) => r !== SOURCE_REGION).slice(0, regions);
  if (targets.length < regions) {
    throw new Error(`--regions: the emulator has ${targets.length} regions besides ${SOURCE_REGION}`);
  }
  return {
    version: 1,
    rules: [
      {
        name: 'economy',
        description: `One AMI to ${regions} region(s), shared with ${shares} account(s) and their snapshots.`,
        match: { regions: [SOURCE_REGION], owners: ['self'], names: ['economy-*'] },
        copy: { regions: targets, name: '{name}', copyTags: true, tags: { distribution: 'economy' } },
        share: { accounts: shareAccounts(shares), snapshotPermissions: true },
        tags: { image: { owner: 'platform-team' } },
      },
    ],
  };
}

const execFileAsync = promisify(execFile);

async function measure(rulesFile: string, options: EconomyOptions): Promise<WorkerResult> {
  // The worker's stack sets the endpoint and credentials; nothing AWS_* from here may override them.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', WORKER, rulesFile, String(options.snapshots), String(options.copyDelayMs)],
    { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as WorkerResult;
}

export async function runEconomy(options: EconomyOptions): Promise<EconomyResult> {
  if (options.shares < 1) throw new Error('--shares must be at least 1');
  const dir = await mkdtemp(join(tmpdir(), 'ami-lifecycle-economy-'));
  try {
    const runs: EconomyRun[] = [];
    for (const regions of options.regionCounts) {
      const rulesFile = join(dir, `rules-r${regions}.yaml`);
      await writeFile(rulesFile, stringify(economyRules(regions, options.shares)));
      loadRulesFile(rulesFile); // fails here, with the reason, if the generated file does not validate
      progress(`economy: one AMI to ${regions} region(s), ${options.shares} share(s) (${rulesFile})`);
      const result = await measure(rulesFile, options);
      for (const problem of distinct(result.problems)) progress(`economy: R=${regions}: ${problem}`);
      runs.push({ ...result, regions, minimum: minimumCalls(regions, options.snapshots) });
    }
    return { options, runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each problem once, with how many times it happened. */
function distinct(problems: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const p of problems) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].map(([p, n]) => (n > 1 ? `${p} (×${n})` : p));
}

function sum(values: Record<string, number>, keys: readonly string[]): number {
  return keys.reduce((n, k) => n + (values[k] ?? 0), 0);
}

function ratioOf(measured: number, minimum: number): string {
  if (minimum === 0) return measured === 0 ? '1.00' : 'extra';
  return fixed(measured / minimum, 2);
}

function runTable(run: EconomyRun): Table {
  const actions = [...new Set([...Object.keys(run.minimum), ...Object.keys(run.calls)])].sort(
    (a, b) => Number(WRITES.includes(b)) - Number(WRITES.includes(a)) || a.localeCompare(b),
  );
  const writes = actions.filter((a) => WRITES.includes(a));
  const reads = actions.filter((a) => !WRITES.includes(a));
  const row = (label: string, keys: readonly string[]) => {
    const measured = sum(run.calls, keys);
    const minimum = sum(run.minimum, keys);
    return [label, String(measured), String(minimum), ratioOf(measured, minimum)];
  };
  return {
    caption: `**R = ${run.regions}** (${run.regions + 1} images)${run.problems.length > 0 ? ` — NOT CONVERGED: ${distinct(run.problems).join('; ')}` : ''}`,
    head: ['action', 'measured', 'minimum', 'measured / minimum'],
    numeric: [false, true, true, true],
    rows: [
      ...writes.map((a) => row(a, [a])),
      row('**writes**', writes),
      ...reads.map((a) => row(a, [a])),
      row('**reads**', reads),
      row('**total**', actions),
    ],
  };
}

export function economySection(result: EconomyResult): Section {
  const { options, runs } = result;
  const summary: Table = {
    head: [
      'target regions R',
      'images',
      'handler invocations',
      'calls',
      'minimum',
      'ratio',
      'writes / min',
      'reads / min',
      'throttled',
      'converged',
    ],
    numeric: [true, true, true, true, true, true, true, true, true, false],
    rows: runs.map((run) => {
      const actions = [...new Set([...Object.keys(run.minimum), ...Object.keys(run.calls)])];
      const reads = actions.filter((a) => !WRITES.includes(a));
      const total = sum(run.calls, actions);
      const minimum = sum(run.minimum, actions);
      return [
        String(run.regions),
        String(run.regions + 1),
        String(run.invocations),
        String(total),
        String(minimum),
        ratioOf(total, minimum),
        `${sum(run.calls, WRITES)} / ${sum(run.minimum, WRITES)}`,
        `${sum(run.calls, reads)} / ${sum(run.minimum, reads)}`,
        String(run.throttled),
        run.problems.length === 0 ? 'yes' : 'NO',
      ];
    }),
  };
  return {
    title: 'API economy',
    notes: [
      `EC2 calls the event path makes to distribute one AMI (${options.snapshots} EBS snapshots, us-east-1) to R target ` +
        `regions, shared with ${options.shares} accounts and \`snapshotPermissions: true\`: the real handler on the source's ` +
        "`available` event and on each copy's, against the local emulator (its per-action counters, every region), one fresh " +
        `process per R (copies pending ${options.copyDelayMs} ms).`,
      `Minimum (n = ${options.snapshots} snapshots, I = R + 1 images), justified in \`bench/economy.ts\`: CopyImage R; ` +
        'CreateTags 2 (the source, then its announcement tag); ModifyImageAttribute I; ModifySnapshotAttribute n·I; ' +
        'DescribeImages 3R + 2; DescribeImageAttribute 2I; DescribeSnapshots 2I; DescribeSnapshotAttribute 2n·I (the ' +
        'second I-terms: the family observed in full once, to announce its completion). An action the minimum does ' +
        'not have shows as `extra`.',
    ],
    tables: [summary, ...runs.map(runTable)],
  };
}
