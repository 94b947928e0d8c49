import { z } from 'zod';
import { InvalidEventError } from '../core/errors.js';
import { MemberWorkItemSchema } from './member-work.js';
import { parseOrThrow } from './parse.js';

/**
 * What the tool's dead-letter queues hold, read back for `ami-lifecycle replay`:
 * - the failed-invocations queue (the functions' on-failure destination) holds Lambda's
 *   invocation records: the event (`requestPayload`) and the last error (`responsePayload`);
 * - the rule-target dead-letter queue holds the events EventBridge could not deliver, as is;
 * - the member-work dead-letter queue holds the work items the member-work function failed
 *   `maxReceiveCount` times: the SQS message bodies themselves, each a work item as JSON.
 */

/**
 * A work item has no event around it: replay gives it one of its own (never published), so it is
 * listed, routed and reported like the other letters. The detail is the item.
 */
export const MEMBER_WORK_SOURCE = 'ami-lifecycle.member-work';
export const MEMBER_WORK_DETAIL_TYPE = 'Member Work Item';
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
  readonly kind: 'failed-invocation' | 'undelivered-event' | 'member-work';
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
  const item = MemberWorkItemSchema.safeParse(json);
  if (item.success) {
    const { account, region } = item.data;
    return {
      kind: 'member-work',
      event: {
        id: `member-work-${account}-${region}`,
        'detail-type': MEMBER_WORK_DETAIL_TYPE,
        source: MEMBER_WORK_SOURCE,
        account,
        region,
        time: '',
        resources: [],
        detail: item.data,
      },
      reason: 'the member-work function failed it as many times as its queue allows (its log says why)',
    };
  }
  const event = parseOrThrow(
    EventEnvelopeSchema,
    json,
    'dead letter (neither an invocation record, a member work item nor an event)',
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
