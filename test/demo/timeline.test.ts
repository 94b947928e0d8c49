import type { DeadLetterRecord, DeliveryRecord, PutRecord } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import type { PublishedMessage } from '@ami-lifecycle/emulator/sns/index.js';
import type { TimelineEntry } from '@ami-lifecycle/emulator/stack.js';
import { describe, expect, it } from 'vitest';
import {
  chatTitle,
  deadLetterLine,
  inOrderOfEffect,
  notificationLines,
  timelineJsonLines,
  timelineLines,
} from '../../demo/timeline.js';
import { EXAMPLES } from '../../schemas/examples.js';
import { DetailType } from '../../shared/core/notifications.js';

const message = (overrides: Partial<PublishedMessage>): PublishedMessage => ({
  messageId: 'm-1',
  region: 'us-east-1',
  topicArn: 'arn:aws:sns:us-east-1:123456789012:ami-lifecycle-dev-notifications',
  topicName: 'ami-lifecycle-dev-notifications',
  subject: 'AMI copy failed: golden in eu-west-1',
  message: 'The copy failed.\nReason: KMS key disabled\n',
  messageStructure: undefined,
  messageAttributes: {},
  time: '2026-05-01T10:00:00.000Z',
  ...overrides,
});

const chat = JSON.stringify({
  version: '1.0',
  source: 'custom',
  content: { textType: 'client-markdown', title: ':x: AMI copy failed', description: 'details\nmore' },
});

describe('notificationLines', () => {
  it('shows a plain-text notification as its subject, then its body lines', () => {
    expect(notificationLines(message({}))).toEqual([
      '[ami-lifecycle-dev-notifications] AMI copy failed: golden in eu-west-1',
      'The copy failed.',
      'Reason: KMS key disabled',
    ]);
  });

  it('shows the email body of a JSON structure, as an email subscriber reads it', () => {
    const lines = notificationLines(
      message({
        messageStructure: 'json',
        message: JSON.stringify({ default: 'short', email: 'long\nbody' }),
      }),
    );
    expect(lines).toEqual([
      '[ami-lifecycle-dev-notifications] AMI copy failed: golden in eu-west-1',
      'long',
      'body',
    ]);
  });

  it('shows a chat notification as one line, its title', () => {
    const lines = notificationLines(
      message({ topicName: 'ami-lifecycle-dev-chat', subject: undefined, message: chat }),
    );
    expect(lines).toEqual(['[ami-lifecycle-dev-chat] :x: AMI copy failed']);
    expect(chatTitle(message({ message: 'not json' }))).toBeUndefined();
    expect(
      notificationLines(message({ topicName: 'team-chat', subject: undefined, message: 'first\nsecond' })),
    ).toEqual(['[team-chat] first']);
  });
});

describe('deadLetterLine', () => {
  const record: DeadLetterRecord = {
    time: '2026-05-01T10:00:00.000Z',
    functionName: 'amiStateChange',
    rule: 'amiStateChange-rule-1',
    eventId: 'e-1',
    region: 'eu-west-1',
    destination: { type: 'sqs', arn: 'arn:aws:sqs:eu-west-1:123456789012:ami-lifecycle-failed-dev' },
    outcome: 'sent',
    destinationArn: 'arn:aws:sqs:eu-west-1:123456789012:ami-lifecycle-failed-dev',
    messageId: 'q-1',
    record: {
      version: '1.0',
      timestamp: '2026-05-01T10:00:00.000Z',
      requestContext: {
        requestId: 'r-1',
        functionArn:
          'arn:aws:lambda:eu-west-1:123456789012:function:ami-lifecycle-dev-amiStateChange:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: {},
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'boom', trace: [] },
    },
  };

  it('names the queue and why, or why the record could not be sent', () => {
    expect(deadLetterLine(record)).toBe(
      'amiStateChange: invocation record sent to ami-lifecycle-failed-dev (RetriesExhausted after 3 attempts)',
    );
    expect(
      deadLetterLine({ ...record, outcome: 'error', error: { name: 'Error', message: 'no such queue' } }),
    ).toBe('amiStateChange: invocation record NOT sent (RetriesExhausted after 3 attempts): no such queue');
  });
});

