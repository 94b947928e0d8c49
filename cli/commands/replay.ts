import type { Command } from 'commander';
import { DEFAULT_RULES_FILE, guard } from '../run.js';

/**
 * `ami-lifecycle replay`: feeds dead-lettered events back through the handlers' code. A dry run by
 * default: it lists each message of the stack's two queues (the functions' failed invocations and
 * the events EventBridge could not deliver), why it is there, and what replaying it would do;
 * `--apply` replays them and removes each one that succeeds. EC2 events and schedules run the
 * handlers' core here, with your credentials; the tool's own events (for the notify function) are
 * put back on its bus, so the deployed function formats and sends them again.
 *
 * Exit codes: 0 nothing to replay (or everything replayed), 3 a dry run found messages to replay,
 * 1 a replay failed (its message stays queued), 2 invalid input.
 */
export function register(program: Command): void {
  program
    .command('replay')
    .description('Replay dead-lettered events through the handlers (a dry run unless --apply).')
    .option('--stage <stage>', 'the stage whose queues to read', 'dev')
    .option(
      '--queue <name-or-url>',
      'a queue to read (repeatable; default: ami-lifecycle-failed-STAGE, ami-lifecycle-rule-dlq-STAGE and ami-lifecycle-member-work-dlq-STAGE)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--region <region>', 'the region of the queues (default: $AWS_REGION)')
    .option('--apply', 'replay, and delete each message whose replay succeeded')
    .option('--max <n>', 'messages to look at, at most', '50')
    .option('--rules <file>', `the rules file (default: $RULES_FILE, or ${DEFAULT_RULES_FILE})`)
    .option('--event-bus <name>', "the tool's event bus (default: $EVENT_BUS_NAME, or ami-lifecycle-STAGE)")
    .option(
      '--distributions-table <name>',
      'the completion claims table (default: $DISTRIBUTIONS_TABLE, or ami-lifecycle-STAGE-distributions)',
    )
    .option(
      '--member-role <name>',
      "the role assumed in target accounts for member work items (default: $MEMBER_ROLE_NAME, or ami-lifecycle-STAGE-member; a rule's accounts.memberRole wins)",
    )
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: Record<string, unknown>) => {
      // Loaded when the command runs: the SDK clients and the handlers' core are not needed to list commands.
      const { replay } = await import('./replay-run.js');
      process.exitCode = await guard(options.json === true, () => replay(options));
    });
}
