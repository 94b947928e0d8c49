import { execFileSync } from 'node:child_process';
import { arch, availableParallelism, cpus, platform } from 'node:os';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { type ColdStartOptions, coldStartSection, runColdStart } from './coldstart.js';
import { type EconomyOptions, economySection, runEconomy } from './economy.js';
import { type LocalOptions, localSection, runLocal } from './local.js';
import { progress, renderSection, type Section } from './report.js';
import { runScale, type ScaleOptions, scaleSection } from './scale.js';

/**
 * `npm run bench`: the benchmarks, printed as one markdown document on stdout (progress on
 * stderr). Figures are printed, never asserted.
 *
 *   npm run bench                          all four, with the defaults below (a few minutes)
 *   npm run bench -- coldstart [--runs 15]
 *   npm run bench -- economy [--regions 1,3,8] [--shares 2] [--snapshots 2]
 *   npm run bench -- scale [--images 200] [--speed 1] [--cap 90] [--targets 8] ...
 *   npm run bench -- local [--runs 3]
 */

const ROOT = resolve(import.meta.dirname, '..');

const DEFAULTS = {
  coldstart: { runs: 15 } satisfies ColdStartOptions,
  economy: { regionCounts: [1, 3, 8], shares: 2, snapshots: 2, copyDelayMs: 200 } satisfies EconomyOptions,
  // 200 images at EC2's real refill rates: the bound is 70 s, so the full run stays within minutes.
  scale: { images: 200, speed: 1, cap: 90, concurrency: 8, copyDelayMs: 100 } satisfies ScaleOptions,
  local: { runs: 3 } satisfies LocalOptions,
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

async function coldstart(options: ColdStartOptions): Promise<Section> {
  return coldStartSection(await runColdStart(options));
}

async function economy(options: EconomyOptions): Promise<Section> {
  return economySection(await runEconomy(options));
}

async function scale(options: ScaleOptions): Promise<Section> {
  progress(
    `scale: ${options.images} images to ${options.targets ?? 8} regions, buckets at speed ${options.speed}`,
  );
  const result = await runScale({
    ...options,
    onRun: (region, run, report) => {
      const planned = Object.entries(report.planned)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ');
      progress(
        `scale: ${region} run ${run}: ${planned || 'nothing planned'}, ${report.failures.length} failure(s)`,
      );
    },
  });
  return scaleSection(options, result);
}

async function local(options: LocalOptions): Promise<Section> {
  return localSection(await runLocal(options));
}

const program = new Command()
  .name('npm run bench --')
  .description(
    'ami-lifecycle benchmarks: one markdown document on stdout, progress on stderr. Without a command, runs all four with their defaults.',
  )
  .action(async () => {
    const sections = [
      await coldstart(DEFAULTS.coldstart),
      await economy(DEFAULTS.economy),
      await scale(DEFAULTS.scale),
      await local(DEFAULTS.local),
    ];
    print('All four benchmarks (`npm run bench`), default parameters', sections);
  });

program
  .command('coldstart')
  .description(
    'bundle size and module initialisation time of every functions/*.ts handler, against a bare one',
  )
  .option('--runs <n>', 'fresh node processes per bundle', positiveInteger, DEFAULTS.coldstart.runs)
  .action(async (opts: ColdStartOptions) => {
    print('Cold start (`npm run bench -- coldstart`)', [await coldstart(opts)]);
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
  .action(async (opts: { regions: number[]; shares: number; snapshots: number; copyDelayMs: number }) => {
    const { regions, ...rest } = opts;
    print('API economy (`npm run bench -- economy`)', [await economy({ regionCounts: regions, ...rest })]);
  });

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
  .action(async (opts: ScaleOptions) => {
    print('Reconcile at scale (`npm run bench -- scale`)', [await scale(opts)]);
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