/** The clock of these timelines: ms since the stack started, as ISO times from this origin. */
const ORIGIN = Date.parse('2026-05-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ORIGIN + ms).toISOString();

function put(
  at: number,
  id: string,
  detailType: string,
  detail: unknown,
  matchedRules: string[] = [],
): TimelineEntry {
  const record: PutRecord = {
    time: iso(at),
    bus: detailType.startsWith('EC2') ? 'default' : 'ami-lifecycle-dev',
    event: {
      version: '0',
      id,
      'detail-type': detailType,
      source: detailType.startsWith('EC2') ? 'aws.ec2' : 'ami-lifecycle',
      account: '123456789012',
      time: iso(at),
      region: 'us-east-1',
      resources: [],
      detail,
    },
    matchedRules,
  };
  return { at, kind: 'event', record };
}

/** A delivery as the stack records it: when it finished, with when it started inside. */
function delivered(
  start: number,
  finish: number,
  functionName: string,
  eventId: string,
  result: unknown,
): TimelineEntry {
  const record: DeliveryRecord = {
    time: iso(start),
    finishedAt: iso(finish),
    bus: 'default',
    rule: `${functionName}-rule-1`,
    functionName,
    eventId,
    detailType: 'EC2 AMI State Change',
    source: 'aws.ec2',
    trigger: 'event',
    attempts: 1,
    outcome: 'success',
    result,
    attemptErrors: [],
  };
  return { at: finish, kind: 'delivery', record };
}

const available = { RequestId: 'r', ImageId: 'ami-0123456789abcdef0', State: 'available', ErrorMessage: '' };
const applied = {
  status: 'applied',
  role: 'source',
  outcomes: [{ status: 'applied' }],
  diff: [
    '+ eu-west-1 copy ami-0123456789abcdef0 from us-east-1 as "golden-linux-2026.11.26" encrypted with arn:aws:kms:eu-west-1:111122223333:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b (attempt 1)',
  ],
};
const started = EXAMPLES[DetailType.DistributionStarted];
const completed = EXAMPLES[DetailType.DistributionCompleted];

/**
 * What the stack records for one release: the source's event, the handler's Started event (put
 * while it ran, so recorded before it), the handler's result when it finished; then a Completed
 * event, notify's own message and its result.
 */
const recorded: TimelineEntry[] = [
  put(10, 'e-src', 'EC2 AMI State Change', available, ['amiStateChange-rule-1']),
  put(900, 'e-started', DetailType.DistributionStarted, started),
  delivered(10, 950, 'amiStateChange', 'e-src', applied),
  put(2000, 'e-completed', DetailType.DistributionCompleted, completed, ['notify-rule-1']),
  {
    at: 2100,
    kind: 'notification',
    record: {
      messageId: 'm-1',
      region: 'us-east-1',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:ami-lifecycle-dev-notifications',
      topicName: 'ami-lifecycle-dev-notifications',
      subject: 'golden-linux-2026-11-26 distributed',
      message: 'Image: golden-linux-2026-11-26\nRegions: 4\n',
      messageStructure: undefined,
      messageAttributes: {},
      time: iso(2100),
    },
  },
  delivered(2000, 2150, 'notify', 'e-completed', { status: 'sent' }),
];

describe('inOrderOfEffect', () => {
  it("puts a handler's result before what it caused, and after the event that triggered it", () => {
    const order = inOrderOfEffect(recorded).map(({ entry }) =>
      entry.kind === 'event'
        ? entry.record.event.id
        : entry.kind === 'delivery'
          ? entry.record.functionName
          : entry.kind,
    );
    expect(order).toEqual(['e-src', 'amiStateChange', 'e-started', 'e-completed', 'notify', 'notification']);
  });

  it('shows a handler at the time it started', () => {
    const handler = inOrderOfEffect(recorded).find(({ entry }) => entry.kind === 'delivery');
    expect(handler?.at).toBe(10);
  });
});

describe('timelineLines', () => {
  const functionOfRule = new Map([
    ['amiStateChange-rule-1', 'amiStateChange'],
    ['notify-rule-1', 'notify'],
  ]);

  it('is one line per event, handler and notification, none wider than 160, details wrapped under it', () => {
    const lines = timelineLines(recorded, { verbose: false, functionOfRule });
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(160);
    const heads = lines.filter((l) => /^ +\+\d/.test(l));
    expect(heads).toEqual([
      '  +0.01s  us-east-1       EC2 AMI State Change: ami-0123456789abcdef0 is available → amiStateChange',
      '  +0.01s  us-east-1         amiStateChange (0.94 s): source: 1 action(s) applied',
      '  +0.90s  us-east-1       AMI Distribution Started: ami-0123456789abcdef0 (golden-linux): copying to eu-west-1, ap-southeast-2, us-west-2',
      expect.stringMatching(/^ {2}\+2\.00s {2}us-east-1 {7}AMI Distribution Completed: .* → notify$/),
      '  +2.00s  us-east-1         notify (0.15 s): sent',
      '  +2.10s  us-east-1       [ami-lifecycle-dev-notifications] golden-linux-2026-11-26 distributed',
    ]);
    expect(lines.join('\n')).toContain('key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b (attempt 1)');
    expect(lines.join('\n')).not.toContain('arn:aws:kms');
    expect(lines.join('\n')).not.toContain('"detail"');
    expect(lines.join('\n')).not.toContain('Regions: 4');
  });

  it("adds each event's JSON and each notification's body with verbose", () => {
    const text = timelineLines(recorded, { verbose: true, functionOfRule }).join('\n');
    expect(text).toContain(JSON.stringify(started));
    expect(text).toContain('Regions: 4');
  });

  it('gives every entry whole as a JSON line, in the same order', () => {
    const lines = timelineJsonLines(recorded).map((l) => JSON.parse(l) as { at: number; kind: string });
    expect(lines.map((l) => l.kind)).toEqual([
      'event',
      'delivery',
      'event',
      'event',
      'delivery',
      'notification',
    ]);
    expect(lines[1]?.at).toBe(10);
  });
});
