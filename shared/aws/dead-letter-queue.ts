import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { AwsCallError } from '../core/errors.js';

/** A message of a dead-letter queue, with what replay needs to settle it. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** Message attributes as strings (EventBridge's ERROR_CODE, RULE_ARN...). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly receiveCount: number;
  readonly sentAt?: string;
}

/** The few SQS calls replay makes on one queue. */
export interface DeadLetterQueue {
  readonly url: string;
  /** Up to 10 messages, hidden from other readers for `visibilitySeconds`. */
  receive(max: number, visibilitySeconds: number): Promise<QueuedMessage[]>;
  /** Replayed: gone for good. */
  delete(message: QueuedMessage): Promise<void>;
  /** Not replayed (dry run, or it failed again): visible again at once. */
  release(message: QueuedMessage): Promise<void>;
}

/** A queue name (`ami-lifecycle-failed-prod`) or URL, resolved once. */
export async function openDeadLetterQueue(
  client: SQSClient,
  region: string,
  nameOrUrl: string,
): Promise<DeadLetterQueue> {
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new AwsCallError(operation, region, error);
    }
  };
  const url = /^https?:\/\//.test(nameOrUrl)
    ? nameOrUrl
    : ((await call('GetQueueUrl', () => client.send(new GetQueueUrlCommand({ QueueName: nameOrUrl }))))
        .QueueUrl ?? nameOrUrl);
  return {
    url,
    async receive(max, visibilitySeconds) {
      const output = await call('ReceiveMessage', () =>
        client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
            VisibilityTimeout: visibilitySeconds,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        ),
      );
      return (output.Messages ?? []).flatMap((m) =>
        m.MessageId && m.ReceiptHandle && m.Body !== undefined
          ? [
              {
                messageId: m.MessageId,
                receiptHandle: m.ReceiptHandle,
                body: m.Body,
                attributes: Object.fromEntries(
                  Object.entries(m.MessageAttributes ?? {}).flatMap(([k, v]) =>
                    v.StringValue === undefined ? [] : [[k, v.StringValue]],
                  ),
                ),
                receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
                ...(m.Attributes?.SentTimestamp
                  ? { sentAt: new Date(Number(m.Attributes.SentTimestamp)).toISOString() }
                  : {}),
              },
            ]
          : [],
      );
    },
    async delete(message) {
      await call('DeleteMessage', () =>
        client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.receiptHandle })),
      );
    },
    async release(message) {
      await call('ChangeMessageVisibility', () =>
        client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: message.receiptHandle,
            VisibilityTimeout: 0,
          }),
        ),
      );
    },
  };
}
