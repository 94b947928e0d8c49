import type { LaunchPermission, Tags } from './model.js';
import type { Release, RuleState } from './pointers-model.js';
import type { CopyImageRequest } from './ports.js';

/**
 * The one action model: everything the tool ever does to AWS is one of these, planned by a pure
 * function, rendered by one renderer (`render.ts`) and carried out by one applier (`apply.ts`).
 *
 * Every action is safe to repeat: tags and permissions are set, not toggled; a copy carries a
 * deterministic client token; deprecation is only ever brought forward; deregistering or deleting
 * what is already gone counts as done. Each action maps to one AWS call (a copy whose token is
 * spent, to a few: see `CopyAction`).
 *
 * `id` names the action within its plan (`kind:region:resource`); `after` lists the ids that must
 * have been applied before it starts (source tags before its copies, so CopyImageTags carries the
 * final tags; a deregistration before its snapshots' deletion and its announcement). An action
 * whose prerequisite failed or was not started is not started either. `waitsFor` only orders:
 * an announcement waits for every copy it reports, whether or not each one started.
 */

/** A tag the plan sets: new, or replacing another value. */
export interface TagChange {
  readonly key: string;
  readonly value: string;
  readonly previous?: string;
}

interface Base {
  readonly id: string;
  /** Where the call is made (CopyImage: the destination; an announcement: the bus's region). */
  readonly region: string;
  /** Applied before this one starts; if one is not, this one is not started either. */
  readonly after?: readonly string[];
  /** Settled before this one starts, however they went (an announcement reports their outcomes). */
  readonly waitsFor?: readonly string[];
}

/** Which family an image belongs to: what retirement and announcements report. */
export interface Lineage {
  readonly rule: string;
  readonly role: 'source' | 'copy';
  readonly sourceImageId: string;
  readonly sourceRegion: string;
}

export interface TagAction extends Base {
  readonly kind: 'tag';
  /** The image whose resources these are (the image itself and/or its snapshots); several when tags are grouped. */
  readonly imageIds: readonly string[];
  readonly resourceIds: readonly string[];
  readonly changes: readonly TagChange[];
}

export interface ShareImageAction extends Base {
  readonly kind: 'share-image';
  readonly imageId: string;
  readonly add: readonly LaunchPermission[];
}

/** Launch permissions the rule forbids (public without `allowPublic`): drift, removed. */
export interface UnshareImageAction extends Base {
  readonly kind: 'unshare-image';
  readonly imageId: string;
  readonly remove: readonly LaunchPermission[];
  readonly reason: string;
}

export interface ShareSnapshotAction extends Base {
  readonly kind: 'share-snapshot';
  readonly imageId: string;
  readonly snapshotId: string;
  readonly addUserIds: readonly string[];
}

/**
 * A copy into `region`. `generation` numbers the attempts: each has its own client token, so a
 * copy that failed or is gone is replaced by a new request, while a retry of the same attempt is
 * deduplicated by EC2. What CopyImage returns is checked: an image id among `spentImageIds` (copies
 * of this source seen here that are not live), or, with `verify`, one that DescribeImages does not
 * show live, means the token was spent on a copy that no longer exists; the next generation is
 * tried (a few at most).
 */
export interface CopyAction extends Base, CopyImageRequest {
  readonly kind: 'copy';
  readonly rule: string;
  readonly generation: number;
  /** The source's creation date, for the copy cap's newest-first order. */
  readonly sourceCreationDate?: string;
  readonly spentImageIds: readonly string[];
  /** Describe the returned image: the plan could not see every earlier copy (see the type's comment). */
  readonly verify: boolean;
}

export interface DeprecateAction extends Base, Lineage {
  readonly kind: 'deprecate';
  readonly imageId: string;
  /** UTC, a whole minute. */
  readonly at: Date;
  readonly reason: string;
}

/**
 * DisableImage: the retirement stage between deprecation and deregistration. EC2 removes every
 * launch permission with it (EnableImage does not restore them: the plan shares the image again).
 * Disabling a disabled image is not planned; repeating one that went through is harmless.
 */
