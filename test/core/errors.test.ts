import { STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import {
  AwsCallError,
  awsCall,
  awsErrorCode,
  InvariantError,
  isAwsOrNetworkError,
  isRetryableAwsError,
  RetryableFailuresError,
} from '../../shared/core/errors.js';
import { ec2Error } from '../support/aws-errors.js';

/** An error shaped as the SDK raises it (name = the service's code), with optional fault and HTTP status. */
function sdkError(
  name: string,
  fields: { $fault?: 'client' | 'server'; httpStatusCode?: number } = {},
): Error {
  return Object.assign(new Error(`${name} (simulated)`), {
    name,
    ...(fields.$fault === undefined ? {} : { $fault: fields.$fault }),
    ...(fields.httpStatusCode === undefined ? {} : { $metadata: { httpStatusCode: fields.httpStatusCode } }),
  });
}

/** What `awsCall` makes of `error` thrown by the call it runs. */
async function classified(error: unknown): Promise<unknown> {
  return awsCall('DescribeImages', 'eu-west-1', async () => {
    throw error;
  }).then(
    () => {
      throw new Error('the call should have failed');
    },
    (e: unknown) => e,
  );
}

describe('awsCall: errors from AWS or the network become AwsCallError, classified', () => {
  const cases: Array<{ name: string; error: unknown; code: string; retryable: boolean }> = [
    {
      name: 'EC2 throttling (RequestLimitExceeded, a 503)',
      error: ec2Error('RequestLimitExceeded', 503),
      code: 'RequestLimitExceeded',
      retryable: true,
    },
    {
      // What fromTemporaryCredentials throws, unchanged, out of the call it signs: the member role is
      // not deployed in the account, or does not trust the hub. Retrying cannot deploy it.
      name: 'STS refusing AssumeRole from a credentials provider (AccessDenied, 403)',
      error: new STSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message:
          'User: arn:aws:sts::111111111111:assumed-role/hub/x is not authorized to perform: sts:AssumeRole',
      }),
      code: 'AccessDenied',
      retryable: false,
    },
    {
      name: 'a throttling code reported as a client fault (ThrottlingException, 400)',
      error: sdkError('ThrottlingException', { $fault: 'client', httpStatusCode: 400 }),
      code: 'ThrottlingException',
      retryable: true,
    },
    {
      name: 'SNS throttling (ThrottledException)',
      error: sdkError('ThrottledException', { $fault: 'client', httpStatusCode: 400 }),
      code: 'ThrottledException',
      retryable: true,
    },
    {
      name: 'HTTP 429 with an unknown code',
      error: sdkError('SlowDownPlease', { $fault: 'client', httpStatusCode: 429 }),
      code: 'SlowDownPlease',
      retryable: true,
    },
    {
      name: 'an unparsable 5xx body (the SDK keeps only the HTTP status)',
      error: Object.assign(new Error('@aws-sdk XML parse error'), { $metadata: { httpStatusCode: 500 } }),
      code: 'HTTP500',
      retryable: true,
    },
    {
      name: 'an unparsable 503 body',
      error: Object.assign(new Error('Unexpected end of JSON input'), { $metadata: { httpStatusCode: 503 } }),
      code: 'HTTP503',
      retryable: true,
    },
    {
      name: 'an unparsable 400 body',
      error: Object.assign(new Error('@aws-sdk XML parse error'), { $metadata: { httpStatusCode: 400 } }),
      code: 'HTTP400',
      retryable: false,
    },
    {
      name: 'a server fault with a code the tool does not know',
      error: sdkError('SomethingBroke', { $fault: 'server', httpStatusCode: 500 }),
      code: 'SomethingBroke',
      retryable: true,
    },
    {
      name: 'a client fault (InvalidAMIID.Malformed)',
      error: ec2Error('InvalidAMIID.Malformed', 400),
      code: 'InvalidAMIID.Malformed',
      retryable: false,
    },
    {
      name: 'a client fault without an HTTP status',
      error: sdkError('UnauthorizedOperation', { $fault: 'client' }),
      code: 'UnauthorizedOperation',
      retryable: false,
    },
    {
      name: 'a permission refusal (403)',
      error: ec2Error('UnauthorizedOperation', 403),
      code: 'UnauthorizedOperation',
      retryable: false,
    },
    {
      name: 'a Node network error (ECONNRESET)',
      error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      code: 'ECONNRESET',
      retryable: true,
    },
    {
      name: 'a Node network error the retryable codes do not list (EPIPE)',
      error: Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      code: 'EPIPE',
      retryable: true,
    },
    {
      name: 'a DNS failure (ENOTFOUND)',
      error: Object.assign(new Error('getaddrinfo ENOTFOUND ec2.eu-west-1.amazonaws.com'), {
        code: 'ENOTFOUND',
      }),
      code: 'ENOTFOUND',
      retryable: true,
    },
    {
      name: "the SDK's request timeout (TimeoutError)",
      error: sdkError('TimeoutError'),
      code: 'TimeoutError',
      retryable: true,
    },
    {
      name: 'no credentials (CredentialsProviderError)',
      error: Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
        tryNextLink: false,
      }),
      code: 'CredentialsProviderError',
      retryable: false,
    },
  ];

  it.each(cases)('$name: AwsCallError $code, retryable $retryable', async ({ error, code, retryable }) => {
    const thrown = await classified(error);
    expect(thrown).toBeInstanceOf(AwsCallError);
    if (!(thrown instanceof AwsCallError)) return;
    expect(thrown.code).toBe(code);
    expect(thrown.retryable).toBe(retryable);
    expect(thrown.operation).toBe('DescribeImages');
    expect(thrown.region).toBe('eu-west-1');
    expect(thrown.cause).toBe(error);
    expect(thrown.message).toContain(`DescribeImages in eu-west-1 failed: ${code}`);
    expect(isRetryableAwsError(error)).toBe(retryable);
    expect(awsErrorCode(error)).toBe(code);
  });

  it.each([
    {
      name: 'a TypeError (a bug in an adapter)',
      error: new TypeError("Cannot read properties of undefined (reading 'Images')"),
    },
    {
      name: 'an InvariantError (an answer outside the contract)',
      error: new InvariantError('CopyImage answered without an image id'),
    },
    { name: 'a plain Error without code or metadata', error: new Error('boom') },
    {
      name: 'an Error whose code is not a network one',
      error: Object.assign(new Error('bad'), { code: 'ERR_INVALID_ARG_TYPE' }),
    },
    { name: 'something that is not an Error', error: 'a string' },
  ])('$name propagates unchanged: never an AwsCallError, never retried as one', async ({ error }) => {
    expect(await classified(error)).toBe(error);
    expect(isAwsOrNetworkError(error)).toBe(false);
  });

  it('an AwsCallError thrown again inside awsCall is kept as it is, not wrapped twice', async () => {
    const inner = new AwsCallError('CopyImage', 'us-east-1', ec2Error('RequestLimitExceeded', 503));
    expect(await classified(inner)).toBe(inner);
  });

  it('returns what the call returns', async () => {
    expect(await awsCall('DescribeImages', 'eu-west-1', async () => 42)).toBe(42);
  });
});

describe('retryable, for every error class', () => {
  it.each([
    { name: 'InvariantError', error: new InvariantError('x'), retryable: false },
    {
      name: 'AwsCallError with an explicit override (a failure inside a 200 answer)',
      error: new AwsCallError('PutEvents', 'us-east-1', sdkError('InternalFailure'), false),
      retryable: false,
    },
    {
      name: 'RetryableFailuresError',
      error: new RetryableFailuresError([
        new AwsCallError('CreateTags', 'us-east-1', ec2Error('RequestLimitExceeded', 503)),
      ]),
      retryable: true,
    },
  ])('$name: retryable $retryable', ({ error, retryable }) => {
    expect(error.retryable).toBe(retryable);
    expect(error.name).toBe(error.constructor.name);
  });

  it('an error that is not an Error is never retryable', () => {
    expect(isRetryableAwsError('RequestLimitExceeded')).toBe(false);
    expect(awsErrorCode(undefined)).toBe('UnknownError');
  });
});
