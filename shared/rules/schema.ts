import { z } from 'zod';
import { Accounts, RoleArn, RoleName } from './accounts-schema.js';
import { LaunchTemplateId, LaunchTemplateName, ParameterName, Publish } from './publish-schema.js';
import {
  AccountId,
  KmsKey,
  OrganizationArn,
  OrganizationalUnitArn,
  Region,
  TEMPLATE_PLACEHOLDERS,
} from './values.js';

export { AccountId };

/**
 * The rules file, as a strict schema: unknown keys are errors (a typo such as `acounts` must not
 * silently disable sharing), and every value is checked for shape here so the core can trust it.
 * Cross-field checks (KMS keys of non-target regions, overlapping rules, ...) live in `load.ts`.
 */

/** Tag keys that the tool writes itself (lineage and ownership); rules may not set them. */
export const RESERVED_TAG_PREFIX = 'ami-lifecycle:';

const Owner = z
  .union([z.literal('self'), z.literal('amazon'), z.literal('aws-marketplace'), AccountId], {
    error: 'must be "self", "amazon", "aws-marketplace" or a 12-digit account id in quotes',
  })
  .meta({
    title: 'owner',
    description: '`self` (the account the tool runs in), `amazon`, `aws-marketplace`, or an account id.',
  });

const TagKey = z
  .string()
  .min(1, 'tag keys cannot be empty')
  .max(127, 'tag keys are at most 127 characters')
  .refine((k) => !k.toLowerCase().startsWith('aws:'), { error: 'tag keys cannot start with "aws:"' })
  .refine((k) => !k.startsWith(RESERVED_TAG_PREFIX), {
    error: `tag keys starting with "${RESERVED_TAG_PREFIX}" are written by ami-lifecycle itself`,
  })
  .meta({
    title: 'tag key',
    description: `1-127 characters; not starting with \`aws:\` or \`${RESERVED_TAG_PREFIX}\` (the tool's own lineage tags).`,
  });

const TagValue = z
  .string({ error: 'tag values must be strings (quote numbers and booleans)' })
  .max(256, 'tag values are at most 256 characters')
  .meta({
    title: 'tag value',
    description: 'A string of at most 256 characters (quote numbers and booleans).',
  });

const Tags = z.record(TagKey, TagValue);

const NameGlob = z.string().min(1).max(128).meta({
  title: 'name glob',
  description: 'An image name with EC2 filter wildcards: `*` any run of characters, `?` one character.',
});

