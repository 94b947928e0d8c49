import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { createNotifier, snsClient } from '../shared/aws/sns.js';
import { createLambdaMetrics } from '../shared/lambda/metrics.js';
import { lambda } from '../shared/lambda/middleware.js';
import { loadNotifyConfig } from '../shared/notify/config.js';
import { formatNotification, parseToolEventEnvelope } from '../shared/notify/format.js';

/**
 * The tool's failures and completions → a message people read (email, SMS, Slack, Teams). Not
 * coldStart(): this function needs no rules file, only its topics.
 */
const config = loadNotifyConfig();
const logger = new Logger({ serviceName: 'ami-lifecycle', correlationIdSearchFn: search });
const notifier = createNotifier(snsClient(config.region), config.topics, config.region);
const metrics = createLambdaMetrics(logger);

export const handler = lambda(logger, metrics).handler(async (event: unknown) => {
  // A malformed event throws a terminal InvalidEventError: the middleware logs it, no retry.
  const notification = formatNotification(parseToolEventEnvelope(event));
  // A retryable Publish failure throws: Lambda retries, then the on-failure queue keeps the event.
  await notifier.send(notification);
  logger.info(`sent: ${notification.subject}`, { eventType: notification.chat.metadata.eventType });
  metrics.port.add('NotificationsSent', 1, { detailType: notification.chat.metadata.eventType });
  return { status: 'sent', subject: notification.subject } as const;
});
