import { describe, expect, it } from 'vitest';
import { GENERATED_LIST_BUDGET, namedKey, parseKeyArns, rulesIam } from '../../scripts/rules-iam.js';
import { RulesFileSchema } from '../../shared/rules/schema.js';

/** CloudFormation's own placeholders, as the generated values carry them. */
const PARTITION = ['$', '{AWS::Partition}'].join('');
const ACCOUNT = ['$', '{AWS::AccountId}'].join('');
const URL_SUFFIX = ['$', '{AWS::URLSuffix}'].join('');

const file = (rules: unknown[]) => RulesFileSchema.parse({ version: 1, rules });
const rule = (name: string, extra: object = {}) => ({
  name,
  match: { regions: ['eu-west-1'] },
  copy: { regions: ['us-east-1'] },
  ...extra,
});

describe('scripts/rules-iam.ts: what the IAM statements take from the rules file', () => {
  it('regions, tag keys, rule names and snapshot accounts of every rule', () => {
    const iam = rulesIam(
      file([
        rule('a', {
          tags: { image: { team: 'x' }, snapshots: { backup: 'no' } },
          share: { accounts: ['111111111111'], snapshotPermissions: true },
        }),
        rule('b', {
          copy: { regions: ['ap-south-1'], tags: { dist: 'y' } },
          share: { accounts: ['222222222222'] },
        }),
      ]),
    );
    expect(iam.regions).toEqual(['ap-south-1', 'eu-west-1', 'us-east-1']);
    expect(iam.tagKeys).toEqual(['ami-lifecycle:*', 'backup', 'dist', 'team']);
    expect(iam.ruleNames).toEqual(['a', 'b']);
    expect(iam.snapshotShareAccounts).toEqual(['111111111111']);
    expect(iam.namesKmsKeys).toBe('false');
    expect(iam.kmsStatements).toEqual([]);
  });

  it('pointers: SSM only on the parameters the rules can produce and their state; templates by id where named by id', () => {
    const none = rulesIam(file([rule('a')]));
    expect(none.publishesPointers).toBe('false');
    expect(none.pointerStatements).toEqual([]);

    const iam = rulesIam(
      file([
        rule('a', {
          publish: {
            parameters: [{ name: '/golden/{rule}/{region}' }],
            launchTemplates: [{ id: 'lt-0123456789abcdef0', regions: ['us-east-1'] }, { name: 'web' }],
          },
        }),
      ]),
    );
    const arn = (service: string, region: string, resource: string) => ({
      'Fn::Sub': `arn:${PARTITION}:${service}:${region}:${ACCOUNT}:${resource}`,
    });
    expect(iam.publishesPointers).toBe('true');
    expect(iam.pointerStatements).toEqual([
      {
        Sid: 'MovePointerParameters',
        Effect: 'Allow',
        Action: [
          'ssm:GetParameters',
          'ssm:PutParameter',
          'ssm:AddTagsToResource',
          'ssm:LabelParameterVersion',
        ],
        Resource: [
          arn('ssm', 'eu-west-1', 'parameter/ami-lifecycle/rules/a'),
          arn('ssm', 'eu-west-1', 'parameter/golden/a/eu-west-1'),
          arn('ssm', 'us-east-1', 'parameter/ami-lifecycle/rules/a'),
          arn('ssm', 'us-east-1', 'parameter/golden/a/us-east-1'),
        ],
      },
      {
        Sid: 'ReadNamedLaunchTemplates',
        Effect: 'Allow',
        Action: 'ec2:DescribeLaunchTemplateVersions',
        Resource: '*',
      },
      {
        Sid: 'VersionNamedLaunchTemplates',
        Effect: 'Allow',
        Action: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'],
        Resource: [
          arn('ec2', 'eu-west-1', 'launch-template/*'),
          arn('ec2', 'us-east-1', 'launch-template/lt-0123456789abcdef0'),
          arn('ec2', 'us-east-1', 'launch-template/*'),
        ],
      },
    ]);
  });

  it('no snapshot sharing: the condition still has a value, this account', () => {
    expect(rulesIam(file([rule('a')])).snapshotShareAccounts).toEqual([{ Ref: 'AWS::AccountId' }]);
  });

  it('every form of KMS key: ARN (any partition), key id and alias in the target region, alias ARN', () => {
    expect(namedKey('arn:aws-cn:kms:cn-north-1:111122223333:key/abc-1', undefined)).toEqual({
      kind: 'key',
      region: 'cn-north-1',
      account: '111122223333',
      id: 'abc-1',
    });
    expect(namedKey('mrk-0123', 'eu-west-1')).toMatchObject({
      kind: 'key',
      region: 'eu-west-1',
      account: undefined,
    });
    expect(namedKey('alias/x', 'eu-west-1')).toMatchObject({ kind: 'alias', alias: 'alias/x' });
    expect(namedKey('arn:aws:kms:us-east-1:111122223333:alias/y', undefined)).toMatchObject({
      kind: 'alias',
      account: '111122223333',
      alias: 'alias/y',
    });
    expect(() => namedKey('alias/x', undefined)).toThrow(/is not a KMS key ARN/);

    const iam = rulesIam(
      file([
        rule('a', {
          copy: {
            regions: ['us-east-1', 'us-west-2'],
            encrypted: true,
            kmsKeys: { 'us-east-1': 'alias/k', 'us-west-2': '0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b' },
          },
        }),
      ]),
      parseKeyArns('arn:aws:kms:eu-west-1:111122223333:key/src, '),
    );
    const text = JSON.stringify(iam.kmsStatements);
    expect(iam.namesKmsKeys).toBe('true');
    expect(text).not.toContain('arn:aws:');
    expect(text).toContain(
      `arn:${PARTITION}:kms:us-west-2:${ACCOUNT}:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b`,
    );
    expect(text).toContain(`arn:${PARTITION}:kms:eu-west-1:111122223333:key/src`);
    expect(text).toContain('"kms:ResourceAliases":["alias/k"]');
    expect(iam.ec2ViaServices).toContainEqual({ 'Fn::Sub': `ec2.us-west-2.${URL_SUFFIX}` });
  });

  it("target accounts: Organizations read by the tool only without organizationsRole; the rules' roles assumed exactly", () => {
    const none = rulesIam(file([rule('a')]));
    expect([none.readsOrganizations, none.organizationsStatements]).toEqual(['false', []]);
    expect([none.namesMemberRoles, none.memberRoleStatements]).toEqual(['false', []]);
    // Accounts by id only: nothing to read, the deployment's member role.
    const ids = rulesIam(file([rule('a', { accounts: { ids: ['222222222222'], regions: ['eu-west-1'] } })]));
    expect([ids.readsOrganizations, ids.namesMemberRoles]).toEqual(['false', 'false']);

    const ou = 'arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-11111111';
    const iam = rulesIam(
      file([
        rule('own', {
          accounts: { organizationalUnits: [ou], regions: ['eu-west-1'], memberRole: 'golden-copier' },
        }),
        rule('delegated', {
          accounts: {
            organizations: ['arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5'],
            regions: ['eu-west-1'],
            organizationsRole: 'arn:aws-us-gov:iam::444455556666:role/org-reader',
          },
        }),
      ]),
    );
    expect(iam.readsOrganizations).toBe('true');
    expect(iam.organizationsStatements).toEqual([
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
      {
        Sid: 'AssumeTheOrganizationsRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [{ 'Fn::Sub': `arn:${PARTITION}:iam::444455556666:role/org-reader` }],
      },
    ]);
    expect(iam.namesMemberRoles).toBe('true');
    expect(iam.memberRoleStatements).toEqual([
      {
        Sid: 'AssumeTheRulesMemberRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [{ 'Fn::Sub': `arn:${PARTITION}:iam::*:role/golden-copier` }],
      },
    ]);
  });

  it('lists too long for one IAM policy fail packaging with a message', () => {
    const many = Array.from({ length: 200 }, (_, i) => rule(`rule-number-${i}`));
    expect(() => rulesIam(file(many))).toThrow(new RegExp(`at most ${GENERATED_LIST_BUDGET}`));
  });
});
