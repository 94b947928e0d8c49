import { z } from 'zod';
import { awsEventEnvelope, isArn, parseOrThrow } from './parse.js';

/** EventBridge's `Scheduled Event`: the schedule fires in the region of the stack that owns it. */
export const ScheduledEventSchema = awsEventEnvelope('Scheduled Event', 'aws.events', z.object({}).loose())
  // EventBridge names the schedule's rule in `resources`, in the event's own region and account: a
  // "Scheduled Event" without it did not come from a schedule.
  .refine((event) => event.resources.some((arn) => isRuleArn(arn, event.region, event.account)), {
    path: ['resources'],
    error: (issue) =>
      `must hold the schedule's rule ARN (arn:aws:events:<region>:<account>:rule/<name>) in the event's region and account, as EventBridge's scheduled events do (got ${JSON.stringify((issue.input as { resources?: unknown } | undefined)?.resources)})`,
  });

function isRuleArn(arn: string, region: string, account: string): boolean {
  return isArn(arn, { service: 'events', region, account, resource: (r) => r.startsWith('rule/') });
}

export type ScheduledEvent = z.output<typeof ScheduledEventSchema>;

export function parseScheduledEvent(event: unknown): ScheduledEvent {
  return parseOrThrow(ScheduledEventSchema, event, 'Scheduled Event');
}
