import { lambdaContext } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DetailType, toolEvent } from '../../shared/core/notifications.js';
import { formatNotification, parseToolEventEnvelope } from '../../shared/notify/format.js';
import { captureConsoleErrors } from '../support/console.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

/**
 * The notify handler through the real middy stack and the real SNS client, with SNS answered by
 * aws-sdk-client-mock: the exact Publish calls to both topics, and how failures end.
 */

const TEXT_TOPIC = 'arn:aws:sns:us-east-1:012345678901:ami-lifecycle-test-notifications';
const CHAT_TOPIC = 'arn:aws:sns:us-east-1:012345678901:ami-lifecycle-test-chat';
const SOURCE = 'ami-0123456789abcdef0';

const sns = mockClient(SNSClient);
restoreAfterAll(sns);

const context: Context = lambdaContext({
  functionName: 'notify',
  awsRequestId: 'test-request',
  region: 'us-east-1',
  accountId: '012345678901',
  timeoutSeconds: 30,
});

/** The handler, imported after its environment is set: it reads it at cold start. */
async function loadHandler(env: Record<string, string> = {}) {
  vi.resetModules();
  vi.stubEnv('NOTIFICATIONS_TOPIC_ARN', TEXT_TOPIC);
  vi.stubEnv('CHAT_TOPIC_ARN', CHAT_TOPIC);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  const { handler } = await import('../../functions/notify.js');
  return (event: unknown) => handler(event, context);
}

/** An `AMI Distribution Completed` as EventBridge delivers it to the function. */
const completed = () => {
  const event = toolEvent(
    DetailType.DistributionCompleted,
    {
      rule: 'golden-linux',
      sourceImageId: SOURCE,
      sourceRegion: 'us-east-1',
      imageName: 'golden-linux-2026-11-26',
      regions: [
        { region: 'us-east-1', role: 'source', imageId: SOURCE, status: 'available' },
        { region: 'eu-west-1', role: 'copy', imageId: 'ami-0aaaaaaaaaaaaaaa1', status: 'available' },
      ],
      sharedWith: { accounts: ['111122223333'], organizations: [], organizationalUnits: [], public: false },
      completedAt: '2026-11-26T10:15:00.000Z',
    },
    ['us-east-1', SOURCE, 'fingerprint'],
  );
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': event.detailType,
    source: 'ami-lifecycle',
    account: '012345678901',
    time: '2026-11-26T10:15:02Z',
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1::image/${SOURCE}`],
    detail: event.detail,
  };
};

const logged = { error: [] as string[] };

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  logged.error = captureConsoleErrors();
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('notify handler', () => {
  it('publishes the text to the notifications topic and the custom notification to the chat topic', async () => {
    const handle = await loadHandler();
    const event = completed();
    const expected = formatNotification(parseToolEventEnvelope(event));

    const result = await handle(event);

    expect(result).toEqual({
      status: 'sent',
      subject: `✓ golden-linux-2026-11-26 (${SOURCE}) distributed to 1 region`,
    });
    const inputs = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { TopicArn: TEXT_TOPIC, Subject: expected.subject, Message: expected.text },
      // No Subject and no MessageStructure: Amazon Q reads the body as the notification.
      { TopicArn: CHAT_TOPIC, Message: JSON.stringify(expected.chat) },
    ]);
    const chat = JSON.parse(inputs[1]?.Message ?? '{}');
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
      metadata: { threadId: SOURCE, eventType: 'AMI Distribution Completed' },
    });
    expect(inputs[0]?.Message).toContain(`✓ eu-west-1  ami-0aaaaaaaaaaaaaaa1`);
  });

  it('without a chat topic: the text topic only', async () => {
    const handle = await loadHandler({ CHAT_TOPIC_ARN: '' });
    await handle(completed());
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TEXT_TOPIC });
  });

  it('a malformed event: one clear error line, no Publish, and the invocation ends cleanly (no retry)', async () => {
    const handle = await loadHandler();
    const event = completed();
    const result = await handle({ ...event, detail: { ...event.detail, regions: [] } });
    expect(result).toMatchObject({ status: 'failed', error: 'InvalidEventError' });
    expect(logged.error).toHaveLength(1);
    expect(JSON.parse(logged.error[0] ?? '{}').message).toBe(
      'InvalidEventError: not a valid "AMI Distribution Completed" event: detail.regions: Too small: expected array to have >=1 items',
    );
    expect(sns.calls()).toEqual([]);
  });

  it('an event from another source: terminal too', async () => {
    const handle = await loadHandler();
    const result = await handle({ ...completed(), source: 'aws.ec2' });
    expect(result).toMatchObject({ status: 'failed', error: 'InvalidEventError' });
    expect(sns.calls()).toEqual([]);
  });

  it('a throttled Publish: the invocation fails, so Lambda retries and then the failure queue keeps it', async () => {
    // SNS models throttling as a client fault; it must be retried all the same.
    sns.on(PublishCommand).rejects(
      new SNSServiceException({
        name: 'ThrottledException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const handle = await loadHandler();
    await expect(handle(completed())).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'Publish',
      region: 'us-east-1',
      code: 'ThrottledException',
      retryable: true,
    });
  });

  it('a Publish refused for good (no permission): still fails the invocation, so the queue keeps the message for replay', async () => {
    sns.on(PublishCommand).rejects(
      new SNSServiceException({
        name: 'AuthorizationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'not authorized to perform SNS:Publish',
      }),
    );
    const handle = await loadHandler();
    await expect(handle(completed())).rejects.toMatchObject({
      name: 'AwsCallError',
      code: 'AuthorizationError',
      retryable: true,
    });
  });

  it('a chat topic that fails after the text was sent: the invocation fails too', async () => {
    sns.on(PublishCommand, { TopicArn: CHAT_TOPIC }).rejects(
      new SNSServiceException({
        name: 'InternalErrorException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'internal error',
      }),
    );
    const handle = await loadHandler();
    await expect(handle(completed())).rejects.toMatchObject({ name: 'AwsCallError', retryable: true });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TEXT_TOPIC });
  });

  it('a topic ARN that is not one: the function fails at cold start', async () => {
    await expect(loadHandler({ NOTIFICATIONS_TOPIC_ARN: 'ami-lifecycle-notifications' })).rejects.toThrow(
      /invalid environment: NOTIFICATIONS_TOPIC_ARN: must be the ARN of a standard SNS topic/,
    );
  });
});
