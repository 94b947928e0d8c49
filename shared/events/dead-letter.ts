import { z } from 'zod';
import { InvalidEventError } from '../core/errors.js';
import { parseOrThrow } from './parse.js';

/**
 * What the tool's two queues hold, read back for `ami-lifecycle replay`:
 * - the failed-invocations queue (the functions' on-failure destination) holds Lambda's
 *   invocation records: the event (`requestPayload`) and the last error (`responsePayload`);
 * - the rule-target dead-letter queue holds the events EventBridge could not deliver, as is.
 */
const InvocationRecordSchema = z.object({
  version: z.string(),
  timestamp: z.string(),
  requestContext: z.object({
    requestId: z.string(),
    functionArn: z.string(),
    condition: z.string(),
    approximateInvokeCount: z.number(),
  }),
  requestPayload: z.unknown(),
  responseContext: z
    .object({ statusCode: z.number().optional(), functionError: z.string().optional() })
    .loose(),
  responsePayload: z
    .object({ errorType: z.string().optional(), errorMessage: z.string().optional() })
    .loose()
    .nullable()
    .optional(),
});

const EventEnvelopeSchema = z
  .object({
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    account: z.string(),
    region: z.string(),
    time: z.string(),
    resources: z.array(z.string()),
    detail: z.unknown(),
  })
  .loose();

export type EventEnvelope = z.output<typeof EventEnvelopeSchema>;

export interface DeadLetter {
  readonly kind: 'failed-invocation' | 'undelivered-event';
  /** The function that failed, from the record's ARN (`ami-lifecycle-prod-amiStateChange`). */
  readonly functionName?: string;
  readonly event: EventEnvelope;
  /** Why it is here: the function's last error, or why EventBridge gave up. */
  readonly reason: string;
  readonly attempts?: number;
  readonly failedAt?: string;
}

/** A queue message's body as a dead letter; throws InvalidEventError for anything else. */
export function parseDeadLetter(body: string, attributes: Readonly<Record<string, string>> = {}): DeadLetter {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError('not a valid dead letter: the message body is not JSON', { cause: error });
  }
  const record = InvocationRecordSchema.safeParse(json);
  if (record.success) {
    const { requestContext, requestPayload, responsePayload, timestamp } = record.data;
    const functionName = requestContext.functionArn.split(':')[6];
    const error = responsePayload
      ? `${responsePayload.errorType ?? 'Error'}: ${responsePayload.errorMessage ?? ''}`
      : requestContext.condition;
    return {
      kind: 'failed-invocation',
      ...(functionName ? { functionName } : {}),
      event: parseOrThrow(EventEnvelopeSchema, requestPayload, 'dead letter: requestPayload is not an event'),
      reason: `${requestContext.condition}: ${error}`,
      attempts: requestContext.approximateInvokeCount,
      failedAt: timestamp,
    };
  }
  const event = parseOrThrow(
    EventEnvelopeSchema,
    json,
    'dead letter (neither an invocation record nor an event)',
  );
  const code = attributes.ERROR_CODE;
  const message = attributes.ERROR_MESSAGE;
  return {
    kind: 'undelivered-event',
    event,
    reason: code ? `${code}${message ? `: ${message}` : ''}` : 'not delivered by EventBridge',
    ...(attributes.RETRY_ATTEMPTS ? { attempts: Number(attributes.RETRY_ATTEMPTS) } : {}),
  };
}
