import type { ParameterStoreChangeEvent } from './events.js';
import type { Input } from './input.js';
import type { PendingChange, RegionStore } from './store.js';

/** What an action handler sees of one request. */
export interface SsmContext {
  /** The parameters of the calling account in the request's region. */
  store: RegionStore;
  input: Input;
  /** The emulator clock, read once per request. */
  now: Date;
  /** `LastModifiedUser`: the caller as STS names it (`arn:aws:iam::<account>:user/local`). */
  user: string;
  emit(event: ParameterStoreChangeEvent): void;
  /** Hands an `aws:ec2:image` change to the asynchronous validation. */
  scheduleValidation(change: PendingChange): void;
}

/**
 * An action: validates the whole request before changing anything (so a refused call leaves no
 * trace), then returns the response body. Throws `SsmError` for an API error.
 */
export type SsmAction = (ctx: SsmContext) => Record<string, unknown>;
