import { readFile } from 'node:fs/promises';
import {
  compilePattern,
  type EventPattern,
  InvalidEventPatternError,
  parseJson,
  testEventProblem,
} from '@ami-lifecycle/event-pattern';
import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';

/**
 * `ami-lifecycle test-pattern --pattern FILE --event FILE`: tests an EventBridge event pattern
 * against an event offline, with the same matcher as the local event bus, and answers like
 * `aws events test-event-pattern`: `true` or `false` (exit 0), or what is wrong with the input (exit 2).
 * `-` reads a file from standard input.
 */
export function register(program: Command): void {
  program
    .command('test-pattern')
    .description(
      'Test an EventBridge event pattern against an event (like aws events test-event-pattern, offline).',
    )
    .requiredOption('--pattern <file>', 'the event pattern, a JSON file (- for stdin)')
    .requiredOption('--event <file>', 'the event, a JSON file with the EventBridge envelope (- for stdin)')
    .action(async (options: Record<string, unknown>) => {
      const { pattern, event } = options;
      if (typeof pattern !== 'string' || typeof event !== 'string')
        throw new Error('--pattern and --event are required');
      process.exitCode = await testPattern(pattern, event);
    });
}

class InputError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(file: string, what: string, stdin: () => Promise<string>): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await stdin() : await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`cannot read the ${what} file ${file}: ${reason}`);
  }
  try {
    return parseJson(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`the ${what} file ${file} is not valid JSON: ${reason}`);
  }
}

export async function testPattern(patternFile: string, eventFile: string): Promise<ExitCode> {
  if (patternFile === '-' && eventFile === '-') {
    console.error('only one of --pattern and --event can read standard input');
    return ExitCode.InvalidInput;
  }
  try {
    const pattern = await readJson(patternFile, 'pattern', readStdin);
    let compiled: EventPattern;
    try {
      compiled = compilePattern(pattern);
    } catch (error) {
      if (error instanceof InvalidEventPatternError) throw new InputError(`${patternFile}: ${error.message}`);
      throw error;
    }
    const event = await readJson(eventFile, 'event', readStdin);
    const problem = testEventProblem(event);
    if (problem !== undefined)
      throw new InputError(`${eventFile}: Parameter Event is not valid. Reason: ${problem}`);
    console.log(compiled.matches(event) ? 'true' : 'false');
    return ExitCode.Ok;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.error(error.message);
    return ExitCode.InvalidInput;
  }
}
