import { runCli } from './program.js';

/** The `ami-lifecycle` command: the CLI (cli/program.ts) on this process's arguments. */
const outcome = await runCli(process.argv);
if (outcome.exitNow) process.exit(outcome.code);
