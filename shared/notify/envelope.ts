import { z } from 'zod';
import { InvalidEventError } from '../core/errors.js';
import { type DetailTypeName, EVENT_SOURCE } from '../core/notifications.js';
import { plural } from './text.js';

/**
 * The incoming event, checked before anything is written from it: the EventBridge envelope, then
 * the detail by the schema of its type. What is wrong is one `InvalidEventError` (terminal: no
 * retry can fix the event) naming the first field to look at.
 */

/** The EventBridge envelope of an event on the tool's bus; the detail is validated by its detail type. */
export const ToolEventEnvelopeSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.literal(EVENT_SOURCE),
  region: z.string().min(1),
  time: z.string().min(1),
  detail: z.unknown(),
});

export type ToolEventEnvelope = z.output<typeof ToolEventEnvelopeSchema>;

/** Parses an incoming event's envelope, or throws one `InvalidEventError` naming the first field that is wrong. */
export function parseToolEventEnvelope(event: unknown): ToolEventEnvelope {
  const parsed = ToolEventEnvelopeSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new InvalidEventError(`not an ${EVENT_SOURCE} event: ${describeIssues(parsed.error.issues, [])}`);
}

/** The detail, validated by the schema of its type (passed in, so TypeScript knows which). */
export function validDetail<S extends z.ZodType>(
  type: DetailTypeName,
  schema: S,
  detail: unknown,
): z.output<S> {
  const parsed = schema.safeParse(detail);
  if (parsed.success) return parsed.data;
  throw new InvalidEventError(
    `not a valid "${type}" event: ${describeIssues(parsed.error.issues, ['detail'])}`,
  );
}

/** The first issue, with its path: one line that says where to look; the count says whether there is more. */
function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly string[]): string {
  const [first] = issues;
  if (first === undefined) return 'invalid';
  const path = [...prefix, ...first.path.map(String)].join('.') || '(event)';
  const more = issues.length - 1;
  return `${path}: ${first.message}${more > 0 ? ` (and ${plural(more, 'more issue')})` : ''}`;
}
