/**
 * The resources of `serverless.yml` the local stack emulates, and the values CloudFormation would
 * give their references, so handlers get real table names, queue URLs and topic ARNs locally.
 *
 * - Declared: `AWS::DynamoDB::Table` (TableName, KeySchema, AttributeDefinitions, BillingMode),
 *   `AWS::SQS::Queue` (QueueName and the scalar queue attributes), `AWS::SNS::Topic` (TopicName,
 *   DisplayName), and `AWS::Events::EventBus` (Name, for references only). A resource without a
 *   literal name gets `<service>-<stage>-<LogicalId>` (CloudFormation would add a random suffix).
 * - Resolved, as CloudFormation resolves them, per region: `!Ref` of a table → its name, of a queue
 *   → its URL, of a topic → its ARN, of a bus → its name; `!GetAtt` `Arn` (all), `QueueName`,
 *   `QueueUrl`, `TopicName`, `TopicArn`, `Name`; `!Sub` and `!Join` over those and the pseudo
 *   parameters `AWS::Region`, `AWS::AccountId`, `AWS::Partition`, `AWS::StackName`,
 *   `AWS::URLSuffix`. Anything else (a role, a Lambda function, a condition) resolves to undefined.
 */
import type { DynamoDbEmulator, ScalarType, TableDefinition } from './dynamodb/index.js';
import { CfnIntrinsic, type FunctionConfig, type ServerlessConfig } from './eventbridge/serverless-config.js';
import type { SnsEmulator } from './sns/index.js';
import type { SqsEmulator } from './sqs/index.js';

export interface DeclaredTable {
  logicalId: string;
  definition: TableDefinition;
}

export interface DeclaredQueue {
  logicalId: string;
  queueName: string;
  /** SQS attributes from the scalar properties (VisibilityTimeout, MessageRetentionPeriod, …). */
  attributes: Record<string, string>;
}

export interface DeclaredTopic {
  logicalId: string;
  topicName: string;
  attributes: Record<string, string>;
}

export interface DeclaredBus {
  logicalId: string;
  name: string;
}

export interface DeclaredResources {
  /** `<service>-<stage>`, the CloudFormation stack name osls deploys. */
  stackName: string;
  tables: DeclaredTable[];
  queues: DeclaredQueue[];
  topics: DeclaredTopic[];
  buses: DeclaredBus[];
}

