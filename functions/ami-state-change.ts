import type { Context } from 'aws-lambda';
import { ec2ForRegion, keysForRegion, sqsClient, ssmForRegion } from '../shared/aws/clients.js';
import { organizationsFor } from '../shared/aws/organizations.js';
import { createWorkQueue } from '../shared/aws/work-queue.js';
import { handleAmiStateChange } from '../shared/core/state-change.js';
import { cachingOrganizations } from '../shared/core/targets.js';
import { parseAmiStateChangeEvent } from '../shared/events/ami-state-change.js';
import { lambda } from '../shared/lambda/middleware.js';
import { accountOf, coldStart } from '../shared/lambda/runtime.js';

/** `EC2 AMI State Change` → copy, share and tag; announce the family's start, failures and completion. */
const { config, rules, logger, log, events, claims, copySlots, metrics } = coldStart();
/**
 * For rules with target accounts: Organizations' answers kept 5 minutes (every event of a release
 * and every event forwarded from a member account resolves the targets), KMS, the member-work queue.
 */
const members =
  config.memberWorkQueueUrl === undefined
    ? undefined
    : {
        organizations: cachingOrganizations(organizationsFor, 5 * 60_000),
        kms: keysForRegion,
        workQueue: createWorkQueue(sqsClient(config.region), config.memberWorkQueueUrl, config.region),
      };

export const handler = lambda(logger, metrics).handler(async (event: unknown, context: Context) =>
  handleAmiStateChange(parseAmiStateChangeEvent(event), {
    rules,
    accountId: accountOf(context),
    ec2: ec2ForRegion,
    ssm: ssmForRegion,
    events,
    claims,
    logger: log,
    dryRun: config.dryRun,
    invocationId: context.awsRequestId,
    now: () => new Date(),
    copyCap: { slots: copySlots, max: config.maxCopiesInFlight },
    metrics: metrics.port,
    ...(members === undefined ? {} : { members }),
  }),
);
