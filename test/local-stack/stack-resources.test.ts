import { fileURLToPath } from 'node:url';
import {
  CfnIntrinsic,
  loadServerlessConfig,
  type ServerlessConfig,
} from '@ami-lifecycle/emulator/eventbridge/serverless-config.js';
import { declaredResources, resolveEnvironment, resolveValue } from '@ami-lifecycle/emulator/resources.js';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ACCOUNT = '123456789012';

describe('serverless.yml: resources and destinations', () => {
  let config: ServerlessConfig;
  beforeAll(async () => {
    config = await loadServerlessConfig(`${root}/serverless.yml`);
  });

  it('exposes the declared tables, queues, topics and bus with their names resolved for the stage', () => {
    const declared = declaredResources(config);
    expect(declared.stackName).toBe('ami-lifecycle-dev');
    expect(declared.tables).toEqual([
      {
        logicalId: 'DistributionsTable',
        definition: {
          tableName: 'ami-lifecycle-dev-distributions',
          keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
          attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
          billingMode: 'PAY_PER_REQUEST',
        },
      },
    ]);
    expect(declared.queues).toEqual([
      {
        logicalId: 'FailedInvocationsQueue',
        queueName: 'ami-lifecycle-failed-dev',
        attributes: { MessageRetentionPeriod: '1209600' },
      },
      {
        logicalId: 'RuleTargetDeadLetterQueue',
        queueName: 'ami-lifecycle-rule-dlq-dev',
        attributes: { MessageRetentionPeriod: '1209600' },
      },
      // The emulator keeps the scalar attributes; the redrive (an object) is not emulated.
      {
        logicalId: 'MemberWorkQueue',
        queueName: 'ami-lifecycle-member-work-dev',
        attributes: { MessageRetentionPeriod: '86400', VisibilityTimeout: '5400' },
      },
      {
        logicalId: 'MemberWorkDeadLetterQueue',
        queueName: 'ami-lifecycle-member-work-dlq-dev',
        attributes: { MessageRetentionPeriod: '1209600' },
      },
    ]);
    expect(declared.topics).toEqual([
      {
        logicalId: 'NotificationsTopic',
        topicName: 'ami-lifecycle-dev-notifications',
        attributes: { DisplayName: 'ami-lifecycle' },
      },
      { logicalId: 'ChatNotificationsTopic', topicName: 'ami-lifecycle-dev-chat', attributes: {} },
    ]);
    expect(declared.buses).toEqual([{ logicalId: 'AmiLifecycleBus', name: 'ami-lifecycle-dev' }]);
  });

  it('gives every function its on-failure destination as written: sqs, !GetAtt FailedInvocationsQueue.Arn', () => {
    for (const name of ['amiStateChange', 'reconcile', 'notify']) {
      const onFailure = config.functions.find((fn) => fn.name === name)?.onFailure;
      expect(onFailure?.type, name).toBe('sqs');
      expect(onFailure?.arn).toEqual(new CfnIntrinsic('Fn::GetAtt', 'FailedInvocationsQueue.Arn'));
    }
  });

  it('resolves Ref, GetAtt, Sub and Join of declared resources per region, and nothing else', () => {
    const declared = declaredResources(config);
    const context = {
      region: 'eu-west-1',
      accountId: ACCOUNT,
      queueUrl: (region: string, name: string) => `http://local/${region}/${name}`,
    };
    const resolve = (fn: string, value: unknown) =>
      resolveValue(new CfnIntrinsic(fn, value), declared, context);
    expect(resolve('Ref', 'NotificationsTopic')).toBe(
      `arn:aws:sns:eu-west-1:${ACCOUNT}:ami-lifecycle-dev-notifications`,
    );
    expect(resolve('Ref', 'FailedInvocationsQueue')).toBe('http://local/eu-west-1/ami-lifecycle-failed-dev');
    expect(resolve('Ref', 'DistributionsTable')).toBe('ami-lifecycle-dev-distributions');
    expect(resolve('Ref', 'AmiLifecycleBus')).toBe('ami-lifecycle-dev');
    expect(resolve('Fn::GetAtt', 'FailedInvocationsQueue.Arn')).toBe(
      `arn:aws:sqs:eu-west-1:${ACCOUNT}:ami-lifecycle-failed-dev`,
    );
    expect(resolve('Fn::GetAtt', ['RuleTargetDeadLetterQueue', 'QueueName'])).toBe(
      'ami-lifecycle-rule-dlq-dev',
    );
    expect(resolve('Fn::GetAtt', 'DistributionsTable.Arn')).toBe(
      `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/ami-lifecycle-dev-distributions`,
    );
    expect(resolve('Fn::GetAtt', 'AmiLifecycleBus.Name')).toBe('ami-lifecycle-dev');
    expect(
      resolve(
        'Fn::Sub',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation !Sub template
        'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${FailedInvocationsQueue.QueueName}',
      ),
    ).toBe(`arn:aws:sqs:eu-west-1:${ACCOUNT}:ami-lifecycle-failed-dev`);
    expect(resolve('Fn::Join', ['/', ['a', new CfnIntrinsic('Ref', 'DistributionsTable')]])).toBe(
      'a/ami-lifecycle-dev-distributions',
    );
    expect(resolve('Ref', 'NotifyRole')).toBeUndefined();
    expect(resolve('Fn::GetAtt', 'NotificationsTopic.Nope')).toBeUndefined();
  });

  it("resolves the functions' environment, as a union, without Lambda's NODE_OPTIONS", () => {
    const { environment, skipped } = resolveEnvironment(config.functions, declaredResources(config), {
      region: 'us-east-1',
      accountId: ACCOUNT,
      queueUrl: (region, name) => `http://local/${region}/${name}`,
    });
    expect(environment).toMatchObject({
      NOTIFICATIONS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:ami-lifecycle-dev-notifications`,
      CHAT_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:ami-lifecycle-dev-chat`,
      DISTRIBUTIONS_TABLE: 'ami-lifecycle-dev-distributions',
      EVENT_BUS_NAME: 'ami-lifecycle-dev',
      // What the package ships: the rules compiled to JSON (the stack points its handlers at the YAML).
      RULES_FILE: '.rules/rules.json',
    });
    expect(environment.NODE_OPTIONS).toBeUndefined();
    expect(skipped).toEqual([]);
  });
});

