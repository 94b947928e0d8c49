import type { Rule } from '../rules/schema.js';
import { AwsCallError } from './errors.js';
import { DetailType, toolEvent } from './notifications.js';
import type {
  EventPublisher,
  LoggerPort,
  MemberWorkItem,
  OrganizationsFor,
  TargetsMemoryForRegion,
  WorkQueue,
} from './ports.js';
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
  /**
   * What each rule's targets were when last seen, and where to report a change: accounts that
   * joined or left, once per change (`reportTargetChanges`). Without it, changes are not reported.
   */
  readonly changes?: { readonly memory: TargetsMemoryForRegion; readonly events: EventPublisher };
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
  if (deps.changes !== undefined) {
    failures.push(...(await reportTargetChanges(rules, targets, deps.changes, deps.logger)));
  }
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

/**
 * Reports, once per change, the accounts that joined or left each rule's targets: the new set is
 * swapped into the memory of the rule's first source region (one atomic write, so of the regional
 * schedules seeing a change together one reports it), and the difference published as
 * `AMI Target Accounts Changed`. A rule whose targets were only partly resolved is not compared:
 * an OU that could not be read must not look like accounts that left. The first run only records.
 */
export async function reportTargetChanges(
  rules: readonly Rule[],
  targets: ResolvedTargets,
  changes: NonNullable<FanOutDependencies['changes']>,
  logger: LoggerPort,
): Promise<ReconcileFailure[]> {
  const failures: ReconcileFailure[] = [];
  const partial = new Set(targets.failures.map((f) => f.rule));
  for (const rule of rules) {
    const accounts = targets.accounts.get(rule.name);
    const home = rule.match.regions[0];
    if (accounts === undefined || partial.has(rule.name) || home === undefined) continue;
    try {
      const before = await changes.memory(home).swap(rule.name, accounts);
      if (before === undefined) continue;
      const joined = accounts.filter((a) => !before.includes(a));
      const left = before.filter((a) => !accounts.includes(a));
      if (joined.length === 0 && left.length === 0) continue;
      logger.info(
        `rule ${rule.name}: targets changed: joined ${joined.join(', ') || 'none'}, left ${left.join(', ') || 'none'}`,
      );
      await changes.events.publish([
        toolEvent(
          DetailType.TargetAccountsChanged,
          { rule: rule.name, joined, left, targets: accounts.length },
          [rule.name, ...accounts],
          { busRegion: home },
        ),
      ]);
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      failures.push(failureOf(`report the changed targets of rule ${rule.name}`, error));
    }
  }
  return failures;
}
