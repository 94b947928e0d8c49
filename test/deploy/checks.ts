/**
 * Checks on the CloudFormation template `serverless package` writes. Each check walks the template
 * and returns its violations as readable lines (empty: the rule holds), so a test can assert `[]`
 * and another can break a copy of the template to see the check catch it.
 *
 * Intrinsics are resolved only as far as the checks need: `Fn::Sub` and `Ref` of pseudo parameters
 * become strings (with a stand-in account id), `Ref`/`Fn::GetAtt` of the stack's own resources are
 * compared by logical id. Anything else counts as "not what the rule asks for".
 */
import { isDeepStrictEqual } from 'node:util';

export type Props = { [key: string]: unknown };

export interface Resource {
  Type: string;
  /** A condition of `Conditions`: the resource exists only when it holds. */
  Condition?: string;
  Properties?: Props;
  DependsOn?: string | string[];
}

export interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Props;
}

export interface Stack {
  readonly template: Template;
  readonly service: string;
  readonly stage: string;
  readonly region: string;
  /** Stands for `${AWS::AccountId}`. */
  readonly accountId: string;
  /** The serverless.yml function key of each deployed function name. */
  readonly functionNames: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------------
// Template access

export const isObject = (value: unknown): value is Props =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** IAM and CloudFormation accept one value or a list: always a list. */
export const list = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const isInteger = (value: unknown): value is number => Number.isInteger(value);

export function refOf(value: unknown): string | undefined {
  return isObject(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
}

export function getAttOf(value: unknown): [string, string] | undefined {
  if (!isObject(value)) return undefined;
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att) && att.length === 2 && typeof att[0] === 'string' && typeof att[1] === 'string')
    return [att[0], att[1]];
  if (typeof att === 'string' && att.includes('.')) {
    const dot = att.indexOf('.');
    return [att.slice(0, dot), att.slice(dot + 1)];
  }
  return undefined;
}

export const stackName = (stack: Stack) => `${stack.service}-${stack.stage}`;

/** A string, or a `Fn::Sub`/`Ref` of pseudo parameters, as a string; undefined otherwise. */
export function resolveString(value: unknown, stack: Stack): string | undefined {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': stack.region,
    'AWS::AccountId': stack.accountId,
    'AWS::StackName': stackName(stack),
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (typeof value === 'string') return value;
  const ref = refOf(value);
  if (ref !== undefined) return pseudo[ref];
  if (!isObject(value) || !('Fn::Sub' in value)) return undefined;
  const sub = value['Fn::Sub'];
  const text = Array.isArray(sub) ? sub[0] : sub;
  if (typeof text !== 'string') return undefined;
  // Names not known here stay `${...}`, which no expected value contains.
  return text.replace(/\$\{([^}!]+)\}/g, (whole, name: string) => pseudo[name] ?? whole);
}

/**
 * Whether a condition of the template holds. The stack's conditions compare strings serverless.yml
 * resolved at package time (`Fn::Equals` of two literals, or its `Fn::Not`); anything else is not
 * understood here and throws, rather than guess.
 */
export function conditionHolds(stack: Stack, name: string): boolean {
  return equalsHolds(stack.template.Conditions?.[name], name);
}

function equalsHolds(condition: unknown, name: string): boolean {
  const negated = isObject(condition) ? condition['Fn::Not'] : undefined;
  if (Array.isArray(negated) && negated.length === 1) return !equalsHolds(negated[0], name);
  const operands = isObject(condition) ? condition['Fn::Equals'] : undefined;
  if (!Array.isArray(operands) || operands.length !== 2 || !operands.every((o) => typeof o === 'string'))
    throw new Error(`condition ${name}: ${JSON.stringify(condition)} is not Fn::Equals of two strings`);
  return operands[0] === operands[1];
}

