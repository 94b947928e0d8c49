import { describe, expect, it } from 'vitest';
import { type ReplayHandler, type ReplayRouter, replayDeadLetters } from '../../cli/replay.js';
import type { DeadLetterQueue, QueuedMessage } from '../../shared/aws/dead-letter-queue.js';
import { AwsCallError, InvalidEventError } from '../../shared/core/errors.js';
import {
  MEMBER_WORK_DETAIL_TYPE,
  MEMBER_WORK_SOURCE,
  parseDeadLetter,
} from '../../shared/events/dead-letter.js';

/** The replay loop with an in-memory queue: what is deleted, what is released, what is reported. */

const ec2Event = (imageId: string, state = 'available') => ({
  version: '0',
  id: `event-${imageId}`,
  'detail-type': 'EC2 AMI State Change',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2026-11-26T10:00:00Z',
  region: 'eu-west-1',
  resources: [`arn:aws:ec2:eu-west-1::image/${imageId}`],
  detail: { ImageId: imageId, State: state },
});

/** Lambda's on-failure record for an event (the format its destinations write). */
const invocationRecord = (event: unknown, error = 'RetryableFailuresError') => ({
  version: '1.0',
  timestamp: '2026-11-26T10:05:00.000Z',
  requestContext: {
    requestId: 'r-1',
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ami-lifecycle-prod-amiStateChange:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  },
  requestPayload: event,
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType: error, errorMessage: 'CopyImage in eu-west-1 failed: RequestLimitExceeded' },
});

function memoryQueue(bodies: Array<{ body: string; attributes?: Record<string, string> }>) {
  const messages: QueuedMessage[] = bodies.map((b, i) => ({
    messageId: `m-${i}`,
    receiptHandle: `h-${i}`,
    body: b.body,
    attributes: b.attributes ?? {},
    receiveCount: 1,
  }));
  const hidden = new Set<string>();
  const log: string[] = [];
  const queue: DeadLetterQueue = {
    url: 'http://127.0.0.1/123456789012/ami-lifecycle-failed-prod',
    async receive(max) {
      const visible = messages.filter((m) => !hidden.has(m.messageId)).slice(0, max);
      for (const m of visible) hidden.add(m.messageId);
      return visible;
    },
    async delete(message) {
      log.push(`delete ${message.messageId}`);
      messages.splice(messages.indexOf(message), 1);
    },
    async release(message) {
      log.push(`release ${message.messageId}`);
      hidden.delete(message.messageId);
    },
  };
  return { queue, log, messages };
}

function recordingHandler(fail?: (imageId: string) => Error | undefined): {
  handler: ReplayHandler;
  calls: string[];
} {
  const calls: string[] = [];
  const imageOf = (letter: { event: { detail: unknown } }) =>
    String((letter.event.detail as { ImageId?: string }).ImageId);
  return {
    calls,
    handler: {
      async describe(letter) {
        calls.push(`describe ${imageOf(letter)}`);
        return [`+ would copy ${imageOf(letter)}`];
      },
      async replay(letter) {
        calls.push(`replay ${imageOf(letter)}`);
        const error = fail?.(imageOf(letter));
        if (error) throw error;
        return [`+ copied ${imageOf(letter)}`];
      },
    },
  };
}

const routeAll =
  (handler: ReplayHandler): ReplayRouter =>
  (letter) =>
    letter.event.source === 'aws.ec2' ? { name: 'amiStateChange', handler } : undefined;

