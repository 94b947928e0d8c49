import { z } from 'zod';
import { awsEventEnvelope, isArn, parseOrThrow } from './parse.js';

/**
 * `EC2 AMI State Change`, validated at the edge. The envelope is EventBridge's; the detail keys are
 * PascalCase as EC2 sends them.
 */
export const AmiStateChangeEventSchema = awsEventEnvelope(
  'EC2 AMI State Change',
  'aws.ec2',
  z.object({
    RequestId: z.string().optional(),
    ImageId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id (ami-...)'),
    /** available | failed | deregistered | disabled today; other values are accepted and ignored. */
    State: z.string().min(1),
    ErrorMessage: z.string().optional(),
  }),
)
  // EC2 names the image in `resources` as its ARN in the event's region: an event without it was
  // not delivered by EventBridge, whatever its source says.
  .refine(
    (event) =>
      event.resources.some((arn) =>
        isArn(arn, {
          service: 'ec2',
          region: event.region,
          account: '',
          resource: (r) => r === `image/${event.detail.ImageId}`,
        }),
      ),
    {
      path: ['resources'],
      error: (issue) =>
        `must hold the image's ARN (arn:aws:ec2:<region>::image/<ImageId>) in the event's region, as EC2's events do (got ${JSON.stringify((issue.input as { resources?: unknown } | undefined)?.resources)})`,
    },
  );

export type AmiStateChangeEvent = z.output<typeof AmiStateChangeEventSchema>;

/** Parses an incoming event, or throws one InvalidEventError naming every field that is wrong. */
export function parseAmiStateChangeEvent(event: unknown): AmiStateChangeEvent {
  return parseOrThrow(AmiStateChangeEventSchema, event, 'EC2 AMI State Change event');
}
