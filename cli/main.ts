import { runCli } from './program.js';
import { guardTerminal } from './terminal.js';

/**
 * The `ami-lifecycle` command: the CLI (cli/program.ts) on this process's arguments, everything it
 * prints made printable first (cli/terminal.ts).
 */
guardTerminal(process.stdout);
guardTerminal(process.stderr);

const outcome = await runCli(process.argv);
if (outcome.exitNow) process.exit(outcome.code);
