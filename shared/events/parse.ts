import { z } from 'zod';
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

/**
 * The envelope EventBridge puts around every event of an AWS service, with its detail type, source
 * and detail schema filled in. `time` is kept as a string: it is logged, and a copy's duration is
 * measured to it when it reads as a date (AWS's own published examples carry a placeholder there,
 * which leaves the duration out rather than failing the event).
 */
export function awsEventEnvelope<D extends z.ZodType>(detailType: string, source: string, detail: D) {
  return z.object({
    version: z.string(),
    id: z.string().min(1),
    'detail-type': z.literal(detailType),
    source: z.literal(source),
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
    time: z.string(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be a region name'),
    resources: z.array(z.string()),
    detail,
  });
}
