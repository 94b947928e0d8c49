import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  InvalidParameterValueException,
  ListTopicsCommand,
  NotFoundException,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { bodyFor, createSnsEmulator, type PublishedMessage, type SnsEmulator } from '../src/sns/index.js';
import { rejectionOf } from './rejection.js';

let server: LocalServer;
let sns: SnsEmulator;
let topicArn: string;
const heard: PublishedMessage[] = [];

beforeAll(async () => {
  sns = createSnsEmulator({ accountId: '111122223333', now: () => new Date('2026-05-01T10:00:00.000Z') });
  sns.onPublish((message) => heard.push(message));
  server = await startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    sns: (request) => sns.service(request),
  });
  ({ TopicArn: topicArn = '' } = await client().send(
    new CreateTopicCommand({
      Name: 'ami-lifecycle-dev-notifications',
      Attributes: { DisplayName: 'ami-lifecycle' },
    }),
  ));
});

afterAll(() => server.close());

function client(region = 'eu-west-1') {
  return new SNSClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
}

describe('topics', () => {
  it('creates a topic in the signed region, idempotently, and lists and describes it', async () => {
    expect(topicArn).toBe('arn:aws:sns:eu-west-1:111122223333:ami-lifecycle-dev-notifications');
    const again = await client().send(
      new CreateTopicCommand({
        Name: 'ami-lifecycle-dev-notifications',
        Attributes: { DisplayName: 'ami-lifecycle' },
      }),
    );
    expect(again.TopicArn).toBe(topicArn);
    const { Topics } = await client().send(new ListTopicsCommand({}));
    expect(Topics).toEqual([{ TopicArn: topicArn }]);
    const elsewhere = await client('us-west-2').send(new ListTopicsCommand({}));
    expect(elsewhere.Topics ?? []).toEqual([]);
    const { Attributes } = await client().send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(Attributes).toMatchObject({
      TopicArn: topicArn,
      DisplayName: 'ami-lifecycle',
      Owner: '111122223333',
    });
  });
});

describe('Publish', () => {
  it('records the message with its topic, subject, attributes and time, and tells listeners', async () => {
    const before = heard.length;
    const { MessageId } = await client().send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'AMI copy failed: golden-base in eu-west-1',
        Message: 'The copy of ami-0123 to eu-west-1 failed.\nReason: KMS key disabled',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'error' } },
      }),
    );
    const expected: PublishedMessage = {
      messageId: MessageId ?? '',
      region: 'eu-west-1',
      topicArn,
      topicName: 'ami-lifecycle-dev-notifications',
      subject: 'AMI copy failed: golden-base in eu-west-1',
      message: 'The copy of ami-0123 to eu-west-1 failed.\nReason: KMS key disabled',
      messageStructure: undefined,
      messageAttributes: { severity: { DataType: 'String', StringValue: 'error' } },
      time: '2026-05-01T10:00:00.000Z',
    };
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sns.published(topicArn).at(-1)).toEqual(expected);
    expect(sns.published('ami-lifecycle-dev-notifications').at(-1)).toEqual(expected);
    expect(heard.slice(before)).toEqual([expected]);
  });

  it('keeps a JSON message structure, whose per-protocol bodies subscribers get', async () => {
    await client().send(
      new PublishCommand({
        TopicArn: topicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'plain', email: 'for email' }),
      }),
    );
    const last = sns.published(topicArn).at(-1);
    expect(last?.messageStructure).toBe('json');
    expect(last && bodyFor(last, 'email')).toBe('for email');
    expect(last && bodyFor(last, 'https')).toBe('plain');
  });

  it('validates Subject, Message and MessageStructure as SNS does, and records nothing refused', async () => {
    const count = sns.published().length;
    const refuse = async (input: Partial<ConstructorParameters<typeof PublishCommand>[0]>) =>
      (
        await rejectionOf(
          client().send(new PublishCommand({ TopicArn: topicArn, Message: 'body', ...input })),
          InvalidParameterException,
        )
      ).message;
    expect(await refuse({ Subject: 'x'.repeat(100) })).toBe('Invalid parameter: Subject');
    expect(await refuse({ Subject: 'two\nlines' })).toBe('Invalid parameter: Subject');
    expect(await refuse({ Subject: 'tab\there' })).toBe('Invalid parameter: Subject');
    expect(await refuse({ Message: '' })).toBe('Invalid parameter: Empty message');
    expect(await refuse({ Message: 'x'.repeat(262_145) })).toBe('Invalid parameter: Message too long');
    expect(await refuse({ MessageStructure: 'json', Message: '{"email":"no default"}' })).toBe(
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
    expect(await refuse({ MessageStructure: 'json', Message: 'not json' })).toBe(
      'Invalid parameter: Message Structure - JSON message body failed to parse',
    );
    const badAttribute = await rejectionOf(
      client().send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: 'body',
          MessageAttributes: { n: { DataType: 'Number', StringValue: 'many' } },
        }),
      ),
      InvalidParameterValueException,
    );
    expect(badAttribute.message).toBe("Could not cast message attribute 'n' value to number.");
    // The limits themselves are accepted.
    await client().send(
      new PublishCommand({ TopicArn: topicArn, Subject: 'x'.repeat(99), Message: 'y'.repeat(262_144) }),
    );
    expect(sns.published().length).toBe(count + 1);
  });

  it('answers NotFound for a topic that does not exist (here or in another region)', async () => {
    const missing = await rejectionOf(
      client().send(
        new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:111122223333:nope', Message: 'x' }),
      ),
      NotFoundException,
    );
    expect(missing.message).toBe('Topic does not exist');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    await expect(
      client('us-west-2').send(
        new PublishCommand({ TopicArn: topicArn.replace('eu-west-1', 'us-west-2'), Message: 'x' }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});
