import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { createSqsEmulator, md5OfMessageAttributes, type SqsEmulator } from '../src/sqs/index.js';
import { rejectionOf } from './rejection.js';

let server: LocalServer;
let sqs: SqsEmulator;
let clock: number;
let queueName: string;
let queueUrl: string;
let counter = 0;

beforeAll(async () => {
  clock = Date.parse('2026-05-01T10:00:00Z');
  sqs = createSqsEmulator({ accountId: '111122223333', now: () => new Date(clock), longPollCapMs: 200 });
  server = await startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    sqs: (request) => sqs.service(request),
  });
  sqs.setEndpoint(server.endpoint);
});

afterAll(() => server.close());

function client(region = 'eu-west-1') {
  return new SQSClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
}

beforeEach(async () => {
  queueName = `failed-${++counter}`;
  ({ QueueUrl: queueUrl = '' } = await client().send(
    new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '30' } }),
  ));
});

async function attributes(url = queueUrl) {
  const { Attributes } = await client().send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'],
    }),
  );
  return Attributes;
}

describe('queues', () => {
  it('creates a queue with the URL <endpoint>/<account>/<name> and the ARN of its region', async () => {
    expect(queueUrl).toBe(`${server.endpoint}/111122223333/${queueName}`);
    expect(await attributes()).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      QueueArn: `arn:aws:sqs:eu-west-1:111122223333:${queueName}`,
    });
    const { QueueUrl } = await client().send(new GetQueueUrlCommand({ QueueName: queueName }));
    expect(QueueUrl).toBe(queueUrl);
    const { QueueUrls } = await client().send(new ListQueuesCommand({ QueueNamePrefix: queueName }));
    expect(QueueUrls).toEqual([queueUrl]);
    expect(sqs.getQueueByArn(`arn:aws:sqs:eu-west-1:111122223333:${queueName}`)?.url).toBe(queueUrl);
  });

  it('is idempotent with the same attributes and refuses different ones', async () => {
    const again = await client().send(
      new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '30' } }),
    );
    expect(again.QueueUrl).toBe(queueUrl);
    const error = await rejectionOf(
      client().send(
        new CreateQueueCommand({ QueueName: queueName, Attributes: { VisibilityTimeout: '60' } }),
      ),
      QueueNameExists,
    );
    expect(error.message).toBe(
      'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
    );
  });

  it('answers QueueDoesNotExist for another region or an unknown queue', async () => {
    const elsewhere = await rejectionOf(
      client('us-west-2').send(new GetQueueUrlCommand({ QueueName: queueName })),
      QueueDoesNotExist,
    );
    expect(elsewhere.message).toBe('The specified queue does not exist.');
    await expect(
      client().send(
        new SendMessageCommand({ QueueUrl: `${server.endpoint}/111122223333/nope`, MessageBody: 'x' }),
      ),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
  });
});

describe('messages', () => {
  it('sends with attributes and receives body, attributes, system attributes and matching MD5s', async () => {
    const messageAttributes = {
      functionName: { DataType: 'String', StringValue: 'amiStateChange' },
      attempts: { DataType: 'Number', StringValue: '3' },
      raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    const sentAt = clock;
    const sent = await client().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: messageAttributes,
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    // SQS's documented encoding, restated: sorted names; length-prefixed name, type, transport byte, value.
    const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
    const expected = createHash('md5')
      .update(
        Buffer.concat([
          field(Buffer.from('attempts')),
          field(Buffer.from('Number')),
          Buffer.from([1]),
          field(Buffer.from('3')),
          field(Buffer.from('functionName')),
          field(Buffer.from('String')),
          Buffer.from([1]),
          field(Buffer.from('amiStateChange')),
          field(Buffer.from('raw')),
          field(Buffer.from('Binary')),
          Buffer.from([2]),
          field(Buffer.from([1, 2, 3])),
        ]),
      )
      .digest('hex');
    expect(sent.MD5OfMessageAttributes).toBe(expected);
    expect(md5OfMessageAttributes({ raw: { DataType: 'Binary', BinaryValue: 'AQID' } })).not.toBe(expected);
    clock += 5000;
    const { Messages } = await client().send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    const [message] = Messages ?? [];
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Body).toBe('{"hello":"world"}');
    expect(message?.Attributes).toEqual({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentAt),
    });
    expect(message?.MessageAttributes?.functionName).toEqual({
      DataType: 'String',
      StringValue: 'amiStateChange',
    });
    expect(message?.MessageAttributes?.raw?.BinaryValue).toEqual(new Uint8Array([1, 2, 3]));
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
  });

  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count', async () => {
    await client().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'one' }));
    const first = await client().send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        VisibilityTimeout: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(await attributes()).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    const hidden = await client().send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    expect(hidden.Messages).toBeUndefined();

    clock += 10_000;
    const second = await client().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    expect(second.Messages?.[0]?.Body).toBe('one');
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');

    // The first, stale receipt handle succeeds without deleting; the latest one deletes.
    await client().send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );
    expect(sqs.messages('eu-west-1', queueName)).toHaveLength(1);
    await client().send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }),
    );
    expect(sqs.messages('eu-west-1', queueName)).toEqual([]);
    expect(await attributes()).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('changes a message visibility: 0 makes it receivable again, a message not in flight is refused', async () => {
    await client().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'two' }));
    const { Messages } = await client().send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    const handle = Messages?.[0]?.ReceiptHandle;
    await client().send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }),
    );
    expect(sqs.messages('eu-west-1', queueName).map((m) => m.state)).toEqual(['visible']);
    await expect(
      client().send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);
  });

  it('returns at most MaxNumberOfMessages and refuses more than 10', async () => {
    await client().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })),
      }),
    );
    const { Messages } = await client().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 3 }),
    );
    expect(Messages?.map((m) => m.Body)).toEqual(['body 0', 'body 1', 'body 2']);
    const deleted = await client().send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: (Messages ?? []).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(deleted.Successful?.map((s) => s.Id)).toEqual(['d0', 'd1', 'd2']);
    expect(await attributes()).toMatchObject({ ApproximateNumberOfMessages: '2' });
    const error = await rejectionOf(
      client().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 11 })),
      SQSServiceException,
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe(
      'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
    );
  });

  it('long-polls: a message sent while waiting is returned at once', async () => {
    const poll = client().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    sqs.sendMessage('eu-west-1', queueName, 'late');
    const { Messages } = await poll;
    expect(Messages?.map((m) => m.Body)).toEqual(['late']);
  });

  it('refuses garbled receipt handles and purges once a minute', async () => {
    await expect(
      client().send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'not-a-handle' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    sqs.sendMessage('eu-west-1', queueName, 'a');
    sqs.sendMessage('eu-west-1', queueName, 'b');
    await client().send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    expect(sqs.messages('eu-west-1', queueName)).toEqual([]);
    await expect(client().send(new PurgeQueueCommand({ QueueUrl: queueUrl }))).rejects.toBeInstanceOf(
      PurgeQueueInProgress,
    );
    clock += 60_000;
    await expect(client().send(new PurgeQueueCommand({ QueueUrl: queueUrl }))).resolves.toBeDefined();
  });
});
