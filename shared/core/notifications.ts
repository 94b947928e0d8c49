import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  accountId,
  base,
  failure,
  family,
  familyImage,
  imageId,
  isoTime,
  RegionStatus,
  region,
  rule,
  SCHEMA_VERSION,
  SharedWith,
  snapshotId,
  sourceImageId,
  sourceRegion,
} from './event-fields.js';

/**
 * The events the tool publishes on its own event bus: the contract with operators, their rules
 * and the notify function. Each detail type has a zod schema here, the one source of truth; the
 * versioned JSON Schemas in `schemas/events/` are generated from these (`npm run schemas`) and a
 * test fails when they drift, so consumers can validate against the published files.
 *
 * Every detail carries `schemaVersion` (a breaking change gets a new version and a new file) and
 * `eventId`: a stable id derived from what the event is about, the same however many times the
 * event is sent (EventBridge gives each PutEvents entry a new envelope id, and a retried
 * invocation may publish again), so consumers can drop repeats.
 */
export const EVENT_SOURCE = 'ami-lifecycle';

export { RegionStatus, SCHEMA_VERSION, SharedWith } from './event-fields.js';

/** When each is published: the description of its schema in `DetailSchemas` below. */
export const DetailType = {
  DistributionStarted: 'AMI Distribution Started',
  CopyFailed: 'AMI Copy Failed',
  DistributionCompleted: 'AMI Distribution Completed',
  AccountCopiesCompleted: 'AMI Account Copies Completed',
  TargetAccountsChanged: 'AMI Target Accounts Changed',
  ActionsFailed: 'AMI Actions Failed',
  Deprecated: 'AMI Deprecated',
  Disabled: 'AMI Disabled',
  Deregistered: 'AMI Deregistered',
  PointersMoved: 'AMI Pointers Moved',
  Rollback: 'AMI Rollback',
  ReconcileReport: 'Reconcile Report',
} as const;

export type DetailTypeName = (typeof DetailType)[keyof typeof DetailType];

