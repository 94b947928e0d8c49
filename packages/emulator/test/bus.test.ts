import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonNumber, parseJson } from '@ami-lifecycle/event-pattern';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type BusEvent,
  createLocalEventBus,
  createLocalEventBusFromConfig,
  EventBusNotFoundError,
  formatDelivery,
  type InvokeFunction,
  type PutRecord,
} from '../src/eventbridge/bus.js';
import { loadServerlessConfig, type ServerlessConfig } from '../src/eventbridge/serverless-config.js';

const busEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});

const requireFrom = createRequire(import.meta.url);

/** A published AWS example event (kept in the event-pattern package), validated as an envelope. */
const fixture = (name: string): BusEvent =>
  busEventSchema.parse(
    JSON.parse(
      readFileSync(requireFrom.resolve(`@ami-lifecycle/event-pattern/examples/${name}.json`), 'utf8'),
    ),
  );

/** A temporary service: serverless.yml plus handler modules that log each call to calls.log. */
const serverlessYml = `
service: bus-test
provider:
  name: aws
  stage: \${opt:stage, 'dev'}
  timeout: 30
functions:
  onAvailable:
    handler: handlers/on-available.handler
    events:
      - eventBridge:
          pattern:
            source: [aws.ec2]
            detail-type: [EC2 AMI State Change]
            detail: { State: [available] }
  onFailed:
    handler: handlers/on-failed.handler
    maximumRetryAttempts: 0
    events:
      - eventBridge:
          pattern:
            source: [aws.ec2]
            detail-type: [EC2 AMI State Change]
            detail: { State: [failed] }
  notifier:
    handler: handlers/notifier.main
    events:
      - eventBridge:
          eventBus: !Ref ToolBus
          pattern: { source: [bus-test] }
      - eventBridge:
          eventBus: !Ref ToolBus
          name: notifier-detail-only
          inputPath: $.detail
          pattern: { source: [bus-test], detail-type: [Detail Only] }
      - eventBridge:
          name: notifier-disabled
          enabled: false
          pattern: { source: [aws.ec2] }
  reconciler:
    handler: handlers/reconciler.handler
    events:
      - schedule:
          rate: rate(1 hour)
          input: { mode: retire, dryRun: false }
      - schedule: cron(0 3 * * ? *)
      - schedule:
          rate: rate(1 day)
          enabled: false
resources:
  Resources:
    ToolBus:
      Type: AWS::Events::EventBus
      Properties:
        Name: bus-test-\${sls:stage}
`;

const loggingHandler = (exportName: string, extra = '') => `
import { appendFileSync } from 'node:fs';
export const ${exportName} = async (event, context) => {
  appendFileSync(new URL('../calls.log', import.meta.url), JSON.stringify({
    file: import.meta.url.split('/').pop(),
    event,
    functionName: context.functionName,
    awsRequestId: context.awsRequestId,
    remaining: context.getRemainingTimeInMillis(),
  }) + '\\n');
  ${extra}
  return { handled: event.id ?? null };
};
`;

const callSchema = z.object({
  file: z.string(),
  event: z.record(z.string(), z.unknown()),
  functionName: z.string(),
  awsRequestId: z.string(),
  remaining: z.number(),
});
type Call = z.infer<typeof callSchema>;

let dir: string;
let config: ServerlessConfig;

