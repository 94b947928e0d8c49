import { z } from 'zod';

/**
 * The fields the tool's event details are built from (`notifications.ts`): the kinds of value, the
 * fields every detail has, and the family an event is about.
 */

export const SCHEMA_VERSION = 1;

// Titles name the kinds of value in the published schemas and in docs/events.md.
export const accountId = z
  .string()
  .regex(/^\d{12}$/)
  .meta({ title: 'account id' });
export const imageId = z
  .string()
  .regex(/^ami-[0-9a-f]+$/)
  .meta({ title: 'image id' });
export const snapshotId = z
  .string()
  .regex(/^snap-[0-9a-f]+$/)
  .meta({ title: 'snapshot id' });
export const region = z
  .string()
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/)
  .meta({ title: 'region' });
export const isoTime = z.iso.datetime({ offset: true });

/** Fields every detail has. */
export const base = {
  schemaVersion: z
    .literal(SCHEMA_VERSION)
    .describe("The detail's version: a breaking change is a new version, with a schema file of its own"),
  eventId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .describe('Stable: the same for every re-send of this event'),
};

/** The family an event is about: the rule and the source image. */
export const rule = z.string().min(1).describe('The rule that manages the family');
export const sourceImageId = imageId.describe('The source image of the family');
export const sourceRegion = region.describe("The source image's region");

export const family = {
  rule,
  sourceImageId,
  sourceRegion,
  imageName: z.string().describe("The source image's name"),
};

/** One image of a family: the image, where it is, and the source it belongs to. */
export const familyImage = {
  rule,
  sourceImageId,
  sourceRegion,
  imageId: imageId.describe('The image this event is about: the source or one of its copies'),
  region: region.describe("That image's region"),
};

/** Who may launch the images of a family, as the rule grants it. */
export const SharedWith = z
  .object({
    accounts: z.array(accountId),
    organizations: z.array(z.string()).describe('Organization ARNs'),
    organizationalUnits: z.array(z.string()).describe('OU ARNs'),
    public: z.boolean(),
  })
  .strict()
  .describe("Who may launch the family's images, as the rule grants it");

/** One region of a family, as last observed. */
export const RegionStatus = z
  .object({
    region,
    role: z.enum(['source', 'copy']).describe('Whether the region holds the source or a copy'),
    imageId: imageId.optional().describe('Absent when no copy exists in the region'),
    status: z
      .enum(['available', 'pending', 'failed', 'missing', 'unreadable'])
      .describe(
        'available: there, shared and tagged; missing: no copy started; unreadable: EC2 could not be read there',
      ),
    reason: z.string().optional().describe('Why the region is not available, when known'),
  })
  .strict();

export const failure = z
  .object({
    operation: z.string().describe('The EC2 action that failed, such as `CopyImage`'),
    region: region.describe('Where it was called'),
    code: z.string().describe("AWS's error code"),
    message: z.string(),
  })
  .strict();
