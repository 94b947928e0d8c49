import type { Context } from 'aws-lambda';
import { membersFor } from '../shared/aws/members.js';
import { runMemberWork } from '../shared/core/member-work.js';
import { parseMemberWorkEvent } from '../shared/events/member-work.js';
import { lambda } from '../shared/lambda/middleware.js';
import { accountOf, coldStart } from '../shared/lambda/runtime.js';

/**
 * The member-work queue → each (target account, region) the scheduled run fanned out, reconciled as
 * that account through its member role. Answers which messages to see again (ReportBatchItemFailures):
 * work a retry can finish, and messages that are not work items, which end in the dead-letter queue.
 */
const { config, rules, logger, log, events, claims, metrics } = coldStart();

export const handler = lambda(logger, metrics).handler(async (event: unknown, context: Context) =>
  runMemberWork(
    {
      rules,
      hubAccountId: accountOf(context),
      membersFor,
      defaultRole: config.memberRoleName,
      logger: log,
      events,
      now: () => new Date(),
      metrics: metrics.port,
      // A release's pairs, recorded in its source region's table for the completion across accounts.
      completion: { claims, owner: context.awsRequestId },
    },
    parseMemberWorkEvent(event),
    {
      dryRun: config.dryRun,
      maxCopiesInFlight: config.maxCopiesInFlight,
      concurrency: config.reconcileConcurrency,
      shouldStop: () => context.getRemainingTimeInMillis() < config.stopMarginMs,
    },
  ),
);
