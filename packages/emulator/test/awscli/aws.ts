import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * The AWS CLI as the compatibility tests run it: a client nobody here wrote, talking to the
 * emulator over HTTP. Debian's awscli (v2, `/usr/bin/aws`, which `.ci/run` installs) is preferred;
 * another `aws` on PATH is used only when Debian's is absent.
 *
 * Each invocation is a Python process that spends about a second of CPU loading botocore and the
 * service's model before its one request, so the tests start independent invocations together;
 * this module caps how many run at once so a two-core machine is not flooded.
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

/**
 * Runs `aws <args> --endpoint-url <endpoint> --output json` with only the credentials and region
 * given: no config or credentials file, no instance metadata, no pager (AWS_PAGER empty, which v1
 * and v2 both honour). Resolves with the exit code instead of rejecting on a failed command.
 */
export function aws(args: readonly string[], options: AwsOptions): Promise<AwsResult> {
  const env: Record<string, string> = {
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
  const argv = [...args, '--endpoint-url', options.endpoint, '--output', 'json'];
  return slot(
    () =>
      new Promise((resolve, reject) => {
        execFile(AWS, argv, { env, timeout: 60_000 }, (error, stdout, stderr) => {
          if (error === null) resolve({ code: 0, stdout, stderr });
          else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
          else reject(new Error(`aws ${args.join(' ')}: ${error.message}\n${stderr}`));
        });
      }),
  );
}

/** `aws …` that must succeed: its JSON output parsed (`{}` for a command that prints nothing). */
export async function awsJson(args: readonly string[], options: AwsOptions): Promise<unknown> {
  const result = await aws(args, options);
  if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim() === '' ? {} : JSON.parse(result.stdout);
}
