import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ec2ForRegion, eventBridgeClient } from '../shared/aws/clients.js';
import { retirementEc2ForRegion } from '../shared/aws/ec2-retirement.js';
import { createEventPublisher } from '../shared/aws/events.js';
import { loadConfig } from '../shared/config.js';
import { reconcileRegion } from '../shared/core/reconcile.js';
import { publishReconcileReport } from '../shared/core/reconcile-report.js';
import { parseScheduledEvent } from '../shared/events/scheduled.js';
import { terminalErrorsEndCleanly } from '../shared/lambda/middleware.js';
import { loadRulesFile } from '../shared/rules/load.js';

/**
 * The schedule: reconcile the region this stack runs in. Every regional stack has its own
 * schedule, so regions are reconciled in parallel and independently. Failures are reported, not
 * thrown: the next scheduled run is the retry, and a Lambda retry of a long run would only repeat it.
 */
const config = loadConfig();
const { rules } = loadRulesFile(config.rulesFile);
const logger = new Logger({ serviceName: 'ami-lifecycle', correlationIdSearchFn: search });
const events = createEventPublisher(eventBridgeClient(config.region), config.eventBusName, config.region);

export const handler = middy()
  .use(injectLambdaContext(logger, { correlationIdPath: 'id', resetKeys: true }))
  .use(terminalErrorsEndCleanly(logger))
  .handler(async (event: unknown, context: Context) => {
    const scheduled = parseScheduledEvent(event);
    const report = await reconcileRegion(
      {
        rules,
        accountId: scheduled.account,
        ec2: ec2ForRegion,
        logger,
        retirement: { ec2: retirementEc2ForRegion, events, now: () => new Date() },
      },
      {
        region: scheduled.region,
        dryRun: config.dryRun,
        maxCopiesInFlight: config.maxCopiesInFlight,
        concurrency: config.reconcileConcurrency,
        shouldStop: () => context.getRemainingTimeInMillis() < config.stopMarginMs,
      },
    );
    await publishReconcileReport(report, events, logger);
    return report;
  });
