/**
 * A local EventBridge event bus: the rules of `serverless.yml`, run in-process.
 *
 * `put(bus, event)` matches the event against every enabled rule on that bus and invokes each matching
 * function *asynchronously*, as EventBridge → Lambda does: `put` returns before any handler runs. A
 * failed invocation is retried like Lambda's async retries (up to the function's
 * `maximumRetryAttempts`, default 2), after a short configurable delay instead of Lambda's 1 and 2
 * minutes. `drain()` waits until every delivery started so far has finished, including deliveries
 * triggered from inside other deliveries. Every delivery is recorded for a demo or a test to read.
 *
 * A delivery that still fails after its retries, for a function with a `destinations.onFailure`, is
 * handed to `onFailureDestination` as the invocation record Lambda sends (its documented format,
 * condition `RetriesExhausted`), so the local stack can put it on the SQS queue the function names.
 *
 * Two buses exist: `default`, and the tool's own bus (every rule whose `eventBus` is not `default`).
 * Without `customBusName`, any other bus name (or ARN) reaches the tool's bus; with it, other names
 * are rejected like a bus that does not exist.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compilePattern, type EventPattern, isPlainObject } from '@ami-lifecycle/event-pattern';
import type { Context } from 'aws-lambda';
import {
  busNameOf,
  type DestinationConfig,
  type FunctionConfig,
  type ServerlessConfig,
} from './serverless-config.js';

/** An event as the bus carries it (the envelope of every file in `shared/events`). */
export interface BusEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** What `put` accepts: `source` and `detail-type` are required; the rest is filled in. */
export type BusEventInput = Pick<BusEvent, 'source' | 'detail-type'> & Partial<BusEvent>;

/** A rule as the bus needs it; `EventRuleConfig` from the serverless config is one. */
export interface LocalRule {
  ruleName: string;
  functionName: string;
  bus: 'default' | 'custom';
  /** A compiled pattern, or a pattern to compile. */
  pattern: EventPattern | Record<string, unknown>;
  input?: unknown;
  inputPath?: string;
  enabled?: boolean;
  maximumRetryAttempts?: number;
}

export interface LocalSchedule {
  ruleName: string;
  functionName: string;
  input?: unknown;
  enabled?: boolean;
  maximumRetryAttempts?: number;
}

/** Calls a function with an event; rejects (throws) when the invocation fails. */
export type InvokeFunction = (functionName: string, event: unknown, context: Context) => Promise<unknown>;

export interface ErrorSummary {
  name: string;
  message: string;
}

export interface DeliveryRecord {
  /** When the delivery started (ISO 8601). */
  time: string;
  finishedAt: string;
  bus: string;
  rule: string;
  functionName: string;
  eventId: string;
  detailType: string;
  source: string;
  trigger: 'event' | 'schedule';
  /** Invocations made: 1 plus the retries. */
  attempts: number;
  outcome: 'success' | 'error';
  /** The handler's return value, on success. */
  result?: unknown;
  /** The last attempt's error, on failure. */
  error?: ErrorSummary;
  /** Every failed attempt's error, in order (retried attempts included). */
  attemptErrors: ErrorSummary[];
  /** On a failure handed to the function's on-failure destination: where it went, or why it did not. */
  deadLetter?: { destinationArn?: string; messageId?: string; error?: ErrorSummary };
}

/**
 * What Lambda sends to an on-failure destination after an asynchronous invocation's last retry
 * failed (AWS Lambda Developer Guide, "Invocation record"). `requestPayload` is the event the
 * function was given; `responsePayload` the Node.js runtime's error response (its `trace` is left
 * empty locally: the stack lines would be this machine's paths).
 */
export interface InvocationRecord {
  version: '1.0';
  /** ISO 8601 with milliseconds. */
  timestamp: string;
  requestContext: {
    /** The request id of the asynchronous invocation (its first attempt's, locally). */
    requestId: string;
    /** `arn:aws:lambda:<region>:<account>:function:<deployed name>:$LATEST`. */
    functionArn: string;
    condition: 'RetriesExhausted';
    /** Attempts made: 1 plus the retries. */
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string; trace: string[] };
}

/** A failed delivery for the on-failure destination of its function. */
export interface DeadLetterRequest {
  functionName: string;
  destination: DestinationConfig;
  /** The region whose function failed: the event's (the bus's region for schedules). */
  region: string;
  record: InvocationRecord;
}

