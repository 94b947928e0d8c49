import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, it } from 'vitest';
import { createEventPublisher } from '../../shared/aws/events.js';

const eventBridge = mockClient(EventBridgeClient);

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
  const publisher = createEventPublisher(
    new EventBridgeClient({ region: 'us-east-1' }),
    'bus',
    'us-east-1',
    async (ms) => {
      waits.push(ms);
    },
  );

  await publisher.publish([{ detailType: 'AMI Copy Failed', detail: { n: 1 } }]);

  expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  expect(waits).toHaveLength(2);
  // Full jitter: the first wait is below 100 ms, the second below 200 ms.
  expect(waits[0]).toBeGreaterThanOrEqual(0);
  expect(waits[0]).toBeLessThan(100);
  expect(waits[1]).toBeLessThan(200);
});
