import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_REGIONS } from '@ami-lifecycle/emulator/ec2/index.js';
import { stringify } from 'yaml';
import { z } from 'zod';
import { loadRulesFile } from '../shared/rules/load.js';
import {
  designMinimum,
  readsOf,
  type StrictMinimum,
  strictMinimum,
  sumOf,
  WRITES,
} from './economy-minimum.js';
import { fixed, progress, type Section, type Table } from './report.js';

/**
 * API economy: the EC2 calls the event path makes to distribute ONE AMI with `snapshots` EBS
 * snapshots from us-east-1 to R target regions, shared with S accounts and with snapshot
 * permissions, for each R asked (1, 3 and 8 by default), against the strict minimum EC2 allows
 * and, beside it, the minimum this design needs (both derived in `bench/economy-minimum.ts`).
 *
 * How: for each R a rules file is generated (one rule, matching `economy-*` in us-east-1, copying to
 * the emulator's first R other regions, sharing with S accounts, `snapshotPermissions: true`, one
 * image tag inherited by the snapshots) and `bench/economy-worker.ts` runs it in a fresh process
 * against the local stack, as `npm start` does: the source is seeded and made available, the real
 * handler runs on its event and on each copy's, until nothing is pending. The emulator counts every
 * call by action and region (throttled and failed ones included).
 *
 *   npm run bench -- economy [--regions 1,3,8] [--shares 2] [--snapshots 2] [--json]
 */

const ROOT = resolve(import.meta.dirname, '..');
const WORKER = join(ROOT, 'bench/economy-worker.ts');

export const SOURCE_REGION = 'us-east-1';
export const SOURCE_NAME = 'economy-2026.11.26';

/** What the worker prints (its last stdout line, JSON), checked by `parseWorkerResult`. */
const WorkerResultSchema = z.object({
  /** action → calls (throttled and failed included), summed over regions. */
  calls: z.record(z.string(), z.number().int().nonnegative()),
  throttled: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Handler invocations, Lambda-style retries included: R + 1 state changes and one notify when nothing fails. */
  invocations: z.number().int().nonnegative(),
  problems: z.array(z.string()),
});

export type WorkerResult = z.infer<typeof WorkerResultSchema>;

/** The worker's result from its stdout; throws, quoting the line, when it is not one. */
export function parseWorkerResult(stdout: string): WorkerResult {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return WorkerResultSchema.parse(JSON.parse(line));
  } catch (error) {
    throw new Error(`economy worker: unexpected output ${JSON.stringify(line.slice(0, 200))}`, {
      cause: error,
    });
  }
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
  readonly strict: StrictMinimum;
  /** action → the least calls this design needs. */
  readonly design: Record<string, number>;
}

