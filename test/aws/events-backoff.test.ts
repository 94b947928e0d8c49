import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, it } from 'vitest';
import { createEventPublisher } from '../../shared/aws/events.js';
import { DetailType, toolEvent } from '../../shared/core/notifications.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

const eventBridge = mockClient(EventBridgeClient);
restoreAfterAll(eventBridge);

it('waits, longer each time, before re-sending throttled entries, and not before the first send', async () => {
  eventBridge.reset();
  eventBridge
    .on(PutEventsCommand)
    .resolvesOnce({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    })
    .resolvesOnce({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    })
    .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  const waits: number[] = [];
  const client = new EventBridgeClient({ region: 'us-east-1' });
  const publisher = createEventPublisher({
    clientFor: () => client,
    busName: 'bus',
    region: 'us-east-1',
    sleep: async (ms) => {
      waits.push(ms);
    },
  });

  await publisher.publish([
    toolEvent(
      DetailType.Deprecated,
      {
        rule: 'golden',
        role: 'source',
        sourceImageId: 'ami-0000000000000001a',
        sourceRegion: 'us-east-1',
        imageId: 'ami-0000000000000001a',
        region: 'us-east-1',
        deprecationTime: '2026-12-01T00:00:00.000Z',
        reason: 'superseded',
      },
      ['x'],
    ),
  ]);

  expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  expect(waits).toHaveLength(2);
  // Full jitter: the first wait is below 100 ms, the second below 200 ms.
  expect(waits[0]).toBeGreaterThanOrEqual(0);
  expect(waits[0]).toBeLessThan(100);
  expect(waits[1]).toBeLessThan(200);
});
