import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectValidToolEvents } from '../support/tool-events.js';
import { startIntegrationStack } from './helpers.js';

/** The scheduled `reconcile` function from serverless.yml, fired by the local bus, through the SDK to the emulator. */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startIntegrationStack();
});
afterAll(async () => {
  // Every event of the tool the tests caused matches its published schema.
  const checked = expectValidToolEvents(stack.bus.events().map((r) => r.event));
  expect(checked).toBeGreaterThan(0);
  await stack?.close();
});

it('the schedule reconciles its region and publishes the report on the tool bus', async () => {
  // An image whose `available` event was lost: nothing but the schedule will see it.
  const { imageId } = stack.emulator.seedImage({
    region: 'us-east-1',
    name: 'golden-missed',
    emitEvent: false,
  });
  const [delivery] = await stack.bus.runSchedule('reconcile');

  expect(delivery?.outcome).toBe('success');
  expect(delivery?.result).toMatchObject({
    region: 'us-east-1',
    managed: { sources: 1, copies: 0 },
    applied: { tag: 1, 'share-image': 1, 'share-snapshot': 1 },
    failures: [],
  });
  expect(stack.emulator.getImage('us-east-1', imageId)?.tags['ami-lifecycle:rule']).toBe('golden');
  const reports = stack.bus.events().filter((r) => r.event['detail-type'] === 'Reconcile Report');
  expect(reports).toHaveLength(1);
  expect(reports[0]?.bus).not.toBe('default');
  expect(reports[0]?.event.detail).toMatchObject({ region: 'us-east-1', failed: 0, applied: { tag: 1 } });
});
