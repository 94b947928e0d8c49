import { z } from 'zod';
import { InvalidEventError } from '../core/errors.js';
import type { MemberWorkRecord } from '../core/member-work.js';
import { RuleSchema } from '../rules/schema.js';
import { AccountId, Region } from '../rules/values.js';
import { parseOrThrow } from './parse.js';

/**
 * The member-work queue's messages at the edge: Lambda's SQS event, each record's body a work item
 * as the scheduled run's fan-out wrote it (`createWorkQueue`). A record whose body is not one is
 * that record's failure, named by its message id with the value that is wrong; the others of the
 * batch are still done.
 */

const ImageId = z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id (ami-…)');

export const MemberWorkItemSchema = z.strictObject({
  account: AccountId,
  region: Region,
  rules: z.array(RuleSchema.shape.name).min(1, 'names at least one rule'),
  // An item of the event path: the release, or the copy a forwarded event names, and what the
  // release's completion across accounts waits for.
  release: z.strictObject({ sourceImageId: ImageId, sourceRegion: Region }).optional(),
  imageId: ImageId.optional(),
  expected: z
    .record(
      RuleSchema.shape.name,
      z.strictObject({
        fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 hex digits'),
        pairs: z.number().int().min(1),
      }),
    )
    .optional(),
});

const SqsEventSchema = z.object({
  Records: z
    .array(z.object({ messageId: z.string().min(1), body: z.string() }).loose())
    .min(1, 'holds at least one record'),
});

export function parseMemberWorkEvent(event: unknown): MemberWorkRecord[] {
  const { Records } = parseOrThrow(SqsEventSchema, event, 'SQS event');
  return Records.map(({ messageId, body }) => {
    try {
      const item = parseOrThrow(MemberWorkItemSchema, parseJson(body), 'member work item');
      return { messageId, item };
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      return {
        messageId,
        error: new InvalidEventError(`message ${messageId}: ${error.message} (body ${clip(body)})`),
      };
    }
  });
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new InvalidEventError('not a valid member work item: (body): not JSON');
  }
}

/** The body as it is quoted in the error: JSON-escaped, so a log line stays one line, and short. */
function clip(body: string): string {
  const quoted = JSON.stringify(body);
  return quoted.length <= 300 ? quoted : `${quoted.slice(0, 300)}…`;
}
