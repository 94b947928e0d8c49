/**
 * The npm package as users get it: `npm pack` (which builds the CLI first), then an install of the
 * tarball in an empty folder, offline (the package has no dependency to fetch), then the installed
 * command run on this Node.js and, where the machine has one, on a Node.js older than 22.12.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './package.js';

const run = promisify(execFile);

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; a non-zero exit is a result, not a failure. */
async function spawn(file: string, args: string[], cwd: string): Promise<Result> {
  // The installed command's shebang finds `node` on PATH: this one first.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof code === 'number' ? code : -1, stdout: stdout ?? '', stderr: stderr ?? '' };
  }
}

/** A Node.js older than 22 on this machine (Debian's, say), to see the one clear line. */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(/^v(\d+)/.exec(version)?.[1]) < 22) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

let dir: string;
let packed: string[];
let app: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ami-lifecycle-npm-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [manifest] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  if (manifest === undefined) throw new Error(`npm pack printed no manifest: ${stdout}`);
  packed = manifest.files.map((f) => f.path).sort();
  app = join(dir, 'app');
  await run('mkdir', [app]);
  await writeFile(join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
  await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', join(dir, manifest.filename.replace(/^@.*\//, ''))],
    { cwd: app },
  );
}, 180_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships the built CLI, its bin, the example rules, README and LICENSE: nothing else', () => {
    const outside = packed.filter(
      (path) =>
        !path.startsWith('dist/') &&
        !['bin/ami-lifecycle.js', 'config/ami-rules.yaml', 'README.md', 'LICENSE', 'package.json'].includes(
          path,
        ),
    );
    expect(outside).toEqual([]);
    expect(packed).toContain('dist/cli.js');
    expect(packed).toContain('dist/THIRD-PARTY-LICENSES.md');
    expect(packed.filter((path) => path.endsWith('.ts'))).toEqual([]);
  });

  it('depends on nothing at run time: the CLI bundles what it uses', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.dependencies ?? {}).toEqual({});
    const installed = (await spawn('npm', ['ls', '--all', '--parseable'], app)).stdout.trim().split('\n');
    expect(installed.map((line) => line.slice(app.length))).toEqual(['', '/node_modules/ami-lifecycle']);
  });

  it('npx ami-lifecycle --help and validate work from the install', async () => {
    const bin = join(app, 'node_modules', '.bin', 'ami-lifecycle');
    const help = await spawn(bin, ['--help'], app);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: ami-lifecycle');
    for (const command of ['validate', 'plan', 'apply', 'status', 'replay', 'test-pattern'])
      expect(help.stdout).toContain(command);

    const rules = join(app, 'node_modules', 'ami-lifecycle', 'config', 'ami-rules.yaml');
    const validate = await spawn(bin, ['validate', '--rules', rules], app);
    expect(validate).toMatchObject({ code: 0, stderr: '' });
    expect(validate.stdout).toContain('is valid: 2 rules');

    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, 'version: 1\nrules: []\nextra: true\n');
    expect(await spawn(bin, ['validate', '--rules', invalid], app)).toMatchObject({ code: 2 });
  });

  it('a Node.js older than 22.12 gets one clear line and exit 1 (22.11 as the bin sees it, and a real older Node where there is one)', async () => {
    const bin = join(app, 'node_modules', 'ami-lifecycle', 'bin', 'ami-lifecycle.js');
    // The version the bin reads, set to the last one it refuses, before the bin runs.
    const pretend = `data:text/javascript,${encodeURIComponent(
      "Object.defineProperty(process.versions,'node',{value:'22.11.0'});Object.defineProperty(process,'version',{value:'v22.11.0'});",
    )}`;
    const runs = [await spawn(process.execPath, ['--import', pretend, bin, '--help'], app)];
    const old = oldNode();
    if (old !== undefined) runs.push(await spawn(old, [bin, '--help'], app));
    expect(runs[0]?.stderr).toBe('ami-lifecycle needs Node.js 22.12 or later; this is v22.11.0.\n');
    for (const result of runs) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^ami-lifecycle needs Node\.js 22\.12 or later; this is v\d+\.\d+\.\d+\.\n$/,
      );
    }
  });
});
