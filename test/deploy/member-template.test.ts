import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePattern } from '@ami-lifecycle/event-pattern';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { awsExample } from '../support/aws-examples.js';
import { type CfnTemplate, type Instance, instantiate } from './cfn-instance.js';
import { isObject, list, type Props } from './checks.js';
import { ROOT } from './package.js';

/**
 * member/member-account.yml, the StackSet every member account gets: evaluated as its stack
 * instances would be (the primary region with the roles, another region with only the forwarding
 * rule), and held to the same rules as the hub's roles: trusted only by the hub's roles, no
 * wildcard, every write scoped, and what changes an existing image only on the tool's images.
 */

const TEMPLATE = load(readFileSync(join(ROOT, 'member', 'member-account.yml'), 'utf8')) as CfnTemplate;
const HUB = '111122223333';
const MEMBER = '444455556666';
const PRIMARY = 'us-east-1';
const CLI_ROLE = `arn:aws:iam::${HUB}:role/platform-operators`;
const HUB_ROLES = `arn:aws:iam::${HUB}:role/ami-lifecycle-prod-*`;

const instance = (region: string, parameters: Record<string, string | string[]> = {}): Instance =>
  instantiate(TEMPLATE, {
    accountId: MEMBER,
    region,
    parameters: { HubAccountId: HUB, Stage: 'prod', PrimaryRegion: PRIMARY, ...parameters },
  });

interface Statement extends Props {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Props;
}

/** Every statement of the role's inline policies, and of the policies attached to it. */
function statementsOf(stack: Instance, role: string): Statement[] {
  const props = stack.resources[role]?.Properties;
  if (!isObject(props)) throw new Error(`no ${role}`);
  const inline = list(props.Policies).flatMap((p) =>
    isObject(p) && isObject(p.PolicyDocument) ? list(p.PolicyDocument.Statement) : [],
  );
  const attached = Object.values(stack.resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        isObject(r.Properties) &&
        list(r.Properties.Roles).includes(`${role}-physical-id`),
    )
    .flatMap((r) =>
      isObject(r.Properties) && isObject(r.Properties.PolicyDocument)
        ? list(r.Properties.PolicyDocument.Statement)
        : [],
    );
  return [...inline, ...attached] as Statement[];
}

const actionsOf = (statements: readonly Statement[]) =>
  statements.flatMap((s) => list(s.Action).map(String)).sort();

/** What the hub does in a member account today; a permission no call needs is a finding too. */
const MEMBER_ACTIONS = [
  'ec2:CopyImage',
  'ec2:CreateTags',
  'ec2:DeleteSnapshot',
  'ec2:DeregisterImage',
  'ec2:DescribeImageAttribute',
  'ec2:DescribeImages',
  'ec2:DescribeRegions',
  'ec2:DescribeSnapshotAttribute',
  'ec2:DescribeSnapshots',
  'ec2:DisableImage',
  'ec2:DisableImageDeprecation',
  'ec2:EnableImage',
  'ec2:EnableImageDeprecation',
  'ec2:ModifyImageAttribute',
  'ec2:ModifySnapshotAttribute',
];

/** Actions that change an image or snapshot that exists: only the tool's, owned by the member. */
const MANAGED_ONLY = new Set([
  'ec2:ModifyImageAttribute',
  'ec2:EnableImageDeprecation',
  'ec2:DisableImageDeprecation',
  'ec2:DisableImage',
  'ec2:EnableImage',
  'ec2:DeregisterImage',
  'ec2:ModifySnapshotAttribute',
  'ec2:DeleteSnapshot',
]);