export interface DisableImageAction extends Base, Lineage {
  readonly kind: 'disable-image';
  readonly imageId: string;
  readonly reason: string;
}

/** EnableImage: a disabled image made launchable again (rollback). */
export interface EnableImageAction extends Base {
  readonly kind: 'enable-image';
  readonly imageId: string;
  readonly reason: string;
}

/** DisableImageDeprecation: a deprecated image made current again (rollback). */
export interface UndeprecateAction extends Base {
  readonly kind: 'undeprecate';
  readonly imageId: string;
  readonly reason: string;
}

/**
 * DeregisterImage with its snapshots (`DeleteAssociatedSnapshots`). A lost answer is confirmed by
 * reading: an image EC2 no longer shows counts as deregistered.
 */
export interface DeregisterAction extends Base, Lineage {
  readonly kind: 'deregister';
  readonly imageId: string;
  readonly snapshotIds: readonly string[];
  readonly reason: string;
}

/**
 * DeleteSnapshot of a snapshot the tool retired: after its image's deregistration when EC2 did not
 * delete it with the image, or on a later run when its image is already gone (a deletion that
 * failed is swept then). A snapshot already gone counts as deleted; one still in use is kept.
 */
export interface DeleteSnapshotAction extends Base {
  readonly kind: 'delete-snapshot';
  readonly imageId: string;
  readonly snapshotId: string;
  readonly reason: string;
}

/**
 * A managed SSM parameter moved to `imageId` (PutParameter, data type `aws:ec2:image`): created
 * with the tool's tags when it did not exist (`exists`), else overwritten. AWS validates the value
 * asynchronously: a GetParameters shows the previous value until it has.
 */
export interface PutParameterAction extends Base {
  readonly kind: 'put-parameter';
  readonly rule: string;
  readonly name: string;
  readonly imageId: string;
  /** The image it named before, when it existed. */
  readonly previous?: string;
  readonly exists: boolean;
  readonly release: Release;
}

/** LabelParameterVersion: the version that names the release gets the release's label. */
export interface LabelParameterAction extends Base {
  readonly kind: 'label-parameter';
  readonly rule: string;
  readonly name: string;
  readonly version: number;
  readonly label: string;
}

/**
 * A named launch template moved to `imageId`: a new version from the default (`sourceVersion`)
 * with only the image id changed (CreateLaunchTemplateVersion with a deterministic client token,
 * so a repeat answers the version already made), and, with `makeDefault`, that version made the
 * default (ModifyLaunchTemplate). `version`: the version carrying the image exists already (the
 * latest); only the default is moved.
 */
export interface TemplateVersionAction extends Base {
  readonly kind: 'template-version';
  readonly rule: string;
  readonly templateId: string;
  /** The template as the rule names it. */
  readonly template: string;
  readonly imageId: string;
  readonly previous?: string;
  readonly sourceVersion: number;
  readonly version?: number;
  readonly makeDefault: boolean;
  readonly clientToken: string;
  readonly release: Release;
}

/** The rule's state in the region (`/ami-lifecycle/rules/<rule>`), written after the pointers moved. */
export interface PutRuleStateAction extends Base {
  readonly kind: 'put-rule-state';
  readonly rule: string;
  readonly state: RuleState;
  readonly exists: boolean;
  /** What changes, in words (`head -> ami-…`, `pinned to ami-…`). */
  readonly change: string;
}

/** What the tool tells operators on its bus once the actions it follows are applied. */
export type Announcement =
  | {
      readonly kind: 'distribution-started';
      readonly rule: string;
      readonly sourceImageId: string;
      readonly sourceRegion: string;
      readonly imageName: string;
      readonly targetRegions: readonly string[];
    }
  | ({ readonly kind: 'deprecated'; readonly imageId: string; readonly region: string } & Lineage & {
        readonly deprecationTime: string;
        readonly reason: string;
      })
  | ({ readonly kind: 'disabled'; readonly imageId: string; readonly region: string } & Lineage & {
        readonly reason: string;
      })
  | ({ readonly kind: 'deregistered'; readonly imageId: string; readonly region: string } & Lineage & {
        readonly reason: string;
        readonly snapshotIds: readonly string[];
      })
  /** The moves it waits for that were applied are reported (none applied: nothing is published). */
  | {
      readonly kind: 'pointers-moved';
      readonly rule: string;
      readonly sourceImageId: string;
      readonly sourceRegion: string;
      readonly imageId: string;
      readonly region: string;
    }
  /** The regions whose rule state it waits for was written are reported. */
  | {
      readonly kind: 'rollback';
      readonly rule: string;
      readonly sourceImageId: string;
      readonly sourceRegion: string;
      readonly pinned: boolean;
      readonly by: string;
    };

