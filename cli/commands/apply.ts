import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { membersExitCode, reconcileRun, worstExitCode } from '../members.js';
import { type RunContext, registerReconcilingCommand } from '../run.js';
import { plan, printReports } from './plan.js';

/**
 * `ami-lifecycle apply`: the real run. Every region of the run is reconciled (list, observe, plan,
 * cap copies, apply), in parallel; the output is the plan's, plus what was applied and what
 * failed. Exit 0 when everything planned was applied; 1 when an action failed (they are listed) or
 * a region could not be read; 2 for invalid input. `--dry-run` is `plan`. The first Ctrl-C stops
 * starting new calls and lets those in flight finish; the next run does the rest.
 */
export function register(program: Command): void {
  registerReconcilingCommand(program, {
    name: 'apply',
    description: 'Copy, share and tag what the rules call for, in every region.',
    options: (command) => command.option('--dry-run', 'change nothing: the same as plan'),
    run: (ctx, options) => (options.dryRun === true ? plan(ctx) : apply(ctx)),
  });
}

async function apply(ctx: RunContext): Promise<ExitCode> {
  let stopping = false;
  const onInterrupt = () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error('stopping: no new call is started, those in flight finish (Ctrl-C again to abort)');
  };
  process.on('SIGINT', onInterrupt);
  try {
    const { results, members } = await reconcileRun(ctx, { dryRun: false, shouldStop: () => stopping });
    const incomplete = results.some(
      (r) => 'error' in r || r.report.failures.length > 0 || r.report.stoppedEarly,
    );
    const code = worstExitCode(incomplete ? ExitCode.Failure : ExitCode.Ok, membersExitCode(members, false));
    printReports(ctx, 'apply', results, code, members);
    return code;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
