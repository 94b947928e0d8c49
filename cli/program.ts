import { Command, CommanderError } from 'commander';
import * as apply from './commands/apply.js';
import * as plan from './commands/plan.js';
import * as replay from './commands/replay.js';
import * as rollback from './commands/rollback.js';
import * as status from './commands/status.js';
import * as testPattern from './commands/test-pattern.js';
import * as validate from './commands/validate.js';
import { ExitCode } from './exit-codes.js';

/**
 * The `ami-lifecycle` operator CLI. Each command lives in `cli/commands/<name>.ts` and exports a
 * `register(program)` function; this file only wires them together. `cli/main.ts` runs it on the
 * process's arguments; the integration tests run it in their own process, as `runCli`.
 */
function createProgram(): Command {
  const program = new Command()
    .name('ami-lifecycle')
    .description('Copy, share, tag, reconcile and retire AMIs across regions.')
    .showHelpAfterError()
    .exitOverride();
  const commands: Array<{ register: (program: Command) => void }> = [
    validate,
    plan,
    apply,
    status,
    replay,
    rollback,
    testPattern,
  ];
  for (const command of commands) command.register(program);
  return program;
}

/** How a run ended: its exit code, and whether the process must exit now (usage errors, failures). */
export interface CliOutcome {
  readonly code: number;
  /**
   * A command that ran sets `process.exitCode` and lets the process end once its work is done;
   * commander's own exits (--help, --version, usage errors) and unexpected errors end it at once.
   */
  readonly exitNow: boolean;
}

/**
 * Runs the CLI on `argv` (as `process.argv`: the node binary and the script first). Output goes
 * where the commands write it (stdout, stderr); the exit code is returned, not applied, and
 * `process.exitCode` holds a command's code as it left it.
 */
export async function runCli(argv: readonly string[]): Promise<CliOutcome> {
  try {
    await createProgram().parseAsync([...argv]);
    return { code: Number(process.exitCode ?? ExitCode.Ok), exitNow: false };
  } catch (error) {
    // commander reports --help and --version as errors with exit code 0; anything else it raises is a usage error.
    if (error instanceof CommanderError)
      return { code: error.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput, exitNow: true };
    console.error(error instanceof Error ? error.message : String(error));
    return { code: ExitCode.Failure, exitNow: true };
  }
}
