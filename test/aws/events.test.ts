import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEventPublisher } from '../../shared/aws/events.js';
import type { EventPublisher } from '../../shared/core/ports.js';
import { callError } from '../support/aws-errors.js';

const REGION = 'us-east-1';
const BUS = 'ami-lifecycle-bus';
const ebMock = mockClient(EventBridgeClient);
let publisher: EventPublisher;

beforeEach(() => {
  ebMock.reset();
  publisher = createEventPublisher(new EventBridgeClient({ region: REGION }), BUS, REGION);
});

const event = (n: number) => ({ detailType: 'AMI Copy Failed', detail: { n } });

/** The entries of each PutEvents call, in order. */
function sentEntries(): PutEventsRequestEntry[][] {
  return ebMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

/** The `n` field of each entry's detail, per call: which events each call carried. */
function sentNumbers(): unknown[][] {
  return sentEntries().map((entries) => entries.map((e) => JSON.parse(e.Detail ?? '{}').n));
}

const ok = (): PutEventsResultEntry => ({ EventId: crypto.randomUUID() });
const failed = (code: string): PutEventsResultEntry => ({
  ErrorCode: code,
  ErrorMessage: `${code} (simulated)`,
});

describe('createEventPublisher', () => {
  it('sends each event with the bus, the tool’s source, the detail type and the detail as JSON', async () => {
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [ok(), ok()] });

    await publisher.publish([
      {
        detailType: 'AMI Copy Failed',
        detail: { sourceImageId: 'ami-0source000000000001', regions: ['eu-west-1'], nested: { ok: false } },
        resources: ['arn:aws:ec2:eu-west-1::image/ami-0copy0000000000001'],
      },
      { detailType: 'AMI Actions Failed', detail: { failures: [] } },
    ]);

    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(sentEntries()).toEqual([
      [
        {
          EventBusName: BUS,
          Source: 'ami-lifecycle',
          DetailType: 'AMI Copy Failed',
          Detail: JSON.stringify({
            sourceImageId: 'ami-0source000000000001',
            regions: ['eu-west-1'],
            nested: { ok: false },
          }),
          Resources: ['arn:aws:ec2:eu-west-1::image/ami-0copy0000000000001'],
        },
        {
          EventBusName: BUS,
          Source: 'ami-lifecycle',
          DetailType: 'AMI Actions Failed',
          Detail: '{"failures":[]}',
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
    expect(sentNumbers().flat()).toEqual(events.map((e) => e.detail.n));
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
    expect(sentNumbers()).toEqual([[0], [0], [0]]);
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
