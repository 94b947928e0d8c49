import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Ec2Emulator } from '@ami-lifecycle/emulator/ec2/index.js';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { expect } from 'vitest';
import { createEc2ForRegion, createSsmForRegion } from '../../shared/aws/clients.js';
import type { Ec2ForRegion, LoggerPort, SsmForRegion } from '../../shared/core/ports.js';

/** The real EC2 adapter over the real SDK, pointed at a local endpoint; one client per region. */
export function emulatorEc2(endpoint: string): Ec2ForRegion {
  return createEc2ForRegion({
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 8,
  });
}

/** The published shape of the event EC2 sends when an image became available (id `replayed-<image>`). */
export function availableEvent(accountId: string, imageId: string, region = 'us-east-1') {
  return {
    version: '0',
    id: `replayed-${imageId}`,
    'detail-type': 'EC2 AMI State Change',
    source: 'aws.ec2',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:ec2:${region}::image/${imageId}`],
    detail: { RequestId: 'r-1', ImageId: imageId, State: 'available', ErrorMessage: '' },
  };
}

/** The real SSM adapter over the real SDK, pointed at a local endpoint; one client per region. */
export function emulatorSsm(endpoint: string): SsmForRegion {
  return createSsmForRegion({ endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

export const quietLogger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {} };

export const MUTATING = ['CopyImage', 'CreateTags', 'ModifyImageAttribute', 'ModifySnapshotAttribute'];

/** Calls of the given actions since the last counter reset, all regions together (throttled ones included). */
export function callCount(emulator: Ec2Emulator, actions: readonly string[]): number {
  const counters = emulator.counters();
  return actions.reduce(
    (n, action) => n + Object.values(counters[action] ?? {}).reduce((m, c) => m + c.calls - c.throttled, 0),
    0,
  );
}

export interface Expected {
  targets: readonly string[];
  userIds: readonly string[];
  organizationArns: readonly string[];
  organizationalUnitArns: readonly string[];
}

/**
 * Checked against the emulator's own state, not through the tool: the source shared and tagged,
 * and exactly one available copy per target region, shared like the source, with lineage tags on
 * it and all its snapshots.
 */
export function expectDistributed(emulator: Ec2Emulator, sourceImageId: string, expected: Expected): void {
  const source = emulator.getImage('us-east-1', sourceImageId);
  expect(source?.tags['ami-lifecycle:rule'], `rule tag on ${sourceImageId}`).toBe('golden');
  const permissions = {
    userIds: [...expected.userIds],
    public: false,
    organizationArns: [...expected.organizationArns],
    organizationalUnitArns: [...expected.organizationalUnitArns],
  };
  expect(source?.launchPermissions).toEqual(permissions);
  for (const region of expected.targets) {
    const live = emulator
      .listImages(region)
      .filter((i) => i.sourceImageId === sourceImageId && (i.state === 'available' || i.state === 'pending'));
    expect(
      live.map((i) => i.state),
      `copies of ${sourceImageId} in ${region}`,
    ).toEqual(['available']);
    const [copy] = live;
    expect(copy?.launchPermissions, `sharing of ${copy?.imageId}`).toEqual(permissions);
    expect(copy?.tags).toMatchObject({
      'ami-lifecycle:source-image-id': sourceImageId,
      'ami-lifecycle:source-region': 'us-east-1',
      'ami-lifecycle:rule': 'golden',
    });
    for (const snapshotId of copy?.snapshotIds ?? []) {
      expect(emulator.getSnapshot(region, snapshotId)?.tags).toMatchObject({
        'ami-lifecycle:source-image-id': sourceImageId,
      });
    }
  }
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The `ami-lifecycle` command as a separate process, pointed at a local endpoint with dummy
 * credentials (the variables a user would export), the integration rules file, and no bus, table
 * or profile from the caller's environment unless `env` gives them.
 */
export function runCli(
  endpoint: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const root = join(import.meta.dirname, '../..');
  const {
    AWS_PROFILE: _profile,
    EVENT_BUS_NAME: _bus,
    DISTRIBUTIONS_TABLE: _table,
    ...inherited
  } = process.env;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'bin/ami-lifecycle.js'), ...args],
      {
        cwd: root,
        timeout: 60_000,
        env: {
          ...inherited,
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_REGION: 'us-east-1',
          RULES_FILE: 'test/fixtures/rules/integration.yaml',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        if (error === null) resolve({ code: 0, stdout, stderr });
        else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
        else reject(new Error(`${error.message}\n${stderr}`));
      },
    );
  });
}

/**
 * A release distributed while the tool saw nothing: the source in us-east-1 and one available copy
 * in each target region (EC2's SourceImageId set, no lineage tags, nothing shared), no event sent.
 */
export function seedLostRelease(
  emulator: Ec2Emulator,
  name: string,
  targets: readonly string[],
): { source: { imageId: string }; copies: Array<{ region: string; imageId: string }> } {
  const source = emulator.seedImage({ region: 'us-east-1', name, emitEvent: false });
  const copies = targets.map((region) => ({
    region,
    imageId: emulator.seedImage({
      region,
      name,
      emitEvent: false,
      sourceImageId: source.imageId,
      sourceImageRegion: 'us-east-1',
    }).imageId,
  }));
  return { source, copies };
}

/**
 * The whole local stack as the integration tests use it: this repository's serverless.yml and
 * handlers, the integration rules file, copies pending 50 ms.
 */
export function startIntegrationStack(
  options: { retryDelayMs?: number; env?: Record<string, string>; rulesFile?: string } = {},
): Promise<LocalStack> {
  return startLocalStack({
    root: join(import.meta.dirname, '../..'),
    rulesFile: 'test/fixtures/rules/integration.yaml',
    ec2: { copyDelayMs: 50 },
    ...options,
  });
}
