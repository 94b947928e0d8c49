import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEc2Emulator, type Ec2Emulator } from '@ami-lifecycle/emulator/ec2/index.js';
import { type LocalServer, startLocalServer } from '@ami-lifecycle/emulator/server.js';
import { createStsEmulator } from '@ami-lifecycle/emulator/sts/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCliInProcess } from '../../support/cli.js';

/**
 * `plan`, `apply` and `status` as operators run them, through the real SDK and the standard
 * credential chain, against the EC2 emulator on loopback (AWS_ENDPOINT_URL). Most runs are in this
 * process (`runCliInProcess`: the same code without a process start each); the exit codes of a
 * plan with changes, of bad arguments and of an unreachable endpoint are checked on the built
 * command in a process of its own. The tests run in order: they follow one image from first plan
 * to convergence.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin/ami-lifecycle.js');
const RULES = 'test/fixtures/rules/integration.yaml';
const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];
const REGIONS = ['us-east-1', ...TARGETS];
const MUTATING = ['CopyImage', 'CreateTags', 'ModifyImageAttribute', 'ModifySnapshotAttribute'];

let emulator: Ec2Emulator;
let server: LocalServer;
let sourceImageId: string;

/** The environment of a run pointed at the emulator; `AWS_ACCOUNT_ID` and `RULES_FILE` unset unless given. */
function environment(env: Record<string, string>): Record<string, string | undefined> {
  return {
    AWS_ACCOUNT_ID: undefined,
    RULES_FILE: undefined,
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    ...env,
  };
}

/** Runs the CLI in this process, pointed at the emulator. */
const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCliInProcess(args, environment(env));

/** Runs the built CLI in a child process pointed at the emulator. */
function spawnCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const { AWS_ACCOUNT_ID: _a, RULES_FILE: _r, AWS_PROFILE: _p, ...inherited } = process.env;
  const given = Object.entries(environment(env)).flatMap(([key, value]) =>
    value === undefined ? [] : [[key, value]],
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, timeout: 50_000, env: { ...inherited, ...Object.fromEntries(given) } },
      (error, stdout, stderr) => {
        if (error === null) resolve({ code: 0, stdout, stderr });
        else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
        else reject(new Error(`${error.message}\n${stderr}`));
      },
    );
  });
}

function parse(stdout: string): unknown {
  return JSON.parse(stdout);
}

/** Successful calls of the mutating actions, all regions together. */
function mutatingCalls(): number {
  const counters = emulator.counters();
  return MUTATING.reduce(
    (n, action) => n + Object.values(counters[action] ?? {}).reduce((m, c) => m + c.succeeded, 0),
    0,
  );
}

function copiesOf(region: string): { imageId: string; state: string; userIds: readonly string[] }[] {
  return emulator
    .listImages(region)
    .filter((i) => i.sourceImageId === sourceImageId)
    .map((i) => ({ imageId: i.imageId, state: i.state, userIds: i.launchPermissions.userIds }));
}

