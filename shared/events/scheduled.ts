import { z } from 'zod';
import { parseOrThrow } from './parse.js';

/** EventBridge's `Scheduled Event`: the schedule fires in the region of the stack that owns it. */
export const ScheduledEventSchema = z.object({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  time: z.string(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be a region name'),
  resources: z.array(z.string()),
  detail: z.object({}).loose(),
});

export type ScheduledEvent = z.output<typeof ScheduledEventSchema>;

export function parseScheduledEvent(event: unknown): ScheduledEvent {
  return parseOrThrow(ScheduledEventSchema, event, 'Scheduled Event');
}
