import { STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { partitionOf, renewing } from '../../shared/aws/members.js';
import { callError } from '../support/aws-errors.js';

/** The member ports' credentials: one AssumeRole per account, renewed before expiry, refusals classified. */
describe('renewing credentials', () => {
  const identity = (n: number, expiresAt: number) => ({
    accessKeyId: `ASIA${n}`,
    secretAccessKey: 's',
    expiration: new Date(expiresAt),
  });

  it('one AssumeRole for every caller until 5 minutes before expiry, then a new one', async () => {
    let clock = 0;
    let calls = 0;
    const provider = renewing(
      async () => identity(++calls, 60 * 60_000),
      'AssumeRole of r',
      'us-east-1',
      () => clock,
    );
    const [a, b] = await Promise.all([provider(), provider()]);
    expect([a.accessKeyId, b.accessKeyId, calls]).toEqual(['ASIA1', 'ASIA1', 1]);
    clock = 54 * 60_000;
    expect((await provider()).accessKeyId).toBe('ASIA1');
    clock = 56 * 60_000;
    expect((await provider()).accessKeyId).toBe('ASIA2');
  });

  it('a refusal is a terminal AwsCallError naming the role, and is not kept: the next call asks again', async () => {
    let calls = 0;
    const provider = renewing(
      async () => {
        calls += 1;
        if (calls === 1)
          throw new STSServiceException({
            name: 'AccessDenied',
            $fault: 'client',
            $metadata: { httpStatusCode: 403 },
            message: 'not authorized to perform: sts:AssumeRole',
          });
        return identity(calls, Date.now() + 3600_000);
      },
      'AssumeRole of arn:aws:iam::222222222222:role/m (account 222222222222)',
      'eu-west-1',
    );
    const error = await callError(provider());
    expect([error.code, error.retryable]).toEqual(['AccessDenied', false]);
    expect(error.message).toMatch(
      /^AssumeRole of arn:aws:iam::222222222222:role\/m \(account 222222222222\) in eu-west-1 failed/,
    );
    expect((await provider()).accessKeyId).toBe('ASIA2');
  });

  it('the partition of the role ARN follows the region', () => {
    expect(['us-east-1', 'cn-north-1', 'us-gov-west-1'].map(partitionOf)).toEqual([
      'aws',
      'aws-cn',
      'aws-us-gov',
    ]);
  });
});