export { TEMPLATE_PLACEHOLDERS };

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
  })
  .meta({
    title: 'template',
    description: `Text with placeholders, fixed for a given source image: ${TEMPLATE_PLACEHOLDERS.map((p) => `\`{${p}}\``).join(', ')}.`,
  });

/*
 * Each field's `.describe()` text is its documentation: docs/rules.md is generated from this schema
 * (`npm run docs`), so a field and its documentation cannot drift apart.
 */

const Match = z.strictObject({
  regions: z
    .array(Region)
    .min(1, 'name at least one source region')
    .describe('Source regions: where new images are picked up.'),
  owners: z
    .array(Owner)
    .min(1)
    .default(['self'])
    .describe(
      'Who must own the image: `self` (the account the tool runs in), account ids (quoted: YAML drops the leading zero of an unquoted `012…`), `amazon` or `aws-marketplace`.',
    ),
  names: z
    .array(NameGlob)
    .min(1)
    .optional()
    .describe('Name globs; an image matches when any glob does. Absent: any name.'),
  tags: Tags.optional().describe('Tags the image must carry with exactly these values.'),
  tagKeys: z.array(TagKey).min(1).optional().describe('Tag keys the image must carry, with any value.'),
});

const Copy = z.strictObject({
  regions: z
    .array(Region)
    .min(1, 'name at least one target region')
    .describe('Target regions. The source region itself is skipped.'),
  name: Template.default('{name}').describe(
    "Name of each copy, at most 128 characters once expanded (longer names are cut at 128). Its own text may use only what AMI names allow (letters, digits, spaces and `( ) [ ] . / - ' @ _`); in a placeholder's value (`{creationDate}`'s colons, say) other characters become `-`. Must include `{name}` or `{imageId}`, and `{sourceRegion}` or `{imageId}` when the rule has several source regions.",
  ),
  description: Template.default('{name}, copied from {imageId} in {sourceRegion} by ami-lifecycle').describe(
    'Description of each copy; its own text is at most 255 characters, and the expanded description is cut at 255.',
  ),
  encrypted: z.boolean().default(false).describe("Encrypt the copies' snapshots."),
  kmsKeys: z
    .record(Region, KmsKey)
    .default({})
    .describe(
      'A customer-managed KMS key per target region. Needs `encrypted: true`; each key must be in its region. Required for every target when encrypted copies are shared with accounts (the AWS-managed EBS key cannot be shared).',
    ),
  copyTags: z
    .boolean()
    .default(true)
    .describe("Copy the source AMI's user-defined tags to the copy (`CopyImageTags`)."),
  tags: Tags.default({}).describe(
    'Tags put on each copy **and all its snapshots** in the `CopyImage` call itself (`TagSpecifications`), together with the lineage tags.',
  ),
  completionDurationMinutes: z
    .number()
    .int()
    .min(15, 'must be at least 15 minutes')
    .max(2880, 'must be at most 2880 minutes (48 hours)')
    .refine((m) => m % 15 === 0, { error: 'must be a multiple of 15' })
    .optional()
    .describe(
      'Time-based copy: each snapshot completes within this many minutes (15-2880, a multiple of 15).',
    ),
});

const Share = z.strictObject({
  accounts: z.array(AccountId).default([]).describe('Accounts allowed to launch the source and every copy.'),
  organizations: z.array(OrganizationArn).default([]).describe('Organizations allowed to launch them.'),
  organizationalUnits: z
    .array(OrganizationalUnitArn)
    .default([])
    .describe('Organizational units allowed to launch them.'),
  snapshotPermissions: z
    .boolean()
    .default(false)
    .describe(
      'Also grant `share.accounts` create-volume permission on the snapshots (consumers need it to copy the AMI). Needs `share.accounts`.',
    ),
  public: z
    .boolean()
    .default(false)
    .describe(
      'Make the images public. Refused unless `allowPublic` is also `true`; refused at plan time for Marketplace images and where block public access for AMIs is on.',
    ),
  allowPublic: z.boolean().default(false).describe('The explicit second key for `public`.'),
});

const RuleTags = z.strictObject({
  image: Tags.default({}).describe('Tags for the source AMI.'),
  snapshots: Tags.default({}).describe('Extra tags for the snapshots of the source and of every copy.'),
  inheritToSnapshots: z
    .boolean()
    .default(true)
    .describe("Snapshots carry their image's tags as well as the extras."),
});

