/**
 * Typed errors, classified once. Every error the core raises says whether repeating the same work
 * later can succeed (`retryable`): the handler throws retryable failures so Lambda's own retry
 * (every action is idempotent) finishes the work, and reports terminal ones and ends cleanly.
 *
 * The one rule for AWS: only an error that came from AWS or from the network on the way to it is
 * an `AwsCallError` (see `awsCall`). Anything else thrown inside an adapter, a `TypeError` or an
 * answer that breaks the API's contract, is a bug or a broken invariant: it is never retried and
 * never turned into "the region is unavailable".
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
 * Something that cannot happen did: AWS answered outside its contract (CopyImage without an image
 * id), or the tool's own state contradicts itself. Terminal and loud: retrying would repeat it.
 */
export class InvariantError extends AmiLifecycleError {
  readonly retryable = false;
}

/**
 * AWS error codes (EC2 first) that describe a passing condition: throttling, capacity, eventual consistency
 * or a concurrency limit. The same call later can succeed.
 */
/** Throttling as AWS's services spell it: the same call later can succeed, and operators count it. */
const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  // SNS and KMS report their throttling as client faults.
  'ThrottledException',
  'KMSThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
]);

const RETRYABLE_CODES = new Set([
  ...THROTTLING_CODES,
  'BandwidthLimitExceeded',
  'InternalError',
  'InternalFailure',
  'ServerInternal',
  'ServiceUnavailable',
  'Unavailable',
  'ResourceLimitExceeded',
  'ConcurrentTagAccess',
  // SSM: another update of the parameter is in progress (an `aws:ec2:image` value still validating).
  'TooManyUpdates',
  'IncorrectState',
  'RequestExpired',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

/** Node's codes for a request that never got an answer: trying again is sound. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Errors the SDK raises before or around a request, not from a service answer. */
const SDK_CLIENT_ERRORS = new Set(['TimeoutError', 'CredentialsProviderError', 'AbortError']);

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
    // An answer the SDK could not parse keeps only its HTTP status.
    if (error.name === 'Error' && httpStatus(error) !== undefined) return `HTTP${httpStatus(error)}`;
    return error.name;
  }
  return 'UnknownError';
}

function httpStatus(error: Error): number | undefined {
  if (!('$metadata' in error)) return undefined;
  const metadata: unknown = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** Whether AWS answered "slow down": a throttling code, or HTTP 429 whatever the code. */
export function isThrottlingError(error: unknown): boolean {
  if (THROTTLING_CODES.has(awsErrorCode(error))) return true;
  return error instanceof Error && httpStatus(error) === 429;
}

/**
 * Whether an error came from AWS (a service answer, parsed or not) or from the network on the way
 * to it. Only these become `AwsCallError`; everything else is the tool's own bug.
 */
export function isAwsOrNetworkError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if ('$metadata' in error || '$fault' in error) return true;
  if (SDK_CLIENT_ERRORS.has(error.name)) return true;
  return 'code' in error && typeof error.code === 'string' && NETWORK_CODES.has(error.code);
}

/**
 * Server faults (5xx, with or without a body the SDK could parse), throttling (429 and the
 * throttling codes) and network failures are retryable; client faults are not.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (RETRYABLE_CODES.has(awsErrorCode(error))) return true;
  if (!(error instanceof Error)) return false;
  const status = httpStatus(error);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if ('$fault' in error) return error.$fault === 'server';
  // No answer at all (socket, DNS, timeout): trying again is sound. A credentials problem is not.
  return !('$metadata' in error) && error.name !== 'CredentialsProviderError' && isAwsOrNetworkError(error);
}

/**
 * Runs one AWS call and classifies its failure, the one place that does: an error from AWS or the
 * network becomes an `AwsCallError` naming the operation and region; any other error (a bug, an
 * `InvariantError`) propagates unchanged.
 */
export async function awsCall<T>(operation: string, region: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    rethrowClassified(operation, region, error);
  }
}

/** Throws `error` classified as `awsCall` does: an `AwsCallError` when it came from AWS or the network, else as it is. */
export function rethrowClassified(operation: string, region: string, error: unknown): never {
  if (error instanceof AmiLifecycleError || !isAwsOrNetworkError(error)) throw error;
  throw new AwsCallError(operation, region, error);
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
