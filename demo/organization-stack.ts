import type { OrganizationSeed } from '@ami-lifecycle/emulator/organizations/index.js';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { EventBridgeClient, PutPermissionCommand } from '@aws-sdk/client-eventbridge';

/**
 * The local stack of a hub and its member accounts, as the organization part of `npm start` and the
 * Organizations end-to-end test run it: the hub is the organization's management account (where
 * the tool runs); one member is at the root (a rule names it), one under the workloads OU (a rule
 * finds it there). Each member has the member role, trusting the hub, and the forwarding rules of
 * the member StackSet; the hub's default bus lets the organization put events.
 */
export const HUB = '123456789012';
/** The member at the root of the organization: a rule names it. */
export const NAMED = '333333333333';
/** The member under the workloads OU: a rule finds it there. */
export const UNDER_OU = '222222222222';
export const ORG = 'o-a1b2c3d4e5';
export const OU = { id: 'ou-ab12-11111111', name: 'workloads' } as const;
export const MEMBER_ROLE = 'ami-lifecycle-dev-member';
export const MEMBER_WORK_QUEUE = 'ami-lifecycle-member-work-dev';
/** The regions members copy into (the rules' `accounts.regions`) and forward events from. */
export const MEMBER_REGIONS = ['us-east-1', 'eu-west-1'] as const;

export const ORGANIZATION: OrganizationSeed = {
  id: ORG,
  managementAccountId: HUB,
  roots: [
    {
      id: 'r-ab12',
      children: [
        { account: { id: HUB, name: 'build', email: 'build@example.com' } },
        { account: { id: NAMED, name: 'prod', email: 'prod@example.com' } },
        {
          ou: {
            ...OU,
            children: [{ account: { id: UNDER_OU, name: 'dev', email: 'dev@example.com' } }],
          },
        },
      ],
    },
  ],
};

export async function startOrganizationStack(options: {
  rulesFile: string;
  copyDelayMs: number;
  /** The repository root; default the current directory. */
  root?: string;
}): Promise<LocalStack> {
  const members = [NAMED, UNDER_OU];
  const stack = await startLocalStack({
    ...(options.root !== undefined ? { root: options.root } : {}),
    rulesFile: options.rulesFile,
    ec2: { accountId: HUB, copyDelayMs: options.copyDelayMs },
    roles: members.map((accountId) => ({ accountId, roleName: MEMBER_ROLE, trustedPrincipals: [HUB] })),
    organization: ORGANIZATION,
    // What the member StackSet puts in each member account and region: AMI events to the hub's bus.
    forwardingRules: members.flatMap((accountId) =>
      MEMBER_REGIONS.map((region) => ({
        accountId,
        region,
        name: 'ami-lifecycle-dev-forward',
        eventPattern: { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'] },
        targets: [`arn:aws:events:${region}:${HUB}:event-bus/default`],
      })),
    ),
    env: { MEMBER_ROLE_NAME: MEMBER_ROLE },
  });
  // The hub stack's bus policy (params.organizationId): the organization may put events.
  for (const region of MEMBER_REGIONS) {
    await new EventBridgeClient({
      region,
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }).send(
      new PutPermissionCommand({
        EventBusName: 'default',
        StatementId: 'ami-lifecycle-dev-members',
        Action: 'events:PutEvents',
        Principal: '*',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ORG },
      }),
    );
  }
  return stack;
}
