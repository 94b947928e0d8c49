/**
 * Least privilege and encryption, checked on the packaged template (issue 11). Each check returns
 * its violations as readable lines, like those of checks.ts; `securityTests` runs them, and breaks a
 * copy of the template once per rule to show each check catches it. template.test.ts calls it with
 * its one packaged template, so the service is packaged once.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseKeyArns, type RulesIam, rulesIam } from '../../scripts/rules-iam.js';
import { loadRulesFile } from '../../shared/rules/load.js';
import {
  getAttOf,
  isKeyPreflight,
  isObject,
  lambdaFunctions,
  list,
  type Props,
  refOf,
  resolveString,
  resourcesOfType,
  roleStatements,
  type Stack,
  type Statement,
  stackName,
  type Template,
} from './checks.js';

/** What the statements are built from: the rules file, as scripts/rules-iam.ts reads it, resolved. */
export interface Expected {
  readonly regions: string[];
  readonly tagKeys: string[];
  readonly ruleNames: string[];
  readonly snapshotShareAccounts: string[];
  readonly ec2ViaServices: string[];
  readonly kmsKeyArns: string[];
}

export function expectedFromRules(stack: Stack, rulesPath: string, kmsKeyArnsParam: string): Expected {
  const iam: RulesIam = rulesIam(loadRulesFile(rulesPath), parseKeyArns(kmsKeyArnsParam));
  const resolve = (values: unknown[]) => values.map((v) => String(resolveString(v, stack)));
  const kmsKeyArns = iam.kmsStatements.flatMap((s) => resolve(list((s as Props).Resource)));
  return {
    regions: iam.regions,
    tagKeys: iam.tagKeys,
    ruleNames: iam.ruleNames,
    snapshotShareAccounts: resolve(iam.snapshotShareAccounts),
    ec2ViaServices: resolve(iam.ec2ViaServices),
    kmsKeyArns: [...new Set(kmsKeyArns)],
  };
}

// ---------------------------------------------------------------------------------------------------
// Partition

/** Every string of the template that holds an `arn:aws:` literal, by its path. */
export function checkNoAwsPartitionLiterals(template: Template): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      if (value.includes('arn:aws:')) found.push(`${path}: ${value}`);
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`);
    } else if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
  };
  walk(template, '');
  return found.map((f) => `${f.slice(1)} (use \${AWS::Partition})`);
}

// ---------------------------------------------------------------------------------------------------
// IAM statements

/** The only actions a statement may grant on `Resource: "*"`: they have no resource types (docs/deploy.md). */
export const RESOURCELESS = new Set([
  'ec2:DescribeImages',
  'ec2:DescribeSnapshots',
  'ec2:GetImageBlockPublicAccessState',
  'ec2:DescribeImageReferences',
  'ec2:DescribeInstances',
  'ec2:DescribeLaunchTemplateVersions',
  // The traces' uploads, in a package with params.tracing "true" (tracing.test.ts).
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);

export const DELETIONS = new Set([
  'ec2:DeregisterImage',
  'ec2:EnableImageDeprecation',
  'ec2:DisableImage',
  'ec2:DeleteSnapshot',
]);

/** The values of one condition key under one operator (resolved), or undefined when absent. */
function condition(s: Props, operator: string, key: string, stack: Stack): string[] | undefined {
  const block = isObject(s.Condition) ? s.Condition[operator] : undefined;
  if (!isObject(block) || !(key in block)) return undefined;
  return list(block[key]).map((v) => String(resolveString(v, stack)));
}

const sameSet = (a: readonly string[] | undefined, b: readonly string[]) =>
  a !== undefined && isDeepStrictEqual([...new Set(a)].sort(), [...new Set(b)].sort());

const allStatements = (stack: Stack): Statement[] => {
  const seen = new Set<string>();
  return lambdaFunctions(stack)
    .flatMap((fn) => roleStatements(stack, fn).statements)
    .filter((s) => {
      const key = `${s.from}/${JSON.stringify(s)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
};

const name = (s: Statement) => `${s.from}${typeof s.Sid === 'string' ? ` (${s.Sid})` : ''}`;

