import { ec2ForRegion } from '../shared/aws/clients.js';
import { handleAmiStateChange } from '../shared/core/state-change.js';
import { parseAmiStateChangeEvent } from '../shared/events/ami-state-change.js';
import { coldStart, lambda } from '../shared/lambda/runtime.js';

/** `EC2 AMI State Change` → copy, share and tag. */
const { config, rules, logger, events } = coldStart();

export const handler = lambda(logger).handler(async (event: unknown) =>
  handleAmiStateChange(parseAmiStateChangeEvent(event), {
    rules,
    ec2: ec2ForRegion,
    events,
    logger,
    dryRun: config.dryRun,
  }),
);
