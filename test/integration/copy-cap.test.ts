import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectValidToolEvents } from '../support/tool-events.js';
import { startIntegrationStack } from './helpers.js';

/**
 * The copy cap on the event path, end to end through the local stack: with MAX_COPIES_IN_FLIGHT
 * at 2, five releases at once never have more than two copies pending in a region; each copy that
 * finishes starts the region's newest deferred one, so every release arrives without the schedule.
 */

const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];
let stack: LocalStack;

beforeAll(async () => {
  stack = await startIntegrationStack({ retryDelayMs: 50, env: { MAX_COPIES_IN_FLIGHT: '2' } });
});
afterAll(async () => {
  await stack?.close();
});

it('five releases at once: at most two copies pending per region, the rest started as others finish', async () => {
  stack.reset({ copyDelayMs: 60_000, throttle: false });
  const sources = Array.from({ length: 5 }, (_, i) =>
    stack.emulator.seedImage({
      region: 'us-east-1',
      name: `golden-linux-cap-${i}`,
      creationDate: new Date(Date.UTC(2026, 10, i + 1)),
    }),
  );
  const pending = (region: string) => stack.emulator.listImages(region).filter((i) => i.state === 'pending');
  await stack.bus.drain();
  for (const region of TARGETS) expect(pending(region)).toHaveLength(2);
  // Whichever two events came first took the slots; the three other copies wait. When the two
  // finish, the newest two of those start (the seeds are numbered in creation order).
  const ids = (region: string) =>
    pending(region)
      .map((i) => i.sourceImageId ?? '')
      .sort();
  const first = new Map(TARGETS.map((region) => [region, ids(region)]));
  stack.emulator.completePendingCopies();
  await stack.bus.drain();
  for (const region of TARGETS) {
    const waiting = sources.filter((s) => !first.get(region)?.includes(s.imageId));
    const newest = waiting
      .slice(-2)
      .map((s) => s.imageId)
      .sort();
    expect(ids(region)).toEqual(newest);
  }

  // Copies finish a pair at a time: each finished copy starts a deferred one, never more than two.
  for (let round = 0; round < 5; round++) {
    stack.emulator.completePendingCopies();
    await stack.bus.drain();
    for (const region of TARGETS) expect(pending(region).length).toBeLessThanOrEqual(2);
  }
  await stack.settle();
  for (const region of TARGETS) {
    const copies = stack.emulator.listImages(region).filter((i) => i.state === 'available');
    expect(copies.map((c) => c.sourceImageId).sort()).toEqual(sources.map((s) => s.imageId).sort());
  }
  expect(stack.bus.deliveries().every((d) => d.outcome === 'success')).toBe(true);
  // Every release is announced started once, a wholly deferred one with its first copy.
  const started = stack.bus
    .events()
    .filter((r) => r.event['detail-type'] === 'AMI Distribution Started')
    .map((r) => (r.event.detail as { sourceImageId: string }).sourceImageId);
  expect(started.sort()).toEqual(sources.map((s) => s.imageId).sort());
  expectValidToolEvents(stack.bus.events().map((r) => r.event));
}, 120_000);
