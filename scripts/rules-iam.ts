import { pathToFileURL } from 'node:url';
import { loadRulesFile } from '../shared/rules/load.js';
import { RESERVED_TAG_PREFIX, type RulesFile } from '../shared/rules/schema.js';
import { accountsStatements } from './accounts-iam.js';
import { pointerStatements } from './pointers-iam.js';

/**
 * What the IAM statements of serverless.yml take from the rules file, at package time: the regions
 * the tool acts in, the tag keys it writes, the rule names its tags carry, the accounts snapshots
 * are shared with, and the customer-managed KMS keys of encrypted copies (with the operator's
 * `kmsKeyArns` param: the keys of encrypted sources and of the account's default EBS key, which no
 * rule names). Values are CloudFormation-ready: ARNs as `Fn::Sub` with `${AWS::Partition}`.
 *
 *   node --import tsx scripts/rules-iam.ts RULES_YAML [KMS_KEY_ARNS]
 *
 * prints it as JSON; `scripts/rules-iam.cjs` runs it for `${file(...)}` variables in serverless.yml.
 */

export type Cfn = string | { 'Fn::Sub': string } | { Ref: string };

export interface RulesIam {
  /** Source and target regions of every rule, and the regions of the keys. */
  readonly regions: string[];
  /** The tool's own keys (`ami-lifecycle:*`) and every key a rule writes (source, snapshot and copy tags). */
  readonly tagKeys: string[];
  /** Values of the `ami-lifecycle:rule` tag. */
  readonly ruleNames: string[];
  /** `share.accounts` of rules with `snapshotPermissions` (this account when none: a condition needs a value). */
  readonly snapshotShareAccounts: Cfn[];
  /** `kms:ViaService` values: EC2 in each region. */
  readonly ec2ViaServices: Cfn[];
  /** Whether any rule or the param names a key (the KMS policy exists only then). */
  readonly namesKmsKeys: 'true' | 'false';
  /** The KMS statements of the encrypted copies ([] when no key is named). */
  readonly kmsStatements: object[];
  /** Whether any rule publishes pointers (the pointers' policy exists only then). */
  readonly publishesPointers: 'true' | 'false';
  /** The pointers' statements: their SSM parameters and named launch templates ([] without `publish`). */
  readonly pointerStatements: object[];
  /** Whether the scheduled reconcile reads Organizations or assumes an `organizationsRole` (a policy only then). */
  readonly readsOrganizations: 'true' | 'false';
  /** Its statements: Organizations' reads, or AssumeRole on the rules' `organizationsRole`s. */
  readonly organizationsStatements: object[];
  /** Whether a rule names its own `accounts.memberRole` (a policy only then). */
  readonly namesMemberRoles: 'true' | 'false';
  /** The member-work function's AssumeRole on those roles, in any account. */
  readonly memberRoleStatements: object[];
}

/** IAM's managed-policy limit is 6,144 characters; the generated lists must leave room for the rest. */
export const GENERATED_LIST_BUDGET = 3000;

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/([A-Za-z0-9-]+)$/;
const ALIAS_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/[A-Za-z0-9/_-]+)$/;
const sub = (text: string): Cfn => ({ 'Fn::Sub': text });
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** A key as a rule or the param names it, in `region` when it names no region itself. */
type NamedKey =
  | { kind: 'key'; region: string; account: string | undefined; id: string }
  | { kind: 'alias'; region: string; account: string | undefined; alias: string };

export function namedKey(value: string, region: string | undefined): NamedKey {
  const key = KEY_ARN.exec(value);
  if (key) return { kind: 'key', region: key[1] ?? '', account: key[2], id: key[3] ?? '' };
  const alias = ALIAS_ARN.exec(value);
  if (alias) return { kind: 'alias', region: alias[1] ?? '', account: alias[2], alias: alias[3] ?? '' };
  if (region === undefined) throw new Error(`kmsKeyArns: ${JSON.stringify(value)} is not a KMS key ARN`);
  if (value.startsWith('alias/')) return { kind: 'alias', region, account: undefined, alias: value };
  return { kind: 'key', region, account: undefined, id: value };
}

/** The stack's own account, as CloudFormation writes it. */
const OWN_ACCOUNT = ['$', '{AWS::AccountId}'].join('');
const keyArn = (k: { region: string; account: string | undefined }, resource: string) =>
  sub(`arn:\${AWS::Partition}:kms:${k.region}:${k.account ?? OWN_ACCOUNT}:${resource}`);