export interface EconomyResult {
  readonly options: EconomyOptions;
  readonly runs: readonly EconomyRun[];
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
  return parseWorkerResult(stdout);
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
      runs.push({
        ...result,
        regions,
        strict: strictMinimum(regions, options.snapshots),
        design: designMinimum(regions, options.snapshots),
      });
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

/** measured / minimum to 2 decimals; `extra` when the minimum is 0 and something was called. */
function ratioOf(measured: number, minimum: number): string {
  if (minimum === 0) return measured === 0 ? '1.00' : 'extra';
  return fixed(measured / minimum, 2);
}

/** measured / minimum rounded to 3 decimals, null when the minimum is 0 (JSON has no infinity). */
function ratioValue(measured: number, minimum: number): number | null {
  return minimum > 0 ? Math.round((measured / minimum) * 1000) / 1000 : null;
}

/** Every action measured or in either minimum: writes first, then reads, each by name. */
function actionsOf(run: EconomyRun): string[] {
  return [
    ...new Set([...Object.keys(run.strict.byAction), ...Object.keys(run.design), ...Object.keys(run.calls)]),
  ].sort((a, b) => Number(WRITES.includes(b)) - Number(WRITES.includes(a)) || a.localeCompare(b));
}

/** One row of `--json`: the figures of one R. `byAction` sums the EC2 calls over every region. */
export interface EconomyJsonRow {
  readonly regions: number;
  readonly images: number;
  /** EC2 calls, every action and region, throttled and failed ones included. */
  readonly calls: number;
  readonly writes: number;
  readonly reads: number;
  readonly strictMinimum: number;
  readonly strictWrites: number;
  readonly strictReads: number;
  readonly strictMinimumWithCompletion: number;
  /** calls / strictMinimum. */
  readonly ratio: number | null;
  readonly designMinimum: number;
  readonly byAction: Readonly<Record<string, number>>;
  readonly strictByAction: Readonly<Record<string, number>>;
  readonly designByAction: Readonly<Record<string, number>>;
  readonly invocations: number;
  readonly throttled: number;
  readonly failed: number;
  readonly converged: boolean;
  readonly problems: readonly string[];
}

export interface EconomyJson {
  readonly options: EconomyOptions;
  readonly rows: readonly EconomyJsonRow[];
}

/** `npm run bench -- economy --json`: one document, a row per R. */
export function economyJson(result: EconomyResult): EconomyJson {
  return {
    options: result.options,
    rows: result.runs.map((run) => {
      const actions = actionsOf(run);
      const calls = sumOf(run.calls, actions);
      return {
        regions: run.regions,
        images: run.regions + 1,
        calls,
        writes: sumOf(run.calls, WRITES),
        reads: sumOf(run.calls, readsOf(actions)),
        strictMinimum: run.strict.total,
        strictWrites: run.strict.writes,
        strictReads: run.strict.reads,
        strictMinimumWithCompletion: run.strict.withCompletion,
        ratio: ratioValue(calls, run.strict.total),
        designMinimum: sumOf(run.design, actions),
        byAction: run.calls,
        strictByAction: run.strict.byAction,
        designByAction: run.design,
        invocations: run.invocations,
        throttled: run.throttled,
        failed: run.failed,
        converged: run.problems.length === 0,
        problems: distinct(run.problems),
      };
    }),
  };
}

function runTable(run: EconomyRun): Table {
  const actions = actionsOf(run);
  const writes = actions.filter((a) => WRITES.includes(a));
  const reads = readsOf(actions);
  const row = (label: string, keys: readonly string[]) => {
    const measured = sumOf(run.calls, keys);
    const strict = sumOf(run.strict.byAction, keys);
    return [
      label,
      String(measured),
      String(strict),
      ratioOf(measured, strict),
      String(sumOf(run.design, keys)),
    ];
  };
  return {
    caption: `**R = ${run.regions}** (${run.regions + 1} images)${run.problems.length > 0 ? ` — NOT CONVERGED: ${distinct(run.problems).join('; ')}` : ''}`,
    head: ['action', 'measured', 'strict minimum', 'measured / strict', 'design minimum'],
    numeric: [false, true, true, true, true],
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
  const { options } = result;
  const summary: Table = {
    head: [
      'target regions R',
      'images',
      'handler invocations',
      'calls',
      'strict minimum',
      'ratio',
      'writes / strict',
      'reads / strict',
      'strict + completion',
      'design minimum',
      'throttled',
      'converged',
    ],
    numeric: [true, true, true, true, true, true, true, true, true, true, true, false],
    rows: economyJson(result).rows.map((row) => [
      String(row.regions),
      String(row.images),
      String(row.invocations),
      String(row.calls),
      String(row.strictMinimum),
      ratioOf(row.calls, row.strictMinimum),
      `${row.writes} / ${row.strictWrites}`,
      `${row.reads} / ${row.strictReads}`,
      String(row.strictMinimumWithCompletion),
      String(row.designMinimum),
      String(row.throttled),
      row.converged ? 'yes' : 'NO',
    ]),
  };
  return {
    title: 'API economy',
    notes: [
      `EC2 calls the event path makes to distribute one AMI (${options.snapshots} EBS snapshots, us-east-1) to R target ` +
        `regions, shared with ${options.shares} accounts and \`snapshotPermissions: true\`: the real handler on the source's ` +
        "`available` event and on each copy's, against the local emulator (its per-action counters, every region), one fresh " +
        `process per R (copies pending ${options.copyDelayMs} ms).`,
      `Strict minimum (n = ${options.snapshots} snapshots, I = R + 1 images), derived in \`bench/economy-minimum.ts\`: ` +
        'writes R + 1 + (n + 1)·I (CopyImage R, whose TagSpecifications tag each copy and its snapshots; one CreateTags ' +
        'for the source and its snapshots; ModifyImageAttribute I; ModifySnapshotAttribute n·I) and reads I (one ' +
        'DescribeImages per image whose event arrives). Announcing completion adds I reads (strict + completion). ' +
        'The design minimum is the strict minimum and the announcement tag on the source (completion itself reads ' +
        'no EC2: each handler records its region done). An action the strict minimum does not have shows as `extra`.',
    ],
    tables: [summary, ...result.runs.map(runTable)],
  };
}
