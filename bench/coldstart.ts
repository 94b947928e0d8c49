import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import { buildCli } from '../scripts/build-cli.js';
import lambdaPlugins from '../scripts/esbuild-plugins.js';
import { compileRules } from '../shared/rules/load.js';
import { fixed, median, progress, ratio, type Section } from './report.js';

/**
 * Cold start, as whole processes side by side: what starting costs before the first event or the
 * first line of output.
 *
 * - `node -e 0`: the floor, Node.js itself;
 * - a naive bundle of the whole EC2 and EventBridge clients (every command of both), bundled with
 *   serverless.yml's options but none of its plugins: the reference a handler is held to;
 * - each handler in `functions/*.ts` (discovered, so new ones are measured too), bundled as
 *   `serverless package` bundles it (`custom.esbuild` and scripts/esbuild-plugins.ts, the rules
 *   compiled to JSON), run as a process that loads it and exits: its module initialisation
 *   (configuration, rules, logger, SDK clients) and Node.js's start-up;
 * - the CLI's `--help`, through `bin/ami-lifecycle.js` and the built `dist/` (`npm run build`).
 *
 * One warm-up run each, then `runs` rounds, each running every process once in turn so that drift
 * in the machine's load hits them all alike; the median wall time of each, and its ratio to bare
 * Node.js and (handlers) to the naive bundle. Targets: CLI ≤ 4× bare Node.js, handler ≤ 0.6× naive.
 *
 *   npm run bench -- coldstart [--runs 15] [--json]
 */

const ROOT = resolve(import.meta.dirname, '..');

/** `custom.esbuild` in serverless.yml, with the default params (no source map): keep the two in step. */
const SERVERLESS_ESBUILD: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: false,
  sourcesContent: false,
  format: 'cjs',
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
};

/** serverless.yml `custom.rules`: the rules the functions read, compiled at package time. */
const RULES = { source: 'config/ami-rules.yaml', compiled: '.rules/rules.json' };

export const TARGETS = { cliVsBare: 4, handlerVsNaive: 0.6 };

/**
 * The environment a handler needs at cold start (see shared/config.ts and serverless.yml's
 * `provider.environment`). The one place to add a variable a new handler requires. The children
 * get only this and PATH, so nothing from the caller's environment leaks in.
 */
export function handlerEnvironment(root: string): Record<string, string> {
  return {
    LAMBDA_TASK_ROOT: root,
    RULES_FILE: RULES.compiled,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    EVENT_BUS_NAME: 'ami-lifecycle',
    DISTRIBUTIONS_TABLE: 'ami-lifecycle-bench-distributions',
    NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:ami-lifecycle-bench-notifications',
    CHAT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:ami-lifecycle-bench-chat',
    DRY_RUN: 'false',
    MAX_COPIES_IN_FLIGHT: '20',
    POWERTOOLS_SERVICE_NAME: 'ami-lifecycle',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    NODE_OPTIONS: '--enable-source-maps',
  };
}

export interface ColdStartOptions {
  /** Counted runs of each process. */
  runs: number;
}

type Kind = 'bare' | 'naive' | 'handler' | 'cli';

export interface ProcessFigures {
  readonly name: string;
  readonly kind: Kind;
  readonly command: string;
  /** The bundle's size, for the bundles. */
  readonly bytes?: number;
  readonly gzipBytes?: number;
  readonly wallMs: number[];
  readonly medianWallMs: number;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly node: string;
  readonly processes: readonly ProcessFigures[];
}

interface Subject {
  readonly name: string;
  readonly kind: Kind;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly bytes?: number;
  readonly gzipBytes?: number;
}

/** The handler modules: every `functions/*.ts` but declarations and tests. */
export async function discoverHandlers(): Promise<string[]> {
  const files = await readdir(join(ROOT, 'functions'));
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .sort()
    .map((f) => join('functions', f));
}

async function bundle(options: BuildOptions, outfile: string): Promise<{ bytes: number; gzipBytes: number }> {
  const result = await build({ ...SERVERLESS_ESBUILD, ...options, outfile, logLevel: 'silent' });
  for (const warning of result.warnings) progress(`esbuild warning (${outfile}): ${warning.text}`);
  const code = await readFile(outfile);
  return { bytes: code.length, gzipBytes: gzipSync(code).length };
}