/** The resources of a type that the stack creates: those whose `Condition` does not hold are left out. */
export function resourcesOfType(stack: Stack, type: string): Array<[string, Props]> {
  return Object.entries(stack.template.Resources)
    .filter(([, r]) => r.Type === type && (r.Condition === undefined || conditionHolds(stack, r.Condition)))
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

function typeOf(stack: Stack, logicalId: string | undefined): string | undefined {
  return logicalId === undefined ? undefined : stack.template.Resources[logicalId]?.Type;
}

/**
 * The SQS event sources of the stack's functions: each mapping's queue (logical id) and function.
 * A function they invoke is invoked synchronously (no EventInvokeConfig); a queue they read is a
 * work queue, whose messages are visible as a matter of course (its dead-letter queue is alarmed).
 */
export function sqsEventSources(
  stack: Stack,
): Array<{ id: string; props: Props; queue: string; fn: string }> {
  return resourcesOfType(stack, 'AWS::Lambda::EventSourceMapping').flatMap(([id, props]) => {
    const queue = queueOf(stack, props.EventSourceArn);
    const fn = refOf(props.FunctionName) ?? getAttOf(props.FunctionName)?.[0];
    return queue === undefined || fn === undefined ? [] : [{ id, props, queue, fn }];
  });
}

/**
 * The pre-flight of encrypted copies: DescribeKey alone, on the account's own keys, asked by the
 * function itself (so with no kms:ViaService). Metadata only: it uses no key.
 */
export function isKeyPreflight(s: Props, stack: Stack): boolean {
  return (
    isDeepStrictEqual(list(s.Action), ['kms:DescribeKey']) &&
    s.Condition === undefined &&
    list(s.Resource).every((r) => resolveString(r, stack) === `arn:aws:kms:*:${stack.accountId}:key/*`)
  );
}

/** The stack's SQS queue a value points at (`Fn::GetAtt: [Queue, Arn]`), if it does. */
export function queueOf(stack: Stack, arn: unknown): string | undefined {
  const att = getAttOf(arn);
  return att?.[1] === 'Arn' && typeOf(stack, att[0]) === 'AWS::SQS::Queue' ? att[0] : undefined;
}

/** ARN-style glob (`*` any run of characters, `?` one), as IAM's ArnLike/StringLike compare. */
export function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

export interface LambdaFunction {
  readonly logicalId: string;
  /** The serverless.yml key (the logical id when the function is not the service's). */
  readonly name: string;
  readonly props: Props;
}

export function lambdaFunctions(stack: Stack): LambdaFunction[] {
  return resourcesOfType(stack, 'AWS::Lambda::Function').map(([logicalId, props]) => ({
    logicalId,
    name: stack.functionNames[String(props.FunctionName)] ?? logicalId,
    props,
  }));
}

export interface EventRule {
  readonly logicalId: string;
  readonly props: Props;
  /** `default`, the bus name, or undefined when it cannot be told. */
  readonly busName: string | undefined;
  /** The stack's AWS::Events::EventBus the rule is on, if it is. */
  readonly busLogicalId: string | undefined;
  /** The rule's ARN (a CloudFormation-generated name when the rule has none). */
  readonly arn: string;
  readonly targets: Props[];
}

export function eventRules(stack: Stack): EventRule[] {
  return resourcesOfType(stack, 'AWS::Events::Rule').map(([logicalId, props]) => {
    const bus = props.EventBusName;
    let busName: string | undefined;
    let busLogicalId: string | undefined;
    if (bus === undefined || bus === 'default') busName = 'default';
    else if (typeof bus === 'string') busName = bus.startsWith('arn:') ? bus.split('event-bus/')[1] : bus;
    else {
      const att = getAttOf(bus);
      busLogicalId = att?.[1] === 'Name' ? att[0] : (refOf(bus) ?? att?.[0]);
      if (typeOf(stack, busLogicalId) !== 'AWS::Events::EventBus') busLogicalId = undefined;
      const declared = busLogicalId && stack.template.Resources[busLogicalId]?.Properties?.Name;
      busName = declared ? resolveString(declared, stack) : undefined;
    }
    const name = resolveString(props.Name, stack) ?? `${stackName(stack)}-${logicalId}-GENERATED`;
    const arn = `arn:aws:events:${stack.region}:${stack.accountId}:rule/${busName === 'default' ? '' : `${busName}/`}${name}`;
    return { logicalId, props, busName, busLogicalId, arn, targets: list(props.Targets).filter(isObject) };
  });
}

/** The rules with a target that is this function. */
export function rulesTargeting(stack: Stack, fn: LambdaFunction): EventRule[] {
  return eventRules(stack).filter((rule) =>
    rule.targets.some((t) => {
      const att = getAttOf(t.Arn);
      return att?.[0] === fn.logicalId && att[1] === 'Arn';
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Functions

/** The most an event handler may run: events are handled one by one, quickly; long work is reconcile's. */
export const EVENT_HANDLER_MAX_TIMEOUT = 300;

/**
 * Runtime, architecture, memory and timeout of every function. An event handler's timeout is short;
 * a scheduled function's timeout leaves room beyond its stop margin (`stopMarginMs` of its environment).
 */
export function checkFunctionSettings(
  stack: Stack,
  stopMarginMs: (environment: Record<string, string>) => number,
): string[] {
  const violations: string[] = [];
  for (const fn of lambdaFunctions(stack)) {
    const { Runtime, Architectures, MemorySize, Timeout } = fn.props;
    if (Runtime !== 'nodejs24.x') violations.push(`${fn.name}: Runtime ${String(Runtime)}, not nodejs24.x`);
    if (!isDeepStrictEqual(Architectures, ['arm64']))
      violations.push(`${fn.name}: Architectures ${JSON.stringify(Architectures)}, not [arm64]`);
    if (!isInteger(MemorySize) || MemorySize < 128 || MemorySize > 2048)
      violations.push(`${fn.name}: MemorySize ${String(MemorySize)} outside 128–2048`);
    if (!isInteger(Timeout) || Timeout < 1 || Timeout > 900) {
      violations.push(`${fn.name}: Timeout ${String(Timeout)} outside 1–900`);
      continue;
    }
    const rules = rulesTargeting(stack, fn);
    if (rules.some((r) => r.props.EventPattern !== undefined) && Timeout > EVENT_HANDLER_MAX_TIMEOUT)
      violations.push(
        `${fn.name}: an event handler with Timeout ${Timeout}s (> ${EVENT_HANDLER_MAX_TIMEOUT}s)`,
      );
    if (rules.some((r) => r.props.ScheduleExpression !== undefined)) {
      const variables = isObject(fn.props.Environment) ? fn.props.Environment.Variables : undefined;
      const environment = Object.fromEntries(
        Object.entries(isObject(variables) ? variables : {}).filter(
          (e): e is [string, string] => typeof e[1] === 'string',
        ),
      );
      const margin = stopMarginMs(environment);
      if (Timeout * 1000 <= margin)
        violations.push(`${fn.name}: Timeout ${Timeout}s is not above its stop margin (${margin / 1000}s)`);
    }
  }
  return violations;
}

/** Every function: one EventInvokeConfig with MaximumRetryAttempts and an on-failure SQS queue of the stack. */
export function checkAsyncInvokeConfigs(stack: Stack): string[] {
  const violations: string[] = [];
  const configs = resourcesOfType(stack, 'AWS::Lambda::EventInvokeConfig');
  const polled = new Set(sqsEventSources(stack).map((source) => source.fn));
  // A function an SQS event source invokes is invoked synchronously: its queue's redrive is its
  // retry and its dead-letter queue (checkWorkQueues).
  for (const fn of lambdaFunctions(stack).filter((f) => !polled.has(f.logicalId))) {
    const own = configs.filter(([, c]) => refOf(c.FunctionName) === fn.logicalId);
    if (own.length !== 1) violations.push(`${fn.name}: ${own.length} EventInvokeConfig, expected 1`);
    for (const [id, config] of own) {
      const retries = config.MaximumRetryAttempts;
      if (!isInteger(retries) || retries < 0 || retries > 2)
        violations.push(`${fn.name} (${id}): MaximumRetryAttempts ${String(retries)} is not set to 0–2`);
      const destination = isObject(config.DestinationConfig) ? config.DestinationConfig.OnFailure : undefined;
      if (queueOf(stack, isObject(destination) ? destination.Destination : undefined) === undefined)
        violations.push(`${fn.name} (${id}): OnFailure destination is not an SQS queue of the stack`);
    }
  }
  return violations;
}

/** Does a queue policy of the stack let EventBridge send this rule's undeliverable events to the queue? */
export function queuePolicyAllowsRule(stack: Stack, queue: string, ruleArn: string): boolean {
  return resourcesOfType(stack, 'AWS::SQS::QueuePolicy').some(([, policy]) => {
    if (!list(policy.Queues).some((q) => refOf(q) === queue)) return false;
    const document = isObject(policy.PolicyDocument) ? policy.PolicyDocument : {};
    return list(document.Statement).some((statement) => {
      if (!isObject(statement) || statement.Effect !== 'Allow') return false;
      const principal = isObject(statement.Principal) ? statement.Principal.Service : undefined;
      if (!list(principal).includes('events.amazonaws.com')) return false;
      if (!list(statement.Action).includes('sqs:SendMessage')) return false;
      const resources = list(statement.Resource);
      if (!resources.some((r) => r === '*' || isDeepStrictEqual(getAttOf(r), [queue, 'Arn']))) return false;
      // Only the conditions that scope the sender are understood; any other one fails the check.
      return Object.entries(isObject(statement.Condition) ? statement.Condition : {}).every(([op, keys]) =>
        Object.entries(isObject(keys) ? keys : {}).every(([key, value]) => {
          const values = list(value).map((v) => resolveString(v, stack));
          if (key === 'aws:SourceArn' && /^(ArnLike|ArnEquals|StringLike|StringEquals)$/.test(op))
            return values.some((v) => v !== undefined && globMatches(v, ruleArn));
          if (key === 'aws:SourceAccount' && op === 'StringEquals') return values.includes(stack.accountId);
          return false;
        }),
      );
    });
  });
}

/** Every rule target: a RetryPolicy, and a dead-letter SQS queue of the stack that EventBridge may send to. */
export function checkRuleTargets(stack: Stack): string[] {
  const violations: string[] = [];
  for (const rule of eventRules(stack)) {
    if (rule.targets.length === 0) violations.push(`${rule.logicalId}: no target`);
    for (const target of rule.targets) {
      const where = `${rule.logicalId} target ${String(target.Id)}`;
      const retry = target.RetryPolicy;
      if (
        !isObject(retry) ||
        !isInteger(retry.MaximumRetryAttempts) ||
        !isInteger(retry.MaximumEventAgeInSeconds)
      )
        violations.push(`${where}: no RetryPolicy (MaximumRetryAttempts and MaximumEventAgeInSeconds)`);
      const queue = queueOf(
        stack,
        isObject(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined,
      );
      if (queue === undefined) violations.push(`${where}: no DeadLetterConfig to an SQS queue of the stack`);
      else if (!queuePolicyAllowsRule(stack, queue, rule.arn))
        violations.push(
          `${where}: no QueuePolicy on ${queue} lets events.amazonaws.com send from ${rule.arn}`,
        );
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------
// Event rules

function functionNamed(stack: Stack, name: string): LambdaFunction | undefined {
  return lambdaFunctions(stack).find((fn) => fn.name === name);
}

/** Every EventPattern is accepted by `compile` (the local matcher throws on an invalid pattern). */
export function checkEventPatterns(stack: Stack, compile: (pattern: unknown) => unknown): string[] {
  const violations: string[] = [];
  for (const rule of eventRules(stack)) {
    if (rule.props.EventPattern === undefined) continue;
    try {
      compile(rule.props.EventPattern);
    } catch (error) {
      violations.push(`${rule.logicalId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return violations;
}

/** The function's pattern rules: exactly one, with this pattern, on the default bus. */
export function checkDefaultBusRule(stack: Stack, functionName: string, pattern: unknown): string[] {
  const fn = functionNamed(stack, functionName);
  if (fn === undefined) return [`no function ${functionName}`];
  const rules = rulesTargeting(stack, fn).filter((r) => r.props.EventPattern !== undefined);
  if (rules.length !== 1) return [`${functionName}: ${rules.length} event-pattern rules, expected 1`];
  const violations: string[] = [];
  for (const rule of rules) {
    if (rule.busName !== 'default')
      violations.push(`${rule.logicalId}: on bus ${rule.busName}, not the default bus`);
    if (!isDeepStrictEqual(rule.props.EventPattern, pattern))
      violations.push(`${rule.logicalId}: pattern ${JSON.stringify(rule.props.EventPattern)}`);
  }
  return violations;
}

/** The function's rules: at least one, every one an event pattern on this bus of the stack matching only `source`. */
export function checkOwnBusRules(
  stack: Stack,
  functionName: string,
  busLogicalId: string,
  source: string,
): string[] {
  const fn = functionNamed(stack, functionName);
  if (fn === undefined) return [`no function ${functionName}`];
  const rules = rulesTargeting(stack, fn);
  if (rules.length === 0) return [`${functionName}: no rule`];
  const violations: string[] = [];
  for (const rule of rules) {
    if (rule.busLogicalId !== busLogicalId)
      violations.push(`${rule.logicalId}: on bus ${String(rule.busName)}, not ${busLogicalId}`);
    const pattern = rule.props.EventPattern;
    if (!isObject(pattern)) violations.push(`${rule.logicalId}: no event pattern`);
    else if (!isDeepStrictEqual(pattern.source, [source]) || '$or' in pattern)
      violations.push(
        `${rule.logicalId}: matches source ${JSON.stringify(pattern.source)}, not only ${source}`,
      );
  }
  return violations;
}

export const RATE_EXPRESSION = /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/;

/** The function's rules: at least one, every one a `rate(...)` schedule. */
export function checkScheduleRules(stack: Stack, functionName: string): string[] {
  const fn = functionNamed(stack, functionName);
  if (fn === undefined) return [`no function ${functionName}`];
  const rules = rulesTargeting(stack, fn);
  if (rules.length === 0) return [`${functionName}: no rule`];
  return rules
    .filter(
      (r) =>
        typeof r.props.ScheduleExpression !== 'string' || !RATE_EXPRESSION.test(r.props.ScheduleExpression),
    )
    .map(
      (r) =>
        `${r.logicalId}: ScheduleExpression ${JSON.stringify(r.props.ScheduleExpression)} is not rate(...)`,
    );
}

// ---------------------------------------------------------------------------------------------------
// IAM

export interface Statement extends Props {
  /** Where the statement comes from, for messages: `Role/policy` or the managed policy's id. */
  readonly from: string;
}

/**
 * Every statement reachable from the function's role: its inline policies, the managed policies it
 * lists (each must be a `Ref` to the stack's AWS::IAM::ManagedPolicy, or it cannot be audited), and
 * policies of the stack attached to the role from their side (`Roles:`).
 */
export function roleStatements(
  stack: Stack,
  fn: LambdaFunction,
): { statements: Statement[]; problems: string[] } {
  const statements: Statement[] = [];
  const problems: string[] = [];
  const add = (document: unknown, from: string) => {
    for (const s of list(isObject(document) ? document.Statement : undefined))
      if (isObject(s)) statements.push({ ...s, from });
  };
  const roleId = getAttOf(fn.props.Role)?.[0];
  const role = roleId === undefined ? undefined : stack.template.Resources[roleId];
  if (roleId === undefined || role?.Type !== 'AWS::IAM::Role')
    return { statements, problems: [`${fn.name}: Role is not a role of the stack`] };
  const props = role.Properties ?? {};
  for (const policy of list(props.Policies))
    if (isObject(policy)) add(policy.PolicyDocument, `${roleId}/${String(policy.PolicyName)}`);
  for (const arn of list(props.ManagedPolicyArns)) {
    const ref = refOf(arn);
    const managed = ref === undefined ? undefined : stack.template.Resources[ref];
    if (ref === undefined || managed?.Type !== 'AWS::IAM::ManagedPolicy')
      problems.push(`${fn.name}: managed policy ${JSON.stringify(arn)} is not one of the stack's`);
    else add(managed.Properties?.PolicyDocument, ref);
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'])
    for (const [id, policy] of resourcesOfType(stack, type))
      if (list(policy.Roles).some((r) => refOf(r) === roleId)) add(policy.PolicyDocument, id);
  return { statements, problems };
}

const allows = (s: Statement) => s.Effect === 'Allow';

/** The actions each function's role allows, sorted, by function name. */
export function functionActions(stack: Stack): Record<string, string[]> {
  return Object.fromEntries(
    lambdaFunctions(stack).map((fn) => {
      const actions = roleStatements(stack, fn)
        .statements.filter(allows)
        .flatMap((s) => list(s.Action));
      return [fn.name, [...new Set(actions.map(String))].sort()];
    }),
  );
}

/** Actions with a wildcard that are the documented pattern, not a shortcut (ReEncryptFrom + ReEncryptTo). */
export const ALLOWED_WILDCARD_ACTIONS = new Set(['kms:ReEncrypt*']);

/** Actions that have no resource-level permissions, so `Resource: "*"` is their only form. */
// X-Ray's trace uploads (params.tracing) have no resource type either.
const RESOURCELESS_ACTION = /^(?:ec2:(?:Describe|Get)[A-Za-z]+|xray:Put(?:TraceSegments|TelemetryRecords))$/;

/** The resource types each EC2 write action may name (image and snapshot ARNs carry no account). */
export const EC2_WRITE_RESOURCE_TYPES: Readonly<Record<string, readonly string[]>> = {
  'ec2:CopyImage': ['image', 'snapshot'],
  'ec2:CreateTags': ['image', 'snapshot'],
  'ec2:ModifyImageAttribute': ['image'],
  'ec2:ModifySnapshotAttribute': ['snapshot'],
  'ec2:EnableImageDeprecation': ['image'],
  'ec2:DisableImage': ['image'],
  'ec2:DeregisterImage': ['image'],
  'ec2:DeleteSnapshot': ['snapshot'],
};

/** Destructive actions: only on images and snapshots carrying the tool's rule tag. */
export const TAG_GUARDED_ACTIONS = new Set([
  'ec2:DeregisterImage',
  'ec2:EnableImageDeprecation',
  'ec2:DisableImage',
  'ec2:DeleteSnapshot',
]);

function conditionsOn(statement: Statement, key: string): Array<[operator: string, value: unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [op, keys] of Object.entries(isObject(statement.Condition) ? statement.Condition : {}))
    for (const [k, value] of Object.entries(isObject(keys) ? keys : {}))
      if (k.toLowerCase() === key.toLowerCase()) out.push([op, value]);
  return out;
}

export interface IamRules {
  /** The tag key every managed image and snapshot carries (`ami-lifecycle:rule`). */
  readonly ruleTagKey: string;
  /** The `source` of the events the tool publishes. */
  readonly eventSource: string;
  /** The tool's own bus, by name. */
  readonly busName: string;
  /**
   * The KMS keys of encrypted copies (resolved ARNs): those the rules file and the kmsKeyArns param
   * name. Any other key is a finding, except the stack's own (`Fn::GetAtt` of its AWS::KMS::Key).
   */
  readonly kmsKeyArns: readonly string[];
}

/** The least-privilege rules, statement by statement, over every role a function uses. */
export function checkIamStatements(stack: Stack, rules: IamRules): string[] {
  const violations = new Set<string>();
  const logGroups = new Set(
    resourcesOfType(stack, 'AWS::Logs::LogGroup').map(([, p]) => resolveString(p.LogGroupName, stack)),
  );
  const stackLogGroups = `/aws/lambda/${stackName(stack)}-*`;
  const tables = new Set(
    resourcesOfType(stack, 'AWS::DynamoDB::Table').map(([, p]) => resolveString(p.TableName, stack)),
  );
  const account = stack.accountId;

  for (const fn of lambdaFunctions(stack)) {
    const { statements, problems } = roleStatements(stack, fn);
    for (const p of problems) violations.add(p);
    for (const s of statements.filter((s) => allows(s) && !isKeyPreflight(s, stack))) {
      const where = `${s.from}${typeof s.Sid === 'string' ? ` (${s.Sid})` : ''}`;
      const say = (message: string) => violations.add(`${where}: ${message}`);
      if (s.NotAction !== undefined || s.NotResource !== undefined) say('Allow with NotAction/NotResource');
      const resources = list(s.Resource);
      const resolved = resources.map((r) => resolveString(r, stack));
      for (const action of list(s.Action).map(String)) {
        if (action.includes('*') && !ALLOWED_WILDCARD_ACTIONS.has(action)) say(`wildcard action ${action}`);
        if (
          resources.includes('*') &&
          !RESOURCELESS_ACTION.test(action) &&
          conditionsOn(s, 'aws:CalledVia').length === 0
        )
          say(`${action} on Resource "*"`);

        const [service] = action.split(':');
        if (service === 'ec2' && !RESOURCELESS_ACTION.test(action)) {
          const types = EC2_WRITE_RESOURCE_TYPES[action];
          if (types === undefined) say(`${action}: no resource rule for this EC2 write action`);
          for (const arn of resolved) {
            const type = arn?.match(/^arn:aws:ec2:[^:]*::(image|snapshot)\/[^:]+$/)?.[1];
            if (type === undefined || !types?.includes(type))
              say(
                `${action} on ${JSON.stringify(arn)}, not an ${types?.join('/') ?? 'image/snapshot'} ARN without account`,
              );
          }
        }
        if (TAG_GUARDED_ACTIONS.has(action)) {
          const guards = [
            `aws:ResourceTag/${rules.ruleTagKey}`,
            `ec2:ResourceTag/${rules.ruleTagKey}`,
          ].flatMap((k) => conditionsOn(s, k));
          const guarded = guards.some(([op, value]) =>
            op === 'Null'
              ? value === 'false' || value === false
              : /^String(Equals|Like)$/.test(op) && value !== '',
          );
          if (!guarded)
            say(`${action} is not conditioned on the presence of aws:ResourceTag/${rules.ruleTagKey}`);
        }
        if (action === 'events:PutEvents') {
          for (const arn of resolved) {
            const m = arn?.match(/^arn:aws:events:[^:]+:([^:]+):event-bus\/([^/]+)$/);
            if (m?.[1] !== account || m[2] !== rules.busName)
              say(`${action} on ${JSON.stringify(arn)}, not the bus ${rules.busName} of this account`);
          }
          const sources = conditionsOn(s, 'events:source').filter(([op]) => op === 'StringEquals');
          if (
            sources.length === 0 ||
            !sources.every(([, v]) => isDeepStrictEqual(list(v), [rules.eventSource]))
          )
            say(`${action} is not conditioned on events:source = ${rules.eventSource}`);
        }
        if (service === 'logs') {
          for (const arn of resolved) {
            const m = arn?.match(/^arn:aws:logs:([^:]+):([^:]+):log-group:([^:]+)(:.*)?$/);
            // A log group of the stack, or all of them by the stack's name prefix; in its region and account.
            const scoped =
              m?.[1] === stack.region && m[2] === account && (logGroups.has(m[3]) || m[3] === stackLogGroups);
            if (!scoped) say(`${action} on ${JSON.stringify(arn)}, not the stack's log groups`);
          }
        }
        if (action === 'kms:CreateGrant') {
          const ok = conditionsOn(s, 'kms:GrantIsForAWSResource').some(
            ([op, v]) => op === 'Bool' && (v === 'true' || v === true),
          );
          if (!ok) say(`${action} is not conditioned on kms:GrantIsForAWSResource`);
        } else if (service === 'kms' && conditionsOn(s, 'kms:ViaService').length === 0)
          say(`${action} is not conditioned on kms:ViaService`);
        if (service === 'kms')
          resources.forEach((r, i) => {
            const arn = resolved[i];
            const att = getAttOf(r);
            if (att?.[1] === 'Arn' && typeOf(stack, att[0]) === 'AWS::KMS::Key') return;
            if (arn !== undefined && rules.kmsKeyArns.includes(arn)) return;
            // A key named by alias: the keys of one region and account, narrowed by kms:ResourceAliases.
            const byAlias =
              arn?.match(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/\*$/) &&
              conditionsOn(s, 'kms:ResourceAliases').length > 0;
            if (!byAlias)
              say(`${action} on ${JSON.stringify(arn ?? r)}, not the stack's key nor a key the rules name`);
          });
        if (service === 'sqs')
          for (const r of resources)
            if (queueOf(stack, r) === undefined)
              say(`${action} on ${JSON.stringify(r)}, not a queue of the stack`);
        if (service === 'sns')
          for (const r of resources)
            if (typeOf(stack, refOf(r)) !== 'AWS::SNS::Topic')
              say(`${action} on ${JSON.stringify(r)}, not a topic of the stack`);
        if (service === 'dynamodb')
          for (const arn of resolved) {
            const m = arn?.match(/^arn:aws:dynamodb:[^:]+:([^:]+):table\/([^/]+)$/);
            if (m?.[1] !== account || !tables.has(m[2]))
              say(`${action} on ${JSON.stringify(arn)}, not a table of the stack`);
          }
      }
    }
  }
  return [...violations];
}

/** Is `action` allowed on a resource that `matches`? */
function grants(statements: Statement[], action: string, matches: (resource: unknown) => boolean): boolean {
  return statements
    .filter(allows)
    .some((s) => list(s.Action).includes(action) && list(s.Resource).some((r) => matches(r)));
}

/** What Lambda does with a function's role: write its logs, and send failed invocations to its queue. */
export function checkRolesCoverTheFunctions(stack: Stack): string[] {
  const violations: string[] = [];
  const configs = resourcesOfType(stack, 'AWS::Lambda::EventInvokeConfig');
  for (const fn of lambdaFunctions(stack)) {
    const { statements } = roleStatements(stack, fn);
    const stream = `arn:aws:logs:${stack.region}:${stack.accountId}:log-group:/aws/lambda/${String(fn.props.FunctionName)}:log-stream:2026/01/01/[$LATEST]0123`;
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
      if (!grants(statements, action, (r) => globMatches(resolveString(r, stack) ?? '', stream)))
        violations.push(`${fn.name}: its role cannot ${action} to its own log group`);
    for (const [, config] of configs.filter(([, c]) => refOf(c.FunctionName) === fn.logicalId)) {
      const destination = isObject(config.DestinationConfig) ? config.DestinationConfig.OnFailure : undefined;
      const queue = queueOf(stack, isObject(destination) ? destination.Destination : undefined);
      if (queue !== undefined && !grants(statements, 'sqs:SendMessage', (r) => queueOf(stack, r) === queue))
        violations.push(`${fn.name}: its role cannot sqs:SendMessage to its on-failure queue ${queue}`);
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------
// Queues, alarms, log groups

export const FOURTEEN_DAYS = 14 * 24 * 3600;

function alarms(stack: Stack): Array<[string, Props]> {
  return resourcesOfType(stack, 'AWS::CloudWatch::Alarm');
}

/** Does the alarm go off on a single message or error (a count of 1 over its period)? */
function firesOnOne(alarm: Props): boolean {
  const threshold = alarm.Threshold;
  if (typeof threshold !== 'number') return false;
  if (alarm.ComparisonOperator === 'GreaterThanOrEqualToThreshold') return threshold <= 1;
  if (alarm.ComparisonOperator === 'GreaterThanThreshold') return threshold < 1;
  return false;
}

function alarmFor(
  stack: Stack,
  namespace: string,
  metric: string,
  dimension: string,
  isTarget: (value: unknown) => boolean,
  topic: string,
): string | undefined {
  const candidates = alarms(stack).filter(
    ([, a]) =>
      a.Namespace === namespace &&
      a.MetricName === metric &&
      list(a.Dimensions).some((d) => isObject(d) && d.Name === dimension && isTarget(d.Value)),
  );
  if (candidates.length === 0) return `no ${namespace} ${metric} alarm`;
  const good = candidates.some(
    ([, a]) => firesOnOne(a) && list(a.AlarmActions).some((x) => refOf(x) === topic),
  );
  return good ? undefined : `its ${metric} alarm does not fire on 1 or does not notify ${topic}`;
}

/** Every queue keeps messages 14 days and alarms on a visible message; every function alarms on errors. */
export function checkQueuesAndAlarms(stack: Stack, notificationsTopic: string): string[] {
  const violations: string[] = [];
  if (typeOf(stack, notificationsTopic) !== 'AWS::SNS::Topic')
    violations.push(`${notificationsTopic}: not an SNS topic of the stack`);
  const workQueues = new Set(sqsEventSources(stack).map((source) => source.queue));
  for (const [id, queue] of resourcesOfType(stack, 'AWS::SQS::Queue')) {
    if (workQueues.has(id)) continue; // checkWorkQueues: its dead-letter queue keeps 14 days and alarms
    if (queue.MessageRetentionPeriod !== FOURTEEN_DAYS)
      violations.push(
        `${id}: MessageRetentionPeriod ${String(queue.MessageRetentionPeriod)}, not ${FOURTEEN_DAYS}`,
      );
    const problem = alarmFor(
      stack,
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      'QueueName',
      (v) => isDeepStrictEqual(getAttOf(v), [id, 'QueueName']),
      notificationsTopic,
    );
    if (problem !== undefined) violations.push(`${id}: ${problem}`);
  }
  for (const fn of lambdaFunctions(stack)) {
    const problem = alarmFor(
      stack,
      'AWS/Lambda',
      'Errors',
      'FunctionName',
      (v) => refOf(v) === fn.logicalId,
      notificationsTopic,
    );
    if (problem !== undefined) violations.push(`${fn.name}: ${problem}`);
  }
  return violations;
}

/** Every function has its log group, with this retention, created before the function. */
export function checkLogGroups(stack: Stack, retentionInDays: number): string[] {
  const violations: string[] = [];
  const groups = resourcesOfType(stack, 'AWS::Logs::LogGroup');
  for (const fn of lambdaFunctions(stack)) {
    const name = `/aws/lambda/${String(fn.props.FunctionName)}`;
    const group = groups.find(([, g]) => resolveString(g.LogGroupName, stack) === name);
    if (group === undefined) {
      violations.push(`${fn.name}: no log group ${name}`);
      continue;
    }
    const [id, props] = group;
    if (props.RetentionInDays !== retentionInDays)
      violations.push(`${id}: RetentionInDays ${String(props.RetentionInDays)}, not ${retentionInDays}`);
    if (!list(stack.template.Resources[fn.logicalId]?.DependsOn).includes(id))
      violations.push(`${fn.name}: does not depend on its log group ${id}`);
  }
  return violations;
}
