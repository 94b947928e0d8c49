import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ec2ForRegion, eventBridgeClient } from '../shared/aws/clients.js';
import { createEventPublisher } from '../shared/aws/events.js';
import { loadConfig } from '../shared/config.js';
import { handleAmiStateChange } from '../shared/core/state-change.js';
import { parseAmiStateChangeEvent } from '../shared/events/ami-state-change.js';
import { terminalErrorsEndCleanly } from '../shared/lambda/middleware.js';
import { loadRulesFile } from '../shared/rules/load.js';

/**
 * `EC2 AMI State Change` → copy, share and tag. Configuration and rules are read once, at cold
 * start, and a bad rules file fails the deployment's first invocation loudly rather than later.
 */
const config = loadConfig();
const { rules } = loadRulesFile(config.rulesFile);
const logger = new Logger({ serviceName: 'ami-lifecycle', correlationIdSearchFn: search });
const events = createEventPublisher(eventBridgeClient(config.region), config.eventBusName, config.region);

export const handler = middy()
  .use(injectLambdaContext(logger, { correlationIdPath: 'id', resetKeys: true }))
  .use(terminalErrorsEndCleanly(logger))
  .handler(async (event: unknown) =>
    handleAmiStateChange(parseAmiStateChangeEvent(event), {
      rules,
      ec2: ec2ForRegion,
      events,
      logger,
      dryRun: config.dryRun,
    }),
  );