/** Sends a record to its destination; throws (or rejects) when it cannot. */
export type OnFailureSender = (
  request: DeadLetterRequest,
) => { destinationArn: string; messageId: string } | Promise<{ destinationArn: string; messageId: string }>;

/** One failure handed to the on-failure destination, sent or not. */
export interface DeadLetterRecord {
  time: string;
  functionName: string;
  rule: string;
  eventId: string;
  region: string;
  destination: DestinationConfig;
  outcome: 'sent' | 'error';
  destinationArn?: string;
  messageId?: string;
  error?: ErrorSummary;
  record: InvocationRecord;
}

export interface PutRecord {
  time: string;
  bus: string;
  event: BusEvent;
  /** The rules whose pattern matched (and so the deliveries started). */
  matchedRules: string[];
}

export interface PutResult extends PutRecord {
  /** Resolves when this event's deliveries (not their follow-ups) have finished. */
  delivered: Promise<DeliveryRecord[]>;
}

export type BusListener = (record: PutRecord) => void;

export class EventBusNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

export interface LocalEventBusOptions {
  rules: readonly LocalRule[];
  schedules?: readonly LocalSchedule[];
  /** Function configs, for the default `invoke` and for the Lambda context (name, timeout). */
  functions?: readonly FunctionConfig[];
  /** Defaults to importing the handler module from `root` (see {@link createModuleInvoker}). */
  invoke?: InvokeFunction;
  /** The directory handler paths are relative to (the one holding `serverless.yml`); defaults to the cwd. */
  root?: string;
  accountId?: string;
  region?: string;
  /** When set, only `default` and this bus exist. */
  customBusName?: string;
  /** Delay before retry n is `n × retryDelayMs` (Lambda waits 1 then 2 minutes). Default 20 ms. */
  retryDelayMs?: number;
  /** Called as each delivery finishes, for live logs. */
  onDelivery?: (record: DeliveryRecord) => void;
  /**
   * Sends the invocation record of a delivery that failed after its retries, for functions with a
   * `destinations.onFailure`. Without it, failures are recorded and go nowhere.
   */
  onFailureDestination?: OnFailureSender;
  /** Called after each failure was handed to `onFailureDestination` (after `onDelivery`). */
  onDeadLetter?: (record: DeadLetterRecord) => void;
  now?: () => Date;
  newId?: () => string;
}

export interface LocalEventBus {
  put(busName: string, event: BusEventInput): PutResult;
  /** Fires the function's enabled schedule rules now; resolves when those deliveries have finished. */
  runSchedule(functionName: string): Promise<DeliveryRecord[]>;
  /** Fires every enabled schedule rule once (one period has passed); resolves when they have finished. */
  tick(): Promise<DeliveryRecord[]>;
  /** Resolves when no delivery is in flight, including deliveries started while draining. */
  drain(): Promise<void>;
  subscribe(listener: BusListener): () => void;
  /** Every finished delivery, in the order they finished. */
  deliveries(): readonly DeliveryRecord[];
  /** Every event put, in order. */
  events(): readonly PutRecord[];
  /** Every failure handed to an on-failure destination, in order. */
  deadLetters(): readonly DeadLetterRecord[];
  /** The bus a name or ARN refers to: `default`, the custom bus, or undefined when it does not exist. */
  resolveBus(nameOrArn: string): 'default' | 'custom' | undefined;
  readonly accountId: string;
  readonly region: string;
}

/** The time format of EventBridge envelopes: `2015-10-08T16:53:06Z`. */
export function envelopeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A Lambda context for an in-process invocation. */
export function lambdaContext(options: {
  functionName: string;
  timeoutSeconds?: number;
  awsRequestId: string;
  region: string;
  accountId: string;
}): Context {
  const { functionName, awsRequestId, region, accountId } = options;
  const deadline = Date.now() + (options.timeoutSeconds ?? 6) * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const HANDLER_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * The default `invoke`: imports the function's handler module (`functions/x.handler` →
 * `<root>/functions/x.ts`, then `.mts`, `.js`, `.mjs`) once, like a warm Lambda container, and
 * calls the export with the event and context.
 */
