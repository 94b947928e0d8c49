import type { Command } from 'commander';
import type { ActionOutcome } from '../../shared/core/apply.js';
import type { RegionPointerPlan, RollbackTarget } from '../../shared/core/rollback.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ExitCode } from '../exit-codes.js';
import { count, printJson } from '../output.js';
import { accountLabel, CliInputError, type RunContext, registerReconcilingCommand } from '../run.js';

/**
 * `ami-lifecycle rollback --rule R (--previous | --to ami-…)` and `ami-lifecycle unpin --rule R`:
 * a rule's pointers (SSM parameters, launch templates) moved back to a release and pinned there,
 * and the pin removed. A dry run unless `--apply`. Exit codes as `plan` (dry run: 0 nothing to
 * change, 3 changes planned) and `apply` (0 applied, 1 a change failed); 2 for invalid input.
 */
export function register(program: Command): void {
  registerReconcilingCommand(program, {
    name: 'rollback',
    description:
      "Move a rule's pointers back to an earlier release in every region, and pin them there until unpin.",
    options: (command) =>
      command
        .option('--rule <name>', 'the rule whose pointers move')
        .option('--previous', 'the release before the one the pointers name')
        .option('--to <ami-id>', 'the release of this image (a source, or a copy of the rule)')
        .option('--apply', 'make the changes (default: a dry run)'),
    run: (ctx, options) => rollback(ctx, options),
  });
  registerReconcilingCommand(program, {
    name: 'unpin',
    description: "Remove a rule's rollback pin, and move its pointers forward to the newest release.",
    options: (command) =>
      command
        .option('--rule <name>', 'the rule to unpin')
        .option('--apply', 'make the changes (default: a dry run)'),
    run: (ctx, options) => unpin(ctx, options),
  });
}

const IMAGE_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

function ruleOf(ctx: RunContext, options: Record<string, unknown>): Rule {
  const name = options.rule;
  if (typeof name !== 'string' || name === '') throw new CliInputError('--rule is required');
  const rule = ctx.rules.find((r) => r.name === name);
  if (rule === undefined) throw new CliInputError(`--rule: no rule "${name}" in ${ctx.rulesFile}`);
  if (rule.publish === undefined) {
    throw new CliInputError(`--rule: rule "${name}" publishes no pointers (no publish section)`);
  }
  return rule;
}

async function dependencies(ctx: RunContext, rule: Rule) {
  const { ruleRegions } = await import('../../shared/rules/publish.js');
  return {
    rule,
    rules: ctx.rules,
    accountId: ctx.accountId,
    regions: ctx.regionsGiven ? ctx.regions : ruleRegions(rule),
    ec2: ctx.ec2,
    ssm: ctx.ssm,
    now: new Date(),
    concurrency: ctx.concurrency,
  };
}

/** Who asks, for the pin and the announcement: the CLI, its user, the account. */
function who(ctx: RunContext): string {
  return `ami-lifecycle CLI (${process.env.USER || 'unknown user'}) in account ${ctx.accountId}`;
}

async function rollback(ctx: RunContext, options: Record<string, unknown>): Promise<ExitCode> {
  const rule = ruleOf(ctx, options);
  const to = typeof options.to === 'string' ? options.to : undefined;
  if ((options.previous === true) === (to !== undefined)) {
    throw new CliInputError('give exactly one of --previous and --to ami-…');
  }
  if (to !== undefined && !IMAGE_ID.test(to))
    throw new CliInputError(`--to: "${to}" is not an AMI id (ami-…)`);
  const target: RollbackTarget = to === undefined ? { kind: 'previous' } : { kind: 'image', imageId: to };
  const core = await import('../../shared/core/rollback.js');
  const deps = await dependencies(ctx, rule);
  let planned: Awaited<ReturnType<typeof core.planRollback>>;
  try {
    planned = await core.planRollback(deps, target, who(ctx));
  } catch (error) {
    if (error instanceof core.RollbackInputError) throw new CliInputError(error.message);
    throw error;
  }
  const { release, plans } = planned;
  const title = `Rollback of rule ${rule.name} to ${release.sourceImageId} (${release.sourceRegion})`;
  return finish(ctx, 'rollback', title, plans, options.apply === true, { release });
}

async function unpin(ctx: RunContext, options: Record<string, unknown>): Promise<ExitCode> {
  const rule = ruleOf(ctx, options);
  const core = await import('../../shared/core/rollback.js');
  const plans = await core.planUnpin(await dependencies(ctx, rule), who(ctx));
  return finish(ctx, 'unpin', `Unpin of rule ${rule.name}`, plans, options.apply === true, {});
}

/** Applies (with `--apply`), prints the diff per region like `plan`, and answers the exit code. */
async function finish(
  ctx: RunContext,
  command: 'rollback' | 'unpin',
  title: string,
  plans: readonly RegionPointerPlan[],
  apply: boolean,
  extra: Record<string, unknown>,
): Promise<ExitCode> {
  const { renderPlan } = await import('../../shared/core/render.js');
  const changes = plans.reduce((n, p) => n + p.plan.actions.length, 0);
  let outcomes: ActionOutcome[] = [];
  if (apply && changes > 0) {
    const { applyPointerPlans } = await import('../../shared/core/rollback.js');
    outcomes = await applyPointerPlans(plans, { ...ctx, ssm: ctx.ssm });
  }
  const failed = outcomes.filter((o) => o.status !== 'applied');
  const code = apply
    ? failed.length > 0
      ? ExitCode.Failure
      : ExitCode.Ok
    : changes > 0
      ? ExitCode.ChangesPlanned
      : ExitCode.Ok;
  if (ctx.json) {
    printJson({
      command,
      dryRun: !apply,
      accountId: ctx.accountId,
      ...extra,
      regions: plans.map((p) => ({ region: p.region, diff: renderPlan(p.plan), actions: p.plan.actions })),
      totals: { planned: changes, applied: outcomes.length - failed.length, failed: failed.length },
      failures: failed.map((o) => ({
        action: o.action.id,
        ...(o.status === 'failed' ? { code: o.error.code, message: o.error.message } : { skipped: o.reason }),
      })),
      exitCode: code,
    });
    return code;
  }
  const lines = [
    `${title}${apply ? '' : ' (dry run)'}: ${accountLabel(ctx)}, ${count(plans.length, 'region')}`,
    '',
  ];
  for (const { region, plan } of plans) {
    const diff = renderPlan(plan);
    lines.push(`${region}:${diff.length === 0 ? ' no changes' : ''}`, ...diff.map((line) => `  ${line}`));
  }
  for (const o of failed) {
    lines.push(
      `  failed: ${o.action.id}: ${o.status === 'failed' ? `${o.error.code}: ${o.error.message}` : o.reason}`,
    );
  }
  lines.push(
    '',
    apply
      ? `Applied ${changes - failed.length} of ${count(changes, 'change')}.`
      : changes === 0
        ? 'No changes.'
        : `${count(changes, 'change')} planned. \`ami-lifecycle ${command} --apply\` makes them.`,
  );
  console.log(lines.join('\n'));
  return code;
}
