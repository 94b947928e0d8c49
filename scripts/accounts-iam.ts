import type { Rule } from '../shared/rules/schema.js';

/**
 * The IAM statements of the organization fan-out (rules with `accounts`), for `scripts/rules-iam.ts`:
 *
 * - the scheduled reconcile reads AWS Organizations itself (ListRoots, ListChildren,
 *   ListAccountsForParent) only when a rule names organizations or OUs without an
 *   `organizationsRole`; these three actions are granted on "*" (the tool reads whichever roots
 *   and OUs the rules name, and the reads answer only in the management account or a delegated
 *   administrator); with `organizationsRole`, it may assume exactly those roles instead;
 * - the member-work function may assume, in any account, the member roles the rules name
 *   (`accounts.memberRole`), besides the deployment's own (`ami-lifecycle-<stage>-member`, in
 *   serverless.yml). IAM role ARNs carry the account, which the rules resolve at run time: `*`.
 */

type Cfn = { 'Fn::Sub': string };

const partition = ['$', '{AWS::Partition}'].join('');
const sub = (text: string): Cfn => ({ 'Fn::Sub': text });
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** `arn:aws:iam::111122223333:role/x` with its partition as CloudFormation writes it. */
function roleArn(arn: string): Cfn {
  return sub(arn.replace(/^arn:aws[a-z-]*:/, `arn:${partition}:`));
}

export function accountsStatements(rules: readonly Rule[]): {
  readsOrganizations: 'true' | 'false';
  organizationsStatements: object[];
  namesMemberRoles: 'true' | 'false';
  memberRoleStatements: object[];
} {
  const targeting = rules.flatMap((r) => (r.accounts === undefined ? [] : [r.accounts]));
  const walks = targeting.filter((a) => a.organizations.length + a.organizationalUnits.length > 0);
  const ownReads = walks.some((a) => a.organizationsRole === undefined);
  const roles = sorted(
    walks.flatMap((a) => (a.organizationsRole === undefined ? [] : [a.organizationsRole])),
  );
  const organizationsStatements: object[] = [
    ...(ownReads
      ? [
          {
            Sid: 'ReadTheOrganization',
            Effect: 'Allow',
            Action: [
              'organizations:ListRoots',
              'organizations:ListChildren',
              'organizations:ListAccountsForParent',
            ],
            Resource: '*',
          },
        ]
      : []),
    ...(roles.length > 0
      ? [
          {
            Sid: 'AssumeTheOrganizationsRoles',
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Resource: roles.map(roleArn),
          },
        ]
      : []),
  ];
  const memberRoles = sorted(targeting.flatMap((a) => (a.memberRole === undefined ? [] : [a.memberRole])));
  const memberRoleStatements: object[] =
    memberRoles.length > 0
      ? [
          {
            Sid: 'AssumeTheRulesMemberRoles',
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Resource: memberRoles.map((name) => sub(`arn:${partition}:iam::*:role/${name}`)),
          },
        ]
      : [];
  return {
    readsOrganizations: organizationsStatements.length > 0 ? 'true' : 'false',
    organizationsStatements,
    namesMemberRoles: memberRoleStatements.length > 0 ? 'true' : 'false',
    memberRoleStatements,
  };
}
