/**
 * Reads `serverless.yml` (the one source of truth for which function reacts to which event) into the
 * rules the local event bus runs: each function's handler module, its `eventBridge` rules with
 * compiled patterns, and its `schedule` rules.
 *
 * - CloudFormation short-form tags (`!Ref`, `!GetAtt`, `!Sub`, …) load as opaque {@link CfnIntrinsic}
 *   values; they are never evaluated.
 * - `${…}` variables are resolved when simple (`sls:stage`, `opt:stage`, `opt:region`, `aws:region`,
 *   `self:service`, `self:<path>`, `param:<name>`, each with an optional `, 'fallback'`); anything
 *   else is left as written.
 * - The shape is validated with zod (strict objects, as osls is), and every pattern is compiled, so a
 *   typo or an invalid pattern fails loudly with the function and field named.
 * - `resources.Resources` is exposed as declared (type, properties after variables), and each
 *   function's `destinations` as written, so the local stack can create the tables, queues and
 *   topics and resolve `!Ref`/`!GetAtt` to them (see `resources.ts`).
 */
import { readFile } from 'node:fs/promises';
import {
  compilePattern,
  type EventPattern,
  InvalidEventPatternError,
  isPlainObject,
} from '@ami-lifecycle/event-pattern';
import { type CollectionTag, parseDocument, type ScalarTag } from 'yaml';
import { z } from 'zod';

/** A CloudFormation intrinsic function, kept as written (`!Ref X` → `{ fn: 'Ref', value: 'X' }`). */
export class CfnIntrinsic {
  constructor(
    readonly fn: string,
    readonly value: unknown,
  ) {}

  /** The long form, as CloudFormation writes it: `{ "Ref": "X" }`. */
  toJSON(): Record<string, unknown> {
    return { [this.fn]: this.value };
  }

  toString(): string {
    return `!${this.fn.replace(/^Fn::/, '')} ${JSON.stringify(this.value)}`;
  }
}

export class ServerlessConfigError extends Error {
  override readonly name = 'ServerlessConfigError';
}

export interface LoadOptions {
  /** `--stage`; defaults to `provider.stage`, then `dev`. */
  stage?: string;
  /** `--region`; defaults to `provider.region`, then `us-east-1`. */
  region?: string;
}

/** The default bus, or the tool's own bus (any `eventBus` other than `default`). */
export type BusKind = 'default' | 'custom';

export interface EventRuleConfig {
  /** A name for traces: `name:` if given, else `<function>-rule-<n>`. */
  ruleName: string;
  functionName: string;
  bus: BusKind;
  /** The bus name when it can be told locally (a plain name, an ARN, or a `!Ref` to a bus with a Name). */
  eventBusName: string | undefined;
  pattern: EventPattern;
  /** The target receives this constant instead of the event (`input`). */
  input?: unknown;
  /** The target receives this part of the event (`inputPath`, `$` or `$.a.b`). */
  inputPath?: string;
  enabled: boolean;
  maximumRetryAttempts: number;
}

export interface ScheduleRuleConfig {
  ruleName: string;
  functionName: string;
  /** `rate(…)` / `cron(…)` expressions, as written. */
  expressions: Array<string | CfnIntrinsic>;
  /** The target receives this constant instead of the `Scheduled Event` (`input`). */
  input?: unknown;
  enabled: boolean;
  maximumRetryAttempts: number;
}

/** The kinds of Lambda destination osls accepts. */
export type DestinationType = 'function' | 'sqs' | 'sns' | 'eventBus';

/** A function's `destinations.onFailure` / `onSuccess`, as written (the ARN may be an intrinsic). */
export interface DestinationConfig {
  type: DestinationType;
  /** An ARN (or a function name for `function`), or an intrinsic such as `!GetAtt Queue.Arn`. */
  arn: string | CfnIntrinsic;
}

