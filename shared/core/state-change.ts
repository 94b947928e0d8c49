import type { AmiStateChangeEvent } from '../events/ami-state-change.js';
import type { Rule } from '../rules/schema.js';
import type { Plan } from './actions.js';
import { type ActionOutcome, applyPlan } from './apply.js';
import {
  announceIfComplete,
  type CompletionResult,
  familyStatus,
  sharedWith,
  targetRegions,
} from './completion.js';
import { renderAction, renderPlan } from './diff.js';
import { type AwsCallError, RetryableFailuresError } from './errors.js';
import { type ImageRole, identifyImage } from './identify.js';
import type { Observation, ObservedImage } from './model.js';
import { DetailType, imageArn, toolEvent } from './notifications.js';
import { observeCopy, observeSource } from './observe.js';
import { plan } from './plan.js';
import type { ClaimsForRegion, Ec2ForRegion, EventPublisher, LoggerPort } from './ports.js';

export interface StateChangeDependencies {
  readonly rules: readonly Rule[];
  readonly ec2: Ec2ForRegion;
  readonly events: EventPublisher;
  /** Completion claims, per region (a family's are in its source region). */
  readonly claims: ClaimsForRegion;
  readonly logger: LoggerPort;
  /** Plan and log, change nothing, publish nothing. */
  readonly dryRun: boolean;
  /** The invocation (its request id): who holds a completion claim. */
  readonly invocationId: string;
  readonly now: () => Date;
  /** Waits while another invocation holds a completion claim; injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type StateChangeResult =
  | { readonly status: 'ignored'; readonly reason: string }
  | {
      readonly status: 'planned';
      readonly role: ImageRole['kind'];
      readonly plan: Plan;
      readonly diff: string[];
    }
  | {
      readonly status: 'applied';
      readonly role: ImageRole['kind'];
      readonly plan: Plan;
      readonly diff: string[];
      readonly outcomes: readonly ActionOutcome[];
      /** Whether the family is complete now, and whether this invocation announced it. */
      readonly completion?: CompletionResult;
    }
  | { readonly status: 'reported'; readonly detailType: string };

/**
 * The core's answer to one `EC2 AMI State Change`: observe, plan, apply.
 *
 * Contract with the handler: returns normally when the work is done or cannot be done by trying
 * again (terminal failures are logged and published); throws `RetryableFailuresError` after
 * applying everything else when some of the work failed in a way a later attempt can fix.
 */
export async function handleAmiStateChange(
  event: AmiStateChangeEvent,
  deps: StateChangeDependencies,
): Promise<StateChangeResult> {
  const { ImageId: imageId, State: state } = event.detail;
  switch (state) {
    case 'available':
      return distribute(event, deps);
    case 'failed':
      return reportFailedCopy(event, deps);
    default:
      deps.logger.debug(`${imageId} is ${state}: nothing to do`, { imageId, region: event.region, state });
      return { status: 'ignored', reason: `state ${state}` };
  }
}

/** One image's plan through the event path: describe, identify, observe, plan; or why there is none. */
export type ImagePlan =
  | { readonly status: 'ignored'; readonly reason: string; readonly image?: ObservedImage }
  | {
      readonly status: 'planned';
      readonly image: ObservedImage;
      readonly role: Extract<ImageRole, { kind: 'source' | 'copy' }>;
      readonly observation: Observation;
      readonly plan: Plan;
      readonly diff: string[];
    };

export interface ImagePlanDependencies {
  readonly rules: readonly Rule[];
  readonly ec2: Ec2ForRegion;
  readonly logger: LoggerPort;
}

/**
 * The plan for one available image, exactly as its `available` event would make it: the event
 * path's identify, observe and plan, and the diff. Read-only. `ami-lifecycle plan --image` uses it.
 */
