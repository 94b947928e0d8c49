import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEventPublisher, entrySize, MAX_BATCH_BYTES } from '../../shared/aws/events.js';
import { DetailType, type ToolEvent, toolEvent } from '../../shared/core/notifications.js';
import type { EventPublisher } from '../../shared/core/ports.js';
import { callError } from '../support/aws-errors.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

const REGION = 'us-east-1';
const BUS = 'ami-lifecycle-bus';
const ebMock = mockClient(EventBridgeClient);
restoreAfterAll(ebMock);
let publisher: EventPublisher;

const noWait = async () => {};
const clients = new Map<string, EventBridgeClient>();
const clientFor = (region: string) => {
  let client = clients.get(region);
  if (client === undefined) {
    client = new EventBridgeClient({ region });
    clients.set(region, client);
  }
  return client;
};

beforeEach(() => {
  ebMock.reset();
  publisher = createEventPublisher({ clientFor, busName: BUS, region: REGION, sleep: noWait });
});

/** A valid event numbered `n` (its reconcile duration), padded with `pad` bytes of notes. */
function event(n: number, options: { busRegion?: string; pad?: number } = {}): ToolEvent {
  return toolEvent(
    DetailType.ReconcileReport,
    {
      region: 'us-east-1',
      startedAt: '2026-11-26T10:00:00.000Z',
      dryRun: false,
      durationMs: n,
      managed: { sources: 0, copies: 0 },
      planned: {},
      applied: {},
      failed: options.pad ? 1 : 0,
      failures: options.pad
        ? [
            {
              action: 'x',
              operation: 'CopyImage',
              code: 'X',
              message: 'm'.repeat(options.pad),
              retryable: false,
            },
          ]
        : [],
      copiesInFlight: 0,
      deferredCopies: 0,
      skipped: 0,
      stoppedEarly: false,
    },
    [String(n)],
    options.busRegion === undefined ? {} : { busRegion: options.busRegion },
  );
}

