import type { Action, AnnounceAction, Plan } from './actions.js';
import { CopyChecks, checkNoCopyWaitsForCopy, isCheckedCopy } from './copy-checks.js';
import { AwsCallError, InvariantError } from './errors.js';
import { type ActionResult, execute } from './execute.js';
import { recordOutcomes } from './metrics.js';
import type { Ec2ForRegion, MetricsPort, SsmForRegion } from './ports.js';

/**
 * The one applier: carries out any plan, distribution and retirement alike.
 *
 * - Order: an action starts once every action in its `after` is applied and every one in its
 *   `waitsFor` has settled; one whose prerequisite failed or was not started is not started either
 *   (`blocked`). Prerequisites may be in other regions (a source's tags before its copies).
 * - Concurrency: at most `concurrency` calls in flight per region (each region has its own EC2
 *   token buckets and copy limit), started in plan order. Regions run side by side.
 * - Failures: an `AwsCallError` makes that action `failed` and the others go on (each is safe to
 *   repeat on the next attempt). Any other error is a bug or a broken invariant: it is rethrown
 *   once everything in flight has settled, never recorded as an AWS failure.
 * - Stopping: `shouldStop` is asked before each action that follows no other starts; once true
 *   those are `skipped` (the next run does them). An action that follows another (`after`) is the
 *   rest of a unit begun (a deregistration's snapshot deletions and announcement, a deprecation's
 *   announcement), which no later run would see to do: it runs.
 */

export type ActionOutcome =
  | { readonly action: Action; readonly status: 'applied'; readonly result?: ActionResult }
  | { readonly action: Action; readonly status: 'failed'; readonly error: AwsCallError }
  | {
      readonly action: Action;
      readonly status: 'skipped';
      /** `stopped`: the run was told to stop; `blocked`: a prerequisite was not applied. */
      readonly reason: 'stopped' | 'blocked';
      readonly blockedBy?: string;
    };

export interface ApplyPorts {
  readonly ec2: Ec2ForRegion;
  /** SSM, for plans that move the pointers' parameters (rules with `publish`). */
  readonly ssm?: SsmForRegion;
  /** Publishes an announcement, given the outcomes of the actions it follows (`after` and `waitsFor`). */
  readonly announce: (action: AnnounceAction, prerequisites: readonly ActionOutcome[]) => Promise<void>;
}

export interface ApplyOptions {
  /** Calls in flight per region; default 4. */
  readonly concurrency?: number;
  /** Asked before each action that follows no other starts; once true, those are skipped. */
  readonly shouldStop?: () => boolean;
  /** Told when an action starts (progress). */
  readonly onStart?: (action: Action) => void;
  /** Counts copies started, retirement by stage and failed actions, once the plan has settled. */
  readonly metrics?: MetricsPort;
}

