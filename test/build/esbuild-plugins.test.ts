import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literalSchemaKeys, shakeableSdkSchemas, zodEnglishOnly } from '../../scripts/esbuild-plugins.js';

const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ami-lifecycle-plugins-'));
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** `contents` bundled as the functions are (ESM here, to import it back), with `plugins`. */
async function bundle(contents: string, plugins: Plugin[], options: BuildOptions = {}): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    plugins,
    ...options,
  });
  return result.outputFiles?.[0]?.text ?? '';
}

async function load(code: string, name: string): Promise<Record<string, unknown>> {
  const file = join(dir, `${name}.mjs`);
  await writeFile(file, code);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** A schema export as data: thunks by their source text, which the rewrite must leave alone. */
const canonical = (value: unknown) =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'function' ? `thunk ${v.toString()}` : v));

describe('shakeableSdkSchemas', () => {
  it('rewrites only computed keys that name a string constant', () => {
    const source =
      'const _a = "xmlName";\nconst _n = 1;\nexport var S$ = [0, { [_a]: _b, [_n]: 2, [_z]: 3 }];\n';
    expect(literalSchemaKeys(source)).toBe(
      'const _a = "xmlName";\nconst _n = 1;\nexport var S$ = [0, { "xmlName": _b, [_n]: 2, [_z]: 3 }];\n',
    );
  });

  it("the EC2 client's schemas are the same objects after the rewrite", async () => {
    const entry = "export * from '@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js';";
    const [plain, rewritten] = await Promise.all([
      bundle(entry, []).then((code) => load(code, 'plain')),
      bundle(entry, [shakeableSdkSchemas()]).then((code) => load(code, 'rewritten')),
    ]);
    expect(Object.keys(rewritten).sort()).toEqual(Object.keys(plain).sort());
    const differ = Object.keys(plain).filter(
      (name) => name !== 'errorTypeRegistries' && canonical(plain[name]) !== canonical(rewritten[name]),
    );
    expect(differ).toEqual([]);
  });

  it('and a bundle keeps only the shapes of the operations it uses', async () => {
    const entry =
      "import { EC2Client, DescribeImagesCommand } from '@aws-sdk/client-ec2'; export const used = [EC2Client, DescribeImagesCommand];";
    const [plain, shaken] = await Promise.all([
      bundle(entry, [], { minify: true }),
      bundle(entry, [shakeableSdkSchemas()], { minify: true }),
    ]);
    expect(plain).toContain('WithdrawByoipCidrResult');
    expect(shaken).not.toContain('WithdrawByoipCidrResult');
    expect(shaken).toContain('DescribeImagesResult');
    expect(shaken.length).toBeLessThan(plain.length / 2);
  });
});

describe('zodEnglishOnly', () => {
  it('leaves the other locales out, and zod still speaks English', async () => {
    const entry =
      "import { z } from 'zod'; export const issue = () => z.string().safeParse(1).error?.issues[0]?.message;";
    const [all, english] = await Promise.all([bundle(entry, []), bundle(entry, [zodEnglishOnly()])]);
    expect(all).toContain('Eingabe: erwartet');
    expect(english).not.toContain('Eingabe: erwartet');
    const { issue } = await load(english, 'zod');
    expect(typeof issue === 'function' ? issue() : undefined).toBe(
      'Invalid input: expected string, received number',
    );
  });
});
