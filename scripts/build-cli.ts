import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { shakeableSdkSchemas, zodEnglishOnly } from './esbuild-plugins.js';

/**
 * The CLI built ahead of time: `cli/main.ts` and everything it imports (the AWS SDK, commander,
 * yaml, zod, the event-pattern workspace package) as ES modules, `dist/cli.js` and its chunks, which
 * `bin/ami-lifecycle.js` runs. The installed package then needs no TypeScript tooling and no
 * dependency at run time, and starts without resolving hundreds of files.
 *
 *   npm run build            (`npm ci` in a clone, `npm pack` and `npm publish` run it: the `prepare` script)
 *
 * The licences of what the bundle holds go beside it, in `dist/THIRD-PARTY-LICENSES.md`: the
 * bundle redistributes that code, and the Apache-2.0 licence of the AWS SDK asks for its text.
 */

const ROOT = resolve(import.meta.dirname, '..');

export const CLI_OPTIONS: BuildOptions = {
  entryPoints: [join(ROOT, 'cli', 'main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  // package.json `engines`: the bin entry refuses older versions before loading this.
  target: 'node22',
  mainFields: ['module', 'main'],
  // The commands load the SDK, the rules and the core when they run (`await import()`): each of
  // those is a chunk of its own, so listing the commands (`--help`) loads none of them.
  splitting: true,
  entryNames: 'cli',
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  // Errors name what failed: class names survive minification.
  keepNames: true,
  legalComments: 'none',
  // Some bundled dependencies are CommonJS and `require` Node's modules, which an ES module lacks.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [zodEnglishOnly(), shakeableSdkSchemas()],
  logLevel: 'warning',
};

export interface CliBuild {
  /** The entry point; the chunks it loads are beside it, in `chunks/`. */
  readonly file: string;
  /** The entry point and every chunk. */
  readonly bytes: number;
  /** The npm packages the bundle holds, by name. */
  readonly packages: readonly string[];
}

/**
 * `clean` (what `npm pack` gets): built into a new folder that then takes `outdir`'s place, so no
 * chunk of an earlier build is packed. Without it (the tests' global setup), each file is replaced
 * whole by a rename, and only when it changed. Either way a CLI that a test run in the same checkout
 * is starting never reads half a file, and finds the chunks it was built with.
 */
export async function buildCli(outdir = join(ROOT, 'dist'), { clean = true } = {}): Promise<CliBuild> {
  if (clean) {
    const fresh = await buildCli(`${outdir}.${process.pid}.new`, { clean: false });
    const old = `${outdir}.${process.pid}.old`;
    await rename(outdir, old).catch(() => undefined);
    await rename(`${outdir}.${process.pid}.new`, outdir);
    await rm(old, { recursive: true, force: true });
    return { ...fresh, file: join(outdir, 'cli.js') };
  }
  const result = await build({ ...CLI_OPTIONS, outdir, metafile: true, write: false });
  const packages = bundledPackages(result.metafile);
  const files = [
    ...result.outputFiles.map((f) => ({ path: f.path, contents: Buffer.from(f.contents) })),
    { path: join(outdir, 'THIRD-PARTY-LICENSES.md'), contents: Buffer.from(await licences(packages)) },
  ];
  for (const { path, contents } of files) await replaceFile(path, contents);
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return { file: join(outdir, 'cli.js'), bytes, packages: packages.map((p) => p.name) };
}

async function replaceFile(path: string, contents: Buffer): Promise<void> {
  const current = await readFile(path).catch(() => undefined);
  if (current?.equals(contents)) return;
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

interface BundledPackage {
  readonly name: string;
  readonly dir: string;
}

/** Every `node_modules/<name>` a bundled file comes from (workspace packages are this project's own). */
function bundledPackages(metafile: Metafile): BundledPackage[] {
  const found = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match?.[1] !== undefined && match[2] !== undefined) found.set(match[2], resolve(ROOT, match[1]));
  }
  return [...found].map(([name, dir]) => ({ name, dir })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Each distinct licence text once, after the packages it covers (most of the SDK shares one). */
async function licences(packages: readonly BundledPackage[]): Promise<string> {
  const byText = new Map<string, string[]>();
  const withoutFile: string[] = [];
  for (const { name, dir } of packages) {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      version?: string;
      license?: string;
    };
    const label = `${name} ${manifest.version ?? ''} (${manifest.license ?? 'no licence declared'})`;
    const text = (await licenceText(dir))?.trim();
    if (text === undefined) withoutFile.push(label);
    else byText.set(text, [...(byText.get(text) ?? []), label]);
  }
  const parts = [
    '# Third-party software in dist/cli.js',
    'The CLI bundle includes the following packages, each under its own licence, reproduced here.',
  ];
  for (const [text, labels] of byText)
    parts.push(labels.map((l) => `- ${l}`).join('\n'), `\`\`\`\n${text}\n\`\`\``);
  if (withoutFile.length > 0) {
    parts.push(
      'These ship no licence file; each is under the licence it declares, whose text is given above:',
      withoutFile.map((l) => `- ${l}`).join('\n'),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

async function licenceText(dir: string): Promise<string | undefined> {
  for (const name of ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE', 'LICENSE-MIT']) {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch {
      // not under this name
    }
  }
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = await buildCli();
  console.error(
    `built ${built.file}: ${(built.bytes / 1024).toFixed(0)} KB, ${built.packages.length} packages`,
  );
}
