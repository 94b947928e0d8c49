import { z } from 'zod';
import { Region, TEMPLATE_PLACEHOLDERS } from './values.js';

/**
 * The rules' `publish` section (pointers: SSM parameters and launch templates), part of the rules
 * schema (`schema.ts`); its checks across fields are in `publish.ts`.
 */

/** Placeholders a parameter name may use: fixed for a rule and region, so the name is the same for every release. */
export const POINTER_PLACEHOLDERS = ['rule', 'region', 'sourceRegion'] as const;

export const ParameterName = z
  .string()
  .min(1)
  .superRefine((name, ctx) => {
    for (const [, placeholder] of name.matchAll(/\{([^}]*)\}/g)) {
      if ((POINTER_PLACEHOLDERS as readonly string[]).includes(placeholder ?? '')) continue;
      const perRelease = (TEMPLATE_PLACEHOLDERS as readonly string[]).includes(placeholder ?? '');
      ctx.addIssue({
        code: 'custom',
        message: perRelease
          ? `{${placeholder}} differs from release to release, so every release would get a parameter of its own instead of moving one; use only ${POINTER_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`
          : `unknown placeholder {${placeholder}}; use one of ${POINTER_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
      });
    }
  })
  .meta({
    title: 'parameter name',
    description: `An SSM parameter name with placeholders fixed for a rule and region: ${POINTER_PLACEHOLDERS.map((p) => `\`{${p}}\``).join(', ')}. Checked against SSM's naming rules once expanded for every region.`,
  });

export const LaunchTemplateName = z
  .string()
  .regex(/^[a-zA-Z0-9().\-/_]{3,128}$/, 'launch template names are 3-128 letters, digits and ( ) . - / _')
  .meta({
    title: 'launch template name',
    description: "3-128 letters, digits and `( ) . - / _` (EC2's rule).",
  });

export const LaunchTemplateId = z
  .string()
  .regex(/^lt-[0-9a-f]{17}$/, 'must be a launch template id such as lt-0123456789abcdef0')
  .meta({ title: 'launch template id', description: 'Such as `lt-0123456789abcdef0`; ids are regional.' });

const PublishParameter = z.strictObject({
  name: ParameterName.describe(
    'The parameter, written in every region where the rule has an image (its source regions and copy regions) with data type `aws:ec2:image`. With several source regions and no `{sourceRegion}`, the releases of all source regions move the same parameter, newest (by source creation date) last.',
  ),
  labels: z
    .boolean()
    .default(true)
    .describe(
      "Label each version with its release's source image id, so a consumer can ask for `name:ami-…`. The label is attached once AWS has validated the value (it validates `aws:ec2:image` values asynchronously): by the next scheduled reconcile.",
    ),
});

export const PublishLaunchTemplate = z
  .strictObject({
    name: LaunchTemplateName.optional().describe('The template, by name (the same name in every region).'),
    id: LaunchTemplateId.optional().describe(
      'The template, by id; an id names a template in one region, so give `regions` with that region only.',
    ),
    regions: z
      .array(Region)
      .min(1)
      .optional()
      .describe(
        'Where the template is updated; each must be a region of the rule. Absent: every region of the rule.',
      ),
    makeDefault: z
      .boolean()
      .default(false)
      .describe(
        'Make the new version the default. Otherwise it is the latest version, and the default stays where it was.',
      ),
  })
  .refine((t) => (t.name === undefined) !== (t.id === undefined), {
    error: 'give exactly one of name and id',
  });

export const Publish = z.strictObject({
  parameters: z
    .array(PublishParameter)
    .default([])
    .describe(
      'SSM parameters that always name the newest release available, shared and tagged in their region.',
    ),
  launchTemplates: z
    .array(PublishLaunchTemplate)
    .default([])
    .describe(
      'Launch templates that get a new version for each release: a copy of the default version with only the image id changed. Templates not named here are never touched.',
    ),
});

export type PublishSettings = z.output<typeof Publish>;
export type PublishedTemplate = z.output<typeof PublishLaunchTemplate>;
