import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { AwsCallError } from '../core/errors.js';
import { traced } from '../lambda/tracing.js';
import type { Notification, Notifier } from '../notify/port.js';
import { perRegion } from './per-region.js';
import { observeRetries } from './sdk-retries.js';

/** The process's SNS clients, one per region, built on first use and kept across invocations. */
export const snsClient = perRegion((region) => {
  const client = new SNSClient({ region, maxAttempts: 5 });
  observeRetries(client.middlewareStack, 'sns', region);
  return traced(client);
});

export interface NotifierTopics {
  /** Plain text: `Subject` and the body, for email and SMS subscribers. */
  readonly text: string;
  /** Amazon Q Developer in chat applications: the custom-notification JSON. Absent: not sent. */
  readonly chat?: string;
}

/**
 * Publishes a notification to the text topic, then to the chat topic. One after the other so a
 * failure throws exactly one error, never hiding a second one; a retry may send the text message
 * again, which SNS's at-least-once delivery means subscribers must tolerate anyway.
 */
export function createNotifier(client: SNSClient, topics: NotifierTopics, region: string): Notifier {
  const publish = async (input: PublishCommandInput): Promise<void> => {
    try {
      await client.send(new PublishCommand(input));
    } catch (error) {
      // Every failure is retryable here, even a missing topic or a permission: the notification is
      // the only trace of what happened for the people it is for, so after Lambda's retries it must
      // land in the failed-invocations queue (alarmed, replayable once the cause is fixed), not
      // end as one log line.
      throw new AwsCallError('Publish', region, error, true);
    }
  };
  return {
    async send(notification: Notification) {
      await publish({ TopicArn: topics.text, Subject: notification.subject, Message: notification.text });
      // No Subject and no MessageStructure: Amazon Q reads the message body as the notification.
      if (topics.chat !== undefined) {
        await publish({ TopicArn: topics.chat, Message: JSON.stringify(notification.chat) });
      }
    },
  };
}
