import type { Context } from 'aws-lambda';
import {
  ec2ForRegion,
  keysForRegion,
  sqsClient,
  ssmForRegion,
  targetsMemoryForRegion,
} from '../shared/aws/clients.js';
import { organizationsFor } from '../shared/aws/organizations.js';
import { createWorkQueue } from '../shared/aws/work-queue.js';
import { fanOut } from '../shared/core/fan-out.js';
import { reconcileRegion } from '../shared/core/reconcile.js';
import { publishReconcileReport } from '../shared/core/reconcile-report.js';
import { resolveTargets, targetingRules } from '../shared/core/targets.js';
import { parseScheduledEvent } from '../shared/events/scheduled.js';
import { lambda } from '../shared/lambda/middleware.js';
import { accountOf, coldStart } from '../shared/lambda/runtime.js';

/**
 * The schedule: reconcile (and retire in) the region this stack runs in, then fan the rules'
 * target accounts out to the member-work queue, one item per account for this region. Every
 * regional stack has its own schedule, so regions are reconciled in parallel and independently.
 * Failures are reported, not thrown: the next scheduled run is the retry, and a Lambda retry of a
 * long run would only repeat it.
 */
const { config, rules, logger, log, events, claims, copySlots, metrics } = coldStart();
const targetsMemory = targetsMemoryForRegion(config.distributionsTable);
const queue =
  config.memberWorkQueueUrl === undefined
    ? undefined
    : createWorkQueue(sqsClient(config.region), config.memberWorkQueueUrl, config.region);

export const handler = lambda(logger, metrics).handler(async (event: unknown, context: Context) => {
  const scheduled = parseScheduledEvent(event);
  const accountId = accountOf(context);
  // Resolved once: the region's reconcile shares the sources with them, the fan-out queues their work.
  const targets =
    targetingRules(rules).length === 0 ? undefined : await resolveTargets(rules, accountId, organizationsFor);
  const report = await reconcileRegion(
    {
      rules,
      accountId,
      ec2: ec2ForRegion,
      ssm: ssmForRegion,
      logger: log,
      events,
      now: () => new Date(),
      completion: { claims, owner: context.awsRequestId },
      copySlots,
      metrics: metrics.port,
      ...(targets === undefined ? {} : { targets: targets.accounts, kms: keysForRegion }),
    },
    {
      region: scheduled.region,
      dryRun: config.dryRun,
      maxCopiesInFlight: config.maxCopiesInFlight,
      concurrency: config.reconcileConcurrency,
      shouldStop: () => context.getRemainingTimeInMillis() < config.stopMarginMs,
    },
  );
  await publishReconcileReport(report, events, log);
  const fanned = await fanOut(
    {
      rules,
      hubAccountId: accountId,
      organizations: organizationsFor,
      queue,
      logger: log,
      ...(targets === undefined ? {} : { targets }),
      changes: { memory: targetsMemory, events },
    },
    scheduled.region,
  );
  return {
    ...report,
    fanOut: { items: fanned.items.length, queued: fanned.queued, failures: fanned.failures },
  };
});