export async function applyPlan(
  plan: Plan,
  ports: ApplyPorts,
  options: ApplyOptions = {},
): Promise<ActionOutcome[]> {
  const byId = indexPlan(plan);
  const limit = Math.max(1, options.concurrency ?? 4);
  const shouldStop = options.shouldStop ?? (() => false);
  const slots = new Map<string, Semaphore>();
  const slotsOf = (region: string) => {
    let semaphore = slots.get(region);
    if (semaphore === undefined) {
      semaphore = new Semaphore(limit);
      slots.set(region, semaphore);
    }
    return semaphore;
  };

  // The copies' checks of what CopyImage answered, read once for all of a region's copies.
  checkNoCopyWaitsForCopy(byId);
  const checkedCopies = new Map<string, number>();
  for (const action of plan.actions) {
    if (isCheckedCopy(action)) checkedCopies.set(action.region, (checkedCopies.get(action.region) ?? 0) + 1);
  }
  const checks = new Map<string, CopyChecks>();
  const checksOf = (region: string) => {
    let found = checks.get(region);
    if (found === undefined) {
      found = new CopyChecks(ports.ec2(region), checkedCopies.get(region) ?? 0);
      checks.set(region, found);
    }
    return found;
  };

  const runs = new Map<string, Promise<ActionOutcome>>();
  const run = (action: Action): Promise<ActionOutcome> => {
    let running = runs.get(action.id);
    if (running === undefined) {
      running = (async (): Promise<ActionOutcome> => {
        const required = await Promise.all((action.after ?? []).map((id) => run(lookup(byId, id))));
        const awaited = await Promise.all((action.waitsFor ?? []).map((id) => run(lookup(byId, id))));
        const blocker = required.find((o) => o.status !== 'applied');
        if (blocker !== undefined) {
          return { action, status: 'skipped', reason: 'blocked', blockedBy: blocker.action.id };
        }
        let release = await slotsOf(action.region).acquire();
        // A checked copy gives its call slot back while it waits for the region's read, which
        // waits for every copy of the region (the ones still to call CopyImage need the slots).
        const describeCopy = isCheckedCopy(action)
          ? async (imageId: string) => {
              release();
              try {
                return await checksOf(action.region).describe(imageId);
              } finally {
                release = await slotsOf(action.region).acquire();
              }
            }
          : undefined;
        try {
          // An action that follows another is the rest of a unit already begun (a deregistration's
          // deletions, an announcement): it is finished, so stopping never leaves half a unit behind.
          if ((action.after ?? []).length === 0 && shouldStop()) {
            return { action, status: 'skipped', reason: 'stopped' };
          }
          options.onStart?.(action);
          const prerequisites = [...required, ...awaited];
          const result =
            action.kind === 'announce'
              ? await ports.announce(action, prerequisites).then(() => undefined)
              : await execute(
                  action,
                  ports.ec2(action.region),
                  prerequisites,
                  ports.ssm?.(action.region),
                  describeCopy,
                );
          return result === undefined ? { action, status: 'applied' } : { action, status: 'applied', result };
        } catch (error) {
          if (error instanceof AwsCallError) return { action, status: 'failed', error };
          throw error;
        } finally {
          release();
        }
      })();
      if (isCheckedCopy(action)) {
        const settled = () => checksOf(action.region).settled();
        running.then(settled, settled);
      }
      runs.set(action.id, running);
    }
    return running;
  };

  const settled = await Promise.allSettled(plan.actions.map(run));
  const outcomes: ActionOutcome[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    outcomes.push(result.value);
  }
  if (options.metrics !== undefined) recordOutcomes(options.metrics, outcomes);
  return outcomes;
}

/** Actions by id; a duplicate id, an unknown prerequisite or a cycle is a planner bug. */
function indexPlan(plan: Plan): ReadonlyMap<string, Action> {
  const byId = new Map<string, Action>();
  for (const action of plan.actions) {
    if (byId.has(action.id)) throw new InvariantError(`the plan has two actions with id ${action.id}`);
    byId.set(action.id, action);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (action: Action) => {
    const seen = state.get(action.id);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new InvariantError(`the plan's order has a cycle through ${action.id}`);
    state.set(action.id, 'visiting');
    for (const id of [...(action.after ?? []), ...(action.waitsFor ?? [])]) visit(lookup(byId, id));
    state.set(action.id, 'done');
  };
  for (const action of plan.actions) visit(action);
  return byId;
}

function lookup(byId: ReadonlyMap<string, Action>, id: string): Action {
  const action = byId.get(id);
  if (action === undefined) throw new InvariantError(`an action waits for ${id}, which is not in the plan`);
  return action;
}

/** At most `limit` holders at once; waiters are served first come, first served. */
class Semaphore {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.held < this.limit) {
      this.held++;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next === undefined) this.held--;
      else next();
    };
  }
}

/** Outcomes that failed, for reports. */
export function failures(outcomes: readonly ActionOutcome[]): Extract<ActionOutcome, { status: 'failed' }>[] {
  return outcomes.filter((o): o is Extract<ActionOutcome, { status: 'failed' }> => o.status === 'failed');
}