export async function planForImage(
  region: string,
  imageId: string,
  accountId: string,
  deps: ImagePlanDependencies,
): Promise<ImagePlan> {
  const { logger, ec2 } = deps;
  const image = await ec2(region).describeImage(imageId);
  if (image === undefined) {
    logger.warn(`${imageId} no longer exists in ${region}: nothing to do`, { imageId, region });
    return { status: 'ignored', reason: 'image not found' };
  }
  if (image.state !== 'available') {
    logger.info(`${imageId} is ${image.state} now, not available: nothing to do`, { imageId, region });
    return { status: 'ignored', reason: `image is ${image.state}`, image };
  }

  const role = await identifyImage(image, deps.rules, accountId, (r, id) => ec2(r).describeImage(id));
  if (role.kind === 'unmanaged') {
    logger.debug(`${imageId} in ${region} is not managed: ${role.reason}`, { imageId, region });
    return { status: 'ignored', reason: role.reason, image };
  }
  if (role.kind === 'ambiguous') {
    const names = role.rules.map((r) => r.name);
    logger.warn(`${imageId} in ${region} matches ${names.length} rules (${names.join(', ')}); left alone`, {
      imageId,
      region,
      rules: names,
    });
    return { status: 'ignored', reason: `matched by rules ${names.join(', ')}`, image };
  }

  const observation =
    role.kind === 'source'
      ? await observeSource(role.rule, image, accountId, ec2)
      : await observeCopy(role.rule, image, role.sourceImageId, role.sourceRegion, accountId, ec2);
  const thePlan = plan(role.rule, observation);
  return { status: 'planned', image, role, observation, plan: thePlan, diff: renderPlan(thePlan) };
}

async function distribute(
  event: AmiStateChangeEvent,
  deps: StateChangeDependencies,
): Promise<StateChangeResult> {
  const { logger, ec2 } = deps;
  const { region, account: accountId } = event;
  const imageId = event.detail.ImageId;

  const result = await planForImage(region, imageId, accountId, deps);
  if (result.status === 'ignored') return { status: 'ignored', reason: result.reason };
  const { role, observation, plan: thePlan, diff } = result;
  logger.info(
    `plan for ${role.kind} ${imageId} in ${region} (rule ${role.rule.name}): ${thePlan.actions.length} action(s)`,
    {
      imageId,
      region,
      role: role.kind,
      rule: role.rule.name,
      dryRun: deps.dryRun,
      diff,
    },
  );
  if (deps.dryRun) return { status: 'planned', role: role.kind, plan: thePlan, diff };

  const outcomes = await applyPlan(thePlan, ec2);
  const started = outcomes.flatMap((o) =>
    o.status === 'applied' && o.action.kind === 'copy' && o.imageId
      ? [{ region: o.action.region, imageId: o.imageId }]
      : [],
  );
  if (role.kind === 'source' && started.length > 0) {
    await deps.events.publish([
      toolEvent(
        DetailType.DistributionStarted,
        {
          rule: role.rule.name,
          sourceImageId: imageId,
          sourceRegion: region,
          imageName: result.image.name,
          targetRegions: targetRegions(role.rule, region),
          copies: started,
        },
        [region, imageId, ...started.map((c) => c.region).sort()],
        { resources: [imageArn(region, imageId)], busRegion: region },
      ),
    ]);
  }
  await settle(outcomes, observation, role.rule.name, imageId, region, deps);

  // Everything here went through. The family may be complete now: with no copy started, the
  // source's own event can complete it (a rule without targets, a repeated event); otherwise the
  // last copy's event does.
  const completes = outcomes.every((o) => o.status === 'applied') && started.length === 0;
  let completion: CompletionResult | undefined;
  if (completes) {
    // Described again when this invocation changed it: the plan's view predates its own tags.
    const source =
      role.kind === 'source' && outcomes.length === 0
        ? result.image
        : await ec2(observation.sourceRegion).describeImage(observation.sourceImageId);
    if (source !== undefined) {
      completion = await announceIfComplete(role.rule, source, accountId, {
        ec2,
        events: deps.events,
        claims: deps.claims,
        logger,
        owner: deps.invocationId,
        now: deps.now,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      });
      logger.debug(`completion of ${source.imageId}: ${completion.status}`, { ...completion });
    }
  }
  return {
    status: 'applied',
    role: role.kind,
    plan: thePlan,
    diff,
    outcomes,
    ...(completion === undefined ? {} : { completion }),
  };
}