export const DetailSchemas = {
  [DetailType.DistributionStarted]: z
    .object({
      ...base,
      ...family,
      targetRegions: z.array(region).describe('Every region the rule copies to'),
      copies: z
        .array(z.object({ region, imageId }).strict())
        .min(1)
        .describe('The copies this event started'),
    })
    .strict()
    .describe('The first copies of a release started: once per release.'),
  [DetailType.CopyFailed]: z
    .object({
      ...base,
      ...family,
      imageId: imageId.describe('The failed copy'),
      region: region.describe("The failed copy's region"),
      reason: z.string().describe("EC2's state reason for the failure"),
      regions: z.array(RegionStatus).describe('The whole family when the failure was seen'),
      sharedWith: SharedWith,
    })
    .strict()
    .describe('A copy the tool started ended `failed`.'),
  [DetailType.DistributionCompleted]: z
    .object({
      ...base,
      ...family,
      regions: z.array(RegionStatus).min(1).describe('The source first, then every target region'),
      sharedWith: SharedWith,
      completedAt: isoTime.describe('When the tool observed the family complete'),
      parameters: z
        .array(z.object({ region, name: z.string() }).strict())
        .optional()
        .describe(
          "The SSM parameters the rule publishes for this release, per region (`publish.parameters`): they name the release's image there, unless the rule is pinned by a rollback or a newer release arrived first",
        ),
    })
    .strict()
    .describe(
      'Every target region has an available copy, and the source and every copy are shared and tagged: once per source image and set of targets.',
    ),
  [DetailType.AccountCopiesCompleted]: z
    .object({
      ...base,
      rule,
      sourceImageId,
      sourceRegion,
      imageName: z.string().optional().describe("The source image's name, when known"),
      accounts: z
        .array(
          z
            .object({
              account: accountId.describe('A target account (`accounts` of the rule)'),
              regions: z
                .array(
                  z
                    .object({
                      region,
                      status: z
                        .enum(['available', 'skipped'])
                        .describe(
                          "available: the account's own copy is there; skipped: the region was left out, for `reason`",
                        ),
                      imageId: imageId.optional().describe("The account's copy, when available"),
                      reason: z
                        .string()
                        .optional()
                        .describe('Why a region was skipped (not enabled, a KMS key the account cannot use)'),
                    })
                    .strict(),
                )
                .min(1),
            })
            .strict(),
        )
        .min(1)
        .describe('Every target account and region of the release, sorted'),
      completedAt: isoTime.describe('When the last pair was recorded'),
    })
    .strict()
    .describe(
      'Every target account has its own available copy in each of its regions, or the region was skipped: once per release and set of targets (accounts x regions).',
    ),
  [DetailType.TargetAccountsChanged]: z
    .object({
      ...base,
      rule,
      joined: z
        .array(accountId)
        .describe(
          "Accounts that became targets: each region's next run copies the current releases into them",
        ),
      left: z
        .array(accountId)
        .describe(
          'Accounts that are no longer targets: no longer touched, and nothing is ever deleted in them',
        ),
      targets: z.number().int().min(0).describe('How many target accounts the rule has now'),
    })
    .strict()
    .describe(
      "A rule's target accounts changed (an account joined or left a targeted OU, or the rules changed): reported once per change.",
    ),
  [DetailType.ActionsFailed]: z
    .object({
      ...base,
      ...familyImage,
      failures: z.array(failure).min(1),
    })
    .strict()
    .describe(
      'Actions failed in a way retrying will not fix (a permission, a region not enabled, a bad parameter).',
    ),
  [DetailType.Deprecated]: z
    .object({
      ...base,
      ...familyImage,
      role: z.enum(['source', 'copy']),
      deprecationTime: isoTime.describe('When EC2 deprecates the image'),
      reason: z.string().describe('Why the image is retired: its rank in its family and its age'),
    })
    .strict()
    .describe("Retirement set an image's deprecation time."),
  [DetailType.Disabled]: z
    .object({
      ...base,
      ...familyImage,
      role: z.enum(['source', 'copy']),
      reason: z.string().describe('Why the image is retired: its rank in its family and its age'),
    })
    .strict()
    .describe(
      'Retirement disabled an image (`DisableImage`): it cannot be launched and lost its launch permissions; `EnableImage` brings it back.',
    ),
  [DetailType.Deregistered]: z
    .object({
      ...base,
      ...familyImage,
      role: z.enum(['source', 'copy']),
      reason: z.string().describe('Why the image is retired: its rank in its family and its age'),
      snapshotsDeleted: z.array(snapshotId),
      snapshotsNotDeleted: z
        .array(
          z
            .object({
              snapshotId,
              outcome: z.enum(['in-use', 'not-found', 'failed']),
              detail: z.string().optional(),
            })
            .strict(),
        )
        .describe('Snapshots kept: in use by another image, already gone, or a deletion that failed'),
    })
    .strict()
    .describe('Retirement deregistered an image and deleted its snapshots.'),
  [DetailType.PointersMoved]: z
    .object({
      ...base,
      ...familyImage,
      parameters: z
        .array(
          z
            .object({
              name: z.string(),
              previous: imageId.optional().describe('The image it named before; absent when it was created'),
              imageId,
              version: z.number().int().describe("The parameter's new version"),
            })
            .strict(),
        )
        .describe('The SSM parameters moved to the image'),
      launchTemplates: z
        .array(
          z
            .object({
              template: z.string().describe('The template as the rule names it'),
              templateId: z.string(),
              version: z.number().int().describe('The version that uses the image'),
              previous: imageId.optional().describe("The default version's image before"),
              imageId,
              isDefault: z.boolean().describe('Whether that version was made the default'),
            })
            .strict(),
        )
        .describe('The launch templates moved to the image'),
    })
    .strict()
    .describe(
      "A rule's pointers (SSM parameters, launch templates) in one region moved to a release's image: on a release, by the reconcile, by a rollback or an unpin.",
    ),
  [DetailType.Rollback]: z
    .object({
      ...base,
      rule,
      sourceImageId: imageId.describe('The release rolled back to (pinned), or unpinned from'),
      sourceRegion,
      regions: z.array(region).describe('The regions whose pin changed'),
      pinned: z.boolean().describe('true: a rollback pinned the rule; false: an unpin removed the pin'),
      by: z.string().describe('Who asked (the CLI and its user)'),
    })
    .strict()
    .describe(
      "A rule's pointers were rolled back and pinned to a release (`ami-lifecycle rollback`), or unpinned.",
    ),
  [DetailType.ReconcileReport]: z
    .object({
      ...base,
      region: region.describe('The region reconciled'),
      account: accountId
        .optional()
        .describe(
          'The target account whose copies were reconciled, as that account (`accounts` of the rules); absent: the account the tool runs in',
        ),
      dryRun: z.boolean(),
      startedAt: isoTime,
      durationMs: z.number().int().nonnegative(),
      managed: z
        .object({ sources: z.number().int(), copies: z.number().int() })
        .strict()
        .describe('Images the rules manage in this region'),
      planned: z
        .record(z.string(), z.number().int())
        .describe('Changes planned (after the copy cap), by kind'),
      applied: z.record(z.string(), z.number().int()).describe('Changes applied, by kind'),
      failed: z.number().int().nonnegative().describe('Failures in the run (the list below is capped)'),
      failures: z.array(
        z
          .object({
            action: z.string(),
            operation: z.string(),
            code: z.string(),
            message: z.string(),
            retryable: z.boolean(),
          })
          .strict(),
      ),
      copiesInFlight: z
        .number()
        .int()
        .nonnegative()
        .describe('Copies pending in the region when the run started'),
      deferredCopies: z
        .number()
        .int()
        .nonnegative()
        .describe('Copies due here that a later run starts (the cap, or a source not tagged yet)'),
      skipped: z
        .number()
        .int()
        .nonnegative()
        .describe('Changes not started because the run had to stop; the next run makes them'),
      stoppedEarly: z.boolean().describe('Whether the run stopped before its Lambda timeout with work left'),
    })
    .strict()
    .describe('The scheduled reconcile of one region: counts per action, failures, what was deferred.'),
} as const satisfies Record<DetailTypeName, z.ZodType>;

