import { execFileSync } from 'node:child_process';
import { arch, availableParallelism, cpus, platform } from 'node:os';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  type ColdStartOptions,
  type ColdStartResult,
  coldStartJson,
  coldStartSection,
  runColdStart,
} from './coldstart.js';
import {
  type EconomyOptions,
  type EconomyResult,
  economyJson,
  economySection,
  runEconomy,
} from './economy.js';
import { type LocalOptions, localSection, runLocal } from './local.js';
import { type OrgOptions, type OrgResult, runOrg } from './org.js';
import { medianRun, orgJson, orgSection } from './org-report.js';
import { progress, renderSection, type Section } from './report.js';
import { runScale, type ScaleOptions, type ScaleResult } from './scale.js';
import { scaleJson, scaleSection } from './scale-report.js';
import { runValidate, type ValidateOptions, validateJson, validateSection } from './validate.js';

/**
 * `npm run bench`: the benchmarks, printed as one markdown document on stdout (progress on
 * stderr), or with `--json` as one JSON document. Figures are printed, never asserted.
 *
 *   npm run bench [--json]                 all of them, with the defaults below (a few minutes)
 *   npm run bench -- coldstart [--runs 15] [--json]
 *   npm run bench -- economy [--regions 1,3,8] [--shares 2] [--snapshots 2] [--json]
 *   npm run bench -- scale [--images 200] [--speed 1] [--cap 90] [--targets 8] ... [--json]
 *   npm run bench -- org [--accounts 10] [--regions 4] [--images 20] [--speed 1] [--concurrency 10] ... [--runs 1] [--json]
 *   npm run bench -- local [--runs 3]
 *   npm run bench -- validate [--sizes 1000,2000,4000,10000] [--runs 3] [--json]
 */

const ROOT = resolve(import.meta.dirname, '..');

const DEFAULTS = {
  coldstart: { runs: 15 } satisfies ColdStartOptions,
  economy: { regionCounts: [1, 3, 8], shares: 2, snapshots: 2, copyDelayMs: 200 } satisfies EconomyOptions,
  // 200 images at EC2's real refill rates: the bound is 70 s, so the full run stays within minutes.
  scale: { images: 200, speed: 1, cap: 90, concurrency: 8, copyDelayMs: 100 } satisfies ScaleOptions,
  // 10 accounts × 4 regions × 20 images: 40 items, some 5 s timed (15 s with setup and calibration).
  // C 10: the member-work queue's maximum concurrency the deployment sets by default; item
  // concurrency 8 and cap 20: the product's RECONCILE_CONCURRENCY and MAX_COPIES_IN_FLIGHT defaults.
  org: {
    accounts: 10,
    regions: 4,
    images: 20,
    speed: 1,
    concurrency: 10,
    itemConcurrency: 8,
    cap: 20,
    copyDelayMs: 100,
  } satisfies OrgOptions,
  local: { runs: 3 } satisfies LocalOptions,
  validate: { sizes: [1_000, 2_000, 4_000, 10_000], runs: 3 } satisfies ValidateOptions,
};

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function positiveInteger(value: string): number {
  const n = positive(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

function integerList(value: string): number[] {
  return value.split(',').map((v) => positiveInteger(v.trim()));
}

/** The first lines of the document: when, where, on what. */
function header(what: string): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout: leave it unknown
  }
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return [
    '# ami-lifecycle benchmarks',
    `${what}. ${new Date().toISOString()}, commit ${commit}; Node.js ${process.version} on ${platform()} ${arch()}, ` +
      `${availableParallelism()} × ${cpu}.`,
  ].join('\n\n');
}

function print(what: string, sections: readonly Section[]): void {
  process.stdout.write(`${[header(what), ...sections.map(renderSection)].join('\n\n')}\n`);
}

/** `--json`: the one document on stdout, nothing else. */
function printJson(document: unknown): void {
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}

async function coldstart(options: ColdStartOptions): Promise<ColdStartResult> {
  return runColdStart(options);
}

async function economy(options: EconomyOptions): Promise<EconomyResult> {
  return runEconomy(options);
}

async function scale(options: ScaleOptions): Promise<ScaleResult> {
  progress(
    `scale: ${options.images} images to ${options.targets ?? 8} regions, buckets at speed ${options.speed}`,
  );
  const result = await runScale({
    ...options,
    onRun: (region, run, summary) => {
      const planned = Object.entries(summary.planned)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ');
      progress(
        `scale: ${region} run ${run}: ${planned || 'nothing planned'}, ${summary.failures} failure(s)`,
      );
    },
  });
  progress(
    `scale: ${result.converged ? 'converged' : 'NOT converged'} in ${(result.wallMs / 1000).toFixed(1)} s ` +
      `(bound ${(result.boundMs / 1000).toFixed(1)} s)`,
  );
  return result;
}

