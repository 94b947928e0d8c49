import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbEmulator, type DynamoDbEmulator } from '../src/dynamodb/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { createSnsEmulator, type SnsEmulator } from '../src/sns/index.js';
import { createSqsEmulator, type SqsEmulator } from '../src/sqs/index.js';

/**
 * Compatibility with a client nobody here wrote: the AWS CLI (botocore: SQS over JSON 1.0, SNS over
 * Query, DynamoDB over JSON 1.0) against the local DynamoDB, SQS and SNS. Debian's awscli is
 * preferred, as in awscli.test.ts.
 */
const run = promisify(execFile);
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('AWS CLI against the local DynamoDB, SQS and SNS', () => {
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

  const aws = async (args: string[]): Promise<CliResult> => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_PAGER: '',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    try {
      const { stdout, stderr } = await run(
        AWS,
        [...args, '--endpoint-url', server.endpoint, '--output', 'json'],
        {
          env,
          timeout: 60_000,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      if (error instanceof Error && 'stdout' in error && 'stderr' in error && 'code' in error)
        return { code: Number(error.code), stdout: String(error.stdout), stderr: String(error.stderr) };
      throw error;
    }
  };

  it('sends, receives and counts SQS messages, and names a missing queue as SQS does', async () => {
    const url = `${server.endpoint}/123456789012/failed`;
    const sent = await aws([
      'sqs',
      'send-message',
      '--queue-url',
      url,
      '--message-body',
      'record',
      '--message-attributes',
      'kind={DataType=String,StringValue=failure}',
    ]);
    expect(sent.code).toBe(0);
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
    const missing = await aws(['sqs', 'get-queue-url', '--queue-name', 'nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(AWS.SimpleQueueService.NonExistentQueue)');
  });

  it('publishes to SNS (recorded) and reports NotFound for an unknown topic', async () => {
    const published = await aws([
      'sns',
      'publish',
      '--topic-arn',
      'arn:aws:sns:eu-west-1:123456789012:notifications',
      '--subject',
      'Hello',
      '--message',
      'Body',
    ]);
    expect(published.code).toBe(0);
    expect(sns.published().map((m) => [m.subject, m.message])).toEqual([['Hello', 'Body']]);
    const missing = await aws([
      'sns',
      'publish',
      '--topic-arn',
      'arn:aws:sns:eu-west-1:123456789012:nope',
      '--message',
      'x',
    ]);
    expect(missing.stderr).toContain('(NotFound)');
  });

  it('writes a DynamoDB item once under attribute_not_exists, then refuses', async () => {
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
    const again = await put();
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('(ConditionalCheckFailedException)');
    const read = await aws([
      'dynamodb',
      'get-item',
      '--table-name',
      'claims',
      '--key',
      '{"pk":{"S":"family#1"}}',
    ]);
    expect(JSON.parse(read.stdout).Item).toEqual({ pk: { S: 'family#1' } });
  });
});