describe('member/member-account.yml (the StackSet of member accounts)', () => {
  it('in the primary region: the member role, the forwarder role and the forwarding rule', () => {
    expect(Object.keys(instance(PRIMARY).resources).sort()).toEqual([
      'ForwardAmiStateChanges',
      'ForwarderRole',
      'MemberRole',
    ]);
  });

  it('in any other region: only the forwarding rule (IAM is global; the primary region holds the roles)', () => {
    expect(Object.keys(instance('eu-west-1').resources)).toEqual(['ForwardAmiStateChanges']);
  });

  it.each([
    { name: 'without a CLI role', parameters: {} as Record<string, string>, principals: [HUB_ROLES] },
    { name: 'with the CLI role', parameters: { CliRoleArn: CLI_ROLE }, principals: [HUB_ROLES, CLI_ROLE] },
  ])(
    'the member role is trusted only by the hub stack’s roles ($name), never by the whole hub account',
    ({ parameters, principals }) => {
      const props = instance(PRIMARY, parameters).resources.MemberRole?.Properties;
      expect(isObject(props) && props.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'HubRolesOnly',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${HUB}:root` },
            Action: 'sts:AssumeRole',
            Condition: { ArnLike: { 'aws:PrincipalArn': principals } },
          },
        ],
      });
    },
  );

  it('allows exactly what the hub does in a member account, with no wildcard action', () => {
    const statements = statementsOf(instance(PRIMARY), 'MemberRole');
    expect([...new Set(actionsOf(statements))]).toEqual(MEMBER_ACTIONS);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('"*" only for reads EC2 has no resource type for; every write on image or snapshot ARNs', () => {
    for (const s of statementsOf(instance(PRIMARY), 'MemberRole')) {
      const resources = list(s.Resource).map(String);
      for (const action of list(s.Action).map(String)) {
        if (resources.includes('*')) expect(action, `${action} on *`).toMatch(/^ec2:Describe/);
        else
          for (const r of resources)
            expect(r, `${action} on ${r}`).toMatch(/^arn:aws:ec2:\*::(image|snapshot)\/\*$/);
      }
    }
  });

  it('changes only images and snapshots the member owns that carry the tool’s rule tag; tags only within CopyImage', () => {
    for (const s of statementsOf(instance(PRIMARY), 'MemberRole')) {
      const actions = list(s.Action).map(String);
      if (actions.some((a) => MANAGED_ONLY.has(a))) {
        expect(
          actions.every((a) => MANAGED_ONLY.has(a)),
          actions.join(),
        ).toBe(true);
        expect(s.Condition).toEqual({
          Null: { 'aws:ResourceTag/ami-lifecycle:rule': 'false' },
          StringEquals: { 'ec2:Owner': MEMBER },
        });
      }
      if (actions.includes('ec2:CreateTags')) {
        expect(actions).toEqual(['ec2:CreateTags']);
        expect(s.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CopyImage' } });
      }
    }
  });

  it('KMS only when keys are named: exactly those keys, and only through EC2', () => {
    expect(
      actionsOf(statementsOf(instance(PRIMARY), 'MemberRole')).filter((a) => a.startsWith('kms:')),
    ).toEqual([]);
    const copyKey = `arn:aws:kms:eu-west-1:${MEMBER}:key/11111111-2222-3333-4444-555555555555`;
    const sourceKey = `arn:aws:kms:us-east-1:${HUB}:key/66666666-7777-8888-9999-000000000000`;
    const kms = (parameters: Record<string, string[]>) =>
      statementsOf(instance(PRIMARY, parameters), 'MemberRole').filter((s) =>
        list(s.Action).some((a) => String(a).startsWith('kms:')),
      );
    expect(kms({ CopyKmsKeyArns: [copyKey] }).map((s) => [s.Sid, s.Resource])).toEqual([
      ['CopyKeysThroughEc2Only', [copyKey]],
    ]);
    const both = kms({ CopyKmsKeyArns: [copyKey], SourceKmsKeyArns: [sourceKey] });
    expect(both.map((s) => [s.Sid, s.Resource])).toEqual([
      ['CopyKeysThroughEc2Only', [copyKey]],
      ['SourceKeysThroughEc2Only', [sourceKey]],
    ]);
    for (const s of both)
      expect(s.Condition).toEqual({ StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } });
    // The hub's keys are only read through EC2 for the copy: never used to encrypt here.
    expect(list(both[1]?.Action)).not.toContain('kms:Encrypt');
    // And none in the other regions, where no role is created.
    expect(instance('eu-west-1', { CopyKmsKeyArns: [copyKey] }).resources.MemberKmsPolicy).toBeUndefined();
  });

  describe.each(['us-east-1', 'eu-west-1'])('the forwarding rule in %s', (region) => {
    const rule = instance(region).resources.ForwardAmiStateChanges?.Properties as Props;

    it("sends this region's AMI state changes to the hub's default bus in the same region, with the forwarder role", () => {
      expect(rule.EventBusName).toBeUndefined(); // the member's default bus
      expect(rule.Targets).toEqual([
        {
          Id: 'ami-lifecycle-hub',
          Arn: `arn:aws:events:${region}:${HUB}:event-bus/default`,
          RoleArn: `arn:aws:iam::${MEMBER}:role/ami-lifecycle-prod-forwarder`,
        },
      ]);
    });

    it("matches AWS's available and failed examples, which the hub acts on, and not the others", () => {
      const pattern = compilePattern(rule.EventPattern);
      const matches = (name: string) => pattern.matches(awsExample(name));
      expect(matches('ec2-ami-state-change-available')).toBe(true);
      expect(matches('ec2-ami-state-change-failed')).toBe(true);
      expect(matches('ec2-ami-state-change-deregistered')).toBe(false);
      expect(matches('ec2-ami-state-change-disabled')).toBe(false);
    });
  });

  it('the forwarder role: assumed by EventBridge for this account only, and may only put events on the hub’s default buses', () => {
    const props = instance(PRIMARY).resources.ForwarderRole?.Properties as Props;
    expect(props.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': MEMBER } },
        },
      ],
    });
    expect(statementsOf(instance(PRIMARY), 'ForwarderRole')).toEqual([
      {
        Sid: 'HubDefaultBusOnly',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:*:${HUB}:event-bus/default`,
      },
    ]);
  });

  it('refuses a hub account id that is not 12 digits, before anything is created', () => {
    const pattern = new RegExp(TEMPLATE.Parameters?.HubAccountId?.AllowedPattern ?? '(?!)');
    expect(pattern.test(HUB)).toBe(true);
    expect(pattern.test('11112222333')).toBe(false);
  });
});
