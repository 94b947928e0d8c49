import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

/**
 * One Node story, stated in three places that must agree: `engines` (the Node the tool runs on,
 * what a packed CLI's user needs), `devEngines` (the Node that runs npm in a clone: `npm ci`
 * installs the `node` devDependency, and every npm script runs on it, as npm puts
 * node_modules/.bin first on a script's PATH), and the Lambda runtime in serverless.yml, the
 * major that `node` devDependency pins so the tests run on what AWS runs.
 */
const root = join(import.meta.dirname, '..');
const pkg: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field at `path`, when it is a string. */
function field(value: unknown, ...path: string[]): string | undefined {
  let at = value;
  for (const key of path) {
    if (!isRecord(at)) return undefined;
    at = at[key];
  }
  return typeof at === 'string' ? at : undefined;
}

/** `>=22.12` → [22, 12, 0]; `^24.21.0` → [24, 21, 0]: the lowest version a simple range admits. */
function floor(range: string | undefined): number[] {
  const match = /^(?:>=|\^)\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range ?? '');
  if (match === null) throw new Error(`not a ">=x.y" or "^x.y.z" range: ${range}`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function atLeast(version: number[], minimum: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    const [a = 0, b = 0] = [version[i], minimum[i]];
    if (a !== b) return a > b;
  }
  return true;
}

it('runs the npm scripts on the Lambda runtime major, a Node the tool supports', () => {
  const scriptsNode = floor(field(pkg, 'devDependencies', 'node'));
  const runtime = /^\s*runtime:\s*nodejs(\d+)\.x\s*$/m.exec(
    readFileSync(join(root, 'serverless.yml'), 'utf8'),
  );
  expect(runtime?.[1]).toBe(String(scriptsNode[0]));
  expect(atLeast(scriptsNode, floor(field(pkg, 'engines', 'node')))).toBe(true);
});

it('installs from a clone with any Node that runs npm, no newer than the tool needs to run', () => {
  expect(field(pkg, 'devEngines', 'runtime', 'name')).toBe('node');
  const install = floor(field(pkg, 'devEngines', 'runtime', 'version'));
  expect(atLeast(floor(field(pkg, 'engines', 'node')), install)).toBe(true);
});

it('the installed command refuses exactly the Node versions `engines` excludes, saying which it needs', () => {
  const [major, minor] = floor(field(pkg, 'engines', 'node'));
  const bin = readFileSync(join(root, 'bin', 'ami-lifecycle.js'), 'utf8');
  expect(bin).toContain(`if (major < ${major} || (major === ${major} && minor < ${minor})) {`);
  expect(bin).toContain(`needs Node.js ${major}.${minor} or later`);
});