/** A port nothing listens on: bound, read, released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  emulator = createEc2Emulator({ copyDelayMs: 60_000, throttle: false });
  server = await startLocalServer({ ec2: emulator.service, sts: createStsEmulator().service });
  ({ imageId: sourceImageId } = emulator.seedImage({
    region: 'us-east-1',
    name: 'golden-linux-1',
    emitEvent: false,
    blockDeviceMappings: [{ deviceName: '/dev/xvda' }, { deviceName: '/dev/xvdb', volumeSize: 20 }],
  }));
});

afterAll(async () => {
  emulator?.close();
  await server?.close();
});

describe('ami-lifecycle plan, apply and status against the emulator', () => {
  it('plan prints the copies and shares it would make, exits 3, and changes nothing', async () => {
    emulator.resetCounters();
    const { code, stdout, stderr } = await spawnCli(['plan', '--rules', RULES]);
    expect(stderr).toBe('');
    expect(code).toBe(3);
    expect(stdout).toContain('Plan: account 123456789012,');
    for (const region of TARGETS) {
      expect(stdout).toContain(`+ ${region} copy ${sourceImageId} from us-east-1 as "golden-linux-1"`);
    }
    expect(stdout).toContain(`+ us-east-1 share ${sourceImageId} with account 444455556666`);
    expect(stdout).toContain('~ us-east-1 tag');
    expect(stdout).toMatch(/^total +1 +0 +1 +1 +2 +3 +0$/m);
    expect(stdout).toContain('7 changes planned in 4 regions');
    expect(mutatingCalls()).toBe(0);
    for (const region of TARGETS) expect(copiesOf(region)).toEqual([]);

    const dryRun = await cli(['apply', '--dry-run', '--rules', RULES]);
    expect(dryRun.code).toBe(3);
    expect(dryRun.stdout).toBe(stdout);
    expect(mutatingCalls()).toBe(0);
  });

  it('plan --json prints one parseable document with every region', async () => {
    const { code, stdout } = await cli(['plan', '--rules', RULES, '--json', '--progress']);
    expect(code).toBe(3);
    const output = parse(stdout);
    expect(output).toMatchObject({
      command: 'plan',
      dryRun: true,
      accountId: '123456789012',
      totals: { planned: 7, applied: 0, failed: 0 },
      exitCode: 3,
    });
    expect(output).toHaveProperty(
      'regions',
      REGIONS.map((region) => expect.objectContaining({ region, dryRun: true })),
    );
  });

  it('--progress writes per-region phases to stderr only', async () => {
    const { stdout, stderr } = await cli(['plan', '--rules', RULES, '--json', '--progress']);
    expect(() => parse(stdout)).not.toThrow();
    for (const region of REGIONS) expect(stderr).toMatch(new RegExp(`^${region} +images listed$`, 'm'));
    expect(stderr).toMatch(/^us-east-1 +observing 1\/1$/m);
  });

  it('apply exits 0 and starts one copy in every target region', async () => {
    const { code, stdout } = await cli(['apply', '--rules', RULES, '--account', '123456789012']);
    expect(code).toBe(0);
    expect(stdout).toContain('Applied 7 of 7 changes in 4 regions.');
    for (const region of TARGETS) expect(copiesOf(region).map((c) => c.state)).toEqual(['pending']);
    const source = emulator.getImage('us-east-1', sourceImageId);
    expect(source?.tags).toMatchObject({ 'ami-lifecycle:rule': 'golden', owner: 'platform' });
    expect(source?.launchPermissions.userIds).toEqual(['444455556666']);
  });

  it('status shows the copies pending while they are', async () => {
    const { code, stdout } = await cli(['status', '--rules', RULES]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(
        `^golden +${sourceImageId} +golden-linux-1 +us-east-1 +src available +pending +pending +pending$`,
        'm',
      ),
    );
  });

  it('once the copies are available, a second apply shares them', async () => {
    emulator.completePendingCopies();
    const { code, stdout } = await cli(['apply', '--rules', RULES]);
    expect(code).toBe(0);
    expect(stdout).toContain('Applied 9 of 9 changes in 4 regions.');
    for (const region of TARGETS) {
      expect(copiesOf(region)).toEqual([
        expect.objectContaining({ state: 'available', userIds: ['444455556666'] }),
      ]);
    }
  });

  it('then plan exits 0 with nothing to do, and apply makes no mutating call', async () => {
    const planned = await cli(['plan', '--rules', RULES]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('No changes in 4 regions.');
    for (const region of REGIONS) expect(planned.stdout).toContain(`${region}:`);

    emulator.resetCounters();
    const applied = await cli(['apply', '--rules', RULES, '--json']);
    expect(applied.code).toBe(0);
    expect(parse(applied.stdout)).toMatchObject({
      totals: { planned: 0, applied: 0, failed: 0 },
      exitCode: 0,
    });
    expect(mutatingCalls()).toBe(0);
  });

  it('status shows every target region available, and --json has the matrix', async () => {
    const text = await cli(['status', '--rules', RULES]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^RULE +SOURCE +NAME +FROM +us-east-1 +eu-west-1 +ap-southeast-2 +us-west-2$/m,
    );
    expect(text.stdout).toMatch(
      new RegExp(
        `^golden +${sourceImageId} +golden-linux-1 +us-east-1 +src available +available +available +available$`,
        'm',
      ),
    );
    expect(text.stdout).toContain(
      '1 source image: 3 copies available, 0 pending, 0 missing, 0 failed; 0 with drift.',
    );
    expect(text.stdout).toContain('Legend:');

    const json = await cli(['status', '--rules', RULES, '--json']);
    expect(json.code).toBe(0);
    const copy = (region: string) => ({
      state: 'available',
      role: 'copy',
      pendingChanges: 0,
      images: [expect.objectContaining({ imageId: copiesOf(region)[0]?.imageId, state: 'available' })],
    });
    expect(parse(json.stdout)).toMatchObject({
      command: 'status',
      accountId: '123456789012',
      regions: REGIONS,
      errors: [],
      rows: [
        {
          rule: 'golden',
          sourceImageId,
          name: 'golden-linux-1',
          sourceRegion: 'us-east-1',
          cells: {
            'us-east-1': { state: 'available', role: 'source', pendingChanges: 0 },
            'eu-west-1': copy('eu-west-1'),
            'ap-southeast-2': copy('ap-southeast-2'),
            'us-west-2': copy('us-west-2'),
          },
        },
      ],
    });
  });

  it('status marks drift with * and deprecation with the date', async () => {
    const seeded = emulator.seedImage({
      region: 'us-east-1',
      name: 'golden-linux-0',
      emitEvent: false,
      deprecationTime: new Date('2026-12-01T00:00:00Z'),
    });
    const { code, stdout } = await cli(['status', '--rules', RULES, '--region', 'us-east-1,eu-west-1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^RULE +SOURCE +NAME +FROM +us-east-1 +eu-west-1$/m);
    expect(stdout).toMatch(
      new RegExp(
        `^golden +${seeded.imageId} +golden-linux-0 +us-east-1 +src available\\* dep 2026-12-01 +missing$`,
        'm',
      ),
    );
  });

  it('status shows a disabled copy as disabled, not failed', async () => {
    const source = emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-00', emitEvent: false });
    emulator.seedImage({
      region: 'eu-west-1',
      name: 'golden-linux-00',
      emitEvent: false,
      state: 'disabled',
      sourceImageId: source.imageId,
      sourceImageRegion: 'us-east-1',
      tags: {
        'ami-lifecycle:rule': 'golden',
        'ami-lifecycle:source-image-id': source.imageId,
        'ami-lifecycle:source-region': 'us-east-1',
      },
    });
    const { code, stdout } = await cli(['status', '--rules', RULES, '--region', 'us-east-1,eu-west-1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^golden +${source.imageId} +golden-linux-00 +us-east-1 +src available\\* +disabled$`, 'm'),
    );
    expect(stdout).toMatch(/, 1 disabled, 0 failed;/);
  });

  it('plan --image plans one image through the event path', async () => {
    const { code, stdout } = await cli([
      'plan',
      '--rules',
      RULES,
      '--image',
      sourceImageId,
      '--region',
      'us-east-1',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(`${sourceImageId} in us-east-1 ("golden-linux-1"): source image, rule golden`);
    expect(stdout).toContain('No changes: the image is in the state its rule describes.');

    const fresh = emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-2', emitEvent: false });
    const planned = await cli([
      'plan',
      '--rules',
      RULES,
      '--image',
      fresh.imageId,
      '--region',
      'us-east-1',
      '--json',
    ]);
    expect(planned.code).toBe(3);
    const output = parse(planned.stdout);
    expect(output).toMatchObject({ status: 'planned', role: 'source', rule: 'golden', exitCode: 3 });
    expect(output).toHaveProperty(
      'diff',
      expect.arrayContaining(TARGETS.map((r) => expect.stringContaining(`+ ${r} copy ${fresh.imageId}`))),
    );

    const missing = await cli([
      'plan',
      '--rules',
      RULES,
      '--image',
      'ami-00000000000000000',
      '--region',
      'us-east-1',
    ]);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('ami-00000000000000000 not found in us-east-1');

    const noRegion = await cli(['plan', '--rules', RULES, '--image', sourceImageId]);
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toContain('--image needs exactly one --region');
  });

  it('an invalid rules file exits 2 with its issues, before any AWS call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-rules-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  - name: x\n    match: { regions: [eu-west1] }\n');
    emulator.resetCounters();
    for (const command of ['plan', 'apply', 'status']) {
      const { code, stdout, stderr } = await cli([command, '--rules', file]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`${file} is not a valid rules file`);
      expect(stderr).toContain('unknown region "eu-west1"');
    }
    const json = await cli(['plan', '--rules', file, '--json']);
    expect(json.code).toBe(2);
    expect(parse(json.stdout)).toMatchObject({
      error: { kind: 'invalid-rules', issues: [expect.any(String)] },
    });
    expect(emulator.counters()).toEqual({});
  });

  it.each([
    { args: ['--region', 'eu-west1'], stderr: '--region: unknown region "eu-west1"' },
    { args: ['--concurrency', '0'], stderr: '--concurrency must be a whole number of at least 1' },
    { args: ['--account', '1234'], stderr: '--account must be a 12-digit AWS account id' },
    { args: ['--colour'], stderr: "unknown option '--colour'" },
  ])('exits 2 for bad arguments: $args', async ({ args, stderr }) => {
    const result = await spawnCli(['plan', '--rules', RULES, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(stderr);
  });

  it("acts for the credentials' account (STS), and exits 2 before any EC2 call when --account or AWS_ACCOUNT_ID names another", async () => {
    emulator.resetCounters();
    const given = await cli(['apply', '--rules', RULES, '--account', '999988887777']);
    expect(given.code).toBe(2);
    expect(given.stderr).toContain(
      'the credentials act for account 123456789012, not 999988887777 (--account)',
    );
    const env = await cli(['plan', '--rules', RULES], { AWS_ACCOUNT_ID: '999988887777' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('not 999988887777 (AWS_ACCOUNT_ID)');
    expect(emulator.counters()).toEqual({});
    // A 12-digit access key is that account's, as in AWS: the run acts for it.
    const other = await cli(['plan', '--rules', RULES, '--json'], { AWS_ACCESS_KEY_ID: '999988887777' });
    expect(parse(other.stdout)).toMatchObject({ accountId: '999988887777' });
  });

  it('an unreachable endpoint exits 1 with one clear line', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    for (const extra of [[], ['--account', '123456789012']]) {
      const { code, stdout, stderr } = await spawnCli(['apply', '--rules', RULES, ...extra], {
        AWS_ENDPOINT_URL: endpoint,
      });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: GetCallerIdentity in us-east-1 failed: ECONNREFUSED/);
      expect(lines[0]).toContain(`is the endpoint ${endpoint} up?`);
    }
  });
});

describe('retirement from the CLI', () => {
  it('plan shows what retirement would do; apply deregisters only what the rule opts in to, and announces it', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const old = emulator.seedImage({
      region: 'us-east-1',
      name: 'golden-retire-old',
      emitEvent: false,
      creationDate: new Date(Date.now() - 100 * DAY),
      tags: { 'ami-lifecycle:rule': 'golden' },
    });
    emulator.seedImage({
      region: 'us-east-1',
      name: 'golden-retire-new',
      emitEvent: false,
      tags: { 'ami-lifecycle:rule': 'golden' },
    });
    const rulesFile = join(mkdtempSync(join(tmpdir(), 'ami-cli-retire-')), 'rules.yaml');
    writeFileSync(
      rulesFile,
      `version: 1
rules:
  - name: golden
    match: { regions: [us-east-1], names: ['golden-retire-*'] }
    retire: { keep: 1, deregisterAfterDays: 30, apply: true }
`,
    );

    const planned = await cli(['plan', '--rules', rulesFile, '--region', 'us-east-1']);
    expect(planned.code).toBe(3);
    expect(planned.stdout).toContain(old.imageId);
    expect(planned.stdout).toMatch(/deregister/);
    expect(emulator.getImage('us-east-1', old.imageId)?.state).toBe('available');

    const skipped = await cli(['apply', '--rules', rulesFile, '--region', 'us-east-1', '--no-retire']);
    expect(skipped.code).toBe(0);
    expect(emulator.getImage('us-east-1', old.imageId)?.state).toBe('available');

    const applied = await cli(['apply', '--rules', rulesFile, '--region', 'us-east-1']);
    expect(applied.code).toBe(0);
    expect(emulator.getImage('us-east-1', old.imageId)?.state).toBe('deregistered');
    expect(applied.stderr).toContain('AMI Deregistered');
    expect(applied.stderr).toContain(old.imageId);
  });
});
