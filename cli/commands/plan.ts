import type { Command } from 'commander';
import type { ReconcileReport } from '../../shared/core/reconcile.js';
import { ExitCode } from '../exit-codes.js';
import {
  type MembersRun,
  membersExitCode,
  membersJson,
  membersLines,
  reconcileRun,
  worstExitCode,
} from '../members.js';
import { count, printJson, printRegionErrors, regionErrorJson, table } from '../output.js';
import {
  accountLabel,
  CliInputError,
  quietLogger,
  type RegionResult,
  type RunContext,
  registerReconcilingCommand,
} from '../run.js';

/**
 * `ami-lifecycle plan`: a dry run. Every region of the run is reconciled with `dryRun` (the same
 * code as `apply` and the scheduled repair, so the plan is what `apply` would do now), and each
 * region's diff is printed with counts. `--image ami-… --region R` plans one image instead, through
 * the event path (what its `available` event would do). Exit 0: nothing to change; 3: changes
 * planned; 2: invalid rules or arguments; 1: AWS errors.
 */
export function register(program: Command): void {
  registerReconcilingCommand(program, {
    name: 'plan',
    description: 'Dry run: print what apply would change (the diff), per region or for one image.',
    options: (command) =>
      command.option('--image <ami-id>', 'plan one image, as its available event would (needs one --region)'),
    run: (ctx, options) => (typeof options.image === 'string' ? planImage(ctx, options.image) : plan(ctx)),
  });
}

export async function plan(ctx: RunContext): Promise<ExitCode> {
  const { results, members } = await reconcileRun(ctx, { dryRun: true });
  const code = worstExitCode(planExitCode(results), membersExitCode(members, true));
  printReports(ctx, 'plan', results, code, members);
  return code;
}

function planned(report: ReconcileReport): number {
  return Object.values(report.planned).reduce((n, c) => n + c, 0);
}

function planExitCode(results: readonly RegionResult[]): ExitCode {
  if (results.some((r) => 'error' in r)) return ExitCode.Failure;
  const changes = results.some(
    (r) => 'report' in r && (planned(r.report) > 0 || r.report.deferredCopies > 0),
  );
  return changes ? ExitCode.ChangesPlanned : ExitCode.Ok;
}

