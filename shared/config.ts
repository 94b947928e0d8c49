import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AmiLifecycleError } from './core/errors.js';

/** Configuration that cannot work is a deployment mistake: fail at cold start, before any event. */
export class ConfigurationError extends AmiLifecycleError {
  readonly retryable = false;
}

const EnvSchema = z.object({
  /** The rules file, bundled with the functions; relative paths are from the function's root. */
  RULES_FILE: z.string().min(1).default('config/ami-rules.yaml'),
  /** The tool's own event bus, where operators' notifications go. */
  EVENT_BUS_NAME: z.string().min(1).default('ami-lifecycle'),
  /** When set, the region whose bus receives every event; empty: a family's source region. */
  EVENTS_REGION: z.string().default(''),
  /** Completion claims (DynamoDB), in every region: a family's claim is kept in its source region. */
  DISTRIBUTIONS_TABLE: z.string().min(1).default('ami-lifecycle-distributions'),
  /** `true`: plan and log, change nothing. */
  DRY_RUN: z
    .enum(['true', 'false'], { error: 'must be "true" or "false"' })
    .default('false')
    .transform((v) => v === 'true'),
  AWS_REGION: z.string().min(1, 'is required (Lambda sets it)').default('us-east-1'),
  /** Reconcile: copies pending per region at most (AWS allows 100 AMI and 20 snapshot copies at once). */
  MAX_COPIES_IN_FLIGHT: z.coerce.number().int().min(1).max(100).default(20),
  /** Reconcile: EC2 calls in flight at once per region. */
  RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** Reconcile: stop starting work when less than this is left before the Lambda timeout. */
  STOP_MARGIN_SECONDS: z.coerce.number().int().min(1).default(30),
  /** The role the tool assumes in target accounts (`accounts` of the rules), unless the rules name one. */
  MEMBER_ROLE_NAME: z.string().default(''),
  /** The queue the scheduled run fans the target accounts' work out to; empty: none. */
  MEMBER_WORK_QUEUE_URL: z.string().default(''),
  LAMBDA_TASK_ROOT: z.string().optional(),
});

export interface Config {
  readonly rulesFile: string;
  readonly eventBusName: string;
  readonly eventsRegion: string | undefined;
  readonly distributionsTable: string;
  readonly dryRun: boolean;
  readonly region: string;
  readonly maxCopiesInFlight: number;
  readonly reconcileConcurrency: number;
  readonly stopMarginMs: number;
  readonly memberRoleName: string | undefined;
  readonly memberWorkQueueUrl: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(
      `invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const {
    RULES_FILE,
    EVENT_BUS_NAME,
    EVENTS_REGION,
    DISTRIBUTIONS_TABLE,
    DRY_RUN,
    AWS_REGION,
    LAMBDA_TASK_ROOT,
  } = parsed.data;
  const { MAX_COPIES_IN_FLIGHT, RECONCILE_CONCURRENCY, STOP_MARGIN_SECONDS } = parsed.data;
  const { MEMBER_ROLE_NAME, MEMBER_WORK_QUEUE_URL } = parsed.data;
  return {
    rulesFile: isAbsolute(RULES_FILE) ? RULES_FILE : resolve(LAMBDA_TASK_ROOT ?? process.cwd(), RULES_FILE),
    eventBusName: EVENT_BUS_NAME,
    eventsRegion: EVENTS_REGION === '' ? undefined : EVENTS_REGION,
    distributionsTable: DISTRIBUTIONS_TABLE,
    dryRun: DRY_RUN,
    region: AWS_REGION,
    maxCopiesInFlight: MAX_COPIES_IN_FLIGHT,
    reconcileConcurrency: RECONCILE_CONCURRENCY,
    stopMarginMs: STOP_MARGIN_SECONDS * 1000,
    memberRoleName: MEMBER_ROLE_NAME === '' ? undefined : MEMBER_ROLE_NAME,
    memberWorkQueueUrl: MEMBER_WORK_QUEUE_URL === '' ? undefined : MEMBER_WORK_QUEUE_URL,
  };
}
