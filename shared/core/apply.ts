import type { Action, Plan } from './actions.js';
import { tagsOf } from './actions.js';
import { AwsCallError } from './errors.js';
import type { Ec2ForRegion } from './ports.js';

export type ActionOutcome =
  | { readonly action: Action; readonly status: 'applied'; readonly imageId?: string }
  | { readonly action: Action; readonly status: 'failed'; readonly error: AwsCallError };

/**
 * Carries out a plan. Regions run concurrently and independently: each has its own rate limits
 * and copy limit, and a failure in one (not enabled, throttled, out of copies) must not stop the
 * others. Within a region actions run in plan order, and a failed action does not stop the ones
 * after it: they do not depend on each other, and each is safe to repeat on the next attempt.
 *
 * AWS failures become `failed` outcomes for the caller to classify; any other error is a bug and
 * is rethrown once every region has finished.
 */
export async function applyPlan(plan: Plan, ec2: Ec2ForRegion): Promise<ActionOutcome[]> {
  const byRegion = new Map<string, Action[]>();
  for (const action of plan.actions) {
    byRegion.set(action.region, [...(byRegion.get(action.region) ?? []), action]);
  }
  const settled = await Promise.allSettled(
    [...byRegion.entries()].map(async ([region, actions]) => {
      const outcomes: ActionOutcome[] = [];
      for (const action of actions) {
        try {
          const imageId = await applyAction(action, ec2(region));
          outcomes.push(
            imageId === undefined ? { action, status: 'applied' } : { action, status: 'applied', imageId },
          );
        } catch (error) {
          if (!(error instanceof AwsCallError)) throw error;
          outcomes.push({ action, status: 'failed', error });
        }
      }
      return outcomes;
    }),
  );
  const outcomes: ActionOutcome[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    outcomes.push(...result.value);
  }
  return outcomes;
}

async function applyAction(action: Action, ec2: ReturnType<Ec2ForRegion>): Promise<string | undefined> {
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