/** The plan/apply output: one JSON document, or each region's diff, a table of counts and a summary. */
export function printReports(
  ctx: RunContext,
  command: 'plan' | 'apply',
  results: readonly RegionResult[],
  exitCode: ExitCode,
  members?: MembersRun,
): void {
  const reports = results.flatMap((r) => ('report' in r ? [r.report] : []));
  const sum = (f: (report: ReconcileReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const kind = (report: ReconcileReport, k: string) => report.planned[k] ?? 0;
  const applied = (report: ReconcileReport) => Object.values(report.applied).reduce((n, c) => n + c, 0);
  const dryRun = command === 'plan';

  if (ctx.json) {
    printJson({
      command,
      dryRun,
      rulesFile: ctx.rulesFile,
      accountId: ctx.accountId,
      regions: results.map((r) =>
        'report' in r ? r.report : { region: r.region, error: regionErrorJson(r.error) },
      ),
      totals: {
        planned: sum(planned),
        applied: sum(applied),
        failed: sum((r) => r.failures.length),
        deferredCopies: sum((r) => r.deferredCopies),
        skipped: sum((r) => r.skipped),
        regionsFailed: results.length - reports.length,
      },
      ...membersJson(members),
      exitCode,
    });
    printRegionErrors(results);
    return;
  }

  if (reports.length === 0) {
    // No region could be read: the error line on stderr says it all.
    printRegionErrors(results);
    return;
  }
  const lines = [
    `${dryRun ? 'Plan' : 'Apply'}: ${accountLabel(ctx)}, rules ${ctx.rulesFile}, ${count(ctx.regions.length, 'region')}`,
    '',
  ];
  for (const result of results) {
    if ('error' in result) {
      lines.push(`${result.region}: not read (${result.error.code})`);
      continue;
    }
    const { report } = result;
    const managed = `${count(report.managed.sources, 'source')}, ${count(report.managed.copies, 'copy', 'copies')}`;
    lines.push(`${report.region}: ${managed}${report.diff.length === 0 ? ': no changes' : ''}`);
    for (const line of report.diff) lines.push(`  ${line}`);
    for (const imageId of report.announced)
      lines.push(`  announced: ${imageId} is in every target region (AMI Distribution Completed)`);
  }

  const header = ['REGION', 'SOURCES', 'COPIES', 'TAG', 'SHARE', 'SNAPSHOT-SHARE', 'COPY', 'DEFERRED'];
  if (!dryRun) header.push('APPLIED', 'FAILED');
  const columns = (rs: readonly ReconcileReport[]) =>
    [
      (r: ReconcileReport) => r.managed.sources,
      (r: ReconcileReport) => r.managed.copies,
      (r: ReconcileReport) => kind(r, 'tag'),
      (r: ReconcileReport) => kind(r, 'share-image'),
      (r: ReconcileReport) => kind(r, 'share-snapshot'),
      (r: ReconcileReport) => kind(r, 'copy'),
      (r: ReconcileReport) => r.deferredCopies,
      ...(dryRun ? [] : [applied, (r: ReconcileReport) => r.failures.length]),
    ].map((f) => String(rs.reduce((n, r) => n + f(r), 0)));
  const rows: string[][] = [header];
  for (const result of results) {
    if ('report' in result) rows.push([result.region, ...columns([result.report])]);
    else rows.push([result.region, 'error', ...header.slice(2).map(() => '-')]);
  }
  if (results.length > 1) rows.push(['total', ...columns(reports)]);
  const numeric = header.map((_, i) => i).slice(1);
  lines.push('', ...table(rows, numeric));

  const failures = reports.flatMap((r) => r.failures.map((f) => ({ region: r.region, ...f })));
  if (failures.length > 0) {
    lines.push('', 'Failed:');
    for (const f of failures) {
      lines.push(
        `  ${f.action}: ${f.code}: ${f.message}${f.retryable ? ' (retryable: run apply again)' : ''}`,
      );
    }
  }
  lines.push('', summary(command, results, reports, sum(planned), sum(applied), failures.length));
  lines.push(...membersLines(members, dryRun));
  console.log(lines.join('\n'));
  printRegionErrors(results);
}

function summary(
  command: 'plan' | 'apply',
  results: readonly RegionResult[],
  reports: readonly ReconcileReport[],
  plannedCount: number,
  appliedCount: number,
  failedCount: number,
): string {
  const regions = count(results.length, 'region');
  const unread = results.length - reports.length;
  const errors = unread > 0 ? `; ${count(unread, 'region')} could not be read` : '';
  const deferred = reports.reduce((n, r) => n + r.deferredCopies, 0);
  const pending = reports.reduce((n, r) => n + r.copiesInFlight, 0);
  const later =
    (deferred > 0 ? `; ${count(deferred, 'copy', 'copies')} deferred by the copy cap` : '') +
    (pending > 0 ? `; ${count(pending, 'copy', 'copies')} still pending (run again once available)` : '');
  if (command === 'plan') {
    if (plannedCount === 0 && deferred === 0) return `No changes in ${regions}${later}${errors}.`;
    return `${count(plannedCount, 'change')} planned in ${regions}${later}${errors}. \`ami-lifecycle apply\` makes them.`;
  }
  const skipped = reports.reduce((n, r) => n + r.skipped, 0);
  const stopped = skipped > 0 ? `; ${count(skipped, 'change')} not started (stopped early)` : '';
  const failed = failedCount > 0 ? `; ${failedCount} failed` : '';
  if (plannedCount === 0) return `Nothing to apply in ${regions}${later}${errors}.`;
  return `Applied ${appliedCount} of ${count(plannedCount, 'change')} in ${regions}${failed}${stopped}${later}${errors}.`;
}

const IMAGE_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** One image through the event path's functions: describe, identify, observe, plan, render. */
async function planImage(ctx: RunContext, imageId: string): Promise<ExitCode> {
  if (!IMAGE_ID.test(imageId)) throw new CliInputError(`--image: "${imageId}" is not an AMI id (ami-…)`);
  const [region] = ctx.regions;
  if (!ctx.regionsGiven || ctx.regions.length !== 1 || region === undefined) {
    throw new CliInputError('--image needs exactly one --region: the region the image is in');
  }
  const { planForImage } = await import('../../shared/core/state-change.js');
  const result = await planForImage(region, imageId, ctx.accountId, {
    rules: ctx.rules,
    ec2: ctx.ec2,
    logger: quietLogger,
    // A source of a rule with target accounts: the plan shares it with them, after the pre-flight.
    ...(ctx.members === undefined ? {} : { members: ctx.members }),
  });
  if (result.status === 'ignored' && result.image === undefined) {
    throw new CliInputError(`${imageId} not found in ${region}`);
  }
  const actions = result.status === 'planned' ? result.plan.actions.length : 0;
  const code = actions > 0 ? ExitCode.ChangesPlanned : ExitCode.Ok;
  if (ctx.json) {
    printJson({
      command: 'plan',
      imageId,
      region,
      accountId: ctx.accountId,
      ...(result.status === 'planned'
        ? {
            status: 'planned',
            name: result.image.name,
            role: result.role.kind,
            rule: result.role.rule.name,
            diff: result.diff,
            actions: result.plan.actions,
            notes: result.plan.notes,
          }
        : { status: 'ignored', reason: result.reason, name: result.image?.name }),
      exitCode: code,
    });
    return code;
  }
  if (result.status === 'ignored') {
    console.log(`${imageId} in ${region}: nothing to do: ${result.reason}`);
    return code;
  }
  const { image, role, diff } = result;
  const lineage =
    role.kind === 'copy' ? `copy of ${role.sourceImageId} (${role.sourceRegion})` : 'source image';
  console.log(
    [
      `${imageId} in ${region} ("${image.name}"): ${lineage}, rule ${role.rule.name}; ${accountLabel(ctx)}`,
      ...diff.map((line) => `  ${line}`),
      '',
      actions === 0
        ? 'No changes: the image is in the state its rule describes.'
        : `${count(actions, 'change')} planned. \`ami-lifecycle apply\` makes them.`,
    ].join('\n'),
  );
  return code;
}
