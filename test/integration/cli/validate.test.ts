import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin/ami-lifecycle.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as users do; `RULES_FILE` is unset unless `env` sets it. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const { RULES_FILE: _ignored, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...inherited, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'number') {
      const { stdout, stderr } = error as Error & { stdout?: unknown; stderr?: unknown };
      return { code: error.code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') };
    }
    throw error;
  }
}

let dir: string;
let validFile: string;
let invalidFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'validate-'));
  validFile = join(dir, 'valid.yaml');
  writeFileSync(
    validFile,
    `version: 1
rules:
  - name: web
    match: { regions: [us-east-1, us-east-2], names: ["web-*"] }
    copy:
      regions: [eu-west-1, ap-southeast-2]
      name: "{name} from {sourceRegion}"
      encrypted: true
      kmsKeys: { eu-west-1: alias/images, ap-southeast-2: alias/images }
    share: { accounts: ["444455556666"], snapshotPermissions: true }
  - name: base
    match: { regions: [eu-central-1], owners: [amazon], names: ["al2023-ami-*"] }
    copy: { regions: [eu-west-1] }
  - name: tag-only
    match: { regions: [us-west-2] }
`,
  );
  invalidFile = join(dir, 'invalid.yaml');
  writeFileSync(
    invalidFile,
    `version: 1
rules:
  - name: web
    match: { regions: [eu-west1] }
    share: { acounts: ["444455556666"] }
  - name: db
    match: { regions: [us-east-1] }
    share: { public: true, accounts: [444455556666] }
`,
  );
});

describe('ami-lifecycle validate', () => {
  it('exits 0 and summarises each rule: source regions → targets, and what it shares', async () => {
    const { code, stdout } = await cli(['validate', '--rules', validFile]);
    expect(code).toBe(0);
    expect(stdout).toContain(`${validFile} is valid: 3 rules`);
    expect(stdout).toContain('us-east-1, us-east-2 → eu-west-1, ap-southeast-2 (encrypted)');
    expect(stdout).toContain('444455556666');
    expect(stdout).toMatch(/base \(owners: amazon\)\n {2}eu-central-1 → eu-west-1\n {2}not shared/);
    expect(stdout).toMatch(/tag-only\n {2}us-west-2 → no copies/);
  });

  it('--regions prints every source and target region once, one per line, for deploy loops', async () => {
    const { code, stdout } = await cli(['validate', '--rules', validFile, '--regions']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'us-east-1',
      'us-east-2',
      'eu-west-1',
      'ap-southeast-2',
      'eu-central-1',
      'us-west-2',
    ]);
  });

  it('--regions on an invalid file: exit 2, nothing on stdout (a deploy loop deploys nowhere)', async () => {
    const { code, stdout } = await cli(['validate', '--rules', invalidFile, '--regions']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });

  it('exits 2 and prints every issue when the file does not validate', async () => {
    const { code, stdout, stderr } = await cli(['validate', '--rules', invalidFile]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${invalidFile} is not a valid rules file`);
    for (const issue of [
      'rules[0] "web": match.regions[0]: unknown region "eu-west1"',
      'rules[0] "web": share: unknown key "acounts"',
      'rules[1] "db": share.accounts[0]: must be a 12-digit AWS account id in quotes',
    ]) {
      expect(stderr).toContain(`  - ${issue}`);
    }
  });

  it('prints {valid: true, rules} with --json', async () => {
    const { code, stdout } = await cli(['validate', '--rules', validFile, '--json']);
    expect(code).toBe(0);
    const output: unknown = JSON.parse(stdout);
    expect(output).toEqual({
      valid: true,
      rules: [
        {
          name: 'web',
          owners: ['self'],
          sourceRegions: ['us-east-1', 'us-east-2'],
          targetRegions: ['eu-west-1', 'ap-southeast-2'],
          encrypted: true,
          share: {
            accounts: ['444455556666'],
            organizations: [],
            organizationalUnits: [],
            public: false,
            snapshotPermissions: true,
          },
        },
        expect.objectContaining({ name: 'base', owners: ['amazon'], targetRegions: ['eu-west-1'] }),
        expect.objectContaining({ name: 'tag-only', sourceRegions: ['us-west-2'], targetRegions: [] }),
      ],
    });
  });

  it('prints {valid: false, issues} with --json, and exits 2', async () => {
    const { code, stdout } = await cli(['validate', '--rules', invalidFile, '--json']);
    expect(code).toBe(2);
    const output: unknown = JSON.parse(stdout);
    expect(output).toEqual({
      valid: false,
      issues: [
        'rules[0] "web": match.regions[0]: unknown region "eu-west1"',
        'rules[0] "web": share: unknown key "acounts"',
        expect.stringMatching(/^rules\[1\] "db": share\.accounts\[0\]: must be a 12-digit/),
      ],
    });
  });

  it('reads $RULES_FILE when --rules is not given', async () => {
    const { code, stderr } = await cli(['validate'], { RULES_FILE: invalidFile });
    expect(code).toBe(2);
    expect(stderr).toContain(`${invalidFile} is not a valid rules file`);
  });

  it('reads config/ami-rules.yaml by default', async () => {
    const { code, stdout } = await cli(['validate']);
    expect(code).toBe(0);
    expect(stdout).toContain('config/ami-rules.yaml is valid: 2 rules');
    expect(stdout).toContain('golden-linux');
  });

  it('exits 2 for a file that does not exist', async () => {
    const { code, stderr } = await cli(['validate', '--rules', join(dir, 'missing.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot read the file');
  });

  it('exits 2 for an unknown option', async () => {
    const { code, stderr } = await cli(['validate', '--rule', validFile]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--rule'");
  });

  it('exits 2 naming the file for YAML that would exhaust the loader (aliases that expand to billions)', async () => {
    const laughs = join(dir, 'laughs.yaml');
    writeFileSync(
      laughs,
      [
        'l0: &l0 ["ha","ha","ha","ha","ha","ha","ha","ha","ha","ha"]',
        ...Array.from(
          { length: 9 },
          (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(',')}]`,
        ),
        'version: 1',
        'rules: *l9',
      ].join('\n'),
    );
    const { code, stderr } = await cli(['validate', '--rules', laughs]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${laughs} is not a valid rules file`);
    expect(stderr).toContain('expands to more than');
  });

  it('prints values from the file escaped: a terminal escape in a rule name is shown, not obeyed', async () => {
    const hostile = join(dir, 'hostile.yaml');
    writeFileSync(
      hostile,
      'version: 1\nrules:\n  - name: "web\\e[2J\\u202e"\n    match: { regions: [us-east-1] }\n',
    );
    const { code, stderr } = await cli(['validate', '--rules', hostile]);
    expect(code).toBe(2);
    expect(stderr).not.toContain('\u001b');
    expect(stderr).not.toContain('\u202e');
    expect(stderr).toContain('\\u001b[2J\\u202e');
  });
});