async function org(options: OrgOptions): Promise<OrgResult> {
  const result = await runOrg({ ...options, onProgress: progress });
  progress(
    `org: ${result.copiesStarted} of ${result.copiesExpected} member copies started in ${(result.wallMs / 1000).toFixed(1)} s ` +
      `(bound ${result.bound.boundSeconds.toFixed(1)} s)`,
  );
  return result;
}

async function local(options: LocalOptions): Promise<Section> {
  return localSection(await runLocal(options));
}

const program = new Command()
  .name('npm run bench --')
  .description(
    'ami-lifecycle benchmarks: one markdown document on stdout, progress on stderr. Without a command, runs them all with their defaults.',
  )
  // `--json` before a command is the program's, after it the command's.
  .enablePositionalOptions()
  .option('--json', 'print one JSON document instead of markdown')
  .action(async (opts: { json?: boolean }) => {
    const coldstartResult = await coldstart(DEFAULTS.coldstart);
    const economyResult = await economy(DEFAULTS.economy);
    const scaleResult = await scale(DEFAULTS.scale);
    const orgResult = await org(DEFAULTS.org);
    const localSection = await local(DEFAULTS.local);
    const validateRows = runValidate(DEFAULTS.validate);
    if (opts.json === true) {
      // The benchmarks without a JSON form of their own give their markdown section's content.
      printJson({
        coldstart: coldStartJson(coldstartResult),
        economy: economyJson(economyResult),
        scale: scaleJson(DEFAULTS.scale, scaleResult),
        org: orgJson(DEFAULTS.org, orgResult),
        local: localSection,
        validate: validateJson(validateRows),
      });
      return;
    }
    print('All the benchmarks (`npm run bench`), default parameters', [
      coldStartSection(coldstartResult),
      economySection(economyResult),
      scaleSection(DEFAULTS.scale, scaleResult),
      orgSection(DEFAULTS.org, orgResult),
      localSection,
      validateSection(DEFAULTS.validate, validateRows),
    ]);
  });

program
  .command('coldstart')
  .description(
    'whole-process start-up: bare node, a naive EC2 + EventBridge bundle, each packaged handler, the CLI',
  )
  .option('--runs <n>', 'counted runs of each process', positiveInteger, DEFAULTS.coldstart.runs)
  .option('--json', 'print one JSON document (the figures and the targets) instead of markdown')
  .action(async (opts: ColdStartOptions & { json?: boolean }) => {
    const { json, ...options } = opts;
    const result = await coldstart(options);
    if (json === true) printJson(coldStartJson(result));
    else print('Cold start (`npm run bench -- coldstart`)', [coldStartSection(result)]);
  });

program
  .command('economy')
  .description('EC2 calls to distribute one AMI to R regions, against the minimum the design needs')
  .option(
    '--regions <list>',
    'target region counts, comma-separated',
    integerList,
    DEFAULTS.economy.regionCounts,
  )
  .option('--shares <n>', 'accounts the rule shares with', positiveInteger, DEFAULTS.economy.shares)
  .option('--snapshots <n>', 'EBS snapshots of the source image', integer, DEFAULTS.economy.snapshots)
  .option(
    '--copy-delay-ms <ms>',
    'how long an emulated copy stays pending',
    integer,
    DEFAULTS.economy.copyDelayMs,
  )
  .option('--json', 'print one JSON document, {"rows": [...]}, instead of markdown')
  .action(
    async (opts: {
      regions: number[];
      shares: number;
      snapshots: number;
      copyDelayMs: number;
      json?: boolean;
    }) => {
      const { regions, json, ...rest } = opts;
      const result = await economy({ regionCounts: regions, ...rest });
      if (json === true) printJson(economyJson(result));
      else print('API economy (`npm run bench -- economy`)', [economySection(result)]);
    },
  );

