import {
  EventBridgeClient,
  EventBridgeServiceException,
  ListRulesCommand,
  PutEventsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEventBridgeService } from '../src/eventbridge/api.js';
import { createLocalEventBus, type LocalEventBus, type PutRecord } from '../src/eventbridge/bus.js';
import type { EmulatedRequest } from '../src/http.js';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { amiStateChange } from './ami-event.js';
import { rejectionOf } from './rejection.js';

let server: LocalServer;
let bus: LocalEventBus;
let puts: PutRecord[];
let invoked: Array<{ functionName: string; event: unknown }>;

beforeAll(async () => {
  invoked = [];
  bus = createLocalEventBus({
    accountId: '111122223333',
    region: 'us-east-1',
    customBusName: 'ami-lifecycle-dev',
    rules: [
      {
        ruleName: 'notify',
        functionName: 'notifier',
        bus: 'custom',
        pattern: { source: ['ami-lifecycle'], detail: { count: [{ numeric: ['>', 1] }] } },
      },
    ],
    invoke: async (functionName, event) => {
      invoked.push({ functionName, event });
    },
  });
  bus.subscribe((record) => puts.push(record));
  server = await startLocalServer({
    ec2: async () => ({ status: 501, headers: {}, body: 'not this test' }),
    eventbridge: createEventBridgeService({ bus }),
  });
});

afterAll(() => server.close());

beforeEach(() => {
  puts = [];
});

function client(region = 'eu-west-1') {
  return new EventBridgeClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
}

const sdkError = (promise: Promise<unknown>) => rejectionOf(promise, EventBridgeServiceException);

