import { lambdaContext, type PutRecord } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DISTRIBUTED_TAG } from '../../shared/core/completion.js';
import { DetailType } from '../../shared/core/notifications.js';
import { expectValidToolEvents } from '../support/tool-events.js';
import { seedLostRelease, startIntegrationStack } from './helpers.js';

/**
 * Issue 5 end to end: the real handlers (amiStateChange, reconcile, notify) through the real SDK
 * clients against the local EC2, EventBridge, DynamoDB and SNS; `AMI Distribution Completed` once
 * whatever the timing, a failed copy as one event and one message, and every event the tool emits
 * valid against its published schema.
 */

const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];

let stack: LocalStack;

beforeAll(async () => {
  stack = await startIntegrationStack({ retryDelayMs: 50 });
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => {
  stack.reset();
});

afterEach(() => {
  // Whatever a test did, every event of the tool it caused matches its published schema.
  expectValidToolEvents(stack.bus.events().map((r) => r.event));
});

function toolEvents(detailType: string): PutRecord[] {
  return stack.bus
    .events()
    .filter((r) => r.event.source === 'ami-lifecycle' && r.event['detail-type'] === detailType);
}

/** Messages to the plain-text topic (email), and to the chat topic. */
function messages() {
  const all = stack.sns.published();
  return {
    text: all.filter((m) => m.topicName.endsWith('-notifications')),
    chat: all.filter((m) => m.topicName.endsWith('-chat')),
  };
}

function availableEvent(region: string, imageId: string, n = 0) {
  return {
    version: '0',
    id: `repeat-${n}-${imageId}`,
    'detail-type': 'EC2 AMI State Change',
    source: 'aws.ec2',
    account: stack.emulator.accountId,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [`arn:aws:ec2:${region}::image/${imageId}`],
    detail: { ImageId: imageId, State: 'available' },
  };
}

function seedRelease(name = 'golden-linux-7') {
  return stack.emulator.seedImage({
    region: 'us-east-1',
    name,
    blockDeviceMappings: [{ deviceName: '/dev/xvda' }, { deviceName: '/dev/xvdb', volumeSize: 20 }],
  });
}

function copiesOf(sourceImageId: string) {
  return TARGETS.map((region) => {
    const copy = stack.emulator.listImages(region).find((i) => i.sourceImageId === sourceImageId);
    if (copy === undefined) throw new Error(`no copy of ${sourceImageId} in ${region}`);
    return copy;
  });
}

describe('a release, end to end', () => {
  it('one Started, one Completed listing every region and the grantees, one message per topic', async () => {
    const { imageId } = seedRelease();
    await stack.settle();

    const started = toolEvents(DetailType.DistributionStarted);
    expect(started).toHaveLength(1);
    expect(started[0]?.event.detail).toMatchObject({ sourceImageId: imageId, targetRegions: TARGETS });

    const completed = toolEvents(DetailType.DistributionCompleted);
    expect(completed).toHaveLength(1);
    const copies = copiesOf(imageId);
    expect(completed[0]?.event.region).toBe('us-east-1');
    expect(completed[0]?.event.detail).toMatchObject({
      sourceImageId: imageId,
      sourceRegion: 'us-east-1',
      regions: [
        { region: 'us-east-1', role: 'source', imageId, status: 'available' },
        ...copies.map((c) => ({ region: c.region, role: 'copy', imageId: c.imageId, status: 'available' })),
      ],
      sharedWith: {
        accounts: ['444455556666'],
        organizations: ['arn:aws:organizations::111122223333:organization/o-exampleorg1'],
        organizationalUnits: ['arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456'],
        public: false,
      },
    });
    // The announcement is remembered on the source, for later observers.
    expect(stack.emulator.getImage('us-east-1', imageId)?.tags[DISTRIBUTED_TAG]).toMatch(/^[0-9a-f]{16}$/);

    const { text, chat } = messages();
    expect(text).toHaveLength(1);
    expect(text[0]?.subject).toBe(`✓ golden-linux-7 (${imageId}) distributed to 3 regions`);
    for (const copy of copies) expect(text[0]?.message).toContain(`✓ ${copy.region}  ${copy.imageId}`);
    expect(text[0]?.message).toContain('Shared with: account 444455556666');
    expect(chat).toHaveLength(1);
    expect(JSON.parse(chat[0]?.message ?? '{}')).toMatchObject({
      version: '1.0',
      source: 'custom',
      metadata: { threadId: imageId, eventType: DetailType.DistributionCompleted },
    });
  });

  it('every event of the family delivered again, five times at once, with the tag gone: still one Completed', async () => {
    const { imageId } = seedRelease();
    await stack.settle();
    // Without the tag, each repeat goes through the claim itself, not the shortcut.
    const ec2 = new EC2Client({
      region: 'us-east-1',
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await ec2.send(new DeleteTagsCommand({ Resources: [imageId], Tags: [{ Key: DISTRIBUTED_TAG }] }));
    ec2.destroy();
    expect(stack.emulator.getImage('us-east-1', imageId)?.tags[DISTRIBUTED_TAG]).toBeUndefined();

    const family = [{ region: 'us-east-1', imageId }, ...copiesOf(imageId)];
    const repeats = [1, 2, 3, 4, 5].flatMap((n) =>
      family.map(
        ({ region, imageId: id }) => stack.bus.put('default', availableEvent(region, id, n)).delivered,
      ),
    );
    const deliveries = (await Promise.all(repeats)).flat();
    await stack.settle();

    expect(deliveries).toHaveLength(20);
    expect(deliveries.every((d) => d.outcome === 'success')).toBe(true);
    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(1);
    expect(messages().text).toHaveLength(1);
    // One of the repeats put the tag back.
    expect(stack.emulator.getImage('us-east-1', imageId)?.tags[DISTRIBUTED_TAG]).toMatch(/^[0-9a-f]{16}$/);
    expect(stack.emulator.listImages('eu-west-1').filter((i) => i.sourceImageId === imageId)).toHaveLength(1);
  });

  it('copies finishing at the same moment in every region: one Completed', async () => {
    // Held pending, then finished together: their three events race to the completion check.
    stack.reset({ copyDelayMs: 60_000 });
    const { imageId } = seedRelease('golden-linux-8');
    await stack.bus.drain();
    expect(copiesOf(imageId).map((c) => c.state)).toEqual(['pending', 'pending', 'pending']);

    stack.emulator.completePendingCopies();
    await stack.settle();

    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(1);
    expect(messages().text).toHaveLength(1);
    const copyDeliveries = stack.bus
      .deliveries()
      .filter((d) => d.functionName === 'amiStateChange' && d.eventId !== undefined);
    expect(copyDeliveries.every((d) => d.outcome === 'success')).toBe(true);
  });
});

describe('the event path announces every release, under load', () => {
  it('50 releases within a second, their copies finishing together: 50 Started and 50 Completed, no schedule needed', async () => {
    // No token buckets: this is about handlers racing, not about EC2's rate limits.
    stack.reset({ copyDelayMs: 60_000, throttle: false });
    const sources = Array.from({ length: 50 }, (_, i) => seedRelease(`golden-linux-load-${i}`));
    await stack.bus.drain();
    // The copy cap (20 a region) holds the rest back: each finished copy starts a deferred one.
    for (let round = 0; round < 5; round++) {
      stack.emulator.completePendingCopies();
      await stack.bus.drain();
    }
    await stack.settle(120_000);

    const completed = toolEvents(DetailType.DistributionCompleted).map((r) => r.event.detail);
    expect(completed.map((d) => (d as { sourceImageId: string }).sourceImageId).sort()).toEqual(
      sources.map((s) => s.imageId).sort(),
    );
    expect(toolEvents(DetailType.DistributionStarted)).toHaveLength(50);
    expect(stack.bus.deliveries().every((d) => d.outcome === 'success')).toBe(true);
  }, 180_000);

  it("the source's event delivered five times at once: one Started, one copy per region", async () => {
    const { imageId } = stack.emulator.seedImage({
      region: 'us-east-1',
      name: 'golden-linux-dup',
      emitEvent: false,
    });
    const deliveries = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => stack.bus.put('default', availableEvent('us-east-1', imageId, n)).delivered),
    );
    await stack.settle();
    expect(deliveries.flat().every((d) => d.outcome === 'success')).toBe(true);
    expect(toolEvents(DetailType.DistributionStarted)).toHaveLength(1);
    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(1);
    for (const region of TARGETS) {
      expect(stack.emulator.listImages(region).filter((i) => i.sourceImageId === imageId)).toHaveLength(1);
    }
  });
});

describe('PutEvents partly failing', () => {
  it('entries throttled inside a 200 answer are sent again: every event arrives, once', async () => {
    // The first three entries put (by any handler) fail with ThrottlingException, FailedEntryCount > 0.
    stack.failNextPutEntries(3, 'ThrottlingException');
    const { imageId } = seedRelease('golden-linux-11');
    await stack.settle();

    // Had the publisher not re-sent them, Started would be missing (the copies exist, so a Lambda
    // retry starts none) and Completed would be missing or doubled.
    expect(toolEvents(DetailType.DistributionStarted).map((r) => r.event.detail)).toMatchObject([
      { sourceImageId: imageId },
    ]);
    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(1);
    expect(messages().text).toHaveLength(1);
    expect(stack.bus.deliveries().every((d) => d.outcome === 'success')).toBe(true);
  });
});

describe('the schedule sees completion first', () => {
  it('reconcile announces a release whose events were all lost; the events arriving late add nothing', async () => {
    // A release distributed while the tool was down: source and copies exist, no event was seen.
    const { source, copies } = seedLostRelease(stack.emulator, 'golden-linux-9', TARGETS);
    const { handler } = await import('../../functions/reconcile.js');
    const reconcileIn = async (region: string) =>
      handler(
        {
          version: '0',
          id: `schedule-${region}`,
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: stack.emulator.accountId,
          time: '2026-11-26T12:00:00Z',
          region,
          resources: [
            `arn:aws:events:${region}:${stack.emulator.accountId}:rule/ami-lifecycle-dev-reconcile`,
          ],
          detail: {},
        },
        lambdaContext({
          functionName: 'ami-lifecycle-dev-reconcile',
          timeoutSeconds: 900,
          awsRequestId: `request-${region}-${Math.random().toString(16).slice(2)}`,
          region,
          accountId: stack.emulator.accountId,
        }),
      );

    // Each region's stack repairs its own images (shares and tags the copies)...
    for (const region of TARGETS) await reconcileIn(region);
    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(0);
    // ...and the source region's run, once everything is there, announces the release.
    const report = await reconcileIn('us-east-1');
    expect(report).toMatchObject({ announced: [source.imageId] });
    await stack.bus.drain();
    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(1);
    expect(messages().text).toHaveLength(1);

    // The copies' events, delivered late (twice each), and another scheduled run: nothing more.
    await Promise.all(
      [...copies, ...copies].map(
        (c, n) => stack.bus.put('default', availableEvent(c.region, c.imageId, n)).delivered,
      ),
    );
    expect((await reconcileIn('us-east-1')) as unknown).toMatchObject({ announced: [] });
    await stack.settle();
    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(1);
    expect(messages().text).toHaveLength(1);
  });
});

describe('a failed copy', () => {
  it('one AMI Copy Failed with the reason and the family, and one message saying which region failed', async () => {
    stack.emulator.failNextCopy('ap-southeast-2', 'Snapshot copy failed: the KMS key is disabled');
    const { imageId } = seedRelease('golden-linux-10');
    await stack.settle();

    const failed = toolEvents(DetailType.CopyFailed);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.event.region).toBe('us-east-1');
    expect(failed[0]?.event.detail).toMatchObject({
      sourceImageId: imageId,
      region: 'ap-southeast-2',
      reason: 'Snapshot copy failed: the KMS key is disabled',
    });
    expect(failed[0]?.event.detail).toMatchObject({
      regions: expect.arrayContaining([
        expect.objectContaining({ region: 'ap-southeast-2', status: 'failed' }),
        expect.objectContaining({ region: 'eu-west-1', status: 'available' }),
      ]),
    });
    // No completion: a region is missing.
    expect(toolEvents(DetailType.DistributionCompleted)).toHaveLength(0);

    const { text } = messages();
    expect(text).toHaveLength(1);
    expect(text[0]?.subject).toBe('✗ Copy of golden-linux-10 failed in ap-southeast-2');
    expect(text[0]?.message).toContain(
      '✗ ap-southeast-2  failed: Snapshot copy failed: the KMS key is disabled',
    );
  });
});
