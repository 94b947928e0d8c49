/**
 * EC2 request-rate limiting as AWS describes it: a token bucket per account, per region, per API
 * class; a call takes one token, buckets refill at a steady rate up to their capacity, and a call
 * finding its bucket empty fails with `RequestLimitExceeded`
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). Two classes
 * are modelled: non-mutating (`Describe*`, `Get*`) and mutating (everything else).
 */
export type ApiClass = 'non-mutating' | 'mutating';

export interface BucketConfig {
  /** Tokens in a full bucket: the burst a client can send at once. */
  capacity: number;
  /** Tokens added per second, fractional allowed; 0 never refills (useful in tests). */
  refillPerSecond: number;
}

export interface ThrottleOptions {
  /** Default: capacity 100, refill 20/s. */
  nonMutating?: Partial<BucketConfig>;
  /** Default: capacity 50, refill 5/s. */
  mutating?: Partial<BucketConfig>;
  /** Monotonic milliseconds; default `performance.now()`. Injectable so tests control refills. */
  clock?: () => number;
}

export const DEFAULT_BUCKETS: Record<ApiClass, BucketConfig> = {
  'non-mutating': { capacity: 100, refillPerSecond: 20 },
  mutating: { capacity: 50, refillPerSecond: 5 },
};

export function apiClassOf(action: string): ApiClass {
  return action.startsWith('Describe') || action.startsWith('Get') ? 'non-mutating' : 'mutating';
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class Throttle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly config: Record<ApiClass, BucketConfig>;
  private readonly clock: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.config = {
      'non-mutating': { ...DEFAULT_BUCKETS['non-mutating'], ...options.nonMutating },
      mutating: { ...DEFAULT_BUCKETS.mutating, ...options.mutating },
    };
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Takes one token for the call; false when the bucket is empty (the call is throttled). */
  tryTake(accountId: string, region: string, action: string): boolean {
    const apiClass = apiClassOf(action);
    const config = this.config[apiClass];
    const key = `${accountId}:${region}:${apiClass}`;
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: config.capacity, updatedAt: now };
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(config.capacity, bucket.tokens + elapsedSeconds * config.refillPerSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Refills every bucket (tests and benchmarks start from a known state). */
  reset(): void {
    this.buckets.clear();
  }
}
