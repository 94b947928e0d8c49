import { Ec2Error } from './errors.js';

/**
 * Fault injection, reproducible from a seed: the same seed and the same sequence of calls give the
 * same faults. All rates are probabilities in [0, 1].
 */
export interface FaultOptions {
  /** PRNG seed; default 1. */
  seed?: number;
  /** Share of calls answered with a server error: 500 `InternalError` or 503 `Unavailable`. */
  serverErrorRate?: number;
  /** Added response latency, uniformly drawn from [min, max] milliseconds (the call's effect is applied first). */
  latencyMs?: { min: number; max: number } | readonly [min: number, max: number];
  /** Share of CopyImage calls whose copy ends `failed` (with a stateReason) instead of `available`. */
  failedCopyRate?: number;
  /** Restricts serverErrorRate and latencyMs to these actions; default every action. */
  actions?: readonly string[];
}

/** mulberry32: a small, fast 32-bit PRNG, good enough for fault dice. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkRate(name: string, rate: number | undefined): number {
  const value = rate ?? 0;
  if (!(value >= 0 && value <= 1))
    throw new RangeError(`faults.${name} must be between 0 and 1, got ${rate}`);
  return value;
}

export class Faults {
  private readonly random: () => number;
  private readonly serverErrorRate: number;
  private readonly failedCopyRate: number;
  private readonly latency: { min: number; max: number } | undefined;
  private readonly actions: ReadonlySet<string> | undefined;
  /** Per destination region: messages of copies told to fail by `failNextCopy`, oldest first. */
  private readonly forcedCopyFailures = new Map<string, string[]>();

  constructor(options: FaultOptions = {}) {
    this.random = mulberry32(options.seed ?? 1);
    this.serverErrorRate = checkRate('serverErrorRate', options.serverErrorRate);
    this.failedCopyRate = checkRate('failedCopyRate', options.failedCopyRate);
    const range = options.latencyMs;
    const latency =
      range === undefined ? undefined : 'min' in range ? range : { min: range[0], max: range[1] };
    if (latency !== undefined && !(latency.min >= 0 && latency.max >= latency.min)) {
      throw new RangeError('faults.latencyMs needs 0 <= min <= max');
    }
    this.latency = latency;
    this.actions = options.actions === undefined ? undefined : new Set(options.actions);
  }

  private applies(action: string): boolean {
    return this.actions === undefined || this.actions.has(action);
  }

  /** Milliseconds to delay this call's response (0 for none). */
  latencyFor(action: string): number {
    if (this.latency === undefined || !this.applies(action)) return 0;
    const { min, max } = this.latency;
    return min + this.random() * (max - min);
  }

  /** An injected server error for this call, or undefined. */
  serverErrorFor(action: string): Ec2Error | undefined {
    if (this.serverErrorRate === 0 || !this.applies(action)) return undefined;
    if (this.random() >= this.serverErrorRate) return undefined;
    return this.random() < 0.5
      ? new Ec2Error('InternalError', 'An internal error has occurred', 500)
      : new Ec2Error('Unavailable', "The server is overloaded and can't handle the request", 503);
  }

  /** Makes the next CopyImage into `region` end `failed` with `message`. */
  failNextCopy(region: string, message: string): void {
    const queue = this.forcedCopyFailures.get(region) ?? [];
    queue.push(message);
    this.forcedCopyFailures.set(region, queue);
  }

  /** Decides at CopyImage time whether that copy will fail; the failure message, or undefined. */
  copyFailureFor(region: string): string | undefined {
    const forced = this.forcedCopyFailures.get(region)?.shift();
    if (forced !== undefined) return forced;
    if (this.failedCopyRate > 0 && this.random() < this.failedCopyRate) {
      return 'An internal error has occurred during the AMI copy';
    }
    return undefined;
  }
}
