import type { core } from 'zod';

/**
 * One schema problem as an operator reads it: what is wrong, in the tool's words rather than the
 * validator's ("must not be empty", not "Too small: expected string to have >=1 characters"), and
 * the offending value quoted, shortened when long, so a file with many entries says which one.
 */
export function issueText(issue: core.$ZodIssue): string {
  const message = plainMessage(issue);
  if (!('input' in issue) || issue.input === undefined) return message;
  const value = shown(issue.input);
  return message.includes(value) ? message : `${message} (got ${value})`;
}

function plainMessage(issue: core.$ZodIssue): string {
  // Messages the schema writes itself are kept; only the validator's defaults are reworded.
  if (!/^(Too small|Too big|Invalid input|Invalid option)\b/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array')
        return issue.minimum === 1 ? 'must list at least one' : `must list at least ${issue.minimum}`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must list at most ${issue.maximum}`;
      return `must be at most ${issue.maximum}`;
    case 'invalid_type':
      return `must be ${article(issue.expected)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  const names: Record<string, string> = {
    string: 'text',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a map of keys to values',
  };
  return names[expected] ?? `a ${expected}`;
}

/** A value as the file holds it: JSON for scalars (clipped when long), the kind for lists and maps. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'a map';
  const json = JSON.stringify(value) ?? String(value);
  if (json.length <= 80) return json;
  return `${json.slice(0, 60)}…" (${typeof value === 'string' ? `${value.length} characters` : 'long'})`;
}