async function calls(): Promise<Call[]> {
  const text = await readFile(join(dir, 'calls.log'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => callSchema.parse(JSON.parse(line)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-bus-'));
  await mkdir(join(dir, 'handlers'));
  await writeFile(join(dir, 'serverless.yml'), serverlessYml);
  await writeFile(join(dir, 'handlers', 'on-available.mjs'), loggingHandler('handler'));
  await writeFile(
    join(dir, 'handlers', 'on-failed.mjs'),
    loggingHandler('handler', "const e = new Error('boom'); e.name = 'RequestLimitExceeded'; throw e;"),
  );
  // A TypeScript handler module: resolved before .js, as functions/*.ts are in this repo.
  await writeFile(
    join(dir, 'handlers', 'notifier.ts'),
    loggingHandler('main').replace('async (event, context)', 'async (event: any, context: any)'),
  );
  await writeFile(join(dir, 'handlers', 'reconciler.js'), loggingHandler('handler'));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  config = await loadServerlessConfig(join(dir, 'serverless.yml'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('local event bus with handler modules from serverless.yml', () => {
  it('delivers an event to the matching functions only, asynchronously, and records the delivery', async () => {
    await rm(join(dir, 'calls.log'), { force: true });
    const bus = createLocalEventBusFromConfig(config, { root: dir, accountId: '111122223333' });
    const available = fixture('ec2-ami-state-change-available');

    const put = bus.put('default', available);
    expect(put.matchedRules).toEqual(['onAvailable-rule-1']);
    // put returns before any handler runs (an async invoke): checked synchronously, so no turn of the loop passes.
    expect(existsSync(join(dir, 'calls.log'))).toBe(false);

    await bus.drain();
    const [call, ...others] = await calls();
    expect(others).toEqual([]);
    expect(call?.file).toBe('on-available.mjs');
    expect(call?.event).toEqual(available);
    expect(call?.functionName).toBe('bus-test-dev-onAvailable');
    expect(call?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(call?.remaining).toBeGreaterThan(0);
    expect(call?.remaining).toBeLessThanOrEqual(30_000);

    const [delivery] = bus.deliveries();
    expect(delivery).toMatchObject({
      bus: 'default',
      rule: 'onAvailable-rule-1',
      functionName: 'onAvailable',
      eventId: available.id,
      detailType: 'EC2 AMI State Change',
      trigger: 'event',
      attempts: 1,
      outcome: 'success',
      result: { handled: available.id },
    });
    expect(delivery && formatDelivery(delivery)).toContain('onAvailable-rule-1 → onAvailable');
  });

  it('records a handler error with its name and message, honouring maximumRetryAttempts: 0', async () => {
    await rm(join(dir, 'calls.log'), { force: true });
    const bus = createLocalEventBusFromConfig(config, { root: dir });
    const { delivered } = bus.put('default', fixture('ec2-ami-state-change-failed'));
    const [record] = await delivered;
    expect(record).toMatchObject({
      functionName: 'onFailed',
      outcome: 'error',
      attempts: 1,
      error: { name: 'RequestLimitExceeded', message: 'boom' },
    });
    expect(await calls()).toHaveLength(1);
  });

  it('keeps the default bus and the tool bus apart', async () => {
    await rm(join(dir, 'calls.log'), { force: true });
    const bus = createLocalEventBusFromConfig(config, { root: dir });
    const notification = { source: 'bus-test', 'detail-type': 'AmiCopied', detail: { imageId: 'ami-1' } };

    expect(bus.put('default', notification).matchedRules).toEqual([]);
    expect(bus.put('bus-test-dev', notification).matchedRules).toEqual(['notifier-rule-1']);
    expect(
      bus.put('arn:aws:events:us-east-1:123456789012:event-bus/bus-test-dev', notification).matchedRules,
    ).toEqual(['notifier-rule-1']);
    expect(bus.put('bus-test-dev', fixture('ec2-ami-state-change-available')).matchedRules).toEqual([]);
    expect(() => bus.put('someone-elses-bus', notification)).toThrow(EventBusNotFoundError);
    expect(() => bus.put('someone-elses-bus', notification)).toThrow(
      'Event bus someone-elses-bus does not exist.',
    );

    await bus.drain();
    const received = (await calls()).map((call) => [call.file, call.event.source, call.event['detail-type']]);
    expect(received).toEqual([
      ['notifier.ts', 'bus-test', 'AmiCopied'],
      ['notifier.ts', 'bus-test', 'AmiCopied'],
    ]);
  });

  it('fills in the envelope, and applies inputPath', async () => {
    await rm(join(dir, 'calls.log'), { force: true });
    const bus = createLocalEventBusFromConfig(config, {
      root: dir,
      accountId: '111122223333',
      now: () => new Date('2026-03-01T12:34:56.789Z'),
    });
    const put = bus.put('bus-test-dev', {
      source: 'bus-test',
      'detail-type': 'Detail Only',
      detail: { n: 1 },
    });
    expect(put.event).toEqual({
      version: '0',
      id: put.event.id,
      'detail-type': 'Detail Only',
      source: 'bus-test',
      account: '111122223333',
      time: '2026-03-01T12:34:56Z',
      region: 'us-east-1',
      resources: [],
      detail: { n: 1 },
    });
    expect(put.matchedRules.sort()).toEqual(['notifier-detail-only', 'notifier-rule-1']);
    await bus.drain();
    const payloads = (await calls()).map((call) => call.event);
    expect(payloads).toContainEqual({ n: 1 });
    expect(payloads).toContainEqual(put.event);
  });

  it('fires schedules with the published Scheduled Event shape, or the configured input', async () => {
    await rm(join(dir, 'calls.log'), { force: true });
    const bus = createLocalEventBusFromConfig(config, {
      root: dir,
      accountId: '111122223333',
      region: 'eu-west-1',
    });
    const records = await bus.runSchedule('reconciler');
    expect(records.map((record) => [record.rule, record.trigger, record.outcome])).toEqual([
      ['reconciler-schedule-1', 'schedule', 'success'],
      ['reconciler-schedule-2', 'schedule', 'success'],
    ]);
    const [withInput, scheduled] = (await calls()).map((call) => call.event);
    expect(withInput).toEqual({ mode: 'retire', dryRun: false });
    const published = fixture('scheduled-event');
    expect(Object.keys(scheduled ?? {}).sort()).toEqual(Object.keys(published).sort());
    expect(scheduled).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '111122223333',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:111122223333:rule/reconciler-schedule-2'],
      detail: {},
    });
    expect(scheduled?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Scheduled events go straight to their target: no other rule sees them.
    expect(bus.events()).toEqual([]);

    await rm(join(dir, 'calls.log'), { force: true });
    const ticked = await bus.tick();
    expect(ticked.map((record) => record.rule)).toEqual(['reconciler-schedule-1', 'reconciler-schedule-2']);
    await expect(bus.runSchedule('onAvailable')).rejects.toThrow('function onAvailable has no schedule rule');
  });
});

describe('the default invoke', () => {
  it('records a missing handler module or export as a failed delivery, and reports each delivery as it ends', async () => {
    const reported: string[] = [];
    const bus = createLocalEventBus({
      root: dir,
      retryDelayMs: 0,
      onDelivery: (record) => reported.push(formatDelivery(record)),
      functions: [
        { ...functionLike('ghost'), moduleBase: 'handlers/ghost' },
        {
          ...functionLike('wrongExport'),
          moduleBase: 'handlers/on-available',
          exportName: 'nope',
          handler: 'handlers/on-available.nope',
        },
      ],
      rules: [
        {
          ruleName: 'ghost',
          functionName: 'ghost',
          bus: 'default',
          pattern: { source: ['x'] },
          maximumRetryAttempts: 0,
        },
        {
          ruleName: 'wrong',
          functionName: 'wrongExport',
          bus: 'default',
          pattern: { source: ['x'] },
          maximumRetryAttempts: 0,
        },
      ],
    });
    const records = await bus.put('default', { source: 'x', 'detail-type': 'y' }).delivered;
    expect(records.map((record) => record.error?.message)).toEqual([
      expect.stringContaining('handler module for ghost not found'),
      expect.stringContaining('does not export a function named nope'),
    ]);
    expect(reported).toHaveLength(2);
    expect(reported[0]).toContain('FAILED after 1 attempt: Error: handler module for ghost not found');
  });
});

function functionLike(name: string) {
  return {
    name,
    deployedName: name,
    handler: `handlers/${name}.handler`,
    modulePath: `handlers/${name}.ts`,
    moduleBase: `handlers/${name}`,
    exportName: 'handler',
    timeoutSeconds: 3,
    maximumRetryAttempts: 0,
    environment: {},
    eventRules: [],
    schedules: [],
  };
}

describe('local event bus with an injected invoke', () => {
  const rules = [
    { ruleName: 'copy', functionName: 'copier', bus: 'default' as const, pattern: { source: ['aws.ec2'] } },
    {
      ruleName: 'notify',
      functionName: 'notifier',
      bus: 'custom' as const,
      pattern: { source: ['ami-lifecycle'] },
      maximumRetryAttempts: 0,
    },
  ];

  it('retries a failed invocation up to maximumRetryAttempts (default 2), then succeeds', async () => {
    const attempts: string[] = [];
    const invoke: InvokeFunction = async (functionName, _event, context: Context) => {
      attempts.push(context.awsRequestId);
      if (attempts.length < 3) {
        const error = new Error(`try ${attempts.length}`);
        error.name = 'ThrottlingException';
        throw error;
      }
      return `ok from ${functionName}`;
    };
    const bus = createLocalEventBus({ rules, invoke, retryDelayMs: 0 });
    const [record] = await bus.put('default', { source: 'aws.ec2', 'detail-type': 'x' }).delivered;
    expect(record).toMatchObject({
      outcome: 'success',
      attempts: 3,
      result: 'ok from copier',
      attemptErrors: [
        { name: 'ThrottlingException', message: 'try 1' },
        { name: 'ThrottlingException', message: 'try 2' },
      ],
    });
    expect(new Set(attempts).size).toBe(3); // a new request id per attempt, as Lambda does
  });

  it('gives up after the retries and records the last error', async () => {
    let count = 0;
    const bus = createLocalEventBus({
      rules,
      retryDelayMs: 0,
      invoke: async () => {
        count++;
        throw new TypeError(`bug ${count}`);
      },
    });
    const [record] = await bus.put('default', { source: 'aws.ec2', 'detail-type': 'x' }).delivered;
    expect(count).toBe(3);
    expect(record).toMatchObject({
      outcome: 'error',
      attempts: 3,
      error: { name: 'TypeError', message: 'bug 3' },
    });
    expect(record?.result).toBeUndefined();
  });

  it('drain waits for deliveries triggered from inside other deliveries', async () => {
    const order: string[] = [];
    const bus = createLocalEventBus({
      rules,
      retryDelayMs: 0,
      invoke: async (functionName, event) => {
        // Wait a few macrotasks so the chain is not finished by the time put returns.
        for (let i = 0; i < 5; i++) await new Promise((done) => setImmediate(done));
        order.push(functionName);
        if (functionName === 'copier') {
          bus.put('ami-lifecycle-dev', {
            source: 'ami-lifecycle',
            'detail-type': 'AmiCopied',
            detail: { event },
          });
        }
        return undefined;
      },
    });
    bus.put('default', { source: 'aws.ec2', 'detail-type': 'EC2 AMI State Change' });
    await bus.drain();
    expect(order).toEqual(['copier', 'notifier']);
    expect(bus.deliveries().map((record) => record.functionName)).toEqual(['copier', 'notifier']);
    expect(bus.events().map((record) => record.bus)).toEqual(['default', 'ami-lifecycle-dev']);
  });

  it('tells subscribers about every event put, until they unsubscribe', async () => {
    const bus = createLocalEventBus({ rules, invoke: async () => undefined });
    const seen: PutRecord[] = [];
    const unsubscribe = bus.subscribe((record) => seen.push(record));
    bus.put('default', { source: 'nobody-listens', 'detail-type': 'x' });
    bus.put('default', { source: 'aws.ec2', 'detail-type': 'y' });
    unsubscribe();
    bus.put('default', { source: 'aws.ec2', 'detail-type': 'z' });
    await bus.drain();
    expect(seen.map((record) => [record.event['detail-type'], record.matchedRules])).toEqual([
      ['x', []],
      ['y', ['copy']],
    ]);
  });

  it('does not deliver to disabled rules', async () => {
    const bus = createLocalEventBus({
      rules: [
        {
          ...rules[0],
          ruleName: 'off',
          functionName: 'copier',
          bus: 'default',
          pattern: { source: ['aws.ec2'] },
          enabled: false,
        },
      ],
      invoke: async () => undefined,
    });
    expect(bus.put('default', { source: 'aws.ec2', 'detail-type': 'x' }).matchedRules).toEqual([]);
  });

  it('matches numbers by their JSON text, but hands targets plain JSON', async () => {
    const received: unknown[] = [];
    const bus = createLocalEventBus({
      rules: [
        {
          ruleName: 'exact',
          functionName: 'f',
          bus: 'default',
          pattern: parseJsonObject('{"detail":{"n":[300]}}'),
        },
      ],
      invoke: async (_name, event) => {
        received.push(event);
      },
    });
    const detail = parseJson('{"n":300.0}');
    expect(bus.put('default', { source: 's', 'detail-type': 'd', detail }).matchedRules).toEqual([]);
    const exact = parseJson('{"n":300}');
    const put = bus.put('default', { source: 's', 'detail-type': 'd', detail: exact });
    expect(put.matchedRules).toEqual(['exact']);
    expect(put.event.detail).toEqual({ n: 300 });
    expect(JSON.stringify(put.event.detail)).toBe('{"n":300}');
    await bus.drain();
    expect(received).toEqual([expect.objectContaining({ detail: { n: 300 } })]);
    expect(exact).toEqual({ n: new JsonNumber('300', 300) });
  });
});

function parseJsonObject(text: string): Record<string, unknown> {
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return Object.fromEntries(Object.entries(value));
}