/**
 * Every statement of the functions' roles, as designed: `"*"` only for actions without resource
 * types; EC2 writes only in the rules' regions, on the account's own images and snapshots where EC2
 * can tell, tags only at CopyImage or with the tool's keys, snapshot sharing only with the rules'
 * accounts, deletion only of images tagged with a rule's name.
 */
export function checkIamDesign(stack: Stack, expected: Expected): string[] {
  const violations: string[] = [];
  const account = stack.accountId;
  const regionsOk = (s: Statement) =>
    sameSet(condition(s, 'StringEquals', 'ec2:Region', stack), expected.regions);
  const ownerOk = (s: Statement) => sameSet(condition(s, 'StringEquals', 'ec2:Owner', stack), [account]);
  for (const s of allStatements(stack)) {
    if (s.Effect !== 'Allow') continue;
    const say = (message: string) => violations.push(`${name(s)}: ${message}`);
    const actions = list(s.Action).map(String);
    const resources = list(s.Resource).map((r) => resolveString(r, stack) ?? JSON.stringify(r));
    if (resources.includes('*'))
      for (const action of actions) {
        // What DescribeImageReferences reads on the caller's behalf: "*", only under aws:CalledVia.
        const calledVia = condition(s, 'ForAnyValue:StringEquals', 'aws:CalledVia', stack);
        if (!RESOURCELESS.has(action) && !sameSet(calledVia, ['ec2-images.amazonaws.com']))
          say(`${action} on Resource "*"`);
      }
    for (const action of actions) {
      switch (action) {
        case 'ec2:DescribeImageAttribute':
        case 'ec2:DescribeSnapshotAttribute':
        case 'ec2:CopyImage':
          if (!regionsOk(s)) say(`${action} not limited to the rules' regions (ec2:Region)`);
          break;
        case 'ec2:CreateTags': {
          const atCopy = sameSet(condition(s, 'StringEquals', 'ec2:CreateAction', stack), ['CopyImage']);
          const keys = condition(s, 'ForAllValues:StringLike', 'aws:TagKeys', stack);
          if (!atCopy && !(sameSet(keys, expected.tagKeys) && regionsOk(s)))
            say(
              `${action} neither only at CopyImage (ec2:CreateAction) nor only with the tool's tag keys in its regions`,
            );
          break;
        }
        case 'ec2:ModifyImageAttribute':
          if (!ownerOk(s) || !regionsOk(s)) say(`${action} not limited to own images in the rules' regions`);
          break;
        case 'ec2:ModifySnapshotAttribute': {
          const added = condition(s, 'ForAllValues:StringEquals', 'ec2:Add/userId', stack);
          const noGroup = sameSet(condition(s, 'Null', 'ec2:Add/group', stack), ['true']);
          if (!ownerOk(s) || !regionsOk(s) || !sameSet(added, expected.snapshotShareAccounts) || !noGroup)
            say(`${action} not limited to own snapshots, the rules' regions and accounts, and no group`);
          break;
        }
        case 'ec2:DeregisterImage':
        case 'ec2:EnableImageDeprecation':
        case 'ec2:DisableImage':
        case 'ec2:DeleteSnapshot': {
          const tag = condition(s, 'StringEquals', 'aws:ResourceTag/ami-lifecycle:rule', stack);
          if (!sameSet(tag, expected.ruleNames) || !ownerOk(s) || !regionsOk(s))
            say(`${action} not limited to own resources tagged with a rule's name in the rules' regions`);
          break;
        }
      }
    }
  }
  return violations;
}

/**
 * The deletion boundary that holds (docs/deploy.md#the-deletion-boundary): only the schedule may
 * deprecate, deregister or delete; no role may remove a tag; outside CopyImage a role may only
 * write the tool's and the rules' tag keys. What it does not hold is returned by `adoptionGap`.
 */