describe('PutEvents through the AWS SDK', () => {
  it('accepts entries, puts them on the named bus with the signed region, and returns their ids', async () => {
    const output = await client('eu-west-1').send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'ami-lifecycle-dev',
            Source: 'ami-lifecycle',
            DetailType: 'AmiCopied',
            Detail: JSON.stringify({ imageId: 'ami-1', count: 2 }),
            Resources: ['arn:aws:ec2:eu-west-1::image/ami-1'],
            Time: new Date('2026-02-03T04:05:06Z'),
          },
          { Source: 'custom.app', DetailType: 'Other', Detail: '{}' },
        ],
      }),
    );
    expect(output.FailedEntryCount).toBe(0);
    expect(output.Entries).toHaveLength(2);
    expect(puts.map((put) => put.event.id)).toEqual(output.Entries?.map((entry) => entry.EventId));
    const [first, second] = puts;
    expect(first?.bus).toBe('ami-lifecycle-dev');
    expect(first?.event).toMatchObject({
      version: '0',
      source: 'ami-lifecycle',
      'detail-type': 'AmiCopied',
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-02-03T04:05:06Z',
      resources: ['arn:aws:ec2:eu-west-1::image/ami-1'],
      detail: { imageId: 'ami-1', count: 2 },
    });
    expect(first?.matchedRules).toEqual(['notify']);
    expect(second?.bus).toBe('default');
    expect(second?.event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await bus.drain();
    expect(invoked.at(-1)).toMatchObject({
      functionName: 'notifier',
      event: { detail: { imageId: 'ami-1' } },
    });
  });

  it('reports one bad entry as a partial failure, in request order, with HTTP 200', async () => {
    const output = await client().send(
      new PutEventsCommand({
        Entries: [
          { Source: 'a', DetailType: 'first', Detail: '{}' },
          { Source: 'a', DetailType: 'second', Detail: '{"unterminated": ' },
          { Source: 'a', DetailType: 'third', Detail: '{}' },
        ],
      }),
    );
    expect(output.FailedEntryCount).toBe(1);
    expect(output.Entries?.[0]?.EventId).toBeDefined();
    expect(output.Entries?.[1]).toEqual({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
    expect(output.Entries?.[2]?.EventId).toBeDefined();
    expect(puts.map((put) => put.event['detail-type'])).toEqual(['first', 'third']);
  });

  it('fails each kind of bad entry on its own', async () => {
    const output = await client().send(
      new PutEventsCommand({
        Entries: [
          { DetailType: 'no source', Detail: '{}' },
          { Source: 'a', Detail: '{}' },
          { Source: 'a', DetailType: 'no detail' },
          { Source: 'a', DetailType: 'array detail', Detail: '[1]' },
          { Source: 'a', DetailType: 'x'.repeat(129), Detail: '{}' },
          { Source: 'a', DetailType: 'unknown bus', Detail: '{}', EventBusName: 'not-a-bus' },
          { Source: 'a', DetailType: 'good', Detail: '{}' },
        ],
      }),
    );
    expect(output.FailedEntryCount).toBe(6);
    expect(output.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'InvalidArgument',
      'ResourceNotFoundException',
      'ok',
    ]);
    expect(output.Entries?.[0]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(output.Entries?.[1]?.ErrorMessage).toContain('DetailType is a required argument');
    expect(output.Entries?.[2]?.ErrorMessage).toContain('Detail is a required argument');
    expect(output.Entries?.[4]?.ErrorMessage).toContain('longer than 128 characters');
    expect(output.Entries?.[5]?.ErrorMessage).toBe('Event bus not-a-bus does not exist.');
    expect(puts).toHaveLength(1);
  });

  it('rejects more than 10 entries as a request error', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => ({
      Source: 'a',
      DetailType: `e${i}`,
      Detail: '{}',
    }));
    const error = await sdkError(client().send(new PutEventsCommand({ Entries: entries })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('less than or equal to 10');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(puts).toEqual([]);
  });

  it('fails the whole request when no entry has Source, DetailType and Detail', async () => {
    const error = await sdkError(
      client().send(new PutEventsCommand({ Entries: [{ Source: 'a' }, { DetailType: 'b', Detail: '{}' }] })),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('no entry in the request has all three');
  });

  it('answers operations it does not implement with UnknownOperationException', async () => {
    const error = await sdkError(client().send(new ListRulesCommand({})));
    expect(error.name).toBe('UnknownOperationException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});

describe('TestEventPattern through the AWS SDK', () => {
  const event = amiStateChange('available');

  it('answers whether the event matches', async () => {
    const matching = await client().send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"State":["available"]}}', Event: event }),
    );
    expect(matching.Result).toBe(true);
    const other = await client().send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"state":["available"]}}', Event: event }),
    );
    expect(other.Result).toBe(false);
  });

  it('rejects an invalid pattern with InvalidEventPatternException and the reason', async () => {
    const error = await sdkError(
      client().send(new TestEventPatternCommand({ EventPattern: '{"source":"aws.ec2"}', Event: event })),
    );
    expect(error.name).toBe('InvalidEventPatternException');
    expect(error.message).toBe(
      'Event pattern is not valid. Reason: "source" must be an object or an array (at $.source)',
    );
    const syntax = await sdkError(
      client().send(new TestEventPatternCommand({ EventPattern: '{"source":', Event: event })),
    );
    expect(syntax.name).toBe('InvalidEventPatternException');
  });

  it('rejects an event without the required envelope fields', async () => {
    const error = await sdkError(
      client().send(
        new TestEventPatternCommand({ EventPattern: '{"source":["a"]}', Event: '{"source":"a"}' }),
      ),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('Parameter Event is not valid.');
    expect(error.message).toContain('id, account, time, region, detail-type');
  });
});

describe('the service without HTTP', () => {
  const service = () =>
    createEventBridgeService({ bus: createLocalEventBus({ rules: [], invoke: async () => undefined }) });
  const request = (target: string | undefined, body: string): EmulatedRequest => ({
    method: 'POST',
    url: '/',
    headers: target === undefined ? {} : { 'x-amz-target': target },
    body,
  });

  it('answers an unknown target with the awsJson error shape', async () => {
    const response = await service()(request('AWSEvents.DescribeRule', '{}'));
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(response.body)).toEqual({
      __type: 'UnknownOperationException',
      message: 'The local EventBridge does not implement AWSEvents.DescribeRule',
    });
  });

  it('rejects a body that is not JSON', async () => {
    const response = await service()(request('AWSEvents.PutEvents', '{'));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ __type: 'SerializationException' });
  });

  it('takes the region from the request signature, else the default', async () => {
    const bus = createLocalEventBus({ rules: [], invoke: async () => undefined, region: 'ap-south-1' });
    const seen: string[] = [];
    bus.subscribe((record) => seen.push(record.event.region));
    const api = createEventBridgeService({ bus });
    const body = JSON.stringify({ Entries: [{ Source: 'a', DetailType: 'b', Detail: '{}' }] });
    await api(request('AWSEvents.PutEvents', body));
    await api({
      ...request('AWSEvents.PutEvents', body),
      headers: {
        'x-amz-target': 'AWSEvents.PutEvents',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20260101/sa-east-1/events/aws4_request, SignedHeaders=host, Signature=x',
      },
    });
    expect(seen).toEqual(['ap-south-1', 'sa-east-1']);
  });

  it('enforces the request size limit', async () => {
    const api = createEventBridgeService({
      bus: createLocalEventBus({ rules: [], invoke: async () => undefined }),
      maxRequestBytes: 100,
    });
    const body = JSON.stringify({
      Entries: [{ Source: 'a', DetailType: 'b', Detail: JSON.stringify({ x: 'y'.repeat(200) }) }],
    });
    const response = await api(request('AWSEvents.PutEvents', body));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toContain('over the limit');
  });
});
