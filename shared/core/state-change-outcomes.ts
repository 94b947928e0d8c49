import type { ActionOutcome } from './apply.js';
import type { AwsCallError } from './errors.js';
import { elapsedMs } from './metrics.js';
import type { Observation, ObservedImage } from './model.js';
import { DetailType, imageArn, toolEvent } from './notifications.js';
import type { EventPublisher, LoggerPort, MetricsPort } from './ports.js';
import { renderAction } from './render.js';

/** What the event path does with its outcomes: count, log, sort the failures, announce the terminal ones. */

/**
 * A copy became available: one more completed in its region, and how long EC2 took, from the copy's
 * creation (when CopyImage made it) to the event's time (when it became available): both come with
 * what the handler reads anyway, so the duration costs no call.
 */
export function countCompletedCopy(
  rule: string,
  copy: ObservedImage,
  availableAt: string,
  metrics?: MetricsPort,
): void {
  if (metrics === undefined) return;
  const dimensions = { rule, region: copy.region };
  metrics.add('CopiesCompleted', 1, dimensions);
  const took = elapsedMs(copy.creationDate, new Date(availableAt));
  if (took !== undefined) metrics.add('CopyDuration', took, dimensions);
}

/**
 * Logs every outcome and sorts the failures: retryable ones (an action, or a target region that
 * could not be read for a passing reason, since nothing was planned there) and terminal ones.
 */
export function settle(
  outcomes: readonly ActionOutcome[],
  observation: Observation,
  rule: string,
  imageId: string,
  region: string,
  deps: { readonly logger: LoggerPort; readonly events: EventPublisher },
): { retryable: AwsCallError[]; terminal: AwsCallError[] } {
  const { logger } = deps;
  const retryable: AwsCallError[] = [];
  const terminal: AwsCallError[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'applied') {
      const newImageId = outcome.result?.kind === 'copy' ? outcome.result.imageId : undefined;
      logger.info(`applied: ${renderAction(outcome.action)}`, newImageId ? { newImageId } : {});
    } else if (outcome.status === 'failed') {
      (outcome.error.retryable ? retryable : terminal).push(outcome.error);
      logger.error(`failed: ${renderAction(outcome.action)}`, {
        code: outcome.error.code,
        retryable: outcome.error.retryable,
        error: outcome.error.message,
      });
    } else {
      logger.warn(
        `not started: ${renderAction(outcome.action)} (${outcome.reason}${outcome.blockedBy ? ` by ${outcome.blockedBy}` : ''})`,
        {
          rule,
          imageId,
          region,
        },
      );
    }
  }
  for (const target of Object.values(observation.targets)) {
    if (target.status === 'unavailable' && target.error.retryable) retryable.push(target.error);
  }
  return { retryable, terminal };
}

/** Failures a retry cannot fix, announced as one `AMI Actions Failed`. */
export async function publishTerminal(
  terminal: readonly AwsCallError[],
  observation: Observation,
  rule: string,
  imageId: string,
  region: string,
  deps: { readonly logger: LoggerPort; readonly events: EventPublisher },
): Promise<void> {
  const failures = terminal.map((e) => ({
    operation: e.operation,
    region: e.region,
    code: e.code,
    message: e.message,
  }));
  await deps.events.publish([
    toolEvent(
      DetailType.ActionsFailed,
      {
        rule,
        sourceImageId: observation.sourceImageId,
        sourceRegion: observation.sourceRegion,
        imageId,
        region,
        failures,
      },
      [region, imageId, ...failures.map((f) => `${f.region} ${f.operation} ${f.code}`).sort()],
      { resources: [imageArn(region, imageId)], busRegion: observation.sourceRegion },
    ),
  ]);
}
