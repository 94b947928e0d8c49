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

/**
 * Whether `arn` names this resource: any AWS partition (`aws`, `aws-cn`, `aws-us-gov`, …), the
 * service, region and account given (`''` where the ARN has none, as an AMI's), and the resource.
 */
export function isArn(
  arn: string,
  expected: { service: string; region: string; account: string; resource: (resource: string) => boolean },
): boolean {
  const [prefix, partition, service, region, account, ...resource] = arn.split(':');
  return (
    prefix === 'arn' &&
    partition !== undefined &&
    /^aws(-[a-z]+)*$/.test(partition) &&
    service === expected.service &&
    region === expected.region &&
    account === expected.account &&
    expected.resource(resource.join(':'))
  );
}
