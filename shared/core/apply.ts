import type { Action, Plan } from './actions.js';
import { tagsOf } from './actions.js';
import { groupBy } from './collections.js';
import { AwsCallError } from './errors.js';
import { runLimited } from './pool.js';
import type { Ec2ForRegion, Ec2Writer } from './ports.js';

export type ActionOutcome =
  | { readonly action: Action; readonly status: 'applied'; readonly imageId?: string }
  | { readonly action: Action; readonly status: 'failed'; readonly error: AwsCallError }
  /** Not started: the run was told to stop (it is near its time limit); the next run does it. */
  | { readonly action: Action; readonly status: 'skipped' };

export interface ApplyOptions {
  /** EC2 calls in flight per region. 1 (the default) keeps the plan's order within a region. */
  readonly concurrency?: number;
  /** Asked before each action starts; once true, the remaining actions are skipped. */
  readonly shouldStop?: () => boolean;
}

/**
 * Carries out a plan. Regions run concurrently and independently: each has its own rate limits
 * and copy limit, and a failure in one (not enabled, throttled, out of copies) must not stop the
 * others. Within a region a failed action does not stop the ones after it: they do not depend on
 * each other, and each is safe to repeat on the next attempt.
 *
 * AWS failures become `failed` outcomes for the caller to classify; any other error is a bug and
 * is rethrown once every region has finished.
 */
export async function applyPlan(
  plan: Plan,
  ec2: Ec2ForRegion,
  options: ApplyOptions = {},
): Promise<ActionOutcome[]> {
  const byRegion = groupBy(plan.actions, (action) => action.region);
  const settled = await Promise.allSettled(
    [...byRegion.entries()].map(async ([region, actions]) => {
      const outcomes = new Map<Action, ActionOutcome>();
      await runLimited(
        actions,
        options.concurrency ?? 1,
        async (action) => {
          try {
            const imageId = await applyAction(action, ec2(region));
            outcomes.set(
              action,
              imageId === undefined ? { action, status: 'applied' } : { action, status: 'applied', imageId },
            );
          } catch (error) {
            if (!(error instanceof AwsCallError)) throw error;
            outcomes.set(action, { action, status: 'failed', error });
          }
        },
        options.shouldStop,
      );
      return actions.map((action): ActionOutcome => outcomes.get(action) ?? { action, status: 'skipped' });
    }),
  );
  const outcomes: ActionOutcome[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    outcomes.push(...result.value);
  }
  return outcomes;
}

async function applyAction(action: Action, ec2: Ec2Writer): Promise<string | undefined> {
  switch (action.kind) {
    case 'tag':
      await ec2.createTags(action.resourceIds, tagsOf(action.changes));
      return undefined;
    case 'share-image':
      await ec2.addLaunchPermissions(action.imageId, action.add);
      return undefined;
    case 'share-snapshot':
      await ec2.addCreateVolumePermissions(action.snapshotId, action.addUserIds);
      return undefined;
    case 'copy': {
      const { kind: _kind, region: _region, rule: _rule, generation: _generation, ...request } = action;
      return ec2.copyImage(request);
    }
  }
}
