import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';
import { fixed, median, progress, ratio, type Section } from './report.js';

/**
 * Cold start: what each Lambda handler costs before its first event.
 *
 * Every handler in `functions/*.ts` (discovered, so new ones are measured too) is bundled with
 * esbuild exactly as `serverless.yml`'s `custom.esbuild` bundles it for deployment, and so is a bare
 * handler (`export const handler = async () => ({})`), the floor any Node.js Lambda pays. For each
 * bundle: its size (raw and gzipped), and its module initialisation time — the median, over
 * `runs` fresh `node` processes, of the time `require()` of the bundle takes, measured inside the
 * child with `performance.now()` (Node's own start-up is excluded; the handler's cold-start work,
 * configuration, rules file, logger and SDK clients, is included). Processes are interleaved
 * (bare, handler 1, handler 2, …, then again) so drift in the machine's load hits every bundle alike.
 *
 *   npm run bench -- coldstart [--runs 15]
 */

const ROOT = resolve(import.meta.dirname, '..');

/** `custom.esbuild` in serverless.yml: keep the two in step. */
const SERVERLESS_ESBUILD: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  format: 'cjs',
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
};

/**
 * The environment a handler needs at cold start (see shared/config.ts and serverless.yml's
 * `provider.environment`). The one place to add a variable a new handler requires. The children
 * get only this and PATH, so nothing from the caller's environment leaks in.
 */
export function handlerEnvironment(): Record<string, string> {
  return {
    RULES_FILE: join(ROOT, 'config/ami-rules.yaml'),
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
  };
}

export interface ColdStartOptions {
  /** Fresh processes per bundle. */
  runs: number;
}

export interface BundleFigures {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly initMs: number[];
  readonly medianInitMs: number;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly bare: BundleFigures;
  readonly handlers: readonly BundleFigures[];
}

const execFileAsync = promisify(execFile);

/** The handler modules: every `functions/*.ts` but declarations and tests. */
export async function discoverHandlers(): Promise<string[]> {
  const files = await readdir(join(ROOT, 'functions'));
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .sort()
    .map((f) => join('functions', f));
}

async function bundle(entry: string, outfile: string): Promise<{ bytes: number; gzipBytes: number }> {
  const result = await build({ ...SERVERLESS_ESBUILD, entryPoints: [entry], outfile, logLevel: 'silent' });
  for (const warning of result.warnings) progress(`esbuild warning (${entry}): ${warning.text}`);
  const code = await readFile(outfile);
  return { bytes: code.length, gzipBytes: gzipSync(code).length };
}

/** One fresh process: the ms `require(file)` took, as printed by the child. */
async function timeRequire(file: string): Promise<number> {
  const script = [
    `const start = performance.now();`,
    `const mod = require(${JSON.stringify(file)});`,
    `const ms = performance.now() - start;`,
    `if (typeof mod.handler !== 'function') throw new Error('no handler export');`,
    `process.stdout.write('require-ms ' + ms + '\\n');`,
  ].join('\n');
  const { stdout } = await execFileAsync(process.execPath, ['-e', script], {
    cwd: join(file, '..'),
    env: { PATH: process.env.PATH ?? '', ...handlerEnvironment() },
  });
  const match = /require-ms ([\d.]+)/.exec(stdout);
  if (match?.[1] === undefined) throw new Error(`no timing from the child for ${file}: ${stdout}`);
  return Number(match[1]);
}

export async function runColdStart(options: ColdStartOptions): Promise<ColdStartResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ami-lifecycle-coldstart-'));
  try {
    const bareSource = join(dir, 'bare.ts');
    await writeFile(bareSource, 'export const handler = async () => ({});\n');
    const entries = [
      { name: 'bare handler', entry: bareSource },
      ...(await discoverHandlers()).map((f) => ({ name: f, entry: join(ROOT, f) })),
    ];
    const bundles = [];
    for (const [i, { name, entry }] of entries.entries()) {
      progress(`coldstart: bundling ${name}`);
      const outfile = join(dir, 'out', `${i}-${basename(entry, '.ts')}.js`);
      bundles.push({ name, outfile, ...(await bundle(entry, outfile)), initMs: [] as number[] });
    }
    for (let run = 1; run <= options.runs; run++) {
      progress(`coldstart: round ${run}/${options.runs} (${bundles.length} fresh processes)`);
      for (const b of bundles) b.initMs.push(await timeRequire(b.outfile));
    }
    const figures = bundles.map(
      (b): BundleFigures => ({
        name: b.name,
        bytes: b.bytes,
        gzipBytes: b.gzipBytes,
        initMs: b.initMs,
        medianInitMs: median(b.initMs),
      }),
    );
    const [bare, ...handlers] = figures;
    if (bare === undefined) throw new Error('no bare bundle');
    return { runs: options.runs, bare, handlers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function coldStartSection(result: ColdStartResult): Section {
  const kb = (bytes: number) => fixed(bytes / 1024, 1);
  const row = (f: BundleFigures) => [
    f.name,
    kb(f.bytes),
    kb(f.gzipBytes),
    ratio(f.bytes, result.bare.bytes),
    fixed(f.medianInitMs, 2),
    `${fixed(Math.min(...f.initMs), 2)}–${fixed(Math.max(...f.initMs), 2)}`,
    ratio(f.medianInitMs, result.bare.medianInitMs),
  ];
  return {
    title: 'Cold start',
    notes: [
      `Each handler in \`functions/*.ts\` bundled as \`serverless.yml\`'s \`custom.esbuild\` does (bundle, minify, ` +
        'linked source map, cjs, node24, platform node, mainFields module, main), next to a bare handler ' +
        '(`export const handler = async () => ({})`) bundled the same way. Init time: median over ' +
        `${result.runs} fresh \`node\` processes (${process.version}) of \`require()\` of the bundle, timed inside the child ` +
        'with `performance.now()`; Node.js start-up itself is not included. Ratios are to the bare handler, measured in the same run.',
    ],
    tables: [
      {
        head: [
          'bundle',
          'size (KB)',
          'gzipped (KB)',
          'size vs bare',
          'init median (ms)',
          'init range (ms)',
          'init vs bare',
        ],
        numeric: [false, true, true, true, true, true, true],
        rows: [row(result.bare), ...result.handlers.map(row)],
      },
    ],
  };
}
