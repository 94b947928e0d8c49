import type { z } from 'zod';
import { InvalidEventError } from '../core/errors.js';

/** Parses input with a schema, or throws one InvalidEventError naming every field that is wrong. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`,
  );
  throw new InvalidEventError(`not a valid ${what}: ${problems.join('; ')}`);
}
