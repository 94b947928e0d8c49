import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { Template } from './checks.js';
import { readZip, type ZipEntry } from './zip.js';

const run = promisify(execFile);

/** The repository root, where serverless.yml is. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** What `npx serverless` runs: osls's bin in the repository's node_modules. */
const SERVERLESS_BIN = join(ROOT, 'node_modules', '.bin', 'serverless');
/**
 * A package takes 5-25 s here. After a build error serverless-esbuild prints it and never exits, so
 * the run is ended well before the test's hook timeout, with what it printed.
 */
const PACKAGE_TIMEOUT_MS = 120_000;

/** One function of the service, as osls resolved it, with its package. */
export interface PackagedFunction {
  /** The key under `functions:` in serverless.yml. */
  readonly name: string;
  /** The deployed function name (`FunctionName` in the template). */
  readonly deployedName: string;
  readonly handler: string;
  readonly zipPath: string;
  readonly zipBytes: number;
  readonly entries: readonly ZipEntry[];
}

export interface Package {
  readonly dir: string;
  readonly template: Template;
  readonly service: string;
  readonly stage: string;
  readonly region: string;
  readonly functions: readonly PackagedFunction[];
  /** serverless.yml as written (variables and CloudFormation tags unresolved). */
  readonly config: ServerlessYml;
}

export interface ServerlessYml {
  params?: Record<string, Record<string, unknown> | undefined>;
  custom?: { esbuild?: Record<string, unknown> };
}

interface ServerlessState {
  service: {
    service: string;
    provider: { stage: string; region: string };
    functions: Record<string, { name: string; handler: string; package?: { artifact?: string } }>;
  };
}

/**
 * A copy of the service to package beside the repository: osls stages every package in the
 * service's own `.serverless/` folder (and serverless-esbuild in `.esbuild/`, the rules in
 * `.rules/`), so two packages of one tree cannot be built at once. The copy holds the files the
 * package is built from (tracked or not, ignored ones aside), and links the repository's node_modules.
 */
export async function serviceCopy(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'ami-lifecycle-service-'));
  const { stdout } = await run(
    'git',
    // Untracked files too (not ignored ones): the package is built from the working tree, as
    // `serverless package` in the repository builds it. With tracked files only, a new module not
    // yet added to git was missing from the copy, and serverless-esbuild hung instead of failing.
    [
      'ls-files',
      '-z',
      '--cached',
      '--others',
      '--exclude-standard',
      '--',
      'serverless.yml',
      'package.json',
      'tsconfig.json',
      'functions',
      'shared',
      'scripts',
      'config',
    ],
    { cwd: ROOT },
  );
  for (const file of stdout.split('\0').filter((f) => f !== '')) {
    // A tracked file deleted in the working tree is not part of it.
    if (!existsSync(join(ROOT, file))) continue;
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(copy, file));
  }
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

/**
 * `serverless package --stage <stage> --package <dir>`, as CI runs it: offline, with dummy
 * credentials (osls and serverless-esbuild need none to package). `params` are passed as
 * `--param="name=value"`, as an operator overrides serverless.yml's; `root` is the service to
 * package (the repository, or a {@link serviceCopy}).
 */
export async function packageService(
  dir: string,
  stage: string,
  params: Readonly<Record<string, string>> = {},
  root: string = ROOT,
): Promise<Package> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci' };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  try {
    const overrides = Object.entries(params).map(([name, value]) => `--param=${name}=${value}`);
    // osls itself, not through npx: on a timeout the process killed is the one that hangs (its
    // esbuild service exits when its stdin closes).
    await run(
      process.execPath,
      [SERVERLESS_BIN, 'package', '--stage', stage, '--package', dir, ...overrides],
      { cwd: root, env, maxBuffer: 16 * 1024 * 1024, timeout: PACKAGE_TIMEOUT_MS, killSignal: 'SIGKILL' },
    );
  } catch (error) {
    const { stdout, stderr, killed } = error as { stdout?: string; stderr?: string; killed?: boolean };
    const why = killed
      ? `serverless package did not exit within ${PACKAGE_TIMEOUT_MS / 1000} s (serverless-esbuild never exits after a build error, floydspace/serverless-esbuild#532; what it printed follows)`
      : 'serverless package failed';
    throw new Error(`${why}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }

  const template = JSON.parse(
    await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  const state = JSON.parse(await readFile(join(dir, 'serverless-state.json'), 'utf8')) as ServerlessState;
  const functions: PackagedFunction[] = [];
  for (const [name, fn] of Object.entries(state.service.functions)) {
    // osls records the artifact under .serverless/; --package wrote it to `dir` under the same name.
    const zipPath = join(dir, basename(fn.package?.artifact ?? `${name}.zip`));
    const zip = await readFile(zipPath);
    functions.push({
      name,
      deployedName: fn.name,
      handler: fn.handler,
      zipPath,
      zipBytes: zip.length,
      entries: readZip(zip),
    });
  }
  const config = parse(await readFile(join(ROOT, 'serverless.yml'), 'utf8'), {
    // CloudFormation short-form tags (!Ref, !GetAtt, …) are not needed here: keep them as plain values.
    logLevel: 'error',
    merge: true,
  }) as ServerlessYml;
  return {
    dir,
    template,
    service: state.service.service,
    stage: state.service.provider.stage,
    region: state.service.provider.region,
    functions,
    config,
  };
}

/** A param as stage `stage` sees it: `params.<stage>`, else `params.default`. */
export function paramFor(config: ServerlessYml, stage: string, name: string): unknown {
  return config.params?.[stage]?.[name] ?? config.params?.default?.[name];
}
