import { z } from 'zod';
import { KNOWN_REGIONS } from './regions.js';

/** Kinds of value the rules schema (`schema.ts`) and its `publish` section (`publish-schema.ts`) share. */

export const Region = z
  .string({ error: 'must be a region name such as "eu-west-1"' })
  .refine((r) => KNOWN_REGIONS.has(r), { error: (issue) => `unknown region ${JSON.stringify(issue.input)}` })
  .meta({ title: 'region', description: 'A region name such as `eu-west-1`; unknown names are refused.' });

/** Placeholders a copy's name or description template may use; all are fixed for a given source image. */
export const TEMPLATE_PLACEHOLDERS = [
  'name',
  'imageId',
  'sourceRegion',
  'region',
  'rule',
  'creationDate',
] as const;
