/**
 * The options of `npm start`, and the two mistakes a first run makes that deserve one clear line
 * instead of a surprise: options npm kept for itself, and a `--port` that is taken.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';

export interface DemoOptions {
  serve?: boolean;
  /** Absent: a free port the system picks. */
  port?: number;
  copyDelayMs: string;
  rules: string;
  verbose?: boolean;
  json?: boolean;
}

/** The exit code of a usage mistake: the run did not start, so nothing failed to converge (1). */
export const USAGE_EXIT = 2;

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError('a port number, 1 to 65535.');
  }
  return port;
}

/** The demo's options, each with the placeholder of its value (undefined for a switch). */
const DEMO_OPTIONS: ReadonlyArray<readonly [flag: string, value: string | undefined]> = [
  ['serve', undefined],
  ['port', '<port>'],
  ['copy-delay-ms', '<ms>'],
  ['rules', '<file>'],
  ['json', undefined],
];

/**
 * The demo's options npm took for itself: `npm start --serve` (without `--`) is npm's own config
 * `serve`, which npm does not pass to the script but exports as `npm_config_serve=true` (the
 * value, when written `--port=5000`; `true`, when written `--port 5000`, and the 5000 becomes an
 * argument of the script). `--verbose` is left out: npm reads it as its own log level, which it
 * has anyway, so its `npm_config_loglevel` says nothing about what was typed.
 *
 * The demo stops with one line rather than honour them: npm already warns that this form "will
 * stop working in the next major version of npm", and a value npm split off (`--port 5000`) cannot
 * be told apart from a stray argument, so honouring would work for a switch and silently misread
 * an option with a value. One rule, "the demo's options go after `--`", works every time.
 */
export function optionsNpmKept(env: NodeJS.ProcessEnv, argv: readonly string[] = []): string[] {
  const detached = DEMO_OPTIONS.filter(
    ([flag, placeholder]) => placeholder !== undefined && env[npmConfigName(flag)] === 'true',
  );
  // npm hands a split-off value to the script as an argument: with one such option and one
  // argument, that argument is its value; with more, which is whose cannot be told.
  const strays = argv.filter((a) => !a.startsWith('-'));
  const detachedValue = detached.length === 1 && strays.length === 1 ? strays[0] : undefined;
  return DEMO_OPTIONS.flatMap(([flag, placeholder]) => {
    const value = env[npmConfigName(flag)];
    if (value === undefined || value === '' || value === 'false') return [];
    if (placeholder === undefined) return [`--${flag}`];
    return [`--${flag} ${value === 'true' ? (detachedValue ?? placeholder) : value}`];
  });
}

/** The variable npm exports a config as: `copy-delay-ms` → `npm_config_copy_delay_ms`. */
function npmConfigName(flag: string): string {
  return `npm_config_${flag.replace(/-/g, '_')}`;
}

/** The one line for options npm kept: which, and the command that passes them on. */
export function npmKeptMessage(kept: readonly string[]): string {
  const names = kept.map((k) => k.split(' ')[0]).join(', ');
  const [option, it] = kept.length === 1 ? ['option', 'it'] : ['options', 'them'];
  return `npm start: npm took ${names} as its own ${option} and did not pass ${it} to the demo; put the demo's options after --: npm start -- ${kept.join(' ')}`;
}

/** The one line for a `--port` the emulator cannot listen on, or undefined for any other error. */
export function portErrorMessage(error: unknown, port: number | undefined): string | undefined {
  if (port === undefined || !(error instanceof Error) || !('code' in error)) return undefined;
  if (error.code === 'EADDRINUSE') {
    return `npm start: port ${port} on 127.0.0.1 is already in use (an earlier \`npm start -- --serve\`, or another local AWS?); stop it, choose another with --port N, or leave out --port to get a free one.`;
  }
  if (error.code === 'EACCES') {
    return `npm start: not allowed to listen on port ${port}; choose one above 1023 with --port N, or leave out --port to get a free one.`;
  }
  return undefined;
}

/** Parses `argv` (without node and the script); a usage mistake prints its line and exits 2. */
export function parseDemoOptions(argv: readonly string[]): DemoOptions {
  const program = new Command()
    .name('npm start --')
    .description('Run ami-lifecycle end to end against the local EC2/EventBridge/DynamoDB/SQS/SNS emulators.')
    .option('--serve', 'keep the emulator running after the demo, and print how to point clients at it')
    .option('--port <port>', 'loopback port to listen on (default: a free one)', parsePort)
    .option('--copy-delay-ms <ms>', 'how long an emulated copy stays pending', '800')
    .option('--rules <file>', 'rules file the handlers load', 'config/ami-rules.yaml')
    .option('--verbose', "each event's JSON, each notification's body, and the handlers' own logs")
    .option('--json', 'the timeline as JSON Lines, one entry a line, in the same order')
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    // Commander has printed the message (or the help); only the exit code is ours.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT);
    throw error;
  }
  return program.opts<DemoOptions>();
}
