import type { Context } from 'aws-lambda';
import { ec2ForRegion, ssmForRegion } from '../shared/aws/clients.js';
import { handleAmiStateChange } from '../shared/core/state-change.js';
import { parseAmiStateChangeEvent } from '../shared/events/ami-state-change.js';
import { lambda } from '../shared/lambda/middleware.js';
import { accountOf, coldStart } from '../shared/lambda/runtime.js';

/** `EC2 AMI State Change` → copy, share and tag; announce the family's start, failures and completion. */
const { config, rules, logger, log, events, claims, copySlots, metrics } = coldStart();

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
  }),
);
