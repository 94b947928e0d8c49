import { DescribeKeyCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKeyReader } from '../../shared/aws/kms.js';
import { InvariantError } from '../../shared/core/errors.js';
import type { KeyReader } from '../../shared/core/ports.js';
import { callError, rejectionOf } from '../support/aws-errors.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

/**
 * The KMS adapter over a mocked client (the emulator has no KMS): what DescribeKey answers, and
 * the two refusals that mean "this account cannot use the key".
 */
const REGION = 'eu-west-1';
const kmsMock = mockClient(KMSClient);
restoreAfterAll(kmsMock);
let reader: KeyReader;

beforeEach(() => {
  kmsMock.reset();
  reader = createKeyReader(new KMSClient({ region: REGION }), REGION);
});

function kmsError(code: string, httpStatusCode = 400): KMSServiceException {
  return new KMSServiceException({
    name: code,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: `${code} (simulated)`,
  });
}

const ARN = 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('KMS adapter', () => {
  it('describes a key by alias: its ARN, manager and whether it is enabled', async () => {
    kmsMock
      .on(DescribeKeyCommand, { KeyId: 'alias/ami-copies' })
      .resolves({ KeyMetadata: { KeyId: 'k', Arn: ARN, KeyManager: 'CUSTOMER', Enabled: true } });
    expect(await reader.describeKey('alias/ami-copies')).toEqual({
      arn: ARN,
      manager: 'CUSTOMER',
      enabled: true,
    });
  });

  it('an AWS managed key (aws/ebs), disabled or not, is reported as AWS managed', async () => {
    kmsMock
      .on(DescribeKeyCommand)
      .resolves({ KeyMetadata: { KeyId: 'k', Arn: ARN, KeyManager: 'AWS', Enabled: false } });
    expect(await reader.describeKey('alias/aws/ebs')).toEqual({ arn: ARN, manager: 'AWS', enabled: false });
  });

  it.each(['NotFoundException', 'AccessDeniedException'])(
    '%s: the caller cannot use the key, undefined',
    async (code) => {
      kmsMock.on(DescribeKeyCommand).rejects(kmsError(code));
      expect(await reader.describeKey('alias/missing')).toBeUndefined();
    },
  );

  it('throttling and 5xx: a retryable AwsCallError; another refusal: a terminal one', async () => {
    kmsMock
      .on(DescribeKeyCommand)
      .rejectsOnce(kmsError('KMSThrottlingException'))
      .rejectsOnce(kmsError('KMSInternalException', 500))
      .rejectsOnce(kmsError('InvalidArnException'));
    const throttled = await callError(reader.describeKey('k'));
    expect([throttled.operation, throttled.region, throttled.retryable]).toEqual([
      'DescribeKey',
      REGION,
      true,
    ]);
    expect((await callError(reader.describeKey('k'))).retryable).toBe(true);
    const invalid = await callError(reader.describeKey('k'));
    expect([invalid.code, invalid.retryable]).toEqual(['InvalidArnException', false]);
  });

  it('an answer without the key is a broken contract, not a failure of AWS', async () => {
    kmsMock.on(DescribeKeyCommand).resolves({});
    await rejectionOf(reader.describeKey('k'), InvariantError);
  });
});
