/**
 * Typed errors. Every error the core raises says whether repeating the same work later can
 * succeed (`retryable`): the handler throws retryable failures so Lambda's own retry (every
 * action is idempotent) finishes the work, and reports terminal ones and ends cleanly.
 */
export abstract class AmiLifecycleError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input at the edge: an event that is not an `EC2 AMI State Change`, or misses a field. Never retried. */
export class InvalidEventError extends AmiLifecycleError {
  readonly retryable = false;
}

/** A rules file that does not validate. Each issue names the rule, the field and what is wrong. */
export class RulesValidationError extends AmiLifecycleError {
  readonly retryable = false;

  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`${source} is not a valid rules file:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
}

/**
 * AWS error codes (EC2 first) that describe a passing condition: throttling, capacity, eventual consistency
 * or a concurrency limit. The same call later can succeed.
 */
const RETRYABLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  // SNS and KMS report their throttling as client faults.
  'ThrottledException',
  'KMSThrottlingException',
  'BandwidthLimitExceeded',
  'InternalError',
  'InternalFailure',
  'ServerInternal',
  'ServiceUnavailable',
  'Unavailable',
  'ResourceLimitExceeded',
  'ConcurrentTagAccess',
  'IncorrectState',
  'RequestExpired',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

/** A failed call to an AWS API, with the service's error code kept as `code`. */
export class AwsCallError extends AmiLifecycleError {
  readonly retryable: boolean;
  readonly code: string;

  constructor(
    readonly operation: string,
    readonly region: string,
    cause: unknown,
    /** Overrides the classification by code, for failures the service reports inside a 200 answer. */
    retryable?: boolean,
  ) {
    const code = awsErrorCode(cause);
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${operation} in ${region} failed: ${code}: ${detail}`, { cause });
    this.code = code;
    this.retryable = retryable ?? isRetryableAwsError(cause);
  }
}

/** The error code of an SDK v3 error (EC2 codes arrive as `name`, e.g. `InvalidAMIID.NotFound`). */
export function awsErrorCode(error: unknown): string {
  if (error instanceof Error) {
    // Node's network errors are plain Errors whose `code` says what happened (ECONNRESET, ...).
    if (error.name === 'Error' && 'code' in error && typeof error.code === 'string') return error.code;
    return error.name;
  }
  return 'UnknownError';
}

/** Server faults (5xx), throttling and network failures are retryable; client faults are not. */
export function isRetryableAwsError(error: unknown): boolean {
  if (RETRYABLE_CODES.has(awsErrorCode(error))) return true;
  if (error instanceof Error && '$fault' in error) return error.$fault === 'server';
  // No $fault: the request never got an answer (socket, DNS, timeout), so trying again is sound.
  return error instanceof Error && !('$metadata' in error);
}

/** Raised after all the work that could be done is done, when some of it failed in a retryable way. */
export class RetryableFailuresError extends AmiLifecycleError {
  readonly retryable = true;

  constructor(readonly failures: readonly AwsCallError[]) {
    super(
      `${failures.length} action(s) failed and will be retried: ${failures.map((f) => f.message).join('; ')}`,
      { cause: failures[0] },
    );
  }
}