/** Where references are resolved: the region of the stack, its account, and how queue URLs look. */
export interface ResolveContext {
  region: string;
  accountId: string;
  /** The URL of a queue in a region (the local SQS decides its endpoint). */
  queueUrl(region: string, queueName: string): string;
}

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A literal name, or the generated one when the property is absent or not literal after variables. */
function nameOf(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' && !value.includes('${') ? value : fallback;
}

function scalar(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

/** The tables, queues, topics and buses of `resources.Resources`. */
export function declaredResources(config: ServerlessConfig): DeclaredResources {
  const stackName = `${config.service}-${config.stage}`;
  const declared: DeclaredResources = { stackName, tables: [], queues: [], topics: [], buses: [] };
  for (const { logicalId, type, properties } of config.resources) {
    const fallback = `${stackName}-${logicalId}`;
    if (type === 'AWS::DynamoDB::Table') {
      const keySchema: TableDefinition['keySchema'] = (
        Array.isArray(properties.KeySchema) ? properties.KeySchema : []
      ).flatMap((k: unknown): Array<TableDefinition['keySchema'][number]> => {
        const keyType = isRecord(k) ? k.KeyType : undefined;
        return isRecord(k) &&
          typeof k.AttributeName === 'string' &&
          (keyType === 'HASH' || keyType === 'RANGE')
          ? [{ attributeName: k.AttributeName, keyType }]
          : [];
      });
      const keyNames = new Set(keySchema.map((k) => k.attributeName));
      // Only key attributes: DynamoDB refuses definitions no key or index uses, and indexes are not emulated.
      const attributeDefinitions = (
        Array.isArray(properties.AttributeDefinitions) ? properties.AttributeDefinitions : []
      ).flatMap((a: unknown) =>
        isRecord(a) &&
        typeof a.AttributeName === 'string' &&
        keyNames.has(a.AttributeName) &&
        (a.AttributeType === 'S' || a.AttributeType === 'N' || a.AttributeType === 'B')
          ? [{ attributeName: a.AttributeName, attributeType: a.AttributeType as ScalarType }]
          : [],
      );
      declared.tables.push({
        logicalId,
        definition: {
          tableName: nameOf(properties.TableName, fallback),
          keySchema,
          attributeDefinitions,
          billingMode: properties.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
        },
      });
    } else if (type === 'AWS::SQS::Queue') {
      const attributes: Record<string, string> = {};
      for (const name of QUEUE_ATTRIBUTES) {
        const value = scalar(properties[name]);
        if (value !== undefined) attributes[name] = value;
      }
      declared.queues.push({ logicalId, queueName: nameOf(properties.QueueName, fallback), attributes });
    } else if (type === 'AWS::SNS::Topic') {
      const displayName = scalar(properties.DisplayName);
      declared.topics.push({
        logicalId,
        topicName: nameOf(properties.TopicName, fallback),
        attributes: displayName !== undefined ? { DisplayName: displayName } : {},
      });
    } else if (type === 'AWS::Events::EventBus') {
      declared.buses.push({ logicalId, name: nameOf(properties.Name, fallback) });
    }
  }
  return declared;
}

/** Creates every declared table, queue and topic in each region (idempotent for queues and topics). */
export function createDeclaredResources(
  declared: DeclaredResources,
  regions: readonly string[],
  emulators: { dynamodb: DynamoDbEmulator; sqs: SqsEmulator; sns: SnsEmulator },
): void {
  for (const region of regions) {
    for (const table of declared.tables)
      if (emulators.dynamodb.describeTable(region, table.definition.tableName) === undefined)
        emulators.dynamodb.createTable(region, table.definition);
    for (const queue of declared.queues) emulators.sqs.createQueue(region, queue.queueName, queue.attributes);
    for (const topic of declared.topics) emulators.sns.createTopic(region, topic.topicName, topic.attributes);
  }
}

/** `Ref` of a declared resource or a pseudo parameter. */
function resolveRef(name: string, declared: DeclaredResources, context: ResolveContext): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::StackName':
      return declared.stackName;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
  }
  const table = declared.tables.find((t) => t.logicalId === name);
  if (table !== undefined) return table.definition.tableName;
  const queue = declared.queues.find((q) => q.logicalId === name);
  if (queue !== undefined) return context.queueUrl(context.region, queue.queueName);
  const topic = declared.topics.find((t) => t.logicalId === name);
  if (topic !== undefined) return `arn:aws:sns:${context.region}:${context.accountId}:${topic.topicName}`;
  return declared.buses.find((b) => b.logicalId === name)?.name;
}

function resolveGetAtt(
  logicalId: string,
  attribute: string,
  declared: DeclaredResources,
  context: ResolveContext,
): string | undefined {
  const { region, accountId } = context;
  const table = declared.tables.find((t) => t.logicalId === logicalId);
  if (table !== undefined)
    return attribute === 'Arn'
      ? `arn:aws:dynamodb:${region}:${accountId}:table/${table.definition.tableName}`
      : undefined;
  const queue = declared.queues.find((q) => q.logicalId === logicalId);
  if (queue !== undefined) {
    if (attribute === 'Arn') return `arn:aws:sqs:${region}:${accountId}:${queue.queueName}`;
    if (attribute === 'QueueName') return queue.queueName;
    if (attribute === 'QueueUrl') return context.queueUrl(region, queue.queueName);
    return undefined;
  }
  const topic = declared.topics.find((t) => t.logicalId === logicalId);
  if (topic !== undefined) {
    if (attribute === 'TopicArn') return `arn:aws:sns:${region}:${accountId}:${topic.topicName}`;
    if (attribute === 'TopicName') return topic.topicName;
    return undefined;
  }
  const bus = declared.buses.find((b) => b.logicalId === logicalId);
  if (bus !== undefined) {
    if (attribute === 'Name') return bus.name;
    if (attribute === 'Arn') return `arn:aws:events:${region}:${accountId}:event-bus/${bus.name}`;
  }
  return undefined;
}

