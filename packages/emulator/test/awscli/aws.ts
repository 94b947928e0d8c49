import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';

/**
 * The AWS CLI as the compatibility tests run it: a client nobody here wrote, talking to the
 * emulator over HTTP. Debian's awscli (v2, `/usr/bin/aws`, which `.ci/run` installs) is preferred;
 * another `aws` on PATH is used only when Debian's is absent.
 *
 * An `aws` process spends about a second of CPU importing botocore and the CLI before its one
 * request, which made these tests the slowest of the suite. So when `aws` is a Python script (as
 * Debian's is), `aws()` runs each command in a child forked from one Python process that imported
 * the CLI once, and parsed each service's model once (aws-fork-server.py; one a worker, shared by
 * the files the worker runs): the child runs the same script, with the command's arguments and
 * environment, as `aws …` from a shell would. `spawnAws()` runs the command as a process of its
 * own, for the test that proves the installed command itself works, and whenever `aws` is not a
 * Python script.
 */
export const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

export interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AwsOptions {
  endpoint: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * The environment of a command: only the credentials and region given; no config or credentials
 * file, no instance metadata, no pager (AWS_PAGER empty, which v1 and v2 both honour).
 */
function environment(options: AwsOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: options.accessKeyId ?? 'test',
    AWS_SECRET_ACCESS_KEY: options.secretAccessKey ?? 'test',
    AWS_DEFAULT_REGION: options.region,
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

const argvOf = (args: readonly string[], options: AwsOptions) => [
  ...args,
  '--endpoint-url',
  options.endpoint,
  '--output',
  'json',
];

/** At most one command per core at once: each is CPU-bound while it runs. */
const LIMIT = Math.max(2, availableParallelism());
let running = 0;
const waiting: Array<() => void> = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= LIMIT) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/** `aws <args> --endpoint-url <endpoint> --output json` as a process of its own; a failed command resolves with its exit code. */
export function spawnAws(args: readonly string[], options: AwsOptions): Promise<AwsResult> {
  return slot(
    () =>
      new Promise((resolve, reject) => {
        const env = environment(options);
        execFile(AWS, argvOf(args, options), { env, timeout: 60_000 }, (error, stdout, stderr) => {
          if (error === null) resolve({ code: 0, stdout, stderr });
          else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
          else reject(new Error(`aws ${args.join(' ')}: ${error.message}\n${stderr}`));
        });
      }),
  );
}

/** The interpreter of `aws` when it is a Python script (`#!/usr/bin/python3`), else undefined. */
function pythonOf(script: string): string | undefined {
  if (!script.startsWith('/')) return undefined;
  const shebang = /^#!(\S*python3?)\s*$/m.exec(readFileSync(script, 'utf8').split('\n', 1)[0] ?? '');
  return shebang?.[1];
}

const Answer = z.object({ id: z.number(), code: z.number() });

interface ForkServer {
  run(args: readonly string[], env: Record<string, string>): Promise<AwsResult>;
}

/** The fork server, started on first use and ended with this process. */
function startForkServer(python: string): ForkServer {
  const dir = mkdtempSync(join(tmpdir(), 'aws-cli-'));
  const child: ChildProcess = spawn(python, [join(import.meta.dirname, 'aws-fork-server.py'), AWS], {
    stdio: ['pipe', 'pipe', 'inherit'],
    // As bare as a command's own: nothing of this process's environment reaches the CLI's import.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
  });
  const pending = new Map<number, (code: number) => void>();
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure = error;
    for (const settle of pending.values()) settle(-1);
  };
  child.on('error', fail);
  child.on('exit', (code) => fail(new Error(`the AWS CLI fork server exited ${code}`)));
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const { id, code } = Answer.parse(JSON.parse(line));
      pending.get(id)?.(code);
      pending.delete(id);
    });
  }
  // Never what keeps a test worker alive; ended with it.
  child.unref();
  for (const pipe of [child.stdin, child.stdout]) if (pipe instanceof Socket) pipe.unref();
  process.once('exit', () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  let ids = 0;
  return {
    async run(args, env) {
      const id = ++ids;
      const stdout = join(dir, `${id}.out`);
      const stderr = join(dir, `${id}.err`);
      const code = await new Promise<number>((resolve) => {
        pending.set(id, resolve);
        child.stdin?.write(`${JSON.stringify({ id, args, env, stdout, stderr })}\n`);
      });
      if (failure !== undefined) throw failure;
      const result = { code, stdout: readFileSync(stdout, 'utf8'), stderr: readFileSync(stderr, 'utf8') };
      rmSync(stdout);
      rmSync(stderr);
      return result;
    },
  };
}

let server: ForkServer | undefined;

/**
 * `aws <args> --endpoint-url <endpoint> --output json`, forked from the fork server when `aws` is a
 * Python script, else as a process of its own. Resolves with the exit code instead of rejecting on
 * a failed command.
 */
export function aws(args: readonly string[], options: AwsOptions): Promise<AwsResult> {
  const python = pythonOf(AWS);
  if (python === undefined) return spawnAws(args, options);
  server ??= startForkServer(python);
  const forkServer = server;
  return slot(() => forkServer.run(argvOf(args, options), environment(options)));
}

/** `aws …` that must succeed: its JSON output parsed (`{}` for a command that prints nothing). */
export async function awsJson(args: readonly string[], options: AwsOptions): Promise<unknown> {
  const result = await aws(args, options);
  if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim() === '' ? {} : JSON.parse(result.stdout);
}