/** One run of the process: wall milliseconds from spawn to exit, which must be 0. */
function timeProcess(subject: Subject): Promise<number> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(process.execPath, subject.args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...subject.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', fail);
    child.on('exit', (code) => {
      const ms = performance.now() - start;
      if (code === 0) done(ms);
      else fail(new Error(`${subject.name} exited ${code}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
}

async function subjects(dir: string): Promise<Subject[]> {
  const naiveSource = join(dir, 'naive.ts');
  await writeFile(
    naiveSource,
    "import * as ec2 from '@aws-sdk/client-ec2';\nimport * as eventbridge from '@aws-sdk/client-eventbridge';\n" +
      'export const handler = async () => [ec2, eventbridge];\n',
  );
  progress('coldstart: bundling the naive EC2 + EventBridge bundle');
  const naiveFile = join(dir, 'naive', 'naive.js');
  const naive = await bundle(
    { entryPoints: [naiveSource], nodePaths: [join(ROOT, 'node_modules')] },
    naiveFile,
  );

  const root = join(dir, 'task');
  await mkdir(join(root, '.rules'), { recursive: true });
  await writeFile(join(root, RULES.compiled), compileRules(join(ROOT, RULES.source)));
  const plugins = lambdaPlugins({ service: { custom: { rules: RULES } } }).filter(
    (p) => p.name !== 'compiled-rules',
  );
  const handlers: Subject[] = [];
  for (const entry of await discoverHandlers()) {
    progress(`coldstart: bundling ${entry} as serverless package does`);
    const outfile = join(root, 'functions', `${basename(entry, '.ts')}.js`);
    const size = await bundle({ entryPoints: [join(ROOT, entry)], plugins }, outfile);
    handlers.push({ name: entry, kind: 'handler', args: [outfile], env: handlerEnvironment(root), ...size });
  }

  progress('coldstart: building the CLI (dist/)');
  await buildCli(undefined, { clean: false });
  return [
    { name: 'node -e 0', kind: 'bare', args: ['-e', '0'], env: {} },
    { name: 'naive EC2 + EventBridge bundle', kind: 'naive', args: [naiveFile], env: {}, ...naive },
    ...handlers,
    {
      name: 'ami-lifecycle --help',
      kind: 'cli',
      args: [join(ROOT, 'bin/ami-lifecycle.js'), '--help'],
      env: {},
    },
  ];
}

export async function runColdStart(options: ColdStartOptions): Promise<ColdStartResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ami-lifecycle-coldstart-'));
  try {
    const all = await subjects(dir);
    for (const subject of all) await timeProcess(subject); // warm-up: file cache, first compile
    const wall = new Map(all.map((s) => [s, [] as number[]]));
    for (let run = 1; run <= options.runs; run++) {
      progress(`coldstart: round ${run}/${options.runs} (${all.length} processes)`);
      for (const subject of all) wall.get(subject)?.push(await timeProcess(subject));
    }
    const processes = all.map((s): ProcessFigures => {
      const wallMs = wall.get(s) ?? [];
      return {
        name: s.name,
        kind: s.kind,
        command: ['node', ...s.args.map((a) => a.replace(dir, '$TMP').replace(`${ROOT}/`, ''))].join(' '),
        ...(s.bytes === undefined ? {} : { bytes: s.bytes, gzipBytes: s.gzipBytes }),
        wallMs,
        medianWallMs: median(wallMs),
      };
    });
    return { runs: options.runs, node: process.version, processes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function reference(result: ColdStartResult, kind: Kind): number {
  return result.processes.find((p) => p.kind === kind)?.medianWallMs ?? Number.NaN;
}

/** Each target: the figure, the bound, and whether it holds. */
export function coldStartTargets(result: ColdStartResult) {
  const bare = reference(result, 'bare');
  const naive = reference(result, 'naive');
  const cli = result.processes.filter((p) => p.kind === 'cli').map((p) => p.medianWallMs / bare);
  const handlers = result.processes.filter((p) => p.kind === 'handler').map((p) => p.medianWallMs / naive);
  return {
    cliVsBare: {
      worst: Math.max(...cli),
      bound: TARGETS.cliVsBare,
      met: Math.max(...cli) <= TARGETS.cliVsBare,
    },
    handlerVsNaive: {
      worst: Math.max(...handlers),
      bound: TARGETS.handlerVsNaive,
      met: Math.max(...handlers) <= TARGETS.handlerVsNaive,
    },
  };
}

/** `--json`: the figures and the targets. */
export function coldStartJson(result: ColdStartResult) {
  return { ...result, targets: coldStartTargets(result) };
}

export function coldStartSection(result: ColdStartResult): Section {
  const bare = reference(result, 'bare');
  const naive = reference(result, 'naive');
  const kb = (bytes: number | undefined) => (bytes === undefined ? '' : fixed(bytes / 1024, 1));
  const rows = result.processes.map((p) => [
    p.name,
    kb(p.bytes),
    kb(p.gzipBytes),
    fixed(p.medianWallMs, 1),
    `${fixed(Math.min(...p.wallMs), 1)}–${fixed(Math.max(...p.wallMs), 1)}`,
    ratio(p.medianWallMs, bare),
    p.kind === 'handler' ? ratio(p.medianWallMs, naive) : '',
  ]);
  const targets = coldStartTargets(result);
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  return {
    title: 'Cold start',
    notes: [
      'Whole processes side by side, each started fresh: `node -e 0`; a naive bundle of the whole EC2 and ' +
        "EventBridge clients (serverless.yml's esbuild options, none of its plugins); each `functions/*.ts` " +
        'bundled as `serverless package` bundles it, loaded by a process that then exits (module ' +
        'initialisation included: configuration, rules, logger, SDK clients); and `ami-lifecycle --help` ' +
        `through bin/ and the built dist/. One warm-up run each, then ${result.runs} rounds in turn; wall ` +
        `time from spawn to exit, median and range (Node.js ${result.node}).`,
      `Targets: CLI start ≤ ${TARGETS.cliVsBare}× bare Node.js: ${fixed(targets.cliVsBare.worst, 2)}×, ` +
        `${verdict(targets.cliVsBare.met)}; handler init ≤ ${TARGETS.handlerVsNaive}× the naive bundle: worst ` +
        `${fixed(targets.handlerVsNaive.worst, 2)}×, ${verdict(targets.handlerVsNaive.met)}.`,
    ],
    tables: [
      {
        head: [
          'process',
          'size (KB)',
          'gzipped (KB)',
          'wall median (ms)',
          'range (ms)',
          'vs bare',
          'vs naive',
        ],
        numeric: [false, true, true, true, true, true, true],
        rows,
      },
    ],
  };
}
