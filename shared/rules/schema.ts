import { z } from 'zod';
import { KNOWN_REGIONS } from './regions.js';

/**
 * The rules file, as a strict schema: unknown keys are errors (a typo such as `acounts` must not
 * silently disable sharing), and every value is checked for shape here so the core can trust it.
 * Cross-field checks (KMS keys of non-target regions, overlapping rules, ...) live in `load.ts`.
 */

/** Tag keys that the tool writes itself (lineage and ownership); rules may not set them. */
export const RESERVED_TAG_PREFIX = 'ami-lifecycle:';

const accountIdMessage =
  'must be a 12-digit AWS account id in quotes (YAML reads an unquoted 012345678901 as a number and drops the leading zero)';
export const AccountId = z.string({ error: accountIdMessage }).regex(/^\d{12}$/, accountIdMessage);

const Region = z
  .string({ error: 'must be a region name such as "eu-west-1"' })
  .refine((r) => KNOWN_REGIONS.has(r), { error: (issue) => `unknown region ${JSON.stringify(issue.input)}` });

const Owner = z.union([z.literal('self'), z.literal('amazon'), z.literal('aws-marketplace'), AccountId], {
  error: 'must be "self", "amazon", "aws-marketplace" or a 12-digit account id in quotes',
});

const OrganizationArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/,
    'must be an organization ARN such as arn:aws:organizations::111122223333:organization/o-exampleorgid',
  );

const OrganizationalUnitArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
    'must be an OU ARN such as arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456',
  );

const TagKey = z
  .string()
  .min(1, 'tag keys cannot be empty')
  .max(127, 'tag keys are at most 127 characters')
  .refine((k) => !k.toLowerCase().startsWith('aws:'), { error: 'tag keys cannot start with "aws:"' })
  .refine((k) => !k.startsWith(RESERVED_TAG_PREFIX), {
    error: `tag keys starting with "${RESERVED_TAG_PREFIX}" are written by ami-lifecycle itself`,
  });

const TagValue = z.string({ error: 'tag values must be strings (quote numbers and booleans)' }).max(256);

const Tags = z.record(TagKey, TagValue);

const NameGlob = z
  .string()
  .min(1)
  .max(128)
  .describe('an image name, with EC2 filter wildcards: * (any run of characters) and ? (one character)');

/** Placeholders a copy's name or description template may use; all are fixed for a given source image. */
export const TEMPLATE_PLACEHOLDERS = [
  'name',
  'imageId',
  'sourceRegion',
  'region',
  'rule',
  'creationDate',
] as const;

const Template = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    for (const [, placeholder] of template.matchAll(/\{([^}]*)\}/g)) {
      if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(placeholder ?? '')) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {${placeholder}}; use one of ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
        });
      }
    }
  });

const KmsKey = z
  .string()
  .regex(
    /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]+)$/,
    'must be a KMS key ARN, key id, alias ARN or alias/name',
  );

const Match = z.strictObject({
  /** Regions in which images are picked up as sources. */
  regions: z.array(Region).min(1, 'name at least one source region'),
  /** Who must own the image: "self" (the account the tool runs in) or account ids. Default: self. */
  owners: z.array(Owner).min(1).default(['self']),
  /** Name globs; an image matches when any glob does. Absent: any name. */
  names: z.array(NameGlob).min(1).optional(),
  /** Tags the image must carry with exactly these values. */
  tags: Tags.optional(),
  /** Tag keys the image must carry, with any value. */
  tagKeys: z.array(TagKey).min(1).optional(),
});