export function checkDeletionBoundary(stack: Stack, deleter: string): string[] {
  const violations: string[] = [];
  for (const fn of lambdaFunctions(stack)) {
    const allowed = roleStatements(stack, fn).statements.filter((s) => s.Effect === 'Allow');
    const actions = allowed.flatMap((s) => list(s.Action).map(String));
    const deletes = actions.filter((a) => DELETIONS.has(a));
    if (fn.name !== deleter && deletes.length > 0) violations.push(`${fn.name}: may ${deletes.join(', ')}`);
    if (actions.includes('ec2:DeleteTags')) violations.push(`${fn.name}: may remove tags (ec2:DeleteTags)`);
  }
  return violations;
}

/**
 * Whether the deleting role may put `ami-lifecycle:rule` on an image that exists already (it must,
 * to adopt sources whose event was missed or that predate their rule). True today: the known gap.
 */
export function adoptionGap(stack: Stack, deleter: string): boolean {
  const fn = lambdaFunctions(stack).find((f) => f.name === deleter);
  if (fn === undefined) return false;
  return roleStatements(stack, fn).statements.some((s) => {
    if (s.Effect !== 'Allow' || !list(s.Action).includes('ec2:CreateTags')) return false;
    if (condition(s, 'StringEquals', 'ec2:CreateAction', stack) !== undefined) return false;
    const keys = condition(s, 'ForAllValues:StringLike', 'aws:TagKeys', stack) ?? ['*'];
    return keys.some((k) => k === 'ami-lifecycle:rule' || k === 'ami-lifecycle:*' || k === '*');
  });
}

