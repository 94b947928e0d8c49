import { expect } from 'vitest';
import type { Ec2Emulator } from '../../local/ec2/index.js';
import { createEc2Clients, createEc2ForRegion, portsOver } from '../../shared/aws/clients.js';
import { createRetirementEc2 } from '../../shared/aws/ec2-retirement.js';
import type { Ec2ForRegion, LoggerPort } from '../../shared/core/ports.js';
import type { RetirementEc2ForRegion } from '../../shared/core/retirement-ports.js';

/** The real EC2 adapter over the real SDK, pointed at a local endpoint; one client per region. */
export function emulatorEc2(endpoint: string): Ec2ForRegion {
  return createEc2ForRegion({
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 8,
  });
}

/** The real retirement adapter, pointed at a local endpoint. */
export function emulatorRetirementEc2(endpoint: string): RetirementEc2ForRegion {
  return portsOver(
    createEc2Clients({ endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    createRetirementEc2,
  );
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
