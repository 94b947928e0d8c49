import { parameterNamesIn, RULE_STATE_PREFIX, ruleRegions, templatesIn } from '../shared/rules/publish.js';
import type { Rule } from '../shared/rules/schema.js';

/**
 * The IAM statements of the pointers (rules with `publish`), for `scripts/rules-iam.ts`: SSM only
 * on the parameters the rules can produce (every expansion of their names, in every region of
 * the rule) and the rules' own state parameters; launch template writes only in the regions that
 * name templates, and only on the templates named by id where the rule names an id. EC2 names a
 * template by id in its ARN, never by name, so a template named by name is scoped to its regions
 * and the account, not to itself. DescribeLaunchTemplateVersions has no resource type: "*".
 */

type Cfn = { 'Fn::Sub': string };

const account = ['$', '{AWS::AccountId}'].join('');
const partition = ['$', '{AWS::Partition}'].join('');
const sub = (text: string): Cfn => ({ 'Fn::Sub': text });
const unique = (values: readonly Cfn[]) => [...new Map(values.map((v) => [v['Fn::Sub'], v])).values()];

function parameterArn(region: string, name: string): Cfn {
  return sub(`arn:${partition}:ssm:${region}:${account}:parameter/${name.replace(/^\//, '')}`);
}

export function pointerStatements(rules: readonly Rule[]): {
  publishesPointers: 'true' | 'false';
  pointerStatements: object[];
} {
  const publishing = rules.filter((r) => r.publish !== undefined);
  if (publishing.length === 0) return { publishesPointers: 'false', pointerStatements: [] };
  const parameters = publishing.flatMap((rule) =>
    ruleRegions(rule).flatMap((region) => [
      parameterArn(region, `${RULE_STATE_PREFIX}${rule.name}`),
      ...parameterNamesIn(rule, region).map((name) => parameterArn(region, name)),
    ]),
  );
  const templates = publishing.flatMap((rule) =>
    ruleRegions(rule).flatMap((region) =>
      templatesIn(rule, region).map((t) =>
        sub(`arn:${partition}:ec2:${region}:${account}:launch-template/${t.id ?? '*'}`),
      ),
    ),
  );
  const statements: object[] = [
    {
      Sid: 'MovePointerParameters',
      Effect: 'Allow',
      Action: ['ssm:GetParameters', 'ssm:PutParameter', 'ssm:AddTagsToResource', 'ssm:LabelParameterVersion'],
      Resource: unique(parameters),
    },
  ];
  if (templates.length > 0) {
    statements.push(
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
        Resource: unique(templates),
      },
    );
  }
  return { publishesPointers: 'true', pointerStatements: statements };
}
