import type { Action, CopyAction, DeleteSnapshotAction, DeregisterAction } from './actions.js';
import { tagsOf } from './actions.js';
import type { ActionOutcome } from './apply.js';
import { AwsCallError, InvariantError } from './errors.js';
import { executePointer, type PointerResult } from './execute-pointers.js';
import type { ObservedImage } from './model.js';
import { copyRequest, occupiesRegion } from './plan-copy.js';
import type { Ec2Port, SnapshotDeletionResult, SsmPort } from './ports.js';

/**
 * One AWS call (or a few, for a copy whose token is spent) per action: the only code that turns an
 * action into calls. Each executor is safe to repeat and treats "already done" as done.
 */

export type ActionResult =
  | PointerResult
  | { readonly kind: 'copy'; readonly imageId: string; readonly generation: number }
  | {
      readonly kind: 'deregister';
      readonly snapshotResults: readonly SnapshotDeletionResult[];
      /** The answer was lost (or was "not found" on a repeat): the image was confirmed gone by reading. */
      readonly confirmedByReading: boolean;
    }
  | {
      readonly kind: 'delete-snapshot';
      /** `with-image`: DeregisterImage deleted it already, no call made. */
      readonly outcome: 'deleted' | 'with-image' | 'not-found' | 'in-use';
      readonly detail?: string;
    };

/** Generations a copy tries before giving up: each spent token costs a CopyImage (and a read). */
export const MAX_COPY_GENERATIONS = 5;

export async function execute(
  action: Exclude<Action, { kind: 'announce' }>,
  ec2: Ec2Port,
  prerequisites: readonly ActionOutcome[],
  /** For the pointers' parameters; a plan with a parameter action and no port is a wiring bug. */
  ssm?: SsmPort,
  /** How a copy with `verify` reads the image CopyImage answered (the applier's batched read); default one DescribeImages. */
  describeCopy: (imageId: string) => Promise<ObservedImage | undefined> = (imageId) =>
    ec2.describeImage(imageId),
): Promise<ActionResult | undefined> {
  switch (action.kind) {
    case 'tag':
      await ec2.createTags(action.resourceIds, tagsOf(action.changes));
      return undefined;
    case 'share-image':
      await ec2.addLaunchPermissions(action.imageId, action.add);
      return undefined;
    case 'unshare-image':
      await ec2.removeLaunchPermissions(action.imageId, action.remove);
      return undefined;
    case 'share-snapshot':
      await ec2.addCreateVolumePermissions(action.snapshotId, action.addUserIds);
      return undefined;
    case 'deprecate':
      await ec2.enableDeprecation(action.imageId, action.at);
      return undefined;
    case 'undeprecate':
      await ec2.disableDeprecation(action.imageId);
      return undefined;
    case 'disable-image':
      await toState(ec2, action.imageId, 'disabled', () => ec2.disableImage(action.imageId));
      return undefined;
    case 'enable-image':
      await toState(ec2, action.imageId, 'available', () => ec2.enableImage(action.imageId));
      return undefined;
    case 'copy':
      return copy(action, ec2, describeCopy);
    case 'deregister':
      return deregister(action, ec2);
    case 'delete-snapshot':
      return deleteSnapshot(action, ec2, prerequisites);
    case 'put-parameter':
    case 'label-parameter':
    case 'template-version':
    case 'put-rule-state':
      return executePointer(action, ec2, ssm);
  }
}

/**
 * CopyImage, checking what it answered: a repeated token returns the first request's image, which
 * may be gone or failed since. Then the next generation's token starts a new copy.
 */
async function copy(
  action: CopyAction,
  ec2: Ec2Port,
  describeCopy: (imageId: string) => Promise<ObservedImage | undefined>,
): Promise<ActionResult> {
  const spent = new Set(action.spentImageIds);
  for (
    let generation = action.generation;
    generation < action.generation + MAX_COPY_GENERATIONS;
    generation++
  ) {
    const imageId = await ec2.copyImage(copyRequest(action, generation));
    if (spent.has(imageId)) continue;
    if (action.verify && !(await isLive(describeCopy, imageId))) continue;
    return { kind: 'copy', imageId, generation };
  }
  throw new InvariantError(
    `CopyImage of ${action.sourceImageId} into ${action.region} answered ${MAX_COPY_GENERATIONS} generations of client tokens with copies that no longer exist`,
  );
}

/**
 * Whether the image CopyImage answered with is (or is becoming) the region's copy. A new image may
 * briefly be unknown to DescribeImages (EC2 is eventually consistent), so "not found" is asked
 * again twice before it counts as gone.
 */
async function isLive(
  describeCopy: (imageId: string) => Promise<ObservedImage | undefined>,
  imageId: string,
): Promise<boolean> {
  for (const wait of [0, 500, 1500]) {
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const image = await describeCopy(imageId);
    if (image !== undefined) return occupiesRegion(image);
  }
  return false;
}

/**
 * DisableImage or EnableImage. EC2 refuses either for an image not in the state it starts from,
 * which is what a repeat of a call that went through (its answer lost) meets: a failure is read
 * back, and an image already in the wanted state counts as done.
 */
async function toState(
  ec2: Ec2Port,
  imageId: string,
  wanted: 'disabled' | 'available',
  call: () => Promise<void>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    const image = await ec2.describeImage(imageId);
    if (image?.state !== wanted) throw error;
  }
}

/** Codes DeregisterImage answers a repeat with, once the first call went through. */
const ALREADY_GONE = new Set(['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable']);

/**
 * DeregisterImage. When the answer was lost (a retryable failure: the call may have gone through)
 * or says the image is not there (a repeat of a call that did), the image is read: gone means
 * deregistered, and its snapshots are left to the deletions that follow.
 */
async function deregister(action: DeregisterAction, ec2: Ec2Port): Promise<ActionResult> {
  try {
    const { snapshotResults } = await ec2.deregister(action.imageId);
    return { kind: 'deregister', snapshotResults, confirmedByReading: false };
  } catch (error) {
    if (!(error instanceof AwsCallError) || !(error.retryable || ALREADY_GONE.has(error.code))) throw error;
    const image = await ec2.describeImage(action.imageId);
    if (image !== undefined && image.state !== 'deregistered') throw error;
    return { kind: 'deregister', snapshotResults: [], confirmedByReading: true };
  }
}

async function deleteSnapshot(
  action: DeleteSnapshotAction,
  ec2: Ec2Port,
  prerequisites: readonly ActionOutcome[],
): Promise<ActionResult> {
  const deletedWithImage = prerequisites.some(
    (o) =>
      o.status === 'applied' &&
      o.result?.kind === 'deregister' &&
      o.result.snapshotResults.some((r) => r.snapshotId === action.snapshotId && r.returnCode === 'success'),
  );
  if (deletedWithImage) return { kind: 'delete-snapshot', outcome: 'with-image' };
  try {
    await ec2.deleteSnapshot(action.snapshotId);
    return { kind: 'delete-snapshot', outcome: 'deleted' };
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    if (error.code === 'InvalidSnapshot.NotFound') return { kind: 'delete-snapshot', outcome: 'not-found' };
    // Another image uses it (a copy made from it, an image registered from it): kept, not a failure.
    if (error.code === 'InvalidSnapshot.InUse') {
      return { kind: 'delete-snapshot', outcome: 'in-use', detail: error.message };
    }
    throw error;
  }
}
