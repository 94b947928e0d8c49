import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { AwsCallError } from '../../shared/core/errors.js';

/**
 * Errors for tests of the AWS adapters: the SDK errors a mocked client rejects with, and the
 * error a call under test must fail with.
 */

/** An EC2 error as the SDK raises it: the code is the error's name; a 5xx is a server fault unless `fault` says otherwise. */
export function ec2Error(
  code: string,
  httpStatusCode = 400,
  fault: 'client' | 'server' = httpStatusCode >= 500 ? 'server' : 'client',
): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: fault,
    $metadata: { httpStatusCode },
    message: `${code} (simulated)`,
  });
}

/** What `promise` rejects with, which must be a `type`: a success, or any other error, fails the test. */
export async function rejectionOf<E>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error('the call succeeded but should have failed');
}

/** The `AwsCallError` an adapter call must fail with. */
export function callError(promise: Promise<unknown>): Promise<AwsCallError> {
  return rejectionOf(promise, AwsCallError);
}
