import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { HttpResponse } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { observeRetries, takeSdkRetries } from '../../shared/aws/sdk-retries.js';

/**
 * Retries and throttling counted from what the SDK knows: a real EC2 client whose HTTP handler
 * answers from a script (no aws-sdk-client-mock: it replaces `send`, and with it the middleware).
 */

const throttled = (): HttpResponse => ({
  statusCode: 503,
  headers: { 'content-type': 'text/xml' },
  body: Buffer.from(
    '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r1</RequestID></Response>',
  ),
});
const ok = (): HttpResponse => ({
  statusCode: 200,
  headers: { 'content-type': 'text/xml' },
  body: Buffer.from(
    '<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r2</requestId><imagesSet/></DescribeImagesResponse>',
  ),
});

function clientAnswering(answers: Array<() => HttpResponse>, region: string): EC2Client {
  const client = new EC2Client({
    region,
    maxAttempts: 3,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: {
      handle: async () => ({ response: (answers.shift() ?? ok)() }),
    },
  });
  observeRetries(client.middlewareStack, 'ec2', region);
  return client;
}

describe('SDK retries and throttling', () => {
  it('a call throttled once, then answered: one call retried, one attempt throttled, the delay waited', async () => {
    takeSdkRetries();
    const client = clientAnswering([throttled, ok], 'eu-west-1');
    await client.send(new DescribeImagesCommand({}));
    const [tally, ...others] = takeSdkRetries();
    expect(others).toEqual([]);
    expect(tally).toMatchObject({ api: 'ec2', region: 'eu-west-1', retried: 1, throttled: 1 });
    expect(tally?.retryDelayMs).toBeGreaterThan(0);
    // Taken: the next invocation starts from zero.
    expect(takeSdkRetries()).toEqual([]);
  });

  it('a call throttled on every attempt: counted all the same, and the error reaches the caller unchanged', async () => {
    takeSdkRetries();
    const client = clientAnswering([throttled, throttled, throttled], 'us-west-2');
    await expect(client.send(new DescribeImagesCommand({}))).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
    });
    expect(takeSdkRetries()).toMatchObject([{ api: 'ec2', region: 'us-west-2', retried: 1, throttled: 3 }]);
  });

  it('a call answered at once: nothing to report', async () => {
    takeSdkRetries();
    await clientAnswering([ok], 'ap-southeast-2').send(new DescribeImagesCommand({}));
    expect(takeSdkRetries()).toEqual([]);
  });
});
