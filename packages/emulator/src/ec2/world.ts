import { type AmiEventState, amiStateChangeEvent, EventBus } from './events.js';
import type { Faults } from './faults.js';
import {
  type BlockPublicAccessState,
  canLaunch,
  createRegionState,
  type ImageRecord,
  type OrganizationMembership,
  type RegionState,
  type StateReason,
  snapshotIdsOf,
} from './model.js';
import type { KmsKeyUsable } from './options.js';
import type { ImageReferenceSource } from './reference-sources.js';
import type { RegionRegistry } from './regions.js';

/**
 * Everything the emulator knows and does outside a single request: the per-region state, the
 * clock, AMI events, and the timers that finish AMI copies. Action handlers reach it through
 * `ActionContext.world`; the seeding API uses it directly.
 */
export interface WorldOptions {
  accountId: string;
  regions: RegionRegistry;
  now: () => Date;
  faults: Faults;
  copyDelayMs: number;
  maxConcurrentCopiesPerRegion: number;
  blockPublicAccess: (region: string) => BlockPublicAccessState;
  /** The organization an account is in, for organization and OU launch permissions; none: not in one. */
  membershipOf?: (accountId: string) => OrganizationMembership | undefined;
  /** Whether an account can use a KMS key; none: customer managed keys are taken as shared. */
  kmsKeyUsable?: KmsKeyUsable;
}

/** How a started copy will end, decided when CopyImage is called. */
export interface CopyOutcome {
  failure?: StateReason;
}

interface PendingCopy {
  imageId: string;
  region: string;
  ownerId: string;
  requestId: string;
  outcome: CopyOutcome;
  timer: NodeJS.Timeout;
}

export class World {
  readonly accountId: string;
  readonly regions: RegionRegistry;
  readonly faults: Faults;
  readonly copyDelayMs: number;
  readonly maxConcurrentCopiesPerRegion: number;
  readonly events = new EventBus();
  /** Other services' contributions to DescribeImageReferences, in registration order. */
  readonly referenceSources = new Set<ImageReferenceSource>();
  /** Whether an account can use a KMS key (undefined: not modelled, customer keys are shared). */
  readonly kmsKeyUsable: KmsKeyUsable | undefined;
  private readonly clock: () => Date;
  private readonly blockPublicAccess: (region: string) => BlockPublicAccessState;
  private readonly membershipOf: (accountId: string) => OrganizationMembership | undefined;
  private readonly states = new Map<string, RegionState>();
  private readonly pendingCopies = new Map<string, PendingCopy>();
  private closed = false;

  constructor(options: WorldOptions) {
    this.accountId = options.accountId;
    this.regions = options.regions;
    this.clock = options.now;
    this.faults = options.faults;
    this.copyDelayMs = options.copyDelayMs;
    this.maxConcurrentCopiesPerRegion = options.maxConcurrentCopiesPerRegion;
    this.blockPublicAccess = options.blockPublicAccess;
    this.membershipOf = options.membershipOf ?? (() => undefined);
    this.kmsKeyUsable = options.kmsKeyUsable;
  }

  /** Whether `accountId` may launch (and so see) `image`: `canLaunch` with the account's organization. */
  canLaunch(image: ImageRecord, accountId: string): boolean {
    return canLaunch(image, accountId, this.membershipOf(accountId));
  }

  /** The account's place in the organization (undefined: in none). */
  membership(accountId: string): OrganizationMembership | undefined {
    return this.membershipOf(accountId);
  }

  now(): Date {
    return this.clock();
  }

  /** The state of a known region, created on first use. Throws for a region the registry does not know. */
  region(name: string): RegionState {
    let state = this.states.get(name);
    if (state === undefined) {
      if (!this.regions.isKnown(name)) throw new RangeError(`Unknown region: ${name}`);
      state = createRegionState(name, this.blockPublicAccess(name));
      this.states.set(name, state);
    }
    return state;
  }

  emitImageState(image: ImageRecord, state: AmiEventState, requestId: string, errorMessage?: string): void {
    this.events.emit(
      amiStateChangeEvent({
        account: image.ownerId,
        region: image.region,
        imageId: image.imageId,
        state,
        requestId,
        errorMessage,
        time: this.now(),
      }),
    );
  }

  /** Copies into `region` for `ownerId` that are still pending: the concurrent-copy quota's count. */
  copiesInProgress(region: string, ownerId: string): number {
    let count = 0;
    for (const copy of this.pendingCopies.values()) {
      if (copy.region === region && copy.ownerId === ownerId) count += 1;
    }
    return count;
  }

  /** Finishes the pending copy `image` after `copyDelayMs` (or when `completePendingCopies` runs). */
  scheduleCopy(image: ImageRecord, requestId: string, outcome: CopyOutcome): void {
    if (this.closed) return;
    const timer = setTimeout(() => this.finishCopy(image.imageId), this.copyDelayMs);
    // A copy in flight must not keep a test process or a script alive on its own.
    timer.unref();
    this.pendingCopies.set(image.imageId, {
      imageId: image.imageId,
      region: image.region,
      ownerId: image.ownerId,
      requestId,
      outcome,
      timer,
    });
  }

  /** Stops tracking a copy whose image went away (deregistered while pending). */
  cancelCopy(imageId: string): void {
    const copy = this.pendingCopies.get(imageId);
    if (copy === undefined) return;
    clearTimeout(copy.timer);
    this.pendingCopies.delete(imageId);
  }

  /** Finishes every pending copy now, in start order (or only those into `region`). */
  completePendingCopies(region?: string): void {
    for (const copy of [...this.pendingCopies.values()]) {
      if (region === undefined || copy.region === region) this.finishCopy(copy.imageId);
    }
  }

  pendingCopyCount(): number {
    return this.pendingCopies.size;
  }

  private finishCopy(imageId: string): void {
    const copy = this.pendingCopies.get(imageId);
    if (copy === undefined) return;
    this.cancelCopy(imageId);
    const region = this.region(copy.region);
    const image = region.images.get(imageId);
    if (image === undefined || image.state !== 'pending') return;
    const failure = copy.outcome.failure;
    const snapshots = snapshotIdsOf(image).flatMap((id) => {
      const snapshot = region.snapshots.get(id);
      return snapshot === undefined ? [] : [snapshot];
    });
    if (failure === undefined) {
      image.state = 'available';
      for (const snapshot of snapshots) {
        snapshot.state = 'completed';
        snapshot.progress = '100%';
      }
      this.emitImageState(image, 'available', copy.requestId);
    } else {
      image.state = 'failed';
      image.stateReason = failure;
      for (const snapshot of snapshots) {
        snapshot.state = 'error';
        snapshot.stateMessage = failure.message;
      }
      this.emitImageState(image, 'failed', copy.requestId, failure.message);
    }
  }

  /** Stops every timer; pending copies stay pending. Idempotent. */
  close(): void {
    this.closed = true;
    for (const copy of this.pendingCopies.values()) clearTimeout(copy.timer);
    this.pendingCopies.clear();
  }
}
