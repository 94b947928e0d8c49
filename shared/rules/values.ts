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

const accountIdMessage =
  'must be a 12-digit AWS account id in quotes (YAML reads an unquoted 012345678901 as a number and drops the leading zero)';
export const AccountId = z
  .string({ error: accountIdMessage })
  .regex(/^\d{12}$/, accountIdMessage)
  .meta({ title: 'account id', description: 'A 12-digit AWS account id, quoted.' });

export const OrganizationArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/,
    'must be an organization ARN such as arn:aws:organizations::111122223333:organization/o-exampleorgid',
  )
  .meta({
    title: 'organization ARN',
    description: 'Such as `arn:aws:organizations::111122223333:organization/o-exampleorgid`.',
  });

export const OrganizationalUnitArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/,
    'must be an OU ARN such as arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456',
  )
  .meta({
    title: 'OU ARN',
    description: 'Such as `arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456`.',
  });

export const KmsKey = z
  .string()
  .regex(
    /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]+)$/,
    'must be a KMS key ARN, key id, alias ARN or alias/name',
  )
  .meta({ title: 'KMS key', description: 'A key ARN, key id, alias ARN or `alias/name`.' });