export type Detail<T extends DetailTypeName> = z.infer<(typeof DetailSchemas)[T]>;

/** An event the tool publishes with this detail type. */
export interface ToolEventOf<T extends DetailTypeName> {
  readonly detailType: T;
  readonly detail: Detail<T>;
  /** ARNs the event is about (the envelope's `resources`), for rules to match on. */
  readonly resources?: readonly string[];
  /**
   * The region whose ami-lifecycle bus should receive it: events about an image family go to
   * its source region, so a family's story is told in one place. Absent: the publisher's own.
   */
  readonly busRegion?: string;
}

/** Any event the tool publishes. */
export type ToolEvent = { [T in DetailTypeName]: ToolEventOf<T> }[DetailTypeName];

/** Detail without the two fields `toolEvent` fills in. */
export type DetailInput<T extends DetailTypeName> = Omit<Detail<T>, 'schemaVersion' | 'eventId'>;

/**
 * Builds an event: `schemaVersion` set, and `eventId` derived from the detail type and `identity`
 * (the facts that make two sends the same event, e.g. the source image and its targets).
 */
export function toolEvent<T extends DetailTypeName>(
  detailType: T,
  detail: DetailInput<T>,
  identity: readonly string[],
  options: { resources?: readonly string[]; busRegion?: string } = {},
): ToolEventOf<T> {
  const eventId = createHash('sha256')
    .update(JSON.stringify([detailType, ...identity]))
    .digest('hex')
    .slice(0, 32);
  // The one place the two generated fields join a detail: TypeScript cannot see through Omit<T> here.
  const full = { schemaVersion: SCHEMA_VERSION, eventId, ...detail } as Detail<T>;
  return {
    detailType,
    detail: full,
    ...(options.resources === undefined ? {} : { resources: options.resources }),
    ...(options.busRegion === undefined ? {} : { busRegion: options.busRegion }),
  };
}

export function imageArn(where: string, id: string): string {
  return `arn:aws:ec2:${where}::image/${id}`;
}

export function isDetailType(value: string): value is DetailTypeName {
  return Object.hasOwn(DetailSchemas, value);
}