/** KMS: the keys of encrypted copies only through EC2 in the rules' regions; the stack's key only through SQS and SNS. */
export function checkKms(stack: Stack, expected: Expected): string[] {
  const violations: string[] = [];
  const own = [`sqs.${stack.region}.amazonaws.com`, `sns.${stack.region}.amazonaws.com`];
  for (const s of allStatements(stack)) {
    const actions = list(s.Action).map(String);
    if (s.Effect !== 'Allow' || !actions.some((a) => a.startsWith('kms:')) || isKeyPreflight(s, stack))
      continue;
    const via = condition(s, 'StringEquals', 'kms:ViaService', stack);
    const stackKey = list(s.Resource).every((r) => {
      const att = getAttOf(r);
      return att?.[1] === 'Arn' && stack.template.Resources[att[0]]?.Type === 'AWS::KMS::Key';
    });
    if (stackKey) {
      if (!sameSet(via, own))
        violations.push(`${name(s)}: the stack's key not only through SQS and SNS here`);
      continue;
    }
    if (!sameSet(via, expected.ec2ViaServices))
      violations.push(
        `${name(s)}: not only through EC2 in the rules' regions (kms:ViaService ${JSON.stringify(via)})`,
      );
    for (const r of list(s.Resource)) {
      const arn = resolveString(r, stack);
      if (arn === undefined || !expected.kmsKeyArns.includes(arn))
        violations.push(`${name(s)}: ${JSON.stringify(arn ?? r)} is not a key the rules or kmsKeyArns name`);
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------
// Encryption at rest

/** The stack's customer-managed key a property points at (`Ref` or `Fn::GetAtt ... Arn`), if it does. */
function stackKeyOf(stack: Stack, value: unknown): string | undefined {
  const id = refOf(value) ?? (getAttOf(value)?.[1] === 'Arn' ? getAttOf(value)?.[0] : undefined);
  return id !== undefined && stack.template.Resources[id]?.Type === 'AWS::KMS::Key' ? id : undefined;
}

/** Topics, queues, log groups and buses with the stack's key; tables with KMS. */
export function checkEncryptionAtRest(stack: Stack): string[] {
  const violations: string[] = [];
  const withKey: Array<[string, string]> = [
    ['AWS::SNS::Topic', 'KmsMasterKeyId'],
    ['AWS::SQS::Queue', 'KmsMasterKeyId'],
    ['AWS::Logs::LogGroup', 'KmsKeyId'],
    ['AWS::Events::EventBus', 'KmsKeyIdentifier'],
  ];
  for (const [type, property] of withKey)
    for (const [id, props] of resourcesOfType(stack, type))
      if (stackKeyOf(stack, props[property]) === undefined)
        violations.push(`${id}: ${property} is not the stack's KMS key`);
  for (const [id, props] of resourcesOfType(stack, 'AWS::DynamoDB::Table')) {
    const sse = isObject(props.SSESpecification) ? props.SSESpecification : {};
    if (sse.SSEEnabled !== true || sse.SSEType !== 'KMS') violations.push(`${id}: not encrypted with KMS`);
  }
  for (const [id, props] of resourcesOfType(stack, 'AWS::KMS::Key'))
    if (props.EnableKeyRotation !== true) violations.push(`${id}: no key rotation`);
  return violations;
}

/**
 * The key policy names exactly who uses the key: the account administers it and uses it only
 * through SQS and SNS; EventBridge for the bus and the rules' dead-letter queue, CloudWatch for the
 * notifications topic, CloudWatch Logs for the functions' log groups, each bound by its encryption
 * context (EventBridge's DescribeKey aside, which reads metadata only).
 */
export function checkKeyPolicy(stack: Stack): string[] {
  const violations: string[] = [];
  const p = `arn:aws:`;
  const root = `${p}iam::${stack.accountId}:root`;
  const prefix = `${p}logs:${stack.region}:${stack.accountId}:log-group:/aws/lambda/${stackName(stack)}-`;
  const contexts: Record<string, string[]> = {
    'events.amazonaws.com': [
      `${p}events:${stack.region}:${stack.accountId}:event-bus/${stackName(stack)}`,
      `${p}sqs:${stack.region}:${stack.accountId}:${stack.service}-rule-dlq-${stack.stage}`,
    ],
    'cloudwatch.amazonaws.com': [
      `${p}sns:${stack.region}:${stack.accountId}:${stackName(stack)}-notifications`,
    ],
  };
  for (const [id, props] of resourcesOfType(stack, 'AWS::KMS::Key')) {
    const document = isObject(props.KeyPolicy) ? props.KeyPolicy : {};
    for (const s of list(document.Statement).filter(isObject)) {
      const where = `${id} (${String(s.Sid)})`;
      const actions = list(s.Action).map(String);
      const principal = isObject(s.Principal) ? s.Principal : {};
      const aws = list(principal.AWS).map((v) => resolveString(v, stack));
      const service = list(principal.Service).map((v) => String(resolveString(v, stack)));
      if (s.Effect !== 'Allow') continue;
      if (actions.includes('kms:*')) violations.push(`${where}: kms:*`);
      const crypto = actions.filter((a) => /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/.test(a));
      const contextValues = (key: string, op = 'StringEquals') =>
        condition(s as Statement, op, key, stack) ?? [];
      if (aws.length > 0) {
        if (!isDeepStrictEqual(aws, [root])) violations.push(`${where}: principal ${JSON.stringify(aws)}`);
        const via = contextValues('kms:ViaService');
        if (
          crypto.length > 0 &&
          !sameSet(via, [`sqs.${stack.region}.amazonaws.com`, `sns.${stack.region}.amazonaws.com`])
        )
          violations.push(`${where}: the account uses the key beyond SQS and SNS`);
      } else if (service.length === 1 && service[0] === `logs.${stack.region}.amazonaws.com`) {
        const arns = contextValues('kms:EncryptionContext:aws:logs:arn', 'ArnLike');
        if (!sameSet(arns, [`${prefix}*`]))
          violations.push(`${where}: not bound to the functions' log groups`);
      } else if (service.length === 1 && service[0] !== undefined && service[0] in contexts) {
        if (crypto.length === 0 && isDeepStrictEqual(actions, ['kms:DescribeKey'])) continue;
        const bound = Object.entries(isObject(s.Condition) ? ((s.Condition.StringEquals as Props) ?? {}) : {})
          .filter(([k]) => k.startsWith('kms:EncryptionContext:'))
          .flatMap(([, v]) => list(v).map((x) => resolveString(x, stack)));
        if (
          bound.length === 0 ||
          !bound.every((b) => b !== undefined && contexts[service[0] ?? '']?.includes(b))
        )
          violations.push(`${where}: ${service[0]} not bound to the stack's resources by encryption context`);
      } else
        violations.push(
          `${where}: principal ${JSON.stringify(s.Principal)} is not one that must use the key`,
        );
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------
// Queue and topic policies

/**
 * Every queue and topic has a policy that denies requests without TLS, and allows only the stack's
 * own publishers: its roles, or a service bound to the stack's rules or alarms by `aws:SourceArn`.
 */
export function checkResourcePolicies(stack: Stack): string[] {
  const violations: string[] = [];
  const roles = new Set(resourcesOfType(stack, 'AWS::IAM::Role').map(([id]) => id));
  const own = [
    `arn:aws:events:${stack.region}:${stack.accountId}:rule/${stackName(stack)}*`,
    `arn:aws:cloudwatch:${stack.region}:${stack.accountId}:alarm:${stackName(stack)}-*`,
  ];
  const kinds: Array<[string, string, string, string]> = [
    ['AWS::SQS::Queue', 'AWS::SQS::QueuePolicy', 'Queues', 'sqs:'],
    ['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'Topics', 'sns:'],
  ];
  for (const [type, policyType, listKey, service] of kinds)
    for (const [id] of resourcesOfType(stack, type)) {
      const policies = resourcesOfType(stack, policyType).filter(([, p]) =>
        list(p[listKey]).some((q) => refOf(q) === id),
      );
      if (policies.length === 0) {
        violations.push(`${id}: no ${policyType}`);
        continue;
      }
      const statements = policies.flatMap(([, p]) =>
        list(isObject(p.PolicyDocument) ? p.PolicyDocument.Statement : undefined).filter(isObject),
      );
      const denies = statements.some(
        (s) =>
          s.Effect === 'Deny' &&
          s.Principal === '*' &&
          list(s.Action).some((a) => a === `${service}*` || a === `${service}Publish`) &&
          sameSet(condition(s as Statement, 'Bool', 'aws:SecureTransport', stack), ['false']),
      );
      if (!denies) violations.push(`${id}: no Deny of requests without TLS (aws:SecureTransport false)`);
      for (const s of statements.filter((x) => x.Effect === 'Allow')) {
        const where = `${id} (${String(s.Sid)})`;
        const principal = isObject(s.Principal) ? s.Principal : {};
        const aws = list(principal.AWS);
        const services = list(principal.Service);
        if (s.Principal === '*' || aws.includes('*')) violations.push(`${where}: allows anyone`);
        for (const a of aws) {
          const att = getAttOf(a);
          if (att?.[1] !== 'Arn' || !roles.has(att[0]))
            violations.push(`${where}: ${JSON.stringify(a)} is not a role of the stack`);
        }
        if (services.length > 0) {
          const source = condition(s as Statement, 'ArnLike', 'aws:SourceArn', stack);
          if (source === undefined || !source.every((v) => own.includes(v)))
            violations.push(`${where}: ${JSON.stringify(services)} not bound to the stack's rules or alarms`);
        }
      }
    }
  return violations;
}

// ---------------------------------------------------------------------------------------------------
// The tests

export interface SecurityContext {
  readonly stack: () => Stack;
  readonly expected: () => Expected;
  /** The function that retires (the only one that may delete). */
  readonly deleter: string;
}

type Check = (stack: Stack) => string[];

interface Breakage {
  readonly name: string;
  readonly check: Check;
  readonly breakIt: (t: Template) => void;
  readonly caught: RegExp;
}

const props = (t: Template, type: string): Props => {
  const found = Object.values(t.Resources).find((r) => r.Type === type);
  if (found?.Properties === undefined) throw new Error(`no ${type}`);
  return found.Properties;
};

/** The first Allow statement of a role's or managed policy's document granting `action`. */
const granting = (t: Template, action: string, extra: (s: Props) => boolean = () => true): Props => {
  for (const r of Object.values(t.Resources)) {
    const p = r.Properties ?? {};
    const documents = [p.PolicyDocument, ...list(p.Policies).map((x) => (x as Props).PolicyDocument)];
    for (const d of documents)
      for (const s of list((d as Props | undefined)?.Statement) as Props[])
        if (s.Effect === 'Allow' && list(s.Action).includes(action) && extra(s)) return s;
  }
  throw new Error(`no statement grants ${action}`);
};

export function securityTests(context: SecurityContext): void {
  const { deleter } = context;
  const design: Check = (s) => checkIamDesign(s, context.expected());
  const kms: Check = (s) => checkKms(s, context.expected());
  const boundary: Check = (s) => checkDeletionBoundary(s, deleter);
  const partition: Check = (s) => checkNoAwsPartitionLiterals(s.template);

  describe('least privilege that holds, and encryption (issue 11)', () => {
    it('no arn:aws: literal anywhere in the template (ARNs use AWS::Partition)', () => {
      expect(partition(context.stack())).toEqual([]);
    });
    it("every statement as designed: regions, owners, tag keys and accounts from the rules; '*' only where EC2 has no resource type", () => {
      expect(design(context.stack())).toEqual([]);
    });
    it('the deletion boundary: only the schedule deletes, nobody removes tags, tags outside CopyImage only with the tool’s keys', () => {
      expect(boundary(context.stack())).toEqual([]);
      // The known gap (docs/deploy.md#the-deletion-boundary): the schedule adopts sources, so it may
      // put ami-lifecycle:rule on an existing image. Closing it changes this line.
      expect(adoptionGap(context.stack(), deleter)).toBe(true);
    });
    it('KMS: only the keys the rules and kmsKeyArns name, only through EC2 in the rules’ regions; the stack’s key only through SQS and SNS', () => {
      expect(context.expected().kmsKeyArns.length).toBeGreaterThan(0);
      expect(kms(context.stack())).toEqual([]);
    });
    it('every topic, queue, log group and bus with the stack’s key, the table with KMS, the key rotated', () => {
      expect(checkEncryptionAtRest(context.stack())).toEqual([]);
    });
    it('the key policy names exactly the services that use the key, each bound to the stack’s resources', () => {
      expect(checkKeyPolicy(context.stack())).toEqual([]);
    });
    it('every queue and topic denies requests without TLS and allows only the stack’s own publishers', () => {
      expect(checkResourcePolicies(context.stack())).toEqual([]);
    });
  });

  const breakages: Breakage[] = [
    {
      name: 'an arn:aws: literal',
      check: partition,
      breakIt: (t) => {
        granting(t, 'ec2:CopyImage').Resource = 'arn:aws:ec2:*::image/*';
      },
      caught: /arn:aws:ec2:\*::image\/\* \(use/,
    },
    {
      name: 'CreateTags on existing images with any key',
      check: design,
      breakIt: (t) => {
        delete granting(t, 'ec2:CreateTags', (s) => JSON.stringify(s).includes('aws:TagKeys')).Condition;
      },
      caught: /ec2:CreateTags neither only at CopyImage/,
    },
    {
      name: 'CopyImage in every region',
      check: design,
      breakIt: (t) => {
        delete granting(t, 'ec2:CopyImage').Condition;
      },
      caught: /ec2:CopyImage not limited to the rules' regions/,
    },
    {
      name: 'snapshots shared with any account',
      check: design,
      breakIt: (t) => {
        const c = granting(t, 'ec2:ModifySnapshotAttribute').Condition as Props;
        delete c['ForAllValues:StringEquals'];
      },
      caught: /ec2:ModifySnapshotAttribute not limited/,
    },
    {
      name: 'deregistration on any rule tag value',
      check: design,
      breakIt: (t) => {
        granting(t, 'ec2:DeregisterImage').Condition = {
          Null: { 'aws:ResourceTag/ami-lifecycle:rule': 'false' },
        };
      },
      caught: /ec2:DeregisterImage not limited to own resources tagged with a rule's name/,
    },
    {
      name: 'a write action on "*"',
      check: design,
      breakIt: (t) => {
        granting(t, 'ec2:ModifyImageAttribute').Resource = '*';
      },
      caught: /ec2:ModifyImageAttribute on Resource "\*"/,
    },
    {
      name: 'the event handler allowed to delete snapshots, or anyone to remove tags',
      check: boundary,
      breakIt: (t) => {
        const s = granting(t, 'ec2:CopyImage');
        s.Action = [...list(s.Action), 'ec2:DeleteSnapshot', 'ec2:DeleteTags'];
      },
      caught: /^amiStateChange: may ec2:DeleteSnapshot/,
    },
    {
      name: 'KMS on every key of the account',
      check: kms,
      breakIt: (t) => {
        granting(t, 'kms:CreateGrant').Resource = {
          'Fn::Sub': `arn:\${AWS::Partition}:kms:*:\${AWS::AccountId}:key/*`,
        };
      },
      caught: /is not a key the rules or kmsKeyArns name/,
    },
    {
      name: 'KMS through EC2 in any region',
      check: kms,
      breakIt: (t) => {
        granting(t, 'kms:Decrypt', (s) => JSON.stringify(s).includes('ec2.')).Condition = {
          StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' },
        };
      },
      caught: /not only through EC2 in the rules' regions/,
    },
    {
      name: 'a topic without the stack’s key',
      check: checkEncryptionAtRest,
      breakIt: (t) => {
        delete props(t, 'AWS::SNS::Topic').KmsMasterKeyId;
      },
      caught: /Topic: KmsMasterKeyId is not the stack's KMS key/,
    },
    {
      name: 'a log group without a key',
      check: checkEncryptionAtRest,
      breakIt: (t) => {
        delete props(t, 'AWS::Logs::LogGroup').KmsKeyId;
      },
      caught: /LogGroup: KmsKeyId is not the stack's KMS key/,
    },
    {
      name: 'a table with the AWS-owned key',
      check: checkEncryptionAtRest,
      breakIt: (t) => {
        delete props(t, 'AWS::DynamoDB::Table').SSESpecification;
      },
      caught: /not encrypted with KMS/,
    },
    {
      name: 'a key policy that lets EventBridge use the key for anything',
      check: checkKeyPolicy,
      breakIt: (t) => {
        const policy = props(t, 'AWS::KMS::Key').KeyPolicy as Props;
        for (const s of list(policy.Statement) as Props[])
          if (JSON.stringify(s.Principal).includes('events')) delete s.Condition;
      },
      caught: /events\.amazonaws\.com not bound to the stack's resources/,
    },
    {
      name: 'a key policy with kms:* for the account',
      check: checkKeyPolicy,
      breakIt: (t) => {
        const policy = props(t, 'AWS::KMS::Key').KeyPolicy as Props;
        (list(policy.Statement) as Props[])[0] = { ...(list(policy.Statement)[0] as Props), Action: 'kms:*' };
      },
      caught: /kms:\*/,
    },
    {
      name: 'a queue policy without the TLS deny',
      check: checkResourcePolicies,
      breakIt: (t) => {
        const document = props(t, 'AWS::SQS::QueuePolicy').PolicyDocument as Props;
        document.Statement = (list(document.Statement) as Props[]).filter((s) => s.Effect !== 'Deny');
      },
      caught: /no Deny of requests without TLS/,
    },
    {
      name: 'a topic anyone may publish to',
      check: checkResourcePolicies,
      breakIt: (t) => {
        const document = props(t, 'AWS::SNS::TopicPolicy').PolicyDocument as Props;
        (list(document.Statement) as Props[])[0] = {
          Sid: 'Anyone',
          Effect: 'Allow',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: '*',
        };
      },
      caught: /allows anyone/,
    },
    {
      name: 'a topic without a policy',
      check: checkResourcePolicies,
      breakIt: (t) => {
        for (const [id, r] of Object.entries(t.Resources))
          if (r.Type === 'AWS::SNS::TopicPolicy') delete t.Resources[id];
      },
      caught: /no AWS::SNS::TopicPolicy/,
    },
  ];

  describe('each security check fails when its rule is broken', () => {
    it.each(breakages)('$name', ({ check, breakIt, caught }) => {
      const broken = structuredClone(context.stack().template);
      breakIt(broken);
      expect(check({ ...context.stack(), template: broken })).toContainEqual(expect.stringMatching(caught));
    });
  });
}
