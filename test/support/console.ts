import { vi } from 'vitest';

/**
 * Silences the handlers' logs (Powertools writes to the console) and keeps the error lines, for
 * tests that assert what a handler logged. Call in `beforeEach`; `vi.restoreAllMocks()` undoes it.
 */
export function captureConsoleErrors(): string[] {
  const errors: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    errors.push(args.map(String).join(' '));
  });
  vi.spyOn(console, 'info').mockImplementation(() => undefined);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  vi.spyOn(console, 'debug').mockImplementation(() => undefined);
  return errors;
}
