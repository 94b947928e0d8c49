import { format } from 'node:util';
import { vi } from 'vitest';
import { runCli } from '../../cli/program.js';
import { printableLines } from '../../shared/core/printable.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI run in this process, as `ami-lifecycle <args>` with `env` over this process's environment
 * (a variable given `undefined` is unset): what it writes to stdout and stderr captured, its exit
 * code returned. The same code as the built command, without the process start (the SDK is loaded
 * once per test file instead of once per run); the tests that need the process itself (its exit,
 * its stdin) spawn `bin/ami-lifecycle.js`. Runs must not overlap: the capture is process-wide.
 */
export async function runCliInProcess(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  // Made printable as cli/main.ts makes the process's stdout and stderr (guardTerminal).
  const writer = (sink: string[]) => (chunk: string | Uint8Array) => {
    sink.push(printableLines(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')));
    return true;
  };
  const line =
    (sink: string[]) =>
    (...values: unknown[]) => {
      sink.push(printableLines(`${format(...values)}\n`));
    };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(writer(stdout)),
    vi.spyOn(process.stderr, 'write').mockImplementation(writer(stderr)),
    vi.spyOn(console, 'log').mockImplementation(line(stdout)),
    vi.spyOn(console, 'info').mockImplementation(line(stdout)),
    vi.spyOn(console, 'error').mockImplementation(line(stderr)),
    vi.spyOn(console, 'warn').mockImplementation(line(stderr)),
  ];
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  process.exitCode = undefined;
  try {
    const { code } = await runCli(['node', 'ami-lifecycle', ...args]);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.exitCode = undefined;
    vi.unstubAllEnvs();
    for (const spy of spies) spy.mockRestore();
  }
}