/**
 * The string CloudFormation would put in place of `value` (a literal, or an intrinsic over the
 * declared resources), in `context.region`; undefined when it cannot be told locally.
 */
export function resolveValue(
  value: unknown,
  declared: DeclaredResources,
  context: ResolveContext,
): string | undefined {
  if (!(value instanceof CfnIntrinsic)) return scalar(value);
  const { fn, value: argument } = value;
  if (fn === 'Ref') return typeof argument === 'string' ? resolveRef(argument, declared, context) : undefined;
  if (fn === 'Fn::GetAtt') {
    const parts =
      typeof argument === 'string' ? argument.split('.') : Array.isArray(argument) ? argument : [];
    const [logicalId, attribute] = parts;
    return typeof logicalId === 'string' && typeof attribute === 'string'
      ? resolveGetAtt(logicalId, attribute, declared, context)
      : undefined;
  }
  if (fn === 'Fn::Sub') {
    const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
    if (typeof template !== 'string') return undefined;
    let unresolved = false;
    const text = template.replace(/\$\{([^!}][^}]*)\}/g, (_whole, name: string) => {
      const own = isRecord(variables) ? variables[name] : undefined;
      const dot = name.indexOf('.');
      const resolved =
        own !== undefined
          ? resolveValue(own, declared, context)
          : dot > 0 && !name.startsWith('AWS::')
            ? resolveGetAtt(name.slice(0, dot), name.slice(dot + 1), declared, context)
            : resolveRef(name, declared, context);
      if (resolved === undefined) unresolved = true;
      return resolved ?? '';
    });
    return unresolved ? undefined : text.replace(/\$\{!/g, '${');
  }
  if (fn === 'Fn::Join' && Array.isArray(argument)) {
    const [delimiter, items] = argument;
    if (typeof delimiter !== 'string' || !Array.isArray(items)) return undefined;
    const parts = items.map((item: unknown) => resolveValue(item, declared, context));
    return parts.every((part): part is string => part !== undefined) ? parts.join(delimiter) : undefined;
  }
  return undefined;
}

export interface ResolvedEnvironment {
  /** The union of every function's environment, resolved (the first function's value wins a clash). */
  environment: Record<string, string>;
  /** Variables left out, with why: `notify: CHAT_TOPIC_ARN: !Ref X cannot be resolved locally`. */
  skipped: string[];
}

/**
 * Lambda's runtime options, not the handlers' configuration: setting them on the process running
 * the local stack would change that process (and every child it spawns), not emulate a function.
 */
const RUNTIME_ONLY = new Set(['NODE_OPTIONS']);

/**
 * The environment the handlers see locally. Environment is process-wide locally, so every function's
 * variables are set together; a variable two functions set differently keeps the first value and
 * is reported in `skipped`.
 */
export function resolveEnvironment(
  functions: readonly FunctionConfig[],
  declared: DeclaredResources,
  context: ResolveContext,
): ResolvedEnvironment {
  const environment: Record<string, string> = {};
  const owner: Record<string, string> = {};
  const skipped: string[] = [];
  for (const fn of functions) {
    for (const [name, raw] of Object.entries(fn.environment)) {
      if (RUNTIME_ONLY.has(name)) continue;
      const value = resolveValue(raw, declared, context);
      if (value === undefined) {
        skipped.push(`${fn.name}: ${name}: ${String(raw)} cannot be resolved locally`);
        continue;
      }
      const previous = environment[name];
      if (previous === undefined) {
        environment[name] = value;
        owner[name] = fn.name;
      } else if (previous !== value) {
        skipped.push(
          `${fn.name}: ${name}=${value} conflicts with ${owner[name]}'s ${previous}; kept ${previous}`,
        );
      }
    }
  }
  return { environment, skipped };
}