/**
 * An event on the tool's bus, published after `after`. Its content that depends on how those went
 * (which copies started, which snapshots were deleted) is filled in from their outcomes.
 */
export interface AnnounceAction extends Base {
  readonly kind: 'announce';
  readonly announcement: Announcement;
}

export type Action =
  | TagAction
  | ShareImageAction
  | UnshareImageAction
  | ShareSnapshotAction
  | CopyAction
  | DeprecateAction
  | DisableImageAction
  | EnableImageAction
  | UndeprecateAction
  | DeregisterAction
  | DeleteSnapshotAction
  | PutParameterAction
  | LabelParameterAction
  | TemplateVersionAction
  | PutRuleStateAction
  | AnnounceAction;

export type ActionKind = Action['kind'];

export type ActionOf<K extends ActionKind> = Extract<Action, { kind: K }>;

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

/** The image an action is about (a grouped tag action: its first), for reports per image. */
export function subjectImageIds(action: Action): readonly string[] {
  switch (action.kind) {
    case 'tag':
      return action.imageIds;
    case 'copy':
    case 'put-parameter':
    case 'label-parameter':
    case 'template-version':
    case 'put-rule-state':
      // Pointers are the rule's, not the image's: a pointer that did not move leaves the image converged.
      return [];
    case 'announce':
      return 'imageId' in action.announcement ? [action.announcement.imageId] : [];
    default:
      return [action.imageId];
  }
}

/** The action's id: its kind, its region and what it acts on, unique within a plan. */
export function actionId(kind: ActionKind, region: string, resource: string): string {
  return `${kind}:${region}:${resource}`;
}

export function isKind<K extends ActionKind>(kind: K): (action: Action) => action is ActionOf<K> {
  return (action): action is ActionOf<K> => action.kind === kind;
}

const PHASE: Record<ActionKind, number> = {
  'enable-image': 0,
  undeprecate: 0,
  tag: 1,
  'unshare-image': 2,
  'share-image': 3,
  'share-snapshot': 4,
  copy: 5,
  'template-version': 6,
  'put-parameter': 6,
  'label-parameter': 7,
  'put-rule-state': 8,
  deprecate: 9,
  'disable-image': 10,
  deregister: 11,
  'delete-snapshot': 12,
  announce: 13,
};

/**
 * Images brought back (rollback), then tags, then permissions, then copies, then pointers, then
 * retirement, each kind in the order planned: the order
 * the applier starts actions in within a region (edges order what must be ordered).
 */
export function sortByPhase(actions: readonly Action[]): Action[] {
  const order = new Map(actions.map((a, i) => [a, i]));
  return [...actions].sort(
    (a, b) => PHASE[a.kind] - PHASE[b.kind] || (order.get(a) ?? 0) - (order.get(b) ?? 0),
  );
}

/**
 * The actions without `removed`, and without every action that must follow one of them (`after`,
 * transitively); `waitsFor` references to them are dropped (they only ordered).
 */
export function dropActions(actions: readonly Action[], removed: ReadonlySet<string>): Action[] {
  const gone = new Set(removed);
  for (let changed = true; changed; ) {
    changed = false;
    for (const action of actions) {
      if (!gone.has(action.id) && (action.after ?? []).some((id) => gone.has(id))) {
        gone.add(action.id);
        changed = true;
      }
    }
  }
  return actions
    .filter((a) => !gone.has(a.id))
    .map((a) =>
      a.waitsFor === undefined ? a : { ...a, waitsFor: a.waitsFor.filter((id) => !gone.has(id)) },
    );
}