export function createModuleInvoker(root: string, functions: readonly FunctionConfig[]): InvokeFunction {
  const handlers = new Map<string, Promise<(event: unknown, context: Context) => Promise<unknown>>>();
  const load = async (fn: FunctionConfig) => {
    const file = HANDLER_EXTENSIONS.map((ext) => resolve(root, `${fn.moduleBase}${ext}`)).find((candidate) =>
      existsSync(candidate),
    );
    if (file === undefined)
      throw new Error(
        `handler module for ${fn.name} not found: ${join(root, fn.moduleBase)}.{ts,mts,js,mjs}`,
      );
    const module: unknown = await import(pathToFileURL(file).href);
    const exported: unknown =
      typeof module === 'object' && module !== null ? Reflect.get(module, fn.exportName) : undefined;
    if (typeof exported !== 'function')
      throw new Error(`${file} does not export a function named ${fn.exportName} (handler ${fn.handler})`);
    return async (event: unknown, context: Context): Promise<unknown> => {
      const result: unknown = await Reflect.apply(exported, undefined, [event, context]);
      return result;
    };
  };
  return async (functionName, event, context) => {
    let handler = handlers.get(functionName);
    if (handler === undefined) {
      const fn = functions.find((candidate) => candidate.name === functionName);
      if (fn === undefined) throw new Error(`unknown function ${functionName}`);
      handler = load(fn);
      handlers.set(functionName, handler);
      handler.catch(() => handlers.delete(functionName)); // a failed import is retried next time
    }
    return (await handler)(event, context);
  };
}

function summarize(error: unknown): ErrorSummary {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The value the target receives, as JSON (so handlers get a private copy, as over the wire). */
function toWire(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

/** A handler's return value as JSON, or a description when it is not serialisable. */
function resultForRecord(result: unknown): unknown {
  try {
    return toWire(result);
  } catch (error) {
    return `<result not serialisable as JSON: ${error instanceof Error ? error.message : String(error)}>`;
  }
}

function applyInputPath(event: unknown, inputPath: string): unknown {
  if (inputPath === '$') return event;
  let current: unknown = event;
  for (const part of inputPath.slice(2).split('.'))
    current = isPlainObject(current) ? current[part] : undefined;
  return current;
}

function constantInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    const parsed: unknown = JSON.parse(input);
    return parsed;
  } catch {
    return input;
  }
}

interface CompiledRule {
  ruleName: string;
  functionName: string;
  bus: 'default' | 'custom';
  pattern: EventPattern;
  input?: unknown;
  inputPath?: string;
  enabled: boolean;
  maximumRetryAttempts: number;
}

function isCompiled(pattern: EventPattern | Record<string, unknown>): pattern is EventPattern {
  return typeof pattern.matches === 'function' && 'source' in pattern;
}

