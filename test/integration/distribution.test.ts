import type { ImageView } from '@ami-lifecycle/emulator/ec2/index.js';
import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DeregisterImageCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectValidToolEvents } from '../support/tool-events.js';
import { availableEvent as ec2AvailableEvent, startIntegrationStack } from './helpers.js';

/**
 * End to end, locally: the real `amiStateChange` handler, invoked by the local bus built from
 * serverless.yml, calling the emulator through the real SDK over HTTP. Each test gets a fresh
 * emulator behind the same endpoint (the handler module keeps its clients, as a warm Lambda does).
 */

const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];
const ORG = 'arn:aws:organizations::111122223333:organization/o-exampleorg1';
const OU = 'arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startIntegrationStack({ retryDelayMs: 100 });
});

afterEach(() => {
  // Every event of the tool a test caused matches its published schema.
  expectValidToolEvents(stack.bus.events().map((r) => r.event));
});

afterAll(async () => {
  await stack?.close();
});

function seed(name = 'golden-linux-1', emitEvent = true) {
  return stack.emulator.seedImage({
    region: 'us-east-1',
    name,
    emitEvent,
    blockDeviceMappings: [{ deviceName: '/dev/xvda' }, { deviceName: '/dev/xvdb', volumeSize: 20 }],
  });
}

function copiesOf(sourceImageId: string, region: string): ImageView[] {
  return stack.emulator.listImages(region).filter((i) => i.sourceImageId === sourceImageId);
}

function calls(action: string, region?: string): { calls: number; failed: number; throttled: number } {
  const byRegion = stack.emulator.counters()[action] ?? {};
  const counts = region === undefined ? Object.values(byRegion) : [byRegion[region]];
  return {
    calls: counts.reduce((n, c) => n + (c?.calls ?? 0), 0),
    failed: counts.reduce((n, c) => n + (c?.failed ?? 0), 0),
    throttled: counts.reduce((n, c) => n + (c?.throttled ?? 0), 0),
  };
}

/** The published shape of the event EC2 sends when the image became available. */
function availableEvent(imageId: string) {
  return ec2AvailableEvent(stack.emulator.accountId, imageId);
}

/** The source and one available, shared, lineage-tagged copy in every target region. */
function expectDistributed(sourceImageId: string): void {
  const source = stack.emulator.getImage('us-east-1', sourceImageId);
  expect(source?.tags).toMatchObject({ owner: 'platform', 'ami-lifecycle:rule': 'golden' });
  expect(source?.launchPermissions).toEqual({
    userIds: ['444455556666'],
    public: false,
    organizationArns: [ORG],
    organizationalUnitArns: [OU],
  });
  for (const region of TARGETS) {
    const copies = copiesOf(sourceImageId, region);
    expect(copies, `copies in ${region}`).toHaveLength(1);
    const [copy] = copies;
    expect(copy?.state).toBe('available');
    expect(copy?.launchPermissions).toEqual(source?.launchPermissions);
    expect(copy?.tags).toMatchObject({
      distribution: 'golden',
      'ami-lifecycle:source-image-id': sourceImageId,
      'ami-lifecycle:source-region': 'us-east-1',
    });
    expect(copy?.snapshotIds).toHaveLength(2);
    for (const snapshotId of copy?.snapshotIds ?? []) {
      const snapshot = stack.emulator.getSnapshot(region, snapshotId);
      expect(snapshot?.tags).toMatchObject({
        'ami-lifecycle:source-image-id': sourceImageId,
        distribution: 'golden',
      });
      expect(snapshot?.createVolumePermissions.userIds).toEqual(['444455556666']);
    }
  }
}