const Retire = z.strictObject({
  family: z
    .union([z.literal('name'), z.strictObject({ tag: TagKey })], {
      error: 'must be "name" or { tag: KEY }',
    })
    .default('name')
    .describe(
      'How images form families, each ranked on its own per source region: `name` = one family per glob of `match.names` (an image belongs to the first glob it matches; without `match.names`, one family), or `{ tag: KEY }` = one family per value of that tag (images without the tag are never retired).',
    ),
  keep: z
    .number({ error: 'must be a whole number of images, at least 1' })
    .int('must be a whole number of images, at least 1')
    .min(1, 'keep at least 1 image per family')
    .describe(
      'The newest images of each family (per source region) that are never retired. Only `available` images with a creation date are ranked; others are left alone.',
    ),
  deprecateAfterDays: z
    .number()
    .int('must be a whole number of days')
    .min(0)
    .max(3650, 'EC2 deprecates at most 10 years ahead; use at most 3650 days')
    .optional()
    .describe(
      'Deprecate each older image this many days after its creation (at once if that is past), and its copies in every region at the same time.',
    ),
  disableAfterDays: z
    .number()
    .int('must be a whole number of days')
    .min(1)
    .optional()
    .describe(
      'Disable each older image and its copies (`DisableImage`) this many days after its creation: it can no longer be launched, loses its launch permissions and leaves default listings, and `EnableImage` brings it back (the tool re-shares it then). At least `deprecateAfterDays` and at most `deregisterAfterDays`. Like deregistration, a dry run (logged `would disable` lines) until `apply: true`, and held back by the same checks (references, recent launches).',
    ),
  deregisterAfterDays: z
    .number()
    .int('must be a whole number of days')
    .min(1)
    .optional()
    .describe(
      'Deregister each older image and its copies, deleting their snapshots, this many days after its creation. At least `deprecateAfterDays` and `disableAfterDays`; set at least one of the three.',
    ),
  notLaunchedForDays: z
    .number({ error: 'must be a whole number of days, at least 1' })
    .int('must be a whole number of days, at least 1')
    .min(1, 'must be a whole number of days, at least 1')
    .optional()
    .describe(
      "Deregister an image only once it has launched no instance, in any account, for this many days: EC2's `lastLaunchedTime` (launches by the accounts, organizations and OUs it is shared with count too), plus one day for the delay with which EC2 reports a launch. Unset: 30 days for an image shared with anyone (or public), no such condition for an image only this account can launch (its references here are all there is to see). Needs `deregisterAfterDays`.",
    ),
  apply: z
    .boolean()
    .default(false)
    .describe(
      'Disabling and deregistration are a dry run (logged `would disable` and `would deregister` lines) until this is `true`. Deprecation is applied either way.',
    ),
});

/** The kinds of value the fields use, each with its title and description: docs/rules.md lists them. */
export const VALUE_KINDS = [
  Region,
  Owner,
  AccountId,
  OrganizationArn,
  OrganizationalUnitArn,
  NameGlob,
  TagKey,
  TagValue,
  Template,
  KmsKey,
  ParameterName,
  LaunchTemplateName,
  LaunchTemplateId,
  RoleName,
  RoleArn,
] as const;

export const RuleSchema = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'rule names are 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
    )
    .describe(
      'Unique; 1-63 letters, digits, `.`, `_` or `-`, starting with a letter or digit. Written on every managed image as the `ami-lifecycle:rule` tag.',
    ),
  description: z.string().optional().describe('Free text.'),
  match: Match.describe('Which images the rule manages as sources.'),
  copy: Copy.optional().describe('Where and how the sources are copied.'),
  share: Share.optional().describe('Who may launch the sources and their copies.'),
  tags: RuleTags.optional().describe('Tags for the sources and the snapshots.'),
  retire: Retire.optional().describe(
    "Retirement of a rule's older images: deprecate, disable, then deregister with their snapshots, in every region.",
  ),
  accounts: Accounts.optional().describe(
    'Copies owned by other accounts: each target account copies the source into its regions itself (the tool assumes a role there), after the tool has shared the source and its snapshots with it.',
  ),
  publish: Publish.optional().describe(
    'Pointers that follow the releases: SSM parameters and launch templates, moved in each region once its image is available, shared and tagged, and never back to an older release (except by `ami-lifecycle rollback`). Images they name are never retired.',
  ),
});

export const RulesFileSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }).describe('Always `1`.'),
  rules: z
    .array(RuleSchema)
    .min(1, 'define at least one rule')
    .describe('The rules; each image is managed by at most one of them.'),
});

export type Rule = z.output<typeof RuleSchema>;

/** A `copy` section into `regions` with every other field at its default. */
export function copyDefaults(regions: readonly string[]): CopySettings {
  return Copy.parse({ regions });
}
export type RulesFile = z.output<typeof RulesFileSchema>;
export type ShareSettings = z.output<typeof Share>;
export type CopySettings = z.output<typeof Copy>;
export type RetireSettings = z.output<typeof Retire>;
export type { PublishedTemplate, PublishSettings } from './publish-schema.js';