describe('replayDeadLetters', () => {
  it('dry run: describes every message and leaves all of them queued (released at once)', async () => {
    const { queue, log, messages } = memoryQueue([
      { body: JSON.stringify(invocationRecord(ec2Event('ami-0000000000000000a'))) },
      { body: JSON.stringify(invocationRecord(ec2Event('ami-0000000000000000b'))) },
    ]);
    const { handler, calls } = recordingHandler();

    const entries = await replayDeadLetters([queue], routeAll(handler), {
      apply: false,
      max: 50,
      visibilitySeconds: 60,
    });

    expect(calls).toEqual(['describe ami-0000000000000000a', 'describe ami-0000000000000000b']);
    expect(entries.map((e) => e.outcome)).toEqual([
      { status: 'would-replay', lines: ['+ would copy ami-0000000000000000a'] },
      { status: 'would-replay', lines: ['+ would copy ami-0000000000000000b'] },
    ]);
    expect(entries[0]?.letter).toMatchObject({
      kind: 'failed-invocation',
      functionName: 'ami-lifecycle-prod-amiStateChange',
      detailType: 'EC2 AMI State Change',
      reason: 'RetriesExhausted: RetryableFailuresError: CopyImage in eu-west-1 failed: RequestLimitExceeded',
      attempts: 3,
    });
    expect(log).toEqual(['release m-0', 'release m-1']);
    expect(messages).toHaveLength(2);
  });

  it('apply: a replay that succeeds leaves the queue; one that fails stays, reported with its error', async () => {
    const { queue, log, messages } = memoryQueue([
      { body: JSON.stringify(invocationRecord(ec2Event('ami-0000000000000000a'))) },
      { body: JSON.stringify(invocationRecord(ec2Event('ami-0000000000000000b'))) },
    ]);
    const throttled = new AwsCallError(
      'CopyImage',
      'eu-west-1',
      Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }),
    );
    const { handler } = recordingHandler((id) => (id.endsWith('b') ? throttled : undefined));

    const entries = await replayDeadLetters([queue], routeAll(handler), {
      apply: true,
      max: 50,
      visibilitySeconds: 60,
    });

    expect(entries.map((e) => e.outcome.status)).toEqual(['replayed', 'failed']);
    expect(entries[1]?.outcome).toEqual({
      status: 'failed',
      error: 'CopyImage in eu-west-1 failed: RequestLimitExceeded: Request limit exceeded.',
      retryable: true,
    });
    expect(log).toEqual(['delete m-0', 'release m-1']);
    expect(messages.map((m) => m.messageId)).toEqual(['m-1']);
  });

  it('an undelivered event (rule DLQ), a foreign event and a body that is not JSON: only the first is replayed', async () => {
    const { queue, log } = memoryQueue([
      {
        body: JSON.stringify(ec2Event('ami-0000000000000000c')),
        attributes: { ERROR_CODE: 'NO_PERMISSIONS', ERROR_MESSAGE: 'Lambda refused the invoke' },
      },
      { body: JSON.stringify({ ...ec2Event('ami-0000000000000000d'), source: 'my.app' }) },
      { body: 'not json' },
    ]);
    const { handler } = recordingHandler();

    const entries = await replayDeadLetters([queue], routeAll(handler), {
      apply: true,
      max: 50,
      visibilitySeconds: 60,
    });

    expect(entries.map((e) => e.outcome.status)).toEqual(['replayed', 'not-replayable', 'not-replayable']);
    expect(entries[0]?.letter).toMatchObject({
      kind: 'undelivered-event',
      reason: 'NO_PERMISSIONS: Lambda refused the invoke',
    });
    expect(entries[1]?.outcome).toEqual({
      status: 'not-replayable',
      reason: 'no handler replays my.app / EC2 AMI State Change',
    });
    expect(entries[2]?.outcome).toMatchObject({
      status: 'not-replayable',
      reason: 'not a valid dead letter: the message body is not JSON',
    });
    expect(log).toEqual(['delete m-0', 'release m-1', 'release m-2']);
  });

  it('stops at --max, and releases what it held', async () => {
    const { queue, log } = memoryQueue(
      Array.from({ length: 25 }, (_, i) => ({
        body: JSON.stringify(invocationRecord(ec2Event(`ami-${i.toString(16).padStart(17, '0')}`))),
      })),
    );
    const { handler } = recordingHandler();

    const entries = await replayDeadLetters([queue], routeAll(handler), {
      apply: false,
      max: 12,
      visibilitySeconds: 60,
    });

    expect(entries).toHaveLength(12);
    expect(log.filter((l) => l.startsWith('release'))).toHaveLength(12);
  });

  it('a bug in a handler (not a tool error) propagates, after the held messages are released', async () => {
    const { queue, log } = memoryQueue([
      { body: JSON.stringify(invocationRecord(ec2Event('ami-0000000000000000a'))) },
      { body: JSON.stringify(invocationRecord(ec2Event('ami-0000000000000000b'))) },
    ]);
    const { handler } = recordingHandler((id) => (id.endsWith('b') ? new TypeError('bug') : undefined));

    await expect(
      replayDeadLetters([queue], routeAll(handler), { apply: false, max: 50, visibilitySeconds: 60 }),
    ).resolves.toHaveLength(2);
    await expect(
      replayDeadLetters([queue], routeAll(handler), { apply: true, max: 50, visibilitySeconds: 60 }),
    ).rejects.toThrow(TypeError);
    // The dry run released both; the real run deleted m-0 and released m-1 though its handler threw.
    expect(log).toEqual(['release m-0', 'release m-1', 'delete m-0', 'release m-1']);
  });
});

describe('parseDeadLetter', () => {
  it('an invocation record whose payload is not an event is one clear error', () => {
    expect(() => parseDeadLetter(JSON.stringify(invocationRecord({ hello: 'world' })))).toThrow(
      InvalidEventError,
    );
    expect(() => parseDeadLetter(JSON.stringify(invocationRecord({ hello: 'world' })))).toThrow(
      /dead letter: requestPayload is not an event: id: /,
    );
  });

  it('a member-work dead letter is the SQS body itself, the work item: replay gives it an event of its own', () => {
    const item = { account: '222222222222', region: 'eu-west-1', rules: ['golden'] };
    const letter = parseDeadLetter(JSON.stringify(item));
    expect(letter).toMatchObject({
      kind: 'member-work',
      event: {
        id: 'member-work-222222222222-eu-west-1',
        'detail-type': MEMBER_WORK_DETAIL_TYPE,
        source: MEMBER_WORK_SOURCE,
        account: '222222222222',
        region: 'eu-west-1',
        detail: item,
      },
    });
    // Not quite an item (an extra field): neither that nor an event.
    expect(() => parseDeadLetter(JSON.stringify({ ...item, extra: 1 }))).toThrow(
      /neither an invocation record, a member work item nor an event/,
    );
  });
});