describe('distribution through the local stack', () => {
  it('first distribution: copies to three regions, each shared and tagged in its own region', async () => {
    stack.reset();
    const { imageId } = seed();
    await stack.settle();

    expectDistributed(imageId);
    expect(calls('CopyImage')).toEqual({ calls: 3, failed: 0, throttled: 0 });
    // The source was tagged before any copy started: every copy took the rule's image tag from it
    // (CopyImageTags) at creation, and no copy needed a CreateTags afterwards.
    for (const region of TARGETS) {
      expect(copiesOf(imageId, region)[0]?.tags).toMatchObject({ owner: 'platform' });
      expect(calls('CreateTags', region).calls).toBe(0);
    }
    // The copies' own events were handled in their regions: one share per copy, none in the source's name.
    for (const region of TARGETS) expect(calls('ModifyImageAttribute', region).calls).toBe(1);
    const failures = stack.timeline.filter((e) => e.kind === 'delivery' && e.record.outcome === 'error');
    expect(failures).toEqual([]);
  });

  it('the same event delivered five times at once: exactly one copy per region', async () => {
    stack.reset();
    const { imageId } = seed('golden-linux-2', false);
    const event = availableEvent(imageId);
    for (let i = 0; i < 5; i++) stack.bus.put('default', event);
    await stack.settle();

    expectDistributed(imageId);
    // Five handlers raced; the deterministic ClientToken made EC2 answer the later CopyImage calls with the first copy.
    const copyImageCalls = calls('CopyImage');
    expect(copyImageCalls.calls).toBeGreaterThanOrEqual(3);
    expect(copyImageCalls.failed).toBe(0);
    for (const region of TARGETS) expect(stack.emulator.listImages(region)).toHaveLength(1);
  });

  it('ResourceLimitExceeded in one region: the others go on, and the retry starts the copy once a slot frees', async () => {
    stack.reset({ maxConcurrentCopiesPerRegion: 1, copyDelayMs: 150 });
    const first = seed('golden-limit-1');
    const second = seed('golden-limit-2');
    await stack.settle();

    expectDistributed(first.imageId);
    expectDistributed(second.imageId);
    expect(calls('CopyImage').failed).toBeGreaterThan(0);
    const retried = stack.timeline.filter(
      (e) =>
        e.kind === 'delivery' && e.record.attemptErrors.some((err) => err.name === 'RetryableFailuresError'),
    );
    expect(retried.length).toBeGreaterThan(0);
  });

  it('the source deregistered before its copy starts: the late event copies nothing', async () => {
    stack.reset();
    const { imageId } = seed('golden-gone', false);
    const client = new EC2Client({
      region: 'us-east-1',
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await client.send(new DeregisterImageCommand({ ImageId: imageId }));
    stack.bus.put('default', availableEvent(imageId));
    await stack.settle();

    for (const region of TARGETS) expect(copiesOf(imageId, region)).toEqual([]);
    expect(calls('CopyImage').calls).toBe(0);
    const [delivery] = stack.timeline.flatMap((e) =>
      e.kind === 'delivery' && e.record.eventId === `replayed-${imageId}` ? [e.record] : [],
    );
    expect(delivery?.outcome).toBe('success');
    expect(delivery?.result).toMatchObject({ status: 'ignored' });
  });

  it('a failed copy: reported as AMI Copy Failed on the tool bus, with the reason; the other regions converge', async () => {
    stack.reset();
    stack.emulator.failNextCopy('ap-southeast-2', 'Snapshot copy failed: KMS key is disabled');
    const { imageId } = seed('golden-fail');
    await stack.settle();

    const failed = copiesOf(imageId, 'ap-southeast-2');
    expect(failed.map((i) => i.state)).toEqual(['failed']);
    const notices = stack.bus.events().filter((r) => r.event['detail-type'] === 'AMI Copy Failed');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.bus).not.toBe('default');
    expect(notices[0]?.event.source).toBe('ami-lifecycle');
    expect(notices[0]?.event.detail).toMatchObject({
      imageId: failed[0]?.imageId,
      region: 'ap-southeast-2',
      sourceImageId: imageId,
      sourceRegion: 'us-east-1',
      rule: 'golden',
      reason: 'Snapshot copy failed: KMS key is disabled',
    });
    for (const region of ['eu-west-1', 'us-west-2']) {
      expect(copiesOf(imageId, region).map((i) => i.state)).toEqual(['available']);
    }
  });
  // Last: the SDK's adaptive retry mode slows the handler's clients after throttling, for the rest of the file.
  it('a throttling storm: RequestLimitExceeded is retried and every image converges, without duplicates', async () => {
    stack.reset({
      throttle: {
        mutating: { capacity: 4, refillPerSecond: 40 },
        nonMutating: { capacity: 6, refillPerSecond: 60 },
      },
    });
    const sources = Array.from({ length: 6 }, (_, i) => seed(`golden-storm-${i}`));
    await stack.settle(120_000);

    for (const { imageId } of sources) expectDistributed(imageId);
    const throttled = Object.values(stack.emulator.counters()).flatMap((byRegion) =>
      Object.values(byRegion).map((c) => c.throttled),
    );
    expect(throttled.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(calls('CopyImage').calls - calls('CopyImage').throttled).toBeGreaterThanOrEqual(
      sources.length * 3,
    );
  });
});