program
  .command('scale')
  .description(
    "N source images distributed by the scheduled reconcile to scale.yaml's 8 regions, under EC2 throttling",
  )
  .option('--images <n>', 'source images', positiveInteger, DEFAULTS.scale.images)
  .option(
    '--speed <x>',
    "multiplies the token buckets' refill rates (1 = EC2's defaults)",
    positive,
    DEFAULTS.scale.speed,
  )
  .option('--cap <n>', 'maxCopiesInFlight per region', positiveInteger, DEFAULTS.scale.cap)
  .option('--concurrency <n>', 'EC2 calls in flight per region', positiveInteger, DEFAULTS.scale.concurrency)
  .option(
    '--copy-delay-ms <ms>',
    'how long an emulated copy stays pending',
    positive,
    DEFAULTS.scale.copyDelayMs,
  )
  .option('--targets <n>', "copy to this many regions instead of scale.yaml's 8", positiveInteger)
  .option('--json', 'print one JSON document instead of markdown')
  .action(async (opts: ScaleOptions & { json?: boolean }) => {
    const { json, ...options } = opts;
    const result = await scale(options);
    if (json === true) printJson(scaleJson(options, result));
    else print('Reconcile at scale (`npm run bench -- scale`)', [scaleSection(options, result)]);
  });

program
  .command('org')
  .description(
    "the organization fan-out: an OU's accounts × regions, each (account, region) copying the hub's shared sources as its own account, C at a time",
  )
  .option('--accounts <n>', 'member accounts under the OU (A)', positiveInteger, DEFAULTS.org.accounts)
  .option(
    '--regions <n>',
    "the rule's accounts.regions (R), us-east-1 (the source region) first",
    positiveInteger,
    DEFAULTS.org.regions,
  )
  .option('--images <n>', 'source images (N)', positiveInteger, DEFAULTS.org.images)
  .option(
    '--speed <x>',
    "multiplies the token buckets' refill rates (1 = EC2's defaults)",
    positive,
    DEFAULTS.org.speed,
  )
  .option(
    '--concurrency <n>',
    "work items in flight at once (C: the queue's maximum concurrency)",
    positiveInteger,
    DEFAULTS.org.concurrency,
  )
  .option(
    '--item-concurrency <n>',
    'EC2 calls in flight within one item',
    positiveInteger,
    DEFAULTS.org.itemConcurrency,
  )
  .option('--cap <n>', 'maxCopiesInFlight per (account, region)', positiveInteger, DEFAULTS.org.cap)
  .option(
    '--copy-delay-ms <ms>',
    'how long an emulated copy stays pending',
    integer,
    DEFAULTS.org.copyDelayMs,
  )
  .option(
    '--runs <n>',
    'whole runs, each with its own emulator: the run with the median wall / bound is reported, every run listed',
    positiveInteger,
    1,
  )
  .option('--json', 'print one JSON document instead of markdown')
  .action(async (opts: OrgOptions & { runs: number; json?: boolean }) => {
    const { json, runs: count, ...options } = opts;
    const runs: OrgResult[] = [];
    for (let i = 0; i < count; i++) runs.push(await org(options));
    const result = medianRun(runs);
    if (json === true) printJson(orgJson(options, result, runs));
    else print('Organization fan-out (`npm run bench -- org`)', [orgSection(options, result, runs)]);
  });

program
  .command('validate')
  .description('reading and validating rules files of 1,000 to 10,000 rules (YAML and packaged JSON)')
  .option('--sizes <list>', 'rule counts, comma-separated', integerList, DEFAULTS.validate.sizes)
  .option('--runs <n>', 'runs per size (the median is reported)', positiveInteger, DEFAULTS.validate.runs)
  .option('--json', 'print one JSON document, {"rows": [...]}, instead of markdown')
  .action((opts: { sizes: number[]; runs: number; json?: boolean }) => {
    const options = { sizes: opts.sizes, runs: opts.runs };
    const rows = runValidate(options);
    if (opts.json === true) printJson(validateJson(rows));
    else print('Rules validation (`npm run bench -- validate`)', [validateSection(options, rows)]);
  });

program
  .command('local')
  .description('wall time of `npm start`')
  .option('--runs <n>', 'runs (the median is reported)', positiveInteger, DEFAULTS.local.runs)
  .action(async (opts: LocalOptions) => {
    print('Local run (`npm run bench -- local`)', [await local(opts)]);
  });

// `npm run bench -- --images 1000 --speed 1`, the form before subcommands: the scale benchmark.
const args = process.argv.slice(2);
const SCALE_FLAGS = ['--images', '--speed', '--cap', '--concurrency', '--copy-delay-ms', '--targets'];
if (
  args[0] !== undefined &&
  SCALE_FLAGS.some((flag) => args[0] === flag || args[0]?.startsWith(`${flag}=`))
) {
  progress('scale flags without a command: running `scale` (write `npm run bench -- scale ...`)');
  args.unshift('scale');
}

await program.parseAsync(args, { from: 'user' });
