import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DeleteTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DetailType } from '../../shared/core/notifications.js';
import { expectValidToolEvents } from '../support/tool-events.js';
import { runCli, startIntegrationStack } from './helpers.js';

/**
 * Failure handling end to end: a failed invocation lands in the stack's queue as Lambda's record,
 * and `ami-lifecycle replay` (a separate process, through the SDK, against the local SQS,
 * EventBridge and EC2) shows it, then replays it and removes it.
 */

const QUEUE = 'ami-lifecycle-failed-dev';
const TEXT_TOPIC = 'ami-lifecycle-dev-notifications';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startIntegrationStack({ retryDelayMs: 20 });
});

afterAll(async () => {
  // Every event of the tool the tests caused matches its published schema.
  const checked = expectValidToolEvents(stack.bus.events().map((r) => r.event));
  expect(checked).toBeGreaterThan(0);
  await stack?.close();
});

beforeEach(() => {
  stack.reset();
});

function replay(args: readonly string[]) {
  return runCli(stack.endpoint, ['replay', '--stage', 'dev', '--region', 'us-east-1', ...args]);
}

const queued = () => stack.sqs.messages('us-east-1', QUEUE);

describe('ami-lifecycle replay', () => {
  it('a message lost to a missing topic is dead-lettered; replay sends it once the topic is back', async () => {
    const sns = new SNSClient({
      region: 'us-east-1',
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const topicArn = stack.environment.NOTIFICATIONS_TOPIC_ARN;
    await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
    sns.destroy();

    stack.emulator.seedImage({ region: 'us-east-1', name: 'golden-replay-1' });
    await stack.settle();

    // notify failed three times (Lambda's two retries), then its record went to the queue.
    const failedNotify = stack.bus.deliveries().filter((d) => d.functionName === 'notify');
    expect(failedNotify.map((d) => [d.outcome, d.attempts])).toEqual([['error', 3]]);
    expect(queued()).toHaveLength(1);
    expect(stack.sns.published(TEXT_TOPIC)).toHaveLength(0);

    stack.sns.createTopic('us-east-1', TEXT_TOPIC);
    const dry = await replay([]);
    expect(dry.code).toBe(3);
    expect(dry.stdout).toContain(`${DetailType.DistributionCompleted} `);
    expect(dry.stdout).toContain('would replay through notify:');
    expect(dry.stdout).toContain('1 message to replay');
    expect(queued()).toHaveLength(1);

    const applied = await replay(['--apply']);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('replayed through notify, removed from the queue:');
    await stack.settle();
    expect(queued()).toHaveLength(0);
    const sent = stack.sns.published(TEXT_TOPIC);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toMatch(/^✓ golden-replay-1 \(ami-[0-9a-f]+\) distributed to 3 regions$/);
    // Replayed once: the completion itself was never announced twice.
    expect(
      stack.bus
        .events()
        .filter((r) => r.event['detail-type'] === DetailType.DistributionCompleted && r.bus !== 'default'),
    ).toHaveLength(2);
  });

  it('an EC2 event dead-lettered: the dry run shows its plan and changes nothing; --apply distributes it', async () => {
    const { imageId } = stack.emulator.seedImage({
      region: 'us-east-1',
      name: 'golden-replay-2',
      emitEvent: false,
    });
    const event = {
      version: '0',
      id: 'lost-event-1',
      'detail-type': 'EC2 AMI State Change',
      source: 'aws.ec2',
      account: stack.emulator.accountId,
      time: '2026-11-26T10:00:00Z',
      region: 'us-east-1',
      resources: [`arn:aws:ec2:us-east-1::image/${imageId}`],
      detail: { ImageId: imageId, State: 'available' },
    };
    stack.sqs.sendMessage(
      'us-east-1',
      QUEUE,
      JSON.stringify({
        version: '1.0',
        timestamp: '2026-11-26T10:03:00.000Z',
        requestContext: {
          requestId: 'r-1',
          functionArn: `arn:aws:lambda:us-east-1:${stack.emulator.accountId}:function:ami-lifecycle-dev-amiStateChange:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: {
          errorType: 'RetryableFailuresError',
          errorMessage: 'CopyImage in eu-west-1 failed',
        },
      }),
    );

    const dry = await replay(['--json']);
    expect(dry.code).toBe(3);
    const report = JSON.parse(dry.stdout) as { entries: Array<Record<string, unknown>> };
    expect(report.entries).toHaveLength(1);
    expect(report.entries[0]).toMatchObject({
      handler: 'amiStateChange',
      letter: {
        kind: 'failed-invocation',
        functionName: 'ami-lifecycle-dev-amiStateChange',
        detailType: 'EC2 AMI State Change',
        reason: 'RetriesExhausted: RetryableFailuresError: CopyImage in eu-west-1 failed',
      },
      outcome: {
        status: 'would-replay',
        lines: expect.arrayContaining([expect.stringMatching(/^\+ eu-west-1 copy /)]),
      },
    });
    expect(stack.emulator.listImages('eu-west-1')).toHaveLength(0);
    expect(queued()).toHaveLength(1);

    const applied = await replay(['--apply']);
    expect(applied.code).toBe(0);
    await stack.settle();
    expect(queued()).toHaveLength(0);
    for (const region of ['eu-west-1', 'ap-southeast-2', 'us-west-2']) {
      expect(
        stack.emulator
          .listImages(region)
          .filter((i) => i.sourceImageId === imageId)
          .map((i) => i.state),
      ).toEqual(['available']);
    }

    // Nothing left: a second replay finds the queues empty.
    const again = await replay([]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to replay: 3 queues empty');
  });
});
