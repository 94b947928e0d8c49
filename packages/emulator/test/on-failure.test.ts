import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalEventBus,
  type DeadLetterRecord,
  type DeliveryRecord,
  type InvocationRecord,
} from '../src/eventbridge/bus.js';
import type { FunctionConfig } from '../src/eventbridge/serverless-config.js';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { createSqsEmulator, type SqsEmulator } from '../src/sqs/index.js';
import { type LocalStack, startLocalStack } from '../src/stack.js';

const ACCOUNT = '111122223333';

function fn(name: string, onFailure?: FunctionConfig['onFailure']): FunctionConfig {
  return {
    name,
    deployedName: `svc-dev-${name}`,
    handler: `handlers/${name}.handler`,
    modulePath: `handlers/${name}.ts`,
    moduleBase: `handlers/${name}`,
    exportName: 'handler',
    timeoutSeconds: 3,
    maximumRetryAttempts: 2,
    environment: {},
    ...(onFailure !== undefined ? { onFailure } : {}),
    eventRules: [],
    schedules: [],
  };
}

describe('local event bus: on-failure destinations', () => {
  let server: LocalServer;
  let sqs: SqsEmulator;

  beforeAll(async () => {
    sqs = createSqsEmulator({ accountId: ACCOUNT });
    server = await startLocalServer({
      ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
      sqs: (request) => sqs.service(request),
    });
    sqs.setEndpoint(server.endpoint);
    sqs.createQueue('eu-west-1', 'failed');
  });

  afterAll(() => server.close());

  it("puts Lambda's invocation record on the function's queue once the retries are exhausted", async () => {
    const attempts: string[] = [];
    const invokedArns = new Set<string>();
    const delivered: DeliveryRecord[] = [];
    const deadLetters: DeadLetterRecord[] = [];
    const bus = createLocalEventBus({
      accountId: ACCOUNT,
      region: 'us-east-1',
      retryDelayMs: 0,
      now: () => new Date('2026-05-01T10:00:00.123Z'),
      rules: [{ ruleName: 'copy', functionName: 'copier', bus: 'default', pattern: { source: ['aws.ec2'] } }],
      functions: [fn('copier', { type: 'sqs', arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:failed` })],
      invoke: async (_name, _event, context) => {
        attempts.push(context.awsRequestId);
        invokedArns.add(context.invokedFunctionArn);
        const error = new Error(`throttled ${attempts.length}`);
        error.name = 'RequestLimitExceeded';
        throw error;
      },
      onFailureDestination: ({ destination, region, record }) => {
        expect(region).toBe('eu-west-1'); // the event's region: that region's stack failed
        const arn = typeof destination.arn === 'string' ? destination.arn : '';
        const queue = sqs.getQueueByArn(arn);
        if (queue === undefined) throw new Error(`no queue ${arn}`);
        return {
          destinationArn: arn,
          messageId: sqs.sendMessage(queue.region, queue.name, JSON.stringify(record)).messageId,
        };
      },
      onDelivery: (record) => delivered.push(record),
      onDeadLetter: (record) => deadLetters.push(record),
    });
    const put = bus.put('default', {
      source: 'aws.ec2',
      'detail-type': 'EC2 AMI State Change',
      region: 'eu-west-1',
      detail: { ImageId: 'ami-1', State: 'available' },
    });
    // Nothing is dead-lettered before the last retry failed.
    expect(sqs.messages('eu-west-1', 'failed')).toEqual([]);
    await bus.drain();

    expect(attempts).toHaveLength(3);
    // The function that ran is the event region's, as the record says.
    expect([...invokedArns]).toEqual([`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:svc-dev-copier`]);
    const { Messages } = await new SQSClient({
      region: 'eu-west-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }).send(
      new ReceiveMessageCommand({
        QueueUrl: `${server.endpoint}/${ACCOUNT}/failed`,
        MaxNumberOfMessages: 10,
      }),
    );
    expect(Messages).toHaveLength(1);
    const body: InvocationRecord = JSON.parse(Messages?.[0]?.Body ?? '{}');
    expect(body).toEqual({
      version: '1.0',
      timestamp: '2026-05-01T10:00:00.123Z',
      requestContext: {
        requestId: attempts[0],
        functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:svc-dev-copier:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: put.event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'RequestLimitExceeded', errorMessage: 'throttled 3', trace: [] },
    });
    expect(delivered[0]?.deadLetter).toEqual({
      destinationArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:failed`,
      messageId: Messages?.[0]?.MessageId,
    });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ outcome: 'sent', functionName: 'copier', region: 'eu-west-1' });
    expect(bus.deadLetters()).toEqual(deadLetters);
  });

  it('sends nothing for a success after a retry, nor for a function without onFailure', async () => {
    let calls = 0;
    const sent: string[] = [];
    const bus = createLocalEventBus({
      retryDelayMs: 0,
      rules: [
        { ruleName: 'flaky', functionName: 'flaky', bus: 'default', pattern: { source: ['flaky'] } },
        { ruleName: 'broken', functionName: 'broken', bus: 'default', pattern: { source: ['broken'] } },
      ],
      functions: [fn('flaky', { type: 'sqs', arn: 'arn:aws:sqs:us-east-1:123456789012:q' }), fn('broken')],
      invoke: async (name) => {
        calls++;
        if (name === 'broken' || calls === 1) throw new Error('no');
        return 'ok';
      },
      onFailureDestination: ({ functionName }) => {
        sent.push(functionName);
        return { destinationArn: 'x', messageId: 'y' };
      },
    });
    await bus.put('default', { source: 'flaky', 'detail-type': 'x' }).delivered;
    await bus.put('default', { source: 'broken', 'detail-type': 'x' }).delivered;
    expect(sent).toEqual([]);
    expect(bus.deliveries().map((d) => [d.functionName, d.outcome, d.deadLetter])).toEqual([
      ['flaky', 'success', undefined],
      ['broken', 'error', undefined],
    ]);
  });

  it('records a destination that cannot take the record, without failing the delivery', async () => {
    const bus = createLocalEventBus({
      retryDelayMs: 0,
      rules: [{ ruleName: 'r', functionName: 'f', bus: 'default', pattern: { source: ['s'] } }],
      functions: [fn('f', { type: 'sqs', arn: 'arn:aws:sqs:us-east-1:123456789012:missing' })],
      invoke: async () => {
        throw new Error('handler bug');
      },
      onFailureDestination: () => {
        throw new Error('the queue arn:aws:sqs:us-east-1:123456789012:missing does not exist');
      },
    });
    const [record] = await bus.put('default', { source: 's', 'detail-type': 'x' }).delivered;
    expect(record?.deadLetter).toEqual({
      error: {
        name: 'Error',
        message: 'the queue arn:aws:sqs:us-east-1:123456789012:missing does not exist',
      },
    });
    expect(bus.deadLetters()[0]?.outcome).toBe('error');
  });
});

describe('startLocalStack: on-failure destinations from serverless.yml', () => {
  let dir: string;
  let stack: LocalStack;

  const yml = `
service: dl-test
provider:
  name: aws
  region: us-east-1
  environment:
    FAILED_QUEUE_URL: !Ref Failed
functions:
  breaks:
    handler: handlers/breaks.handler
    maximumRetryAttempts: 1
    destinations:
      onFailure:
        type: sqs
        arn: !GetAtt Failed.Arn
    events:
      - eventBridge:
          pattern: { source: [dl-test] }
resources:
  Resources:
    Failed:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: dl-test-failed-\${sls:stage}
`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-dead-letter-'));
    await mkdir(join(dir, 'handlers'));
    await writeFile(join(dir, 'serverless.yml'), yml);
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    await writeFile(
      join(dir, 'handlers', 'breaks.mjs'),
      "export const handler = async () => { const e = new Error('cannot do it'); e.name = 'TerminalError'; throw e; };\n",
    );
    stack = await startLocalStack({
      root: dir,
      retryDelayMs: 0,
      ec2: { regions: ['us-east-1', 'eu-west-1'] },
    });
  });

  afterAll(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the record to the queue !GetAtt names, in the failing region, and puts it on the timeline', async () => {
    const url = stack.sqs.getQueue('eu-west-1', 'dl-test-failed-dev')?.url;
    expect(url).toBe(`${stack.endpoint}/${stack.emulator.accountId}/dl-test-failed-dev`);
    expect(process.env.FAILED_QUEUE_URL).toBe(stack.sqs.getQueue('us-east-1', 'dl-test-failed-dev')?.url);

    const put = stack.bus.put('default', {
      source: 'dl-test',
      'detail-type': 'Try',
      region: 'eu-west-1',
      detail: { n: 1 },
    });
    await stack.settle();

    expect(stack.sqs.messages('us-east-1', 'dl-test-failed-dev')).toEqual([]);
    const [message, ...others] = stack.sqs.messages('eu-west-1', 'dl-test-failed-dev');
    expect(others).toEqual([]);
    const record: InvocationRecord = JSON.parse(message?.body ?? '{}');
    expect(record.requestContext).toMatchObject({
      functionArn: `arn:aws:lambda:eu-west-1:${stack.emulator.accountId}:function:dl-test-dev-breaks:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 2,
    });
    expect(record.requestPayload).toEqual(put.event);
    expect(record.responsePayload).toEqual({
      errorType: 'TerminalError',
      errorMessage: 'cannot do it',
      trace: [],
    });

    expect(stack.timeline.map((entry) => entry.kind)).toEqual(['event', 'delivery', 'dead-letter']);
    const deadLetter = stack.timeline.at(-1);
    expect(deadLetter?.kind === 'dead-letter' && deadLetter.record.messageId).toBe(message?.messageId);
    // The entries' times count from startedAt: the last one happened by now.
    expect(stack.startedAt + (deadLetter?.at ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(Date.now());
  });
});