const Copy = z.strictObject({
  /** Regions to copy to. The source region itself is skipped. */
  regions: z.array(Region).min(1, 'name at least one target region'),
  /** Name of each copy; placeholders as in TEMPLATE_PLACEHOLDERS. */
  name: Template.max(128).default('{name}'),
  description: Template.max(255).default('{name}, copied from {imageId} in {sourceRegion} by ami-lifecycle'),
  /** Encrypt the copies' snapshots. */
  encrypted: z.boolean().default(false),
  /** A customer-managed KMS key per target region (keys are regional). */
  kmsKeys: z.record(Region, KmsKey).default({}),
  /** Copy the source AMI's user-defined tags (CopyImageTags). */
  copyTags: z.boolean().default(true),
  /** Tags put on each copy and all its snapshots in the CopyImage call itself (TagSpecifications). */
  tags: Tags.default({}),
  /** Time-based copy: each snapshot completes within this many minutes (a multiple of 15). */
  completionDurationMinutes: z
    .number()
    .int()
    .min(15)
    .refine((m) => m % 15 === 0, { error: 'must be a multiple of 15' })
    .optional(),
});

const Share = z.strictObject({
  accounts: z.array(AccountId).default([]),
  organizations: z.array(OrganizationArn).default([]),
  organizationalUnits: z.array(OrganizationalUnitArn).default([]),
  /** Also grant the same accounts createVolumePermission on the snapshots, so they can copy the AMI. */
  snapshotPermissions: z.boolean().default(false),
  /** Make the images public. Refused unless allowPublic is true as well. */
  public: z.boolean().default(false),
  allowPublic: z.boolean().default(false),
});

const RuleTags = z.strictObject({
  /** Tags for the source AMI. */
  image: Tags.default({}),
  /** Extra tags for the snapshots of the source and of every copy. */
  snapshots: Tags.default({}),
  /** Snapshots carry their image's tags as well as the extras. */
  inheritToSnapshots: z.boolean().default(true),
});

/** Retirement of a rule's older images: deprecate, then deregister with their snapshots, in every region. */
const Retire = z.strictObject({
  /**
   * How images form families, each ranked on its own: `name` = one family per glob of `match.names`
   * (an image belongs to the first glob it matches; no `match.names`: one family), or `{ tag: KEY }` =
   * one family per value of that tag (images without the tag are never retired).
   */
  family: z
    .union([z.literal('name'), z.strictObject({ tag: TagKey })], {
      error: 'must be "name" or { tag: KEY }',
    })
    .default('name'),
  /** The newest images of each family (per source region) that are never retired. */
  keep: z
    .number({ error: 'must be a whole number of images, at least 1' })
    .int('must be a whole number of images, at least 1')
    .min(1, 'keep at least 1 image per family'),
  /** Deprecate a superseded image this many days after its creation (at once if that is past). */
  deprecateAfterDays: z
    .number()
    .int('must be a whole number of days')
    .min(0)
    .max(3650, 'EC2 deprecates at most 10 years ahead; use at most 3650 days')
    .optional(),
  /** Deregister a superseded image, deleting its snapshots, this many days after its creation. */
  deregisterAfterDays: z.number().int('must be a whole number of days').min(1).optional(),
  /**
   * Deregister an image only once it has launched no instance, in any account, for this many days:
   * EC2's `lastLaunchedTime` (launches by the accounts, organizations and OUs it is shared with
   * count too), plus one day for the delay with which EC2 reports a launch. Unset: 30 days for an
   * image shared with anyone (or public), no such condition for an image only this account can
   * launch (its references here are all there is to see).
   */
  notLaunchedForDays: z
    .number({ error: 'must be a whole number of days, at least 1' })
    .int('must be a whole number of days, at least 1')
    .min(1, 'must be a whole number of days, at least 1')
    .optional(),
  /** Deregistration is a dry run (logged "would deregister" lines) until this is true. */
  apply: z.boolean().default(false),
});

export const RuleSchema = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'rule names are 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
  description: z.string().optional(),
  match: Match,
  copy: Copy.optional(),
  share: Share.optional(),
  tags: RuleTags.optional(),
  retire: Retire.optional(),
});

export const RulesFileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  rules: z.array(RuleSchema).min(1, 'define at least one rule'),
});

export type Rule = z.output<typeof RuleSchema>;
export type RulesFile = z.output<typeof RulesFileSchema>;
export type ShareSettings = z.output<typeof Share>;
export type CopySettings = z.output<typeof Copy>;
export type RetireSettings = z.output<typeof Retire>;
