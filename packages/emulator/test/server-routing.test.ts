import { Agent, request as httpRequest } from 'node:http';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedRequest, EmulatedService } from '../src/http.js';
import { type LocalServer, serviceOf, startLocalServer } from '../src/server.js';

/** Each service answers with its own name and the region it was signed for, so routing is visible. */
function recorder(name: string, seen: Array<{ service: string; request: EmulatedRequest }>): EmulatedService {
  return async (request) => {
    seen.push({ service: name, request });
    return { status: 400, headers: { 'content-type': 'text/plain' }, body: name };
  };
}

let server: LocalServer;
const seen: Array<{ service: string; request: EmulatedRequest }> = [];

beforeAll(async () => {
  server = await startLocalServer({
    ec2: recorder('ec2', seen),
    eventbridge: recorder('eventbridge', seen),
    dynamodb: recorder('dynamodb', seen),
    sqs: recorder('sqs', seen),
  });
});

afterAll(() => server.close());

const signed = (
  service: string,
  region = 'us-east-1',
  extra: Record<string, string> = {},
): EmulatedRequest => ({
  method: 'POST',
  url: '/',
  headers: {
    authorization: `AWS4-HMAC-SHA256 Credential=AKID/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=abc`,
    ...extra,
  },
  body: '',
});

describe('serviceOf', () => {
  it('reads the service from the SigV4 credential scope, whatever the protocol says', () => {
    for (const service of ['ec2', 'events', 'dynamodb', 'sqs', 'sns', 'sts', 'kms', 's3'])
      expect(serviceOf(signed(service))).toBe(service);
    // The scope wins over a misleading target.
    expect(serviceOf(signed('sqs', 'eu-west-1', { 'x-amz-target': 'DynamoDB_20120810.PutItem' }))).toBe(
      'sqs',
    );
  });

  it('falls back to the protocol for unsigned requests', () => {
    const unsigned = (headers: Record<string, string>, body = ''): EmulatedRequest => ({
      method: 'POST',
      url: '/',
      headers,
      body,
    });
    expect(serviceOf(unsigned({ 'x-amz-target': 'AWSEvents.PutEvents' }))).toBe('events');
    expect(serviceOf(unsigned({ 'x-amz-target': 'DynamoDB_20120810.GetItem' }))).toBe('dynamodb');
    expect(serviceOf(unsigned({ 'x-amz-target': 'AmazonSQS.SendMessage' }))).toBe('sqs');
    expect(serviceOf(unsigned({ 'x-amz-target': 'TrentService.DescribeKey' }))).toBe('kms');
    expect(serviceOf(unsigned({}, 'Action=Publish&Version=2010-03-31'))).toBe('sns');
    expect(serviceOf(unsigned({}, 'Action=SendMessage&Version=2012-11-05'))).toBe('sqs');
    expect(serviceOf(unsigned({}, 'Action=GetCallerIdentity&Version=2011-06-15'))).toBe('sts');
    expect(serviceOf(unsigned({}, 'Action=DescribeImages&Version=2016-11-15'))).toBe('ec2');
  });
});

describe('startLocalServer routing', () => {
  const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

  it('sends each SDK client to its service, with the region in the scope', async () => {
    seen.length = 0;
    await new EC2Client({ region: 'ap-southeast-2', endpoint: server.endpoint, credentials, maxAttempts: 1 })
      .send(new DescribeRegionsCommand({}))
      .catch(() => undefined);
    await new EventBridgeClient({
      region: 'eu-west-1',
      endpoint: server.endpoint,
      credentials,
      maxAttempts: 1,
    })
      .send(new TestEventPatternCommand({ EventPattern: '{}', Event: '{}' }))
      .catch(() => undefined);
    await new DynamoDBClient({ region: 'us-west-2', endpoint: server.endpoint, credentials, maxAttempts: 1 })
      .send(new ListTablesCommand({}))
      .catch(() => undefined);
    await new SQSClient({ region: 'eu-central-1', endpoint: server.endpoint, credentials, maxAttempts: 1 })
      .send(new ListQueuesCommand({}))
      .catch(() => undefined);
    expect(seen.map((s) => s.service)).toEqual(['ec2', 'eventbridge', 'dynamodb', 'sqs']);
    expect(seen[0]?.request.headers.authorization).toContain('/ap-southeast-2/ec2/aws4_request');
    expect(seen[1]?.request.headers.authorization).toContain('/eu-west-1/events/aws4_request');
    expect(seen[2]?.request.headers.authorization).toContain('/us-west-2/dynamodb/aws4_request');
    expect(seen[3]?.request.headers.authorization).toContain('/eu-central-1/sqs/aws4_request');
  });

  it('answers 501 NotImplemented, naming the service, for a service it does not serve', async () => {
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sns/aws4_request, Signature=x',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=Publish&Version=2010-03-31',
    });
    expect(response.status).toBe(501);
    const text = await response.text();
    expect(text).toContain('<Code>NotImplemented</Code>');
    expect(text).toContain('SNS is not emulated by this local server');

    const json = await fetch(server.endpoint, {
      method: 'POST',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, Signature=x',
        'x-amz-target': 'Kinesis_20131202.PutRecord',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
    });
    expect(json.status).toBe(501);
    expect(await json.json()).toEqual({
      __type: 'NotImplemented',
      message:
        "The local endpoint does not emulate the AWS service 'kinesis' (it serves: ec2, events, dynamodb, sqs, sns, sts, ssm, organizations, kms).",
    });
  });
});

describe('startLocalServer connections', () => {
  it('keeps a connection open for the next request, as Node’s keep-alive agent (the SDK’s default) expects', async () => {
    // Node's agent stops reusing a socket 1 s before the timeout the server announces: with
    // `Keep-Alive: timeout=1` every request opened a new connection.
    const agent = new Agent({ keepAlive: true });
    const post = () =>
      new Promise<{ reused: boolean; keepAlive: string | string[] | undefined }>((resolve, reject) => {
        const request = httpRequest(server.endpoint, { method: 'POST', agent }, (response) => {
          response.resume();
          response.on('end', () =>
            resolve({ reused: request.reusedSocket, keepAlive: response.headers['keep-alive'] }),
          );
        });
        request.on('error', reject);
        request.end('Action=DescribeRegions&Version=2016-11-15');
      });
    try {
      const first = await post();
      const [second, third] = [await post(), await post()];
      expect(first.reused).toBe(false);
      expect([second?.reused, third?.reused]).toEqual([true, true]);
      expect(first.keepAlive).toBe('timeout=5');
    } finally {
      agent.destroy();
    }
  });
});