describe('startLocalStack with the repository serverless.yml', () => {
  let stack: LocalStack;
  const nodeOptionsBefore = process.env.NODE_OPTIONS;

  beforeAll(async () => {
    stack = await startLocalStack({
      root,
      ec2: { regions: ['us-east-1', 'eu-west-1'] },
      env: { DRY_RUN: 'true' },
    });
  });

  afterAll(async () => {
    await stack.close();
    expect(process.env.NOTIFICATIONS_TOPIC_ARN).toBeUndefined();
  });

  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  it('creates the declared table, queues and topics in every emulated region', () => {
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(stack.dynamodb.describeTable(region, 'ami-lifecycle-dev-distributions')?.keySchema).toEqual([
        { attributeName: 'pk', keyType: 'HASH' },
      ]);
      expect(stack.sqs.getQueue(region, 'ami-lifecycle-failed-dev')?.attributes.MessageRetentionPeriod).toBe(
        '1209600',
      );
      expect(stack.sqs.getQueue(region, 'ami-lifecycle-rule-dlq-dev')?.url).toBe(
        `${stack.endpoint}/${ACCOUNT}/ami-lifecycle-rule-dlq-dev`,
      );
      expect(stack.sns.listTopics(region).map((t) => t.name)).toEqual([
        'ami-lifecycle-dev-notifications',
        'ami-lifecycle-dev-chat',
      ]);
    }
    expect(stack.sqs.listQueues('ap-southeast-2')).toEqual([]);
  });

  it("sets the handlers' environment: resolved references, the stack's own values, the caller's overrides", () => {
    expect(process.env.NOTIFICATIONS_TOPIC_ARN).toBe(
      `arn:aws:sns:us-east-1:${ACCOUNT}:ami-lifecycle-dev-notifications`,
    );
    expect(process.env.CHAT_TOPIC_ARN).toBe(`arn:aws:sns:us-east-1:${ACCOUNT}:ami-lifecycle-dev-chat`);
    expect(process.env.DISTRIBUTIONS_TABLE).toBe('ami-lifecycle-dev-distributions');
    expect(process.env.AWS_ENDPOINT_URL).toBe(stack.endpoint);
    expect(process.env.POWERTOOLS_LOG_LEVEL).toBe('SILENT'); // the stack's default beats the file's INFO
    expect(process.env.RULES_FILE).toBe(`${root}config/ami-rules.yaml`.replace(/\/+/g, '/'));
    expect(process.env.DRY_RUN).toBe('true'); // options.env beats the file's "false"
    expect(process.env.NODE_OPTIONS).toBe(nodeOptionsBefore);
    expect(stack.environment.NOTIFICATIONS_TOPIC_ARN).toBe(process.env.NOTIFICATIONS_TOPIC_ARN);
  });

  it('serves the resources to SDK clients that follow AWS_ENDPOINT_URL, and records publishes in the timeline', async () => {
    const region = 'eu-west-1';
    const { QueueUrl } = await new SQSClient({ region, credentials }).send(
      new GetQueueUrlCommand({ QueueName: 'ami-lifecycle-failed-dev' }),
    );
    expect(QueueUrl).toBe(stack.sqs.getQueue(region, 'ami-lifecycle-failed-dev')?.url);
    stack.dynamodb.putItem(region, 'ami-lifecycle-dev-distributions', { pk: { S: 'seeded' } });
    const { Item } = await new DynamoDBClient({ region, credentials }).send(
      new GetItemCommand({ TableName: 'ami-lifecycle-dev-distributions', Key: { pk: { S: 'seeded' } } }),
    );
    expect(Item).toEqual({ pk: { S: 'seeded' } });

    await new SNSClient({ region: 'us-east-1', credentials }).send(
      new PublishCommand({
        TopicArn: process.env.NOTIFICATIONS_TOPIC_ARN,
        Subject: 'Hello',
        Message: 'line 1\nline 2',
      }),
    );
    const notifications = stack.timeline.flatMap((entry) =>
      entry.kind === 'notification' ? [entry.record] : [],
    );
    expect(notifications.map((n) => [n.topicName, n.subject, n.message])).toEqual([
      ['ami-lifecycle-dev-notifications', 'Hello', 'line 1\nline 2'],
    ]);
  });

  it('reset() rebuilds DynamoDB, SQS and SNS with the declared resources, empty', () => {
    stack.sqs.sendMessage('us-east-1', 'ami-lifecycle-failed-dev', 'left over');
    stack.reset();
    expect(stack.sqs.messages('us-east-1', 'ami-lifecycle-failed-dev')).toEqual([]);
    expect(stack.dynamodb.items('eu-west-1', 'ami-lifecycle-dev-distributions')).toEqual([]);
    expect(stack.sns.published()).toEqual([]);
    expect(stack.sns.listTopics('eu-west-1')).toHaveLength(2);
    expect(stack.timeline).toEqual([]);
  });
});