/** One entry of `resources.Resources`. */
export interface ResourceConfig {
  logicalId: string;
  /** `AWS::SQS::Queue`, … */
  type: string;
  /** `Properties`, after `${…}` variables; intrinsics kept as {@link CfnIntrinsic}. */
  properties: Record<string, unknown>;
}

export interface FunctionConfig {
  /** The key under `functions:`. */
  name: string;
  /** The Lambda function name: `name:` if given, else `<service>-<stage>-<key>`. */
  deployedName: string;
  /** As written, for example `functions/ami-state-change.handler`. */
  handler: string;
  /** The handler module relative to the service directory, for example `functions/ami-state-change.ts`. */
  modulePath: string;
  /** The module path without extension, for example `functions/ami-state-change`. */
  moduleBase: string;
  /** The exported function name, for example `handler`. */
  exportName: string;
  timeoutSeconds: number;
  /** Lambda async retries (0 to 2; Lambda's default is 2). */
  maximumRetryAttempts: number;
  /**
   * `provider.environment` merged with the function's `environment` (variables resolved where
   * simple; `!Ref`/`!GetAtt` kept as {@link CfnIntrinsic} for the local stack to resolve).
   */
  environment: Record<string, unknown>;
  /** Where Lambda sends the record of an asynchronous invocation that failed after its retries. */
  onFailure?: DestinationConfig;
  onSuccess?: DestinationConfig;
  eventRules: EventRuleConfig[];
  schedules: ScheduleRuleConfig[];
}

export interface ServerlessConfig {
  /** The file that was read (or `<inline>`). */
  path: string;
  service: string;
  stage: string;
  region: string;
  /**
   * The tool's bus name: the one bus every custom-bus rule names, or, with no such rules, the one
   * `AWS::Events::EventBus` under `resources` (when its `Name` is literal after variables).
   */
  customBusName: string | undefined;
  functions: FunctionConfig[];
  eventRules: EventRuleConfig[];
  schedules: ScheduleRuleConfig[];
  /** `resources.Resources`, in file order. */
  resources: ResourceConfig[];
}

// ---------------------------------------------------------------------------------------------------
// YAML with CloudFormation tags

const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  ImportValue: 'Fn::ImportValue',
  If: 'Fn::If',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  GetAZs: 'Fn::GetAZs',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  Transform: 'Fn::Transform',
  ToJsonString: 'Fn::ToJsonString',
  Length: 'Fn::Length',
};

const cfnTags = Object.entries(INTRINSICS).flatMap(
  ([short, fn]): Array<ScalarTag | CollectionTag> => [
    { tag: `!${short}`, identify: () => false, resolve: (value: string) => new CfnIntrinsic(fn, value) },
    {
      tag: `!${short}`,
      collection: 'seq',
      identify: () => false,
      resolve: (node) => new CfnIntrinsic(fn, node.toJSON()),
    },
    {
      tag: `!${short}`,
      collection: 'map',
      identify: () => false,
      resolve: (node) => new CfnIntrinsic(fn, node.toJSON()),
    },
  ],
);

function parseYaml(text: string, path: string): unknown {
  const doc = parseDocument(text, { customTags: cfnTags, prettyErrors: true });
  const [first] = doc.errors;
  if (first) throw new ServerlessConfigError(`${path}: invalid YAML: ${first.message}`);
  return doc.toJS({ maxAliasCount: 1000 });
}

// ---------------------------------------------------------------------------------------------------
// Variables

interface VariableContext {
  root: unknown;
  /** `${opt:…}`: only what the caller passed, so `${opt:stage, 'dev'}` falls back when nothing was. */
  options: LoadOptions;
  stage: string | undefined;
  region: string | undefined;
  params: Record<string, unknown>;
}