/**
 * Logs every outcome, publishes terminal failures, and throws when a retry could finish the work:
 * an action that failed retryably, or a target region that could not be observed for a passing
 * reason (throttling), since nothing was planned there.
 */
async function settle(
  outcomes: readonly ActionOutcome[],
  observation: Observation,
  rule: string,
  imageId: string,
  region: string,
  deps: StateChangeDependencies,
): Promise<void> {
  const { logger } = deps;
  const retryable: AwsCallError[] = [];
  const terminal: AwsCallError[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'applied') {
      logger.info(
        `applied: ${renderAction(outcome.action)}`,
        outcome.imageId ? { newImageId: outcome.imageId } : {},
      );
    } else if (outcome.status === 'failed') {
      (outcome.error.retryable ? retryable : terminal).push(outcome.error);
      logger.error(`failed: ${renderAction(outcome.action)}`, {
        code: outcome.error.code,
        retryable: outcome.error.retryable,
        error: outcome.error.message,
      });
    }
  }
  // A target region that could not be read for a passing reason: nothing was planned there yet.
  for (const target of Object.values(observation.targets)) {
    if (target.status === 'unavailable' && target.error.retryable) retryable.push(target.error);
  }
  if (terminal.length > 0) {
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
  if (retryable.length > 0) throw new RetryableFailuresError(retryable);
}

async function reportFailedCopy(
  event: AmiStateChangeEvent,
  deps: StateChangeDependencies,
): Promise<StateChangeResult> {
  const { logger, ec2 } = deps;
  const { region, account: accountId } = event;
  const imageId = event.detail.ImageId;
  const image = await ec2(region).describeImage(imageId);
  if (image === undefined) {
    logger.debug(
      `failed image ${imageId} is no longer visible in ${region}; cannot tell whether it was a copy`,
      {
        imageId,
        region,
      },
    );
    return { status: 'ignored', reason: 'image not found' };
  }
  const role = await identifyImage(image, deps.rules, accountId, (r, id) => ec2(r).describeImage(id));
  if (role.kind !== 'copy') {
    logger.debug(`${imageId} failed in ${region} but is not a copy made by a rule`, { imageId, region });
    return { status: 'ignored', reason: 'not a managed copy' };
  }
  const reason = image.stateReason || event.detail.ErrorMessage || 'no reason given';
  const { rule, sourceImageId, sourceRegion } = role;
  logger.error(`copy ${imageId} of ${sourceImageId} failed in ${region}: ${reason}`, {
    imageId,
    region,
    sourceImageId,
    sourceRegion,
    rule: rule.name,
    reason,
  });
  if (deps.dryRun) return { status: 'ignored', reason: 'dry run: nothing published' };
  // The whole family, so the message says where the release did arrive.
  const source = await ec2(sourceRegion).describeImage(sourceImageId);
  const regions =
    source === undefined
      ? [{ region, role: 'copy' as const, imageId, status: 'failed' as const, reason }]
      : (await familyStatus(rule, source, (where) => ec2(where).findCopies(sourceImageId, sourceRegion)))
          .regions;
  await deps.events.publish([
    toolEvent(
      DetailType.CopyFailed,
      {
        rule: rule.name,
        sourceImageId,
        sourceRegion,
        imageName: source?.name ?? image.name,
        imageId,
        region,
        reason,
        regions,
        sharedWith: sharedWith(rule),
      },
      [region, imageId],
      { resources: [imageArn(region, imageId)], busRegion: sourceRegion },
    ),
  ]);
  return { status: 'reported', detailType: DetailType.CopyFailed };
}
