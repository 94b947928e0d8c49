import { z } from 'zod';
import { AccountId, KmsKey, OrganizationArn, OrganizationalUnitArn, Region } from './values.js';

/**
 * The rules' `accounts` section: copies owned by other accounts (the organization's workload
 * accounts), part of the rules schema (`schema.ts`); its checks across fields are in
 * `accounts-checks.ts`.
 */

export const RoleName = z
  .string()
  .regex(/^[\w+=,.@-]{1,64}$/, 'IAM role names are 1-64 letters, digits and + = , . @ _ -')
  .meta({ title: 'role name', description: 'An IAM role name (1-64 letters, digits and `+ = , . @ _ -`).' });

export const RoleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'must be an IAM role ARN such as arn:aws:iam::111122223333:role/ami-lifecycle-org-reader',
  )
  .meta({
    title: 'role ARN',
    description: 'Such as `arn:aws:iam::111122223333:role/ami-lifecycle-org-reader`.',
  });

export const Accounts = z.strictObject({
  ids: z.array(AccountId).default([]).describe('Target accounts, by id.'),
  organizations: z
    .array(OrganizationArn)
    .default([])
    .describe(
      'Every active account of these organizations (resolved through AWS Organizations at run time).',
    ),
  organizationalUnits: z
    .array(OrganizationalUnitArn)
    .default([])
    .describe(
      'Every active account under these OUs and their child OUs, resolved at run time: an account that joins one gets the current releases on the next reconcile.',
    ),
  exclude: z.array(AccountId).default([]).describe('Accounts never targeted, whatever names them.'),
  regions: z
    .array(Region)
    .min(1, 'name at least one region to copy into')
    .describe(
      'Regions each target account gets a copy in, made by that account (it assumes no source is there: the source region is a target like any other). A region the account has not enabled is skipped and reported.',
    ),
  encrypted: z.boolean().default(false).describe("Encrypt the members' copies."),
  kmsKeys: z
    .record(Region, KmsKey)
    .default({})
    .describe(
      "A KMS key per region for every target account's copies. An alias (`alias/ami-copies`) or key id is resolved in each target account, so one alias per region serves the whole organization. Needs `encrypted: true`.",
    ),
  accountKmsKeys: z
    .record(AccountId, z.record(Region, KmsKey))
    .default({})
    .describe(
      'Per account and region, a key that replaces `kmsKeys` for that account. Needs `encrypted: true`.',
    ),
  memberRole: RoleName.optional().describe(
    "The role the tool assumes in each target account (the member StackSet creates it). Default: the deployment's (`ami-lifecycle-<stage>-member`), or the CLI's `--member-role`.",
  ),
  organizationsRole: RoleArn.optional().describe(
    "A role in the management account or a delegated administrator that may call `organizations:ListChildren` and `organizations:ListAccountsForParent`. Absent: the tool's own credentials are used.",
  ),
});

export type AccountsSettings = z.output<typeof Accounts>;