function lookup(root: unknown, dotted: string): unknown {
  let current: unknown = root;
  for (const part of dotted.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

function resolveReference(reference: string, context: VariableContext): string | undefined {
  const [source, ...rest] = reference.split(':');
  const name = rest.join(':');
  let value: unknown;
  switch (source) {
    case 'sls':
      value = name === 'stage' ? context.stage : undefined;
      break;
    case 'opt':
      value =
        name === 'stage' ? context.options.stage : name === 'region' ? context.options.region : undefined;
      break;
    case 'aws':
      value = name === 'region' ? context.region : undefined;
      break;
    case 'self':
      value = lookup(context.root, name);
      break;
    case 'param':
      value = context.params[name];
      break;
    default:
      value = undefined;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return undefined;
}

/** `${ref}` or `${ref, 'fallback'}` / `${ref, fallback}`: innermost first, so fallbacks may nest. */
function resolveString(text: string, context: VariableContext): unknown {
  let current = text;
  for (let round = 0; round < 10; round++) {
    let changed = false;
    current = current.replace(/\$\{([^${}]+)\}/g, (whole, body: string) => {
      const [reference = '', ...fallbacks] = body.split(',').map((part) => part.trim());
      const resolved = resolveReference(reference, context);
      if (resolved !== undefined) {
        changed = true;
        return resolved;
      }
      const fallback = fallbacks.join(',').trim();
      if (fallback !== '') {
        changed = true;
        return fallback.replace(/^(['"])(.*)\1$/, '$2');
      }
      return whole;
    });
    if (!changed) break;
  }
  return current;
}

function resolveVariables(value: unknown, context: VariableContext): unknown {
  if (typeof value === 'string') return value.includes('${') ? resolveString(value, context) : value;
  if (Array.isArray(value)) return value.map((item) => resolveVariables(item, context));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVariables(v, context)]));
  if (value instanceof CfnIntrinsic)
    return new CfnIntrinsic(value.fn, resolveVariables(value.value, context));
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Schema (the parts of osls's schema the local bus uses; strict, so typos are caught)

/** osls's allowed top-level pattern keys. */
const PATTERN_TOP_LEVEL_KEYS = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
  '$or',
];

const intrinsic = z.instanceof(CfnIntrinsic);
const scheduleExpression = z
  .string()
  .regex(/^(?:cron|rate)\(.+\)$/, 'must be rate(...) or cron(...)')
  .or(intrinsic);
const inputTransformer = z.strictObject({
  inputTemplate: z.string().max(8192),
  inputPathsMap: z.record(z.string(), z.string()).optional(),
});

const eventBridgeEvent = z
  .strictObject({
    eventBus: z.union([z.string(), intrinsic]).optional(),
    schedule: scheduleExpression.optional(),
    pattern: z.record(z.string(), z.unknown()).optional(),
    input: z.unknown().optional(),
    inputPath: z.string().max(256).optional(),
    inputTransformer: inputTransformer.optional(),
    name: z
      .string()
      .max(64)
      .regex(/^[a-zA-Z0-9\-_.]+$/)
      .optional(),
    description: z.string().max(512).optional(),
    enabled: z.boolean().optional(),
    retryPolicy: z
      .strictObject({
        maximumEventAge: z.number().int().min(60).max(86400).optional(),
        maximumRetryAttempts: z.number().int().min(0).max(185).optional(),
      })
      .optional(),
    deadLetterQueueArn: z.union([z.string(), intrinsic]).optional(),
  })
  .refine((event) => event.pattern !== undefined || event.schedule !== undefined, {
    message: 'needs a pattern or a schedule',
  })
  .refine((event) => event.pattern === undefined || Object.keys(event.pattern).length > 0, {
    message: 'pattern must not be empty',
    path: ['pattern'],
  })
  .refine(
    (event) =>
      event.pattern === undefined ||
      Object.keys(event.pattern).every((key) => PATTERN_TOP_LEVEL_KEYS.includes(key)),
    {
      message: `pattern keys must be among ${PATTERN_TOP_LEVEL_KEYS.join(', ')}`,
      path: ['pattern'],
    },
  );

const scheduleEvent = z.union([
  scheduleExpression,
  z.strictObject({
    rate: z.union([scheduleExpression, z.array(scheduleExpression).min(1)]),
    enabled: z.boolean().optional(),
    name: z.string().max(64).optional(),
    description: z.string().max(512).optional(),
    input: z.union([z.string().max(8192), z.record(z.string(), z.unknown())]).optional(),
    inputPath: z.string().max(256).optional(),
    inputTransformer: inputTransformer.optional(),
    method: z.enum(['eventBus', 'scheduler']).optional(),
    roleArn: z.union([z.string(), intrinsic]).optional(),
    timezone: z.string().optional(),
  }),
]);

/** Other event types (http, sqs, …) are not the local bus's business and pass through unchecked. */
const functionEvent = z.record(z.string(), z.unknown());

const destinationType = z.enum(['function', 'sqs', 'sns', 'eventBus']);
const destination = z.union([
  z.string().min(1),
  z.strictObject({ type: destinationType.optional(), arn: z.union([z.string().min(1), intrinsic]) }),
]);

const functionSchema = z.looseObject({
  handler: z.string().regex(/^[^.]+(?:\.[^.]+)*\.[A-Za-z_$][\w$]*$/, 'must be <module path>.<export name>'),
  name: z.string().optional(),
  timeout: z.number().int().positive().optional(),
  maximumRetryAttempts: z.number().int().min(0).max(2).optional(),
  environment: z.record(z.string(), z.unknown()).optional(),
  events: z.array(functionEvent).optional(),
  destinations: z
    .strictObject({ onSuccess: destination.optional(), onFailure: destination.optional() })
    .optional(),
});

const serverlessSchema = z.looseObject({
  service: z.union([z.string(), z.strictObject({ name: z.string() })]),
  params: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  provider: z
    .looseObject({
      stage: z.string().optional(),
      region: z.string().optional(),
      timeout: z.number().int().positive().optional(),
      environment: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  functions: z.record(z.string(), functionSchema).optional(),
  resources: z.looseObject({ Resources: z.record(z.string(), z.unknown()).optional() }).optional(),
});

function formatIssues(prefix: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('');
      return `${prefix}${path}: ${issue.message}`;
    })
    .join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string, file: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ServerlessConfigError(`${file}: ${formatIssues(where, result.error)}`);
  return result.data;
}

// ---------------------------------------------------------------------------------------------------
// Buses

const BUS_ARN = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/;

/** A bus name from a name or an ARN (`arn:aws:events:…:event-bus/NAME` → `NAME`). */
export function busNameOf(nameOrArn: string): string {
  return BUS_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;
}

function resolveBus(
  eventBus: string | CfnIntrinsic | undefined,
  resources: Record<string, unknown>,
): { bus: BusKind; eventBusName: string | undefined } {
  if (eventBus === undefined) return { bus: 'default', eventBusName: 'default' };
  if (typeof eventBus === 'string') {
    const name = busNameOf(eventBus);
    return { bus: name === 'default' ? 'default' : 'custom', eventBusName: name };
  }
  // !Ref X or !GetAtt X.Name / [X, Name] of a bus declared under resources: read its Name if literal.
  const { fn, value } = eventBus;
  let logicalId: string | undefined;
  if (fn === 'Ref' && typeof value === 'string') logicalId = value;
  if (fn === 'Fn::GetAtt') {
    const parts = typeof value === 'string' ? value.split('.') : Array.isArray(value) ? value : [];
    if (parts[1] === 'Name' && typeof parts[0] === 'string') logicalId = parts[0];
  }
  const resource = logicalId === undefined ? undefined : resources[logicalId];
  const name = isPlainObject(resource) ? lookup(resource, 'Properties.Name') : undefined;
  return { bus: 'custom', eventBusName: typeof name === 'string' && !name.includes('${') ? name : undefined };
}

// ---------------------------------------------------------------------------------------------------
// Destinations

/** The destination type an ARN names: `arn:aws:sqs:…` → sqs, `:sns:` → sns, `:events:` → eventBus, else a function. */
function destinationTypeOf(arn: string): DestinationType {
  const service = /^arn:aws[\w-]*:([^:]+):/.exec(arn)?.[1];
  if (service === 'sqs' || service === 'sns') return service;
  if (service === 'events') return 'eventBus';
  return 'function';
}

function parseDestination(
  value: z.infer<typeof destination> | undefined,
  where: string,
  path: string,
): DestinationConfig | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { type: destinationTypeOf(value), arn: value };
  if (value.type !== undefined) return { type: value.type, arn: value.arn };
  if (typeof value.arn === 'string') return { type: destinationTypeOf(value.arn), arn: value.arn };
  // osls needs the type when the ARN is computed: it cannot be read from an intrinsic.
  throw new ServerlessConfigError(`${path}: ${where}.type: required when arn is ${value.arn.toString()}`);
}

// ---------------------------------------------------------------------------------------------------
// Loading

/** Parses `serverless.yml` text. `path` is used in messages only. */
export function parseServerlessConfig(
  text: string,
  options: LoadOptions = {},
  path = '<inline>',
): ServerlessConfig {
  const raw = parseYaml(text, path);
  if (!isPlainObject(raw)) throw new ServerlessConfigError(`${path}: the document must be a mapping`);

  // Stage and region first (they may themselves use ${opt:…, 'default'}), then everything else.
  const provider = isPlainObject(raw.provider) ? raw.provider : {};
  const bootstrap: VariableContext = { root: raw, options, stage: undefined, region: undefined, params: {} };
  const providerStage = resolveVariables(provider.stage, bootstrap);
  const providerRegion = resolveVariables(provider.region, bootstrap);
  const stage = options.stage ?? (typeof providerStage === 'string' ? providerStage : 'dev');
  const region = options.region ?? (typeof providerRegion === 'string' ? providerRegion : 'us-east-1');
  const params = isPlainObject(raw.params) ? raw.params : {};
  const stageParams = {
    ...(isPlainObject(params.default) ? params.default : {}),
    ...(isPlainObject(params[stage]) ? params[stage] : {}),
  };
  const resolved = resolveVariables(raw, { root: raw, options, stage, region, params: stageParams });

  const config = parseWith(serverlessSchema, resolved, '', path);
  const service = typeof config.service === 'string' ? config.service : config.service.name;
  const resources = config.resources?.Resources ?? {};
  const providerEnvironment = config.provider?.environment ?? {};

  const functions: FunctionConfig[] = Object.entries(config.functions ?? {}).map(([name, fn]) => {
    const where = `functions.${name}`;
    const dot = fn.handler.lastIndexOf('.');
    const moduleBase = fn.handler.slice(0, dot).replace(/^\.\//, '');
    const maximumRetryAttempts = fn.maximumRetryAttempts ?? 2;
    const eventRules: EventRuleConfig[] = [];
    const schedules: ScheduleRuleConfig[] = [];

    (fn.events ?? []).forEach((event, index) => {
      const eventWhere = `${where}.events[${index}]`;
      if ('eventBridge' in event) {
        const eb = parseWith(eventBridgeEvent, event.eventBridge, `${eventWhere}.eventBridge`, path);
        if (eb.inputTransformer !== undefined)
          throw new ServerlessConfigError(
            `${path}: ${eventWhere}.eventBridge.inputTransformer: not supported by the local event bus`,
          );
        const enabled = eb.enabled ?? true;
        if (eb.schedule !== undefined) {
          schedules.push({
            ruleName: eb.name ?? `${name}-schedule-${schedules.length + 1}`,
            functionName: name,
            expressions: [eb.schedule],
            ...(eb.input !== undefined ? { input: eb.input } : {}),
            enabled,
            maximumRetryAttempts,
          });
        }
        if (eb.pattern !== undefined) {
          let pattern: EventPattern;
          try {
            pattern = compilePattern(eb.pattern);
          } catch (error) {
            if (error instanceof InvalidEventPatternError) {
              const at = error.path.replace(/^\$/, `${eventWhere}.eventBridge.pattern`);
              throw new ServerlessConfigError(`${path}: ${at}: ${error.message}`, { cause: error });
            }
            throw error;
          }
          eventRules.push({
            ruleName: eb.name ?? `${name}-rule-${eventRules.length + 1}`,
            functionName: name,
            ...resolveBus(eb.eventBus, resources),
            pattern,
            ...(eb.input !== undefined ? { input: eb.input } : {}),
            ...(eb.inputPath !== undefined ? { inputPath: eb.inputPath } : {}),
            enabled,
            maximumRetryAttempts,
          });
        }
      } else if ('schedule' in event) {
        const schedule = parseWith(scheduleEvent, event.schedule, `${eventWhere}.schedule`, path);
        const object =
          typeof schedule === 'string' || schedule instanceof CfnIntrinsic ? undefined : schedule;
        if (object?.inputTransformer !== undefined)
          throw new ServerlessConfigError(
            `${path}: ${eventWhere}.schedule.inputTransformer: not supported by the local event bus`,
          );
        const rate = object === undefined ? schedule : object.rate;
        const expressions = Array.isArray(rate) ? rate : [rate];
        schedules.push({
          ruleName: object?.name ?? `${name}-schedule-${schedules.length + 1}`,
          functionName: name,
          expressions: expressions.filter((e) => typeof e === 'string' || e instanceof CfnIntrinsic),
          ...(object?.input !== undefined ? { input: object.input } : {}),
          enabled: object?.enabled ?? true,
          maximumRetryAttempts,
        });
      }
    });

    const onFailure = parseDestination(fn.destinations?.onFailure, `${where}.destinations.onFailure`, path);
    const onSuccess = parseDestination(fn.destinations?.onSuccess, `${where}.destinations.onSuccess`, path);
    return {
      name,
      deployedName: fn.name ?? `${service}-${stage}-${name}`,
      handler: fn.handler,
      moduleBase,
      modulePath: `${moduleBase}.ts`,
      exportName: fn.handler.slice(dot + 1),
      timeoutSeconds: fn.timeout ?? config.provider?.timeout ?? 6,
      maximumRetryAttempts,
      environment: { ...providerEnvironment, ...(fn.environment ?? {}) },
      ...(onFailure !== undefined ? { onFailure } : {}),
      ...(onSuccess !== undefined ? { onSuccess } : {}),
      eventRules,
      schedules,
    };
  });

  const customNames = new Set(
    functions
      .flatMap((fn) => fn.eventRules)
      .flatMap((rule) => (rule.bus === 'custom' ? [rule.eventBusName] : [])),
  );
  // Without custom-bus rules, the one EventBus the stack declares is the tool's bus.
  if (customNames.size === 0) {
    for (const resource of Object.values(resources)) {
      if (!isPlainObject(resource) || resource.Type !== 'AWS::Events::EventBus') continue;
      const name = lookup(resource, 'Properties.Name');
      customNames.add(typeof name === 'string' && !name.includes('${') ? name : undefined);
    }
  }
  const [onlyName] = customNames;
  return {
    path,
    service,
    stage,
    region,
    customBusName: customNames.size === 1 ? onlyName : undefined,
    functions,
    eventRules: functions.flatMap((fn) => fn.eventRules),
    schedules: functions.flatMap((fn) => fn.schedules),
    resources: Object.entries(resources).flatMap(([logicalId, resource]): ResourceConfig[] => {
      if (!isPlainObject(resource) || typeof resource.Type !== 'string') return [];
      const properties = isPlainObject(resource.Properties) ? resource.Properties : {};
      return [{ logicalId, type: resource.Type, properties }];
    }),
  };
}

/** Reads and parses the `serverless.yml` at `path`. */
export async function loadServerlessConfig(
  path: string,
  options: LoadOptions = {},
): Promise<ServerlessConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ServerlessConfigError(
      `${path}: cannot read: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return parseServerlessConfig(text, options, path);
}
