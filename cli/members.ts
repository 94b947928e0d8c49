import { InvariantError } from '../shared/core/errors.js';
import type { MemberResult } from '../shared/core/member.js';
import type { ReconcileReport } from '../shared/core/reconcile.js';
import type { ResolvedTargets } from '../shared/core/targets.js';
import { ExitCode } from './exit-codes.js';
import { count, regionErrorJson, table } from './output.js';
import { quietLogger, type RegionResult, type RunContext, reconcileAll } from './run.js';

/**
 * What `plan`, `apply` and `status` do for the rules' target accounts (`accounts`): the targets
 * resolved once (Organizations), the hub's regions reconciled with them (the sources shared), then
 * every (target account, region) of the run reconciled as that account, through its member role,
 * a few at a time. The CLI runs in one process what the functions fan out over SQS.
 */

export interface MembersRun {
  readonly targets: ResolvedTargets;
  readonly results: readonly MemberResult[];
}

/**
 * The whole run: the targets resolved, the hub's regions reconciled with them, then the target
 * accounts' (account, region) pairs. Without target accounts in the rules, the hub's regions only.
 */
export async function reconcileRun(
  ctx: RunContext,
  options: { readonly dryRun: boolean; readonly shouldStop?: () => boolean },
): Promise<{ results: RegionResult[]; members?: MembersRun }> {
  const targets = await resolveRunTargets(ctx);
  const results = await reconcileAll(ctx, { ...options, ...(targets ? { targets: targets.accounts } : {}) });
  if (targets === undefined) return { results };
  return { results, members: await reconcileMembers(ctx, targets, options) };
}

/** The worse of two exit codes: invalid input over a failure over changes planned over success. */
export function worstExitCode(a: ExitCode, b: ExitCode): ExitCode {
  const order: ExitCode[] = [ExitCode.Ok, ExitCode.ChangesPlanned, ExitCode.Failure, ExitCode.InvalidInput];
  return order.indexOf(a) >= order.indexOf(b) ? a : b;
}

/** Resolves the rules' targets when any rule has them; `--target-account` narrows them. */
export async function resolveRunTargets(ctx: RunContext): Promise<ResolvedTargets | undefined> {
  const { resolveTargets, targetingRules } = await import('../shared/core/targets.js');
  if (targetingRules(ctx.rules).length === 0) return undefined;
  const members = requireMembers(ctx);
  const resolved = await resolveTargets(ctx.rules, ctx.accountId, members.organizations);
  if (ctx.targetAccounts.length === 0) return resolved;
  const narrowed = new Map(
    [...resolved.accounts].map(([rule, ids]) => [rule, ids.filter((id) => ctx.targetAccounts.includes(id))]),
  );
  return { ...resolved, accounts: narrowed };
}

function requireMembers(ctx: RunContext): NonNullable<RunContext['members']> {
  // loadContext builds them whenever a rule has target accounts: their absence is a bug.
  if (ctx.members === undefined) throw new InvariantError('the run context has no member ports');
  return ctx.members;
}

/** Every (target account, region) of the run, reconciled as that account, `ctx.concurrency` items at a time. */
export async function reconcileMembers(
  ctx: RunContext,
  targets: ResolvedTargets,
  options: { readonly dryRun: boolean; readonly shouldStop?: () => boolean },
): Promise<MembersRun> {
  const [{ runMemberItem }, { workItems }, { runLimited }] = await Promise.all([
    import('../shared/core/member-work.js'),
    import('../shared/core/targets.js'),
    import('../shared/core/pool.js'),
  ]);
  const members = requireMembers(ctx);
  const items = workItems(ctx.rules, targets.accounts, ctx.regionsGiven ? ctx.regions : undefined);
  const results: MemberResult[] = [];
  await runLimited(items, Math.max(1, Math.floor(ctx.concurrency / 2)), async (item) => {
    if (options.shouldStop?.()) return;
    const done = await runMemberItem(
      {
        rules: ctx.rules,
        hubAccountId: ctx.accountId,
        membersFor: members.membersFor,
        defaultRole: members.defaultRole,
        logger: quietLogger,
        events: ctx.events,
        now: () => new Date(),
      },
      item,
      {
        dryRun: options.dryRun,
        maxCopiesInFlight: ctx.maxCopiesInFlight,
        concurrency: ctx.concurrency,
        ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      },
    );
    results.push(...done);
  });
  results.sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
  return { targets, results };
}

/** Planned (or applied) changes of a member run: the exit code's share of it. */
export function membersExitCode(run: MembersRun | undefined, dryRun: boolean): ExitCode {
  if (run === undefined) return ExitCode.Ok;
  if (run.targets.failures.length > 0) return ExitCode.Failure;
  if (run.results.some((r) => r.status === 'skipped' && r.error?.retryable === true)) return ExitCode.Failure;
  const reports = run.results.flatMap((r) => (r.status === 'done' ? [r.report] : []));
  if (!dryRun) return reports.some((r) => r.failures.length > 0) ? ExitCode.Failure : ExitCode.Ok;
  return reports.some((r) => changes(r) > 0) ? ExitCode.ChangesPlanned : ExitCode.Ok;
}

const changes = (report: ReconcileReport) => Object.values(report.planned).reduce((n, c) => n + c, 0);

/** The member part of `--json`: per rule its targets, then one entry per (account, region). */
export function membersJson(run: MembersRun | undefined) {
  if (run === undefined) return {};
  return {
    targets: Object.fromEntries(run.targets.accounts),
    targetFailures: run.targets.failures.map((f) => ({ rule: f.rule, ...regionErrorJson(f.error) })),
    members: run.results.map((r) =>
      r.status === 'done'
        ? { account: r.account, region: r.region, report: r.report, skipped: r.skipped.map((s) => s.reason) }
        : {
            account: r.account,
            region: r.region,
            skipped: r.reason,
            ...(r.error ? { error: regionErrorJson(r.error) } : {}),
          },
    ),
  };
}

/** The member part of the text output: targets per rule, then a table of accounts × regions. */
export function membersLines(run: MembersRun | undefined, dryRun: boolean): string[] {
  if (run === undefined) return [];
  const lines = ['', 'Target accounts:'];
  for (const [rule, accounts] of run.targets.accounts) {
    lines.push(`  rule ${rule}: ${accounts.length === 0 ? 'none' : accounts.join(', ')}`);
  }
  for (const f of run.targets.failures)
    lines.push(`  rule ${f.rule}: only partly resolved: ${f.error.message}`);
  if (run.results.length === 0) return lines;
  const header = ['ACCOUNT', 'REGION', 'COPIES', 'COPY', dryRun ? 'PLANNED' : 'APPLIED', 'FAILED', 'NOTE'];
  const rows = run.results.map((r) =>
    r.status === 'done'
      ? [
          r.account,
          r.region,
          String(r.report.managed.copies),
          String(r.report.planned.copy ?? 0),
          String(dryRun ? changes(r.report) : Object.values(r.report.applied).reduce((n, c) => n + c, 0)),
          String(r.report.failures.length),
          r.skipped.map((s) => s.reason).join('; ') || '-',
        ]
      : [r.account, r.region, '-', '-', '-', '-', `skipped: ${r.reason}`],
  );
  lines.push('', ...table([header, ...rows], [2, 3, 4, 5]));
  const skipped = run.results.filter((r) => r.status === 'skipped').length;
  lines.push(
    '',
    `${count(new Set(run.results.map((r) => r.account)).size, 'target account')}, ${count(run.results.length, '(account, region)', '(account, region) pairs')}${skipped > 0 ? `, ${skipped} skipped` : ''}.`,
  );
  return lines;
}
