import type { DeadLetterRecord } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import type { PublishedMessage } from '@ami-lifecycle/emulator/sns/index.js';
import { describe, expect, it } from 'vitest';
import { chatTitle, deadLetterLine, notificationLines } from '../../demo/timeline.js';

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
