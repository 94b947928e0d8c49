import type { AwsCallError } from '../shared/core/errors.js';
import type { RegionResult } from '../shared/core/reconcile.js';

/** How the CLI prints: AWS errors in one line with a hint, JSON documents, aligned tables, counts. */

/** A hint for the errors operators meet first, so the one line says what to do. */
function hint(error: AwsCallError): string {
  if (error.code === 'CredentialsProviderError') {
    return ' (no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError'].includes(error.code)) {
    const service = error.operation === 'GetCallerIdentity' ? 'STS' : 'EC2';
    const endpoint = process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL;
    return endpoint ? ` (is the endpoint ${endpoint} up?)` : ` (cannot reach ${service})`;
  }
  if (error.code === 'AuthFailure' || error.code === 'OptInRequired') {
    return ` (is ${error.region} enabled for the account?)`;
  }
  return '';
}

export function describeAwsError(error: AwsCallError): string {
  return `${error.message.split('\n')[0]}${hint(error)}`;
}

/** The regions that could not be read, on stderr: one line, or one per region when they differ. */
export function printRegionErrors(results: readonly RegionResult[]): void {
  const errors = results.flatMap((r) => ('error' in r ? [r.error] : []));
  const [first] = errors;
  if (first === undefined) return;
  if (errors.length > 1 && errors.length === results.length && errors.every((e) => e.code === first.code)) {
    console.error(`error: ${describeAwsError(first)}; the same in all ${errors.length} regions`);
    return;
  }
  for (const error of errors) console.error(`error: ${describeAwsError(error)}`);
}

export function regionErrorJson(error: AwsCallError) {
  return {
    operation: error.operation,
    code: error.code,
    retryable: error.retryable,
    message: describeAwsError(error),
  };
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Rows as aligned columns; `right` lists the columns aligned right (numbers). */
export function table(rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        if (right.includes(i)) return cell.padStart(width);
        return i === row.length - 1 ? cell : cell.padEnd(width);
      })
      .join('  '),
  );
}

export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