/** The entries of each PutEvents call, in order. */
function sentEntries(): PutEventsRequestEntry[][] {
  return ebMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

/** The `n` field of each entry's detail, per call: which events each call carried. */
function sentNumbers(): unknown[][] {
  return sentEntries().map((entries) => entries.map((e) => JSON.parse(e.Detail ?? '{}').durationMs));
}

const ok = (): PutEventsResultEntry => ({ EventId: crypto.randomUUID() });
const failed = (code: string): PutEventsResultEntry => ({
  ErrorCode: code,
  ErrorMessage: `${code} (simulated)`,
});

describe('createEventPublisher', () => {
  it('sends each event with the bus, the tool’s source, the detail type and the detail as JSON', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [ok(), ok()] });

    const withResources = toolEvent(
      DetailType.DistributionStarted,
      {
        rule: 'golden',
        sourceImageId: 'ami-0000000000000001a',
        sourceRegion: 'us-east-1',
        imageName: 'golden-1',
        targetRegions: ['eu-west-1'],
        copies: [{ region: 'eu-west-1', imageId: 'ami-0000000000000002b' }],
      },
      ['id'],
      { resources: ['arn:aws:ec2:us-east-1::image/ami-0000000000000001a'] },
    );
    await publisher.publish([withResources, event(7)]);

    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(sentEntries()).toEqual([
      [
        {
          EventBusName: BUS,
          Source: 'ami-lifecycle',
          DetailType: 'AMI Distribution Started',
          Detail: JSON.stringify(withResources.detail),
          Resources: ['arn:aws:ec2:us-east-1::image/ami-0000000000000001a'],
        },
        {
          EventBusName: BUS,
          Source: 'ami-lifecycle',
          DetailType: 'Reconcile Report',
          Detail: JSON.stringify(event(7).detail),
        },
      ],
    ]);
    expect(sentEntries()[0]?.[1]).not.toHaveProperty('Resources');
  });

  it('sends nothing when there is nothing to publish', async () => {
    await publisher.publish([]);
    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it.each([
    { count: 10, batches: [10] },
    { count: 11, batches: [10, 1] },
    { count: 23, batches: [10, 10, 3] },
  ])('sends $count events in batches of at most 10, in order', async ({ count, batches }) => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const events = Array.from({ length: count }, (_, i) => event(i));

    await publisher.publish(events);

    expect(sentNumbers().map((batch) => batch.length)).toEqual(batches);
    expect(sentNumbers().flat()).toEqual(events.map((_, i) => i));
  });

  it('re-sends only the entry that was throttled', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [ok(), failed('ThrottlingException'), ok()] })
      .resolves({ FailedEntryCount: 0, Entries: [ok()] });

    await publisher.publish([event(0), event(1), event(2)]);

    expect(sentNumbers()).toEqual([[0, 1, 2], [1]]);
    expect(sentEntries()[1]?.[0]).toEqual(sentEntries()[0]?.[1]);
  });

  it('re-sends entries that failed with InternalFailure, gathering them across batches', async () => {
    const firstBatch = Array.from({ length: 10 }, (_, i) => (i === 3 ? failed('InternalFailure') : ok()));
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: firstBatch })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [ok(), failed('ThrottlingException')] })
      .resolves({ FailedEntryCount: 0 });

    await publisher.publish(Array.from({ length: 12 }, (_, i) => event(i)));

    expect(sentNumbers()).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11],
      [3, 11],
    ]);
  });

  it('throws a non-retryable error for a permanent entry error, without re-sending', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [ok(), failed('AccessDeniedException')] });

    const error = await callError(publisher.publish([event(0), event(1)]));

    expect(error).toMatchObject({
      code: 'AccessDeniedException',
      operation: 'PutEvents',
      region: REGION,
      retryable: false,
    });
    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('treats a batch with a permanent error and a throttled entry as permanent', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 2,
      Entries: [failed('ThrottlingException'), failed('MalformedDetail')],
    });

    const error = await callError(publisher.publish([event(0), event(1)]));

    expect(error).toMatchObject({ code: 'MalformedDetail', retryable: false });
    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('throws a retryable error when an entry is still throttled after every attempt', async () => {
    ebMock.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: input.Entries?.length ?? 0,
      Entries: (input.Entries ?? []).map(() => failed('ThrottlingException')),
    }));

    const error = await callError(publisher.publish([event(0)]));

    expect(error).toMatchObject({
      code: 'ThrottlingException',
      operation: 'PutEvents',
      region: REGION,
      retryable: true,
    });
    expect(sentNumbers()).toEqual([[0], [0], [0], [0], [0]]);
  });

  it('splits batches by size too: no request over 256 KB', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    // Each about 100 KB: two fit in a request, a third does not.
    const big = [0, 1, 2, 3, 4].map((n) => event(n, { pad: 100_000 }));

    await publisher.publish(big);

    expect(sentNumbers()).toEqual([[0, 1], [2, 3], [4]]);
    for (const entries of sentEntries()) {
      expect(entries.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
  });

  it('refuses an event over 256 KB before sending anything', async () => {
    const error = await callError(publisher.publish([event(0), event(1, { pad: 300_000 })]));

    expect(error).toMatchObject({ code: 'EventTooLarge', retryable: false });
    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it("sends each event to the bus of its busRegion, and the rest to the publisher's region", async () => {
    const regionsSeen: Array<{ region: string; numbers: unknown[] }> = [];
    ebMock.on(PutEventsCommand).callsFake(async (input: { Entries?: PutEventsRequestEntry[] }, getClient) => {
      const client = getClient() as EventBridgeClient;
      regionsSeen.push({
        region: await client.config.region(),
        numbers: (input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}').durationMs),
      });
      return { FailedEntryCount: 0 };
    });

    await publisher.publish([
      event(0, { busRegion: 'eu-west-1' }),
      event(1),
      event(2, { busRegion: 'eu-west-1' }),
    ]);

    expect(regionsSeen.sort((a, b) => a.region.localeCompare(b.region))).toEqual([
      { region: 'eu-west-1', numbers: [0, 2] },
      { region: 'us-east-1', numbers: [1] },
    ]);
  });

  it('sends everything to eventsRegion when it is set', async () => {
    const regionsSeen: string[] = [];
    ebMock.on(PutEventsCommand).callsFake(async (_input, getClient) => {
      regionsSeen.push(await (getClient() as EventBridgeClient).config.region());
      return { FailedEntryCount: 0 };
    });
    const central = createEventPublisher({
      clientFor,
      busName: BUS,
      region: REGION,
      eventsRegion: 'ap-southeast-2',
      sleep: noWait,
    });

    await central.publish([event(0, { busRegion: 'eu-west-1' }), event(1)]);

    expect(regionsSeen).toEqual(['ap-southeast-2']);
  });

  it.each([
    { code: 'AccessDeniedException', status: 400, fault: 'client' as const, retryable: false },
    { code: 'InternalException', status: 500, fault: 'server' as const, retryable: true },
  ])(
    'turns a failed call ($code) into an AwsCallError, retryable=$retryable',
    async ({ code, status, fault, retryable }) => {
      const sdkError = new EventBridgeServiceException({
        name: code,
        $fault: fault,
        $metadata: { httpStatusCode: status },
        message: 'simulated',
      });
      ebMock.on(PutEventsCommand).rejects(sdkError);

      const error = await callError(publisher.publish([event(0)]));

      expect(error).toMatchObject({ code, operation: 'PutEvents', region: REGION, retryable });
      expect(error.cause).toBe(sdkError);
    },
  );
});