export function createLocalEventBus(options: LocalEventBusOptions): LocalEventBus {
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const retryDelayMs = options.retryDelayMs ?? 20;
  const functions = options.functions ?? [];
  const invoke = options.invoke ?? createModuleInvoker(options.root ?? process.cwd(), functions);

  const rules: CompiledRule[] = options.rules.map((rule) => {
    if (rule.inputPath !== undefined && !/^\$(?:\.[^.[\]]+)*$/.test(rule.inputPath))
      throw new Error(
        `rule ${rule.ruleName}: inputPath ${rule.inputPath} is not supported locally (use $ or $.a.b)`,
      );
    return {
      ruleName: rule.ruleName,
      functionName: rule.functionName,
      bus: rule.bus,
      pattern: isCompiled(rule.pattern) ? rule.pattern : compilePattern(rule.pattern),
      ...(rule.input !== undefined ? { input: rule.input } : {}),
      ...(rule.inputPath !== undefined ? { inputPath: rule.inputPath } : {}),
      enabled: rule.enabled ?? true,
      maximumRetryAttempts: rule.maximumRetryAttempts ?? 2,
    };
  });
  const schedules = options.schedules ?? [];

  const inFlight = new Set<Promise<unknown>>();
  const finished: DeliveryRecord[] = [];
  const deadLettered: DeadLetterRecord[] = [];
  const putRecords: PutRecord[] = [];
  const listeners = new Set<BusListener>();

  const resolveBus = (nameOrArn: string): 'default' | 'custom' | undefined => {
    const name = busNameOf(nameOrArn);
    if (name === 'default') return 'default';
    if (options.customBusName === undefined || name === options.customBusName) return 'custom';
    return undefined;
  };

  const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    promise.then(
      () => inFlight.delete(promise),
      () => inFlight.delete(promise),
    );
    return promise;
  };

  interface Target {
    bus: string;
    rule: string;
    functionName: string;
    maximumRetryAttempts: number;
    trigger: 'event' | 'schedule';
    event: BusEvent;
    payload: unknown;
  }

  /**
   * The region whose function a delivery runs: each regional stack runs its own copy, and an event
   * reaches the one of its region; schedules fire in the bus's region.
   */
  const regionOf = (target: Target): string => (target.trigger === 'event' ? target.event.region : region);

  /** Builds Lambda's invocation record for a failed delivery and hands it to the on-failure sender. */
  const sendToDestination = async (
    target: Target,
    fn: FunctionConfig,
    destination: DestinationConfig,
    lastError: ErrorSummary,
    attempts: number,
    requestId: string | undefined,
  ): Promise<DeadLetterRecord> => {
    const failedRegion = regionOf(target);
    const time = now();
    const invocationRecord: InvocationRecord = {
      version: '1.0',
      timestamp: time.toISOString(),
      requestContext: {
        requestId: requestId ?? newId(),
        functionArn: `arn:aws:lambda:${failedRegion}:${accountId}:function:${fn.deployedName}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: toWire(target.payload),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: lastError.name, errorMessage: lastError.message, trace: [] },
    };
    const base = {
      time: time.toISOString(),
      functionName: target.functionName,
      rule: target.rule,
      eventId: target.event.id,
      region: failedRegion,
      destination,
      record: invocationRecord,
    };
    try {
      const sender = options.onFailureDestination;
      if (sender === undefined) throw new Error('no on-failure sender');
      const sent = await sender({
        functionName: target.functionName,
        destination,
        region: failedRegion,
        record: invocationRecord,
      });
      return { ...base, outcome: 'sent', destinationArn: sent.destinationArn, messageId: sent.messageId };
    } catch (error) {
      return { ...base, outcome: 'error', error: summarize(error) };
    }
  };

  const deliver = (target: Target): Promise<DeliveryRecord> =>
    track(
      (async () => {
        await new Promise<void>((done) => setImmediate(done)); // asynchronous, like an async invoke
        const started = now();
        const fn = functions.find((candidate) => candidate.name === target.functionName);
        const attemptErrors: ErrorSummary[] = [];
        let result: unknown;
        let succeeded = false;
        let firstRequestId: string | undefined;
        for (let attempt = 0; attempt <= target.maximumRetryAttempts && !succeeded; attempt++) {
          if (attempt > 0) await sleep(retryDelayMs * attempt);
          const context = lambdaContext({
            functionName: fn?.deployedName ?? target.functionName,
            timeoutSeconds: fn?.timeoutSeconds ?? 6,
            awsRequestId: newId(),
            region: regionOf(target),
            accountId,
          });
          firstRequestId ??= context.awsRequestId;
          try {
            result = await invoke(target.functionName, toWire(target.payload), context);
            succeeded = true;
          } catch (error) {
            attemptErrors.push(summarize(error));
          }
        }
        const lastError = attemptErrors[attemptErrors.length - 1];
        const deadLetter =
          !succeeded && lastError !== undefined && fn?.onFailure !== undefined && options.onFailureDestination
            ? await sendToDestination(
                target,
                fn,
                fn.onFailure,
                lastError,
                attemptErrors.length,
                firstRequestId,
              )
            : undefined;
        const record: DeliveryRecord = {
          time: started.toISOString(),
          finishedAt: now().toISOString(),
          bus: target.bus,
          rule: target.rule,
          functionName: target.functionName,
          eventId: target.event.id,
          detailType: target.event['detail-type'],
          source: target.event.source,
          trigger: target.trigger,
          attempts: succeeded ? attemptErrors.length + 1 : attemptErrors.length,
          outcome: succeeded ? 'success' : 'error',
          ...(succeeded ? { result: resultForRecord(result) } : {}),
          ...(!succeeded && lastError !== undefined ? { error: lastError } : {}),
          attemptErrors,
          ...(deadLetter !== undefined
            ? {
                deadLetter: {
                  ...(deadLetter.destinationArn !== undefined
                    ? { destinationArn: deadLetter.destinationArn }
                    : {}),
                  ...(deadLetter.messageId !== undefined ? { messageId: deadLetter.messageId } : {}),
                  ...(deadLetter.error !== undefined ? { error: deadLetter.error } : {}),
                },
              }
            : {}),
        };
        finished.push(record);
        try {
          options.onDelivery?.(record);
        } catch (error) {
          // A broken log hook must not turn into an unhandled rejection of the delivery.
          console.error(`local event bus: onDelivery failed for ${record.rule}`, error);
        }
        if (deadLetter !== undefined) {
          deadLettered.push(deadLetter);
          try {
            options.onDeadLetter?.(deadLetter);
          } catch (error) {
            console.error(`local event bus: onDeadLetter failed for ${record.rule}`, error);
          }
        }
        return record;
      })(),
    );

  const put = (busName: string, input: BusEventInput): PutResult => {
    const bus = resolveBus(busName);
    if (bus === undefined) throw new EventBusNotFoundError(`Event bus ${busNameOf(busName)} does not exist.`);
    // Matching sees the event as given (numbers may carry their JSON text); targets get plain JSON.
    const matchView: BusEvent = {
      version: input.version ?? '0',
      id: input.id ?? newId(),
      'detail-type': input['detail-type'],
      source: input.source,
      account: input.account ?? accountId,
      time: input.time ?? envelopeTime(now()),
      region: input.region ?? region,
      resources: input.resources ?? [],
      detail: input.detail ?? {},
    };
    const event = toWire(matchView);
    if (!isPlainObject(event)) throw new Error('event is not serialisable as JSON');
    const plain: BusEvent = { ...matchView, detail: event.detail };
    const matched = rules.filter(
      (rule) => rule.enabled && rule.bus === bus && rule.pattern.matches(matchView),
    );
    const deliveries = matched.map((rule) =>
      deliver({
        bus: busNameOf(busName),
        rule: rule.ruleName,
        functionName: rule.functionName,
        maximumRetryAttempts: rule.maximumRetryAttempts,
        trigger: 'event',
        event: plain,
        payload:
          rule.input !== undefined
            ? constantInput(rule.input)
            : rule.inputPath !== undefined
              ? applyInputPath(plain, rule.inputPath)
              : plain,
      }),
    );
    const record: PutRecord = {
      time: now().toISOString(),
      bus: busNameOf(busName),
      event: plain,
      matchedRules: matched.map((rule) => rule.ruleName),
    };
    putRecords.push(record);
    for (const listener of listeners) listener(record);
    return { ...record, delivered: Promise.all(deliveries) };
  };

  const fire = (schedule: LocalSchedule): Promise<DeliveryRecord> => {
    const event: BusEvent = {
      version: '0',
      id: newId(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: accountId,
      time: envelopeTime(now()),
      region,
      resources: [`arn:aws:events:${region}:${accountId}:rule/${schedule.ruleName}`],
      detail: {},
    };
    return deliver({
      bus: 'default',
      rule: schedule.ruleName,
      functionName: schedule.functionName,
      maximumRetryAttempts: schedule.maximumRetryAttempts ?? 2,
      trigger: 'schedule',
      event,
      payload: schedule.input !== undefined ? constantInput(schedule.input) : event,
    });
  };

  return {
    accountId,
    region,
    put,
    resolveBus,
    runSchedule(functionName) {
      const own = schedules.filter((schedule) => schedule.functionName === functionName);
      if (own.length === 0) return Promise.reject(new Error(`function ${functionName} has no schedule rule`));
      return Promise.all(own.filter((schedule) => schedule.enabled ?? true).map(fire));
    },
    tick() {
      return Promise.all(schedules.filter((schedule) => schedule.enabled ?? true).map(fire));
    },
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    deliveries: () => [...finished],
    events: () => [...putRecords],
    deadLetters: () => [...deadLettered],
  };
}

/** A bus with the rules, schedules and functions of a loaded `serverless.yml`. */
export function createLocalEventBusFromConfig(
  config: ServerlessConfig,
  options: Omit<LocalEventBusOptions, 'rules' | 'schedules' | 'functions'> = {},
): LocalEventBus {
  return createLocalEventBus({
    region: config.region,
    ...(config.customBusName !== undefined ? { customBusName: config.customBusName } : {}),
    ...options,
    rules: config.eventRules,
    schedules: config.schedules,
    functions: config.functions,
  });
}

/** One line per delivery, for demos: `12:00:01Z default ami-state-change-rule-1 → ami-state-change …`. */
export function formatDelivery(record: DeliveryRecord): string {
  const attempts = `${record.attempts} attempt${record.attempts === 1 ? '' : 's'}`;
  const outcome =
    record.outcome === 'success'
      ? `ok after ${attempts}`
      : `FAILED after ${attempts}: ${record.error?.name ?? 'Error'}: ${record.error?.message ?? ''}`;
  return `${record.time} [${record.bus}] ${record.rule} → ${record.functionName} (${record.detailType} ${record.eventId}) ${outcome}`;
}
