import { expect } from 'vitest';

/** What `promise` rejects with, which must be a `type`: a success, or any other error, fails the test. */
export async function rejectionOf<E>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const reason: unknown = await promise.then(
    () => expect.fail('the call succeeded but should have failed'),
    (error: unknown) => error,
  );
  if (reason instanceof type) return reason;
  throw reason;
}
