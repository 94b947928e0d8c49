import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fixed, median, progress, type Section } from './report.js';

/**
 * Local run: the wall time of `npm start`, the README's first command, as a user waits for it —
 * npm, tsx, the emulator, the handlers and the demo's copies (pending 800 ms each by default),
 * from spawning the shell to its exit. Each run must exit 0 (the demo converged). The median of
 * `runs` runs is reported, next to the demo's own "Wall time" (from the stack's start, without
 * npm's and tsx's start-up).
 *
 *   npm run bench -- local [--runs 3]
 */

const ROOT = resolve(import.meta.dirname, '..');

export interface LocalOptions {
  runs: number;
}

export interface LocalRun {
  readonly wallMs: number;
  /** The demo's own "Wall time: X s" line, in ms; undefined if it printed none. */
  readonly reportedMs: number | undefined;
}

export interface LocalResult {
  readonly runs: readonly LocalRun[];
}

async function runOnce(): Promise<LocalRun> {
  // AWS_* from the caller (an endpoint, a profile) must not redirect the demo's clients.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const started = performance.now();
  const child = spawn('npm start', { shell: true, cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolveExit(exitCode));
  });
  const wallMs = performance.now() - started;
  if (code !== 0) {
    throw new Error(`npm start exited with ${code}:\n${output.split('\n').slice(-30).join('\n')}`);
  }
  const reported = /Wall time: ([\d.]+) s/.exec(output)?.[1];
  return { wallMs, reportedMs: reported === undefined ? undefined : Number(reported) * 1000 };
}

export async function runLocal(options: LocalOptions): Promise<LocalResult> {
  const runs: LocalRun[] = [];
  for (let i = 1; i <= options.runs; i++) {
    progress(`local: npm start, run ${i}/${options.runs}`);
    runs.push(await runOnce());
  }
  return { runs };
}

export function localSection(result: LocalResult): Section {
  const walls = result.runs.map((r) => r.wallMs);
  const reported = result.runs.flatMap((r) => (r.reportedMs === undefined ? [] : [r.reportedMs]));
  const s = (ms: number) => fixed(ms / 1000, 2);
  return {
    title: 'Local run',
    notes: [
      `\`npm start\` spawned through the shell with the repository as working directory, ${result.runs.length} run(s), ` +
        'each exiting 0 (converged). Wall time is from spawn to exit; the demo’s own figure starts with the local stack.',
    ],
    tables: [
      {
        head: ['measure', 'median (s)', 'min (s)', 'max (s)', 'runs (s)'],
        numeric: [false, true, true, true, false],
        rows: [
          [
            '`npm start` wall time',
            s(median(walls)),
            s(Math.min(...walls)),
            s(Math.max(...walls)),
            walls.map(s).join(', '),
          ],
          ...(reported.length > 0
            ? [
                [
                  'demo’s own "Wall time"',
                  s(median(reported)),
                  s(Math.min(...reported)),
                  s(Math.max(...reported)),
                  reported.map(s).join(', '),
                ],
              ]
            : []),
        ],
      },
    ],
  };
}
