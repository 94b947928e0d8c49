import { z } from 'zod';
import { ConfigurationError } from '../config.js';

const topicArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
    'must be the ARN of a standard SNS topic',
  );

const NotifyEnvSchema = z.object({
  /** The plain-text topic: email and SMS subscribers. */
  NOTIFICATIONS_TOPIC_ARN: topicArn,
  /** The topic mapped in Amazon Q Developer in chat applications; unset or empty: no chat messages. */
  CHAT_TOPIC_ARN: z
    .literal('')
    .transform(() => undefined)
    .or(topicArn)
    .optional(),
  AWS_REGION: z.string().min(1, 'is required (Lambda sets it)').default('us-east-1'),
});

export interface NotifyConfig {
  readonly topics: { readonly text: string; readonly chat?: string };
  readonly region: string;
}

/** The notify function's settings; a missing or malformed topic ARN fails at cold start, before any event. */
export function loadNotifyConfig(env: NodeJS.ProcessEnv = process.env): NotifyConfig {
  const parsed = NotifyEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      `invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const { NOTIFICATIONS_TOPIC_ARN, CHAT_TOPIC_ARN, AWS_REGION } = parsed.data;
  return {
    topics: {
      text: NOTIFICATIONS_TOPIC_ARN,
      ...(CHAT_TOPIC_ARN === undefined ? {} : { chat: CHAT_TOPIC_ARN }),
    },
    region: AWS_REGION,
  };
}
