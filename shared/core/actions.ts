import type { LaunchPermission, Tags } from './model.js';
import type { CopyImageRequest } from './ports.js';

/** A tag the plan sets: new, or replacing another value. */
export interface TagChange {
  readonly key: string;
  readonly value: string;
  readonly previous?: string;
}

/**
 * One change to make in one region. Each maps to one EC2 call and is safe to repeat: tags and
 * permissions are set, not toggled, and a copy carries a deterministic client token.
 */
export type Action =
  | {
      readonly kind: 'tag';
      readonly region: string;
      /** The image whose resources these are (the image itself and/or its snapshots). */
      readonly imageId: string;
      readonly resourceIds: readonly string[];
      readonly changes: readonly TagChange[];
    }
  | {
      readonly kind: 'share-image';
      readonly region: string;
      readonly imageId: string;
      readonly add: readonly LaunchPermission[];
    }
  | {
      readonly kind: 'share-snapshot';
      readonly region: string;
      readonly imageId: string;
      readonly snapshotId: string;
      readonly addUserIds: readonly string[];
    }
  | ({
      readonly kind: 'copy';
      /** The destination region: CopyImage is called there. */
      readonly region: string;
      readonly rule: string;
      /** How many earlier copies of this source failed in this region; part of the token, so a retry is a new request. */
      readonly generation: number;
    } & CopyImageRequest);

export type ActionKind = Action['kind'];

/** Something the planner decided not to do, and why: shown with the plan so nothing is silently skipped. */
export interface PlanNote {
  readonly region: string;
  readonly imageId?: string;
  readonly message: string;
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly notes: readonly PlanNote[];
}

export function tagsOf(changes: readonly TagChange[]): Tags {
  return Object.fromEntries(changes.map((c) => [c.key, c.value]));
}
