import { AwsCallError, type InvalidEventError } from './errors.js';
import { type MemberDependencies, type MemberOptions, type MemberResult, reconcileMember } from './member.js';
import type { MembersFor, MemberWorkItem } from './ports.js';
import { publishReconcileReport } from './reconcile-report.js';

/**
 * The member-work function's batch: each queue message one (target account, region) reconciled as
 * that account (`reconcileMember`), through the member role its rules name (`accounts.memberRole`,
 * else the deployment's). Each outcome is one log line, and a done run's report is published with
 * its account. A message whose work a retry can finish (throttling, 5xx), or whose body is not a
 * work item, or that met a bug, is a batch item failure: SQS shows it again after its visibility
 * timeout, and after `maxReceiveCount` receives moves it to the dead-letter queue, where
 * `ami-lifecycle replay` can send it again. The other messages of the batch are done.
 */

export interface MemberWorkDependencies extends Omit<MemberDependencies, 'members'> {
  /** The member ports of a role name, one set per role for the life of the process. */
  readonly membersFor: (roleName: string) => MembersFor;
  /** The deployment's member role (`MEMBER_ROLE_NAME`), for rules that name none. */
  readonly defaultRole: string | undefined;
}

/** One message of the batch: its item, or why its body is not one (parsed at the edge). */
export type MemberWorkRecord =
  | { readonly messageId: string; readonly item: MemberWorkItem }
  | { readonly messageId: string; readonly error: InvalidEventError };

/** Lambda's partial batch response (`ReportBatchItemFailures`): the messages to see again. */
export interface BatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

export async function runMemberWork(
  deps: MemberWorkDependencies,
  records: readonly MemberWorkRecord[],
  options: MemberOptions,
): Promise<BatchResponse> {
  const failed = await Promise.all(
    records.map(async (record): Promise<string | undefined> => {
      if ('error' in record) {
        deps.logger.error(`member work: ${record.error.message}; left for the dead-letter queue`);
        return record.messageId;
      }
      try {
        for (const result of await runMemberItem(deps, record.item, options)) await report(deps, result);
        return undefined;
      } catch (error) {
        const { account, region } = record.item;
        const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const retry = error instanceof AwsCallError && error.retryable;
        deps.logger.error(
          `member work of account ${account} in ${region} (message ${record.messageId}) failed${retry ? ', to be retried' : ''}: ${why}`,
        );
        return record.messageId;
      }
    }),
  );
  return {
    batchItemFailures: failed.flatMap((id) => (id === undefined ? [] : [{ itemIdentifier: id }])),
  };
}

/**
 * One work item: its rules grouped by the member role that acts for them, one `reconcileMember` per
 * role (almost always one). Throws what `reconcileMember` throws: a failure a retry can help.
 */
export async function runMemberItem(
  deps: MemberWorkDependencies,
  item: MemberWorkItem,
  options: MemberOptions,
): Promise<MemberResult[]> {
  const byRole = new Map<string | undefined, string[]>();
  for (const name of item.rules) {
    const role = deps.rules.find((r) => r.name === name)?.accounts?.memberRole ?? deps.defaultRole;
    byRole.set(role, [...(byRole.get(role) ?? []), name]);
  }
  const results: MemberResult[] = [];
  for (const [role, rules] of byRole) {
    if (role === undefined) {
      results.push({
        status: 'skipped',
        account: item.account,
        region: item.region,
        reason: `rules ${rules.join(', ')} name no accounts.memberRole and MEMBER_ROLE_NAME is not set`,
      });
      continue;
    }
    results.push(
      await reconcileMember({ ...deps, members: deps.membersFor(role) }, { ...item, rules }, options),
    );
  }
  return results;
}

/** One line per outcome; a done run's report on the tool's bus, as the account's. */
async function report(deps: MemberWorkDependencies, result: MemberResult): Promise<void> {
  const where = `account ${result.account} in ${result.region}`;
  if (result.status === 'skipped') {
    // The error's own message names what failed: a member role STS refused names the role and account.
    const cause = result.error === undefined ? '' : ` (${result.error.message})`;
    deps.logger.warn(`member work of ${where}: skipped: ${result.reason}${cause}`, {
      account: result.account,
      region: result.region,
      ...(result.error === undefined ? {} : { code: result.error.code }),
    });
    return;
  }
  const { report: run, skipped } = result;
  deps.logger.info(
    `member work of ${where}: done: ${JSON.stringify(run.applied)} applied, ${run.failures.length} failed, ${run.deferredCopies} deferred${skipped.length > 0 ? `; ${skipped.map((s) => s.reason).join('; ')}` : ''}`,
    { account: result.account, region: result.region },
  );
  await publishReconcileReport({ ...run, account: result.account }, deps.events, deps.logger);
}
