import { Command, CommanderError } from 'commander';
import * as apply from './commands/apply.js';
import * as plan from './commands/plan.js';
import * as replay from './commands/replay.js';
import * as status from './commands/status.js';
import * as testPattern from './commands/test-pattern.js';
import * as validate from './commands/validate.js';
import { ExitCode } from './exit-codes.js';
import { guardTerminal } from './terminal.js';

/**
 * The `ami-lifecycle` operator CLI. Each command lives in `cli/commands/<name>.ts` and exports a
 * `register(program)` function; this file only wires them together.
 */
guardTerminal(process.stdout);
guardTerminal(process.stderr);

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
  testPattern,
];
for (const command of commands) command.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // commander reports --help and --version as errors with exit code 0; anything else it raises is a usage error.
  if (error instanceof CommanderError)
    process.exit(error.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput);
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(ExitCode.Failure);
}
