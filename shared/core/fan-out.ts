import type { Rule } from '../rules/schema.js';
import { AwsCallError } from './errors.js';
import type { LoggerPort, MemberWorkItem, OrganizationsFor, WorkQueue } from './ports.js';
import { failureOf, type ReconcileFailure } from './reconcile-report.js';
import { type ResolvedTargets, resolveTargets, targetingRules, workItems } from './targets.js';

/**
 * The scheduled run's fan-out to the target accounts (`accounts` of the rules): resolve who the
 * targets are now, then queue one work item per (target account, this region) for the member-work
 * function, which reconciles that account's copies as the account. Each regional stack fans out
 * its own region only, so the work of a region is queued, and done, in that region.
 *
 * Nothing here is thrown away: a rule whose organizations or OUs could not be read still gets its
 * explicit ids (and the failure is reported), and a send that fails is reported with the items it
 * was for. The next scheduled run is the retry, as for the region's own reconcile.
 */

export interface FanOutDependencies {
  readonly rules: readonly Rule[];
  /** The account the tool runs in: never a target (its copies are the rules' `copy`). */
  readonly hubAccountId: string;
  readonly organizations: OrganizationsFor;
  /** The member-work queue; absent when the deployment has none (then nothing can be queued). */
  readonly queue: WorkQueue | undefined;
  readonly logger: LoggerPort;
  /** The targets as resolved already for this run (the region's reconcile shared the sources with them). */
  readonly targets?: ResolvedTargets;
}

export interface FanOutResult {
  /** The work items made for this region (queued unless a failure says the send failed). */
  readonly items: readonly MemberWorkItem[];
  readonly queued: boolean;
  /** As the reconcile report lists failures: what was being done (`action`), and the error. */
  readonly failures: readonly ReconcileFailure[];
}

export async function fanOut(deps: FanOutDependencies, region: string): Promise<FanOutResult> {
  const rules = targetingRules(deps.rules);
  if (rules.length === 0) return { items: [], queued: false, failures: [] };
  const targets = deps.targets ?? (await resolveTargets(rules, deps.hubAccountId, deps.organizations));
  const failures = targets.failures.map(({ rule, error }) =>
    failureOf(`resolve the target accounts of rule ${rule} (only its ids this run)`, error),
  );
  const items = workItems(rules, targets.accounts, [region]);
  const sendFailure = items.length > 0 ? await send(deps.queue, items, region) : undefined;
  if (sendFailure !== undefined) failures.push(sendFailure);
  const queued = items.length > 0 && sendFailure === undefined;
  for (const f of failures)
    deps.logger.error(`fan-out of ${region}: ${f.action} failed: ${f.message}`, { ...f });
  deps.logger.info(
    `fan-out of ${region}: ${items.length} work item(s) for ${new Set(items.map((i) => i.account)).size} account(s)${queued ? ' queued' : ''}, ${failures.length} failure(s)`,
    { items: items.length, queued, failures: failures.length },
  );
  return { items, queued, failures };
}

/** Queues the items; a failure of SQS (or a deployment without the queue) is returned, a bug thrown. */
async function send(
  queue: WorkQueue | undefined,
  items: readonly MemberWorkItem[],
  region: string,
): Promise<ReconcileFailure | undefined> {
  const action = `queue ${items.length} member work item(s) for ${region}`;
  if (queue === undefined) {
    return {
      action,
      operation: 'SendMessageBatch',
      code: 'ConfigurationError',
      message: 'MEMBER_WORK_QUEUE_URL is not set: this deployment has no member-work queue',
      retryable: false,
    };
  }
  try {
    await queue.send(items);
    return undefined;
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    return failureOf(action, error);
  }
}