export function rulesIam(file: RulesFile, extraKeyArns: readonly string[] = []): RulesIam {
  const regions = new Set<string>();
  const tagKeys = new Set<string>();
  const accounts = new Set<string>();
  const keys: NamedKey[] = extraKeyArns.map((arn) => namedKey(arn, undefined));
  for (const rule of file.rules) {
    for (const r of rule.match.regions) regions.add(r);
    for (const r of rule.copy?.regions ?? []) regions.add(r);
    for (const tags of [rule.tags?.image, rule.tags?.snapshots, rule.copy?.tags])
      for (const key of Object.keys(tags ?? {})) tagKeys.add(key);
    if (rule.share?.snapshotPermissions) for (const a of rule.share.accounts) accounts.add(a);
    for (const [region, key] of Object.entries(rule.copy?.kmsKeys ?? {})) keys.push(namedKey(key, region));
  }
  for (const k of keys) regions.add(k.region);
  const regionList = sorted(regions);
  const ec2ViaServices = regionList.map((r) => sub(`ec2.${r}.\${AWS::URLSuffix}`));
  const result: RulesIam = {
    regions: regionList,
    tagKeys: [`${RESERVED_TAG_PREFIX}*`, ...sorted(tagKeys)],
    ruleNames: sorted(file.rules.map((r) => r.name)),
    snapshotShareAccounts: accounts.size > 0 ? sorted(accounts) : [{ Ref: 'AWS::AccountId' }],
    ec2ViaServices,
    namesKmsKeys: keys.length > 0 ? 'true' : 'false',
    kmsStatements: kmsStatements(keys, ec2ViaServices),
    ...pointerStatements(file.rules),
    ...accountsStatements(file.rules),
  };
  const size = JSON.stringify([result.regions, result.tagKeys, result.ruleNames, accounts]).length;
  if (size > GENERATED_LIST_BUDGET)
    throw new Error(
      `the rules name too many regions, tag keys, rules and accounts for one IAM policy (${size} characters of lists, at most ${GENERATED_LIST_BUDGET})`,
    );
  return result;
}

/**
 * EC2 uses the keys on the caller's behalf (reference: ebs-encryption-requirements): the data-key
 * calls and DescribeKey only through EC2 in the rules' regions, CreateGrant only for AWS resources.
 * Keys named by alias are matched by `kms:ResourceAliases` on the keys of their region and account.
 */
function kmsStatements(keys: readonly NamedKey[], ec2ViaServices: Cfn[]): object[] {
  const use = ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncrypt*'];
  const viaEc2 = { StringEquals: { 'kms:ViaService': ec2ViaServices } };
  const grantsForAwsResources = { Bool: { 'kms:GrantIsForAWSResource': 'true' } };
  const byId = keys.flatMap((k) => (k.kind === 'key' ? [k] : []));
  const byAlias = keys.flatMap((k) => (k.kind === 'alias' ? [k] : []));
  const statements: object[] = [];
  const unique = (arns: Cfn[]) => [...new Map(arns.map((a) => [JSON.stringify(a), a])).values()];
  if (byId.length > 0) {
    const Resource = unique(byId.map((k) => keyArn(k, `key/${k.id}`)));
    statements.push(
      { Sid: 'KmsForEncryptedCopies', Effect: 'Allow', Action: use, Resource, Condition: viaEc2 },
      {
        Sid: 'KmsGrantsOnlyForAwsResources',
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource,
        Condition: { ...viaEc2, ...grantsForAwsResources },
      },
    );
  }
  if (byAlias.length > 0) {
    const Resource = unique(byAlias.map((k) => keyArn(k, 'key/*')));
    const aliases = {
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': sorted(byAlias.map((k) => k.alias)) },
    };
    statements.push(
      {
        Sid: 'KmsForEncryptedCopiesByAlias',
        Effect: 'Allow',
        Action: use,
        Resource,
        Condition: { ...viaEc2, ...aliases },
      },
      {
        Sid: 'KmsGrantsOnlyForAwsResourcesByAlias',
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource,
        Condition: { ...viaEc2, ...grantsForAwsResources, ...aliases },
      },
    );
  }
  return statements;
}

/** The `kmsKeyArns` param: ARNs separated by commas or spaces. */
export function parseKeyArns(param: string | undefined): string[] {
  return (param ?? '').split(/[\s,]+/).filter((s) => s !== '');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [rulesPath, keyArns] = process.argv.slice(2);
  if (rulesPath === undefined) {
    console.error('usage: rules-iam.ts RULES_YAML [KMS_KEY_ARNS]');
    process.exit(2);
  }
  try {
    process.stdout.write(JSON.stringify(rulesIam(loadRulesFile(rulesPath), parseKeyArns(keyArns))));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
}
