import { afterAll, beforeAll, describe, it } from 'vitest';
import { createDynamoDbEmulator, type DynamoDbEmulator } from '../../src/dynamodb/index.js';
import { type LocalServer, startLocalServer } from '../../src/server.js';
import { createSnsEmulator, type SnsEmulator } from '../../src/sns/index.js';
import { createSqsEmulator, type SqsEmulator } from '../../src/sqs/index.js';
import { type AwsResult, aws as awsCli } from './aws.js';

/**
 * The AWS CLI (botocore: SQS over JSON 1.0, SNS over Query, DynamoDB over JSON 1.0) against the
 * local DynamoDB, SQS and SNS. Each test has a service to itself, so they run concurrently.
 */
describe.concurrent('AWS CLI against the local DynamoDB, SQS and SNS', () => {
  let server: LocalServer;
  let dynamodb: DynamoDbEmulator;
  let sqs: SqsEmulator;
  let sns: SnsEmulator;

  beforeAll(async () => {
    dynamodb = createDynamoDbEmulator();
    sqs = createSqsEmulator();
    sns = createSnsEmulator();
    server = await startLocalServer({
      ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
      dynamodb: dynamodb.service,
      sqs: sqs.service,
      sns: sns.service,
    });
    sqs.setEndpoint(server.endpoint);
    dynamodb.createTable('eu-west-1', {
      tableName: 'claims',
      keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
    });
    sqs.createQueue('eu-west-1', 'failed');
    sns.createTopic('eu-west-1', 'notifications');
  });
  afterAll(() => server.close());

  const aws = (args: string[]): Promise<AwsResult> =>
    awsCli(args, { endpoint: server.endpoint, region: 'eu-west-1' });

  it('sends, receives and counts SQS messages, and names a missing queue as SQS does', async ({ expect }) => {
    const url = `${server.endpoint}/123456789012/failed`;
    const [sent, missing] = await Promise.all([
      aws([
        'sqs',
        'send-message',
        '--queue-url',
        url,
        '--message-body',
        'record',
        '--message-attributes',
        'kind={DataType=String,StringValue=failure}',
      ]),
      aws(['sqs', 'get-queue-url', '--queue-name', 'nope']),
    ]);
    expect(sent.code).toBe(0);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(AWS.SimpleQueueService.NonExistentQueue)');
    const received = await aws([
      'sqs',
      'receive-message',
      '--queue-url',
      url,
      '--attribute-names',
      'All',
      '--message-attribute-names',
      'All',
    ]);
    expect(received.code).toBe(0);
    const [message] = JSON.parse(received.stdout).Messages;
    expect(message.Body).toBe('record');
    expect(message.Attributes.ApproximateReceiveCount).toBe('1');
    expect(message.MessageAttributes.kind).toEqual({ DataType: 'String', StringValue: 'failure' });
    const counted = await aws([
      'sqs',
      'get-queue-attributes',
      '--queue-url',
      url,
      '--attribute-names',
      'All',
    ]);
    expect(JSON.parse(counted.stdout).Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:failed',
    });
  });

  it('publishes to SNS (recorded) and reports NotFound for an unknown topic', async ({ expect }) => {
    const [published, missing] = await Promise.all([
      aws([
        'sns',
        'publish',
        '--topic-arn',
        'arn:aws:sns:eu-west-1:123456789012:notifications',
        '--subject',
        'Hello',
        '--message',
        'Body',
      ]),
      aws(['sns', 'publish', '--topic-arn', 'arn:aws:sns:eu-west-1:123456789012:nope', '--message', 'x']),
    ]);
    expect(published.code).toBe(0);
    expect(missing.stderr).toContain('(NotFound)');
    // Only the message to the existing topic is recorded.
    expect(sns.published().map((m) => [m.subject, m.message])).toEqual([['Hello', 'Body']]);
  });

  it('writes a DynamoDB item once under attribute_not_exists, then refuses', async ({ expect }) => {
    const put = () =>
      aws([
        'dynamodb',
        'put-item',
        '--table-name',
        'claims',
        '--item',
        '{"pk":{"S":"family#1"}}',
        '--condition-expression',
        'attribute_not_exists(pk)',
      ]);
    expect((await put()).code).toBe(0);
    const [again, read] = await Promise.all([
      put(),
      aws(['dynamodb', 'get-item', '--table-name', 'claims', '--key', '{"pk":{"S":"family#1"}}']),
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('(ConditionalCheckFailedException)');
    expect(JSON.parse(read.stdout).Item).toEqual({ pk: { S: 'family#1' } });
  });
});
