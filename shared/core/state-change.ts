import type { AmiStateChangeEvent } from '../events/ami-state-change.js';
import type { Rule } from '../rules/schema.js';
import { type Action, actionId, isKind, type Plan } from './actions.js';
import { announceStartedOnce } from './announcements.js';
import { type ActionOutcome, applyPlan } from './apply.js';
import { type CompletionResult, isAnnounced, recordDone, releaseKey, targetRegions } from './completion.js';
import { admitCopies, type CopyCap, copyKey, startNextCopy } from './copy-cap.js';
import { reportFailedCopy } from './copy-failed.js';
import { AwsCallError, RetryableFailuresError } from './errors.js';
import { type ImageRole, identifyReading } from './identify.js';
import type { Observation, ObservedImage } from './model.js';
import { observeCopy, observeSource } from './observe-image.js';
import { planFamily } from './plan-family.js';
import type {
  ClaimsForRegion,
  Ec2ForRegion,
  EventPublisher,
  LoggerPort,
  MemberWorkItem,
  MetricsPort,
  SsmForRegion,
} from './ports.js';
import {
  membersOf,
  observeReleaseMembers,
  queueMemberEvent,
  queueReleaseMembers,
  type ReleaseMembersDependencies,
} from './release-members.js';
import { movePointersOnRelease } from './release-pointers.js';
import { renderPlan } from './render.js';
import { countCompletedCopy, publishTerminal, settle } from './state-change-outcomes.js';

export interface StateChangeDependencies {
  readonly rules: readonly Rule[];
  /** The account this function acts for, from its own identity (never the event's word). */
  readonly accountId: string;
  readonly ec2: Ec2ForRegion;
  /** SSM, for rules that publish pointers (`publish`). */
  readonly ssm?: SsmForRegion;
  readonly events: EventPublisher;
  /** Announcement claims and releases' regions done, per region (a family's are in its source region). */
  readonly claims: ClaimsForRegion;
  readonly logger: LoggerPort;
  /** Plan and log, change nothing, publish nothing. */
  readonly dryRun: boolean;
  /** The invocation (its request id): who holds an announcement claim. */
  readonly invocationId: string;
  readonly now: () => Date;
  /** Waits while another invocation holds a completion claim; injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The copy cap (copies pending per region); without it the event path starts every copy at once. */
  readonly copyCap?: CopyCap;
  /** Releases, copies and failures for operators; aggregated per invocation by the adapter. */
  readonly metrics?: MetricsPort;
  /** Organizations, KMS and the work queue, for rules that copy into other accounts (`accounts`). */
  readonly members?: ReleaseMembersDependencies;
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
      /** Whether the release is complete now, and whether this invocation announced it. */
      readonly completion?: CompletionResult;
    }
  | { readonly status: 'reported'; readonly detailType: string }
  /** Another account's event, forwarded by its bus: its (account, region) queued for the member-work function. */
  | { readonly status: 'queued'; readonly item: MemberWorkItem };

/**
 * The core's answer to one `EC2 AMI State Change`: observe, plan, apply, record.
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
  const { region, account } = event;
  if (account !== deps.accountId) {
    const members = membersOf(deps.rules, deps);
    if (members !== undefined) {
      const queued = await queueMemberEvent(
        { account, region, imageId, available: state === 'available' },
        deps.rules,
        { ...members, accountId: deps.accountId },
      );
      if ('item' in queued) {
        deps.logger.info(
          `${imageId} of account ${account} in ${region} is ${state}: its account and region queued`,
          { imageId, region, account, state },
        );
        return { status: 'queued', item: queued.item };
      }
      deps.logger.warn(`${imageId} in ${region} ignored: ${queued.reason}`, { imageId, region, account });
      return { status: 'ignored', reason: queued.reason };
    }
    const reason = `the event is about account ${account}; this function acts for account ${deps.accountId}`;
    deps.logger.warn(`${imageId} in ${region} ignored: ${reason}`, { imageId, region, account });
    return { status: 'ignored', reason };
  }
  switch (state) {
    case 'available':
      return distribute(event, deps);
    case 'failed':
      return reportFailedCopy(event, deps);
    // `deregistered`, `disabled` and the rest: retirement's doing (announced by the run that did it)
    // or someone else's; the scheduled run lists disabled images too and takes it from there.
    default:
      deps.logger.info(`${imageId} in ${region} is ${state}: nothing to do`, { imageId, region, state });
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
  /** For rules with target accounts: the source is shared with them (`observeReleaseMembers`). */
  readonly members?: Omit<ReleaseMembersDependencies, 'workQueue'>;
}

/**
 * The plan for one available image, exactly as its `available` event would make it. Read-only:
 * one DescribeImages for the image (and one for its source when it is a copy that lost its lineage
 * tags); more only for a source the tool has handled before (see `observeSource`).
 * `ami-lifecycle plan --image` uses it.
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
  const role = await identifyReading(image, accountId, deps);
  if (role.kind !== 'source' && role.kind !== 'copy')
    return { status: 'ignored', reason: role.reason, image };

  const observed =
    role.kind === 'source'
      ? await observeSource(role.rule, image, accountId, ec2)
      : observeCopy(image, role.sourceImageId, role.sourceRegion, accountId);
  const members = role.kind === 'source' ? membersOf([role.rule], deps) : undefined;
  const observation =
    members === undefined
      ? observed
      : await observeReleaseMembers(role.rule, observed, ec2, { ...members, accountId, logger });
  // Deleting failed copies is the schedule's: the event handler's role may not deregister.
  const family = planFamily(role.rule, observation, { cleanUp: false });
  const copies = family.actions.filter(isKind('copy'));
  const actions: Action[] = [...family.actions];
  if (role.kind === 'source' && copies.length > 0) {
    actions.push({
      kind: 'announce',
      id: actionId('announce', region, `distribution-started/${imageId}`),
      region,
      waitsFor: copies.map((c) => c.id),
      announcement: {
        kind: 'distribution-started',
        rule: role.rule.name,
        sourceImageId: imageId,
        sourceRegion: region,
        imageName: image.name,
        targetRegions: targetRegions(role.rule, region),
      },
    });
  }
  const plan: Plan = { actions, notes: family.notes };
  return { status: 'planned', image, role, observation, plan, diff: renderPlan(plan) };
}

async function distribute(
  event: AmiStateChangeEvent,
  deps: StateChangeDependencies,
): Promise<StateChangeResult> {
  const { logger, ec2 } = deps;
  const { region } = event;
  const imageId = event.detail.ImageId;

  const result = await planForImage(region, imageId, deps.accountId, deps);
  if (result.status === 'ignored') return { status: 'ignored', reason: result.reason };
  const { role, observation, plan, diff, image } = result;
  logger.info(
    `plan for ${role.kind} ${imageId} in ${region} (rule ${role.rule.name}): ${plan.actions.length} action(s)`,
    {
      imageId,
      region,
      role: role.kind,
      rule: role.rule.name,
      dryRun: deps.dryRun,
      diff,
    },
  );
  if (deps.dryRun) return { status: 'planned', role: role.kind, plan, diff };
  if (role.kind === 'copy') countCompletedCopy(role.rule.name, image, event.time, deps.metrics);

  const key = releaseKey(role.rule, observation.sourceRegion, observation.sourceImageId);
  const admitted = deps.copyCap === undefined ? plan : await admitCopies(plan, deps.copyCap);
  const outcomes = await applyPlan(
    admitted,
    {
      ec2,
      announce: announceStartedOnce(
        deps.events,
        deps.claims(observation.sourceRegion),
        `${key}/started`,
        deps.invocationId,
        deps.metrics,
      ),
    },
    { concurrency: 4, ...(deps.metrics ? { metrics: deps.metrics } : {}) },
  );
  const queued = await queueMembers(role.rule, observation, outcomes, deps);
  // This image is done when every change to it went through: its pointers move, then it is
  // recorded; the last one announces.
  const own = outcomes.filter((o) => o.action.region === region && o.action.kind !== 'announce');
  const done = own.every((o) => o.status === 'applied');
  const pointers = done
    ? await movePointersOnRelease(
        role.rule,
        image,
        { role: role.kind, sourceImageId: observation.sourceImageId, sourceRegion: observation.sourceRegion },
        deps,
      )
    : undefined;
  const failures = settle(
    [...outcomes, ...(pointers?.outcomes ?? [])],
    observation,
    role.rule.name,
    imageId,
    region,
    deps,
  );
  if (queued instanceof Error) (queued.retryable ? failures.retryable : failures.terminal).push(queued);
  if (failures.terminal.length > 0)
    await publishTerminal(failures.terminal, observation, role.rule.name, imageId, region, deps);

  let completion: CompletionResult | undefined;
  if (done) {
    completion = await recordDone(
      {
        rule: role.rule,
        sourceImageId: observation.sourceImageId,
        sourceRegion: observation.sourceRegion,
        // The source's handler has the source's tags: it can see a lost announcement tag.
        ...(role.kind === 'source'
          ? { imageName: image.name, sourceUntagged: !isAnnounced(role.rule, image) }
          : {}),
        region,
        imageId,
      },
      {
        ec2,
        events: deps.events,
        claims: deps.claims,
        logger,
        owner: deps.invocationId,
        now: deps.now,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      },
    );
    logger.debug(`completion of ${observation.sourceImageId}: ${completion.status}`, { ...completion });
  }
  // A copy that became available frees its slot: the region's newest deferred copy starts.
  if (role.kind === 'copy' && deps.copyCap !== undefined) {
    await startNextCopy(region, copyKey(role.sourceRegion, role.sourceImageId), {
      ...deps,
      cap: deps.copyCap,
    });
  }
  if (failures.retryable.length > 0) throw new RetryableFailuresError(failures.retryable);
  return {
    status: 'applied',
    role: role.kind,
    plan: admitted,
    diff: admitted === plan ? diff : renderPlan(admitted),
    outcomes: [...outcomes, ...(pointers?.outcomes ?? [])],
    ...(completion === undefined ? {} : { completion }),
  };
}

/** A source's work items for its target accounts, queued once its sharing went through; a queue failure is returned to be settled. */
async function queueMembers(
  rule: Rule,
  observation: Observation,
  outcomes: readonly ActionOutcome[],
  deps: StateChangeDependencies,
): Promise<MemberWorkItem[] | AwsCallError> {
  const members = deps.members;
  if (members === undefined || observation.memberAccounts === undefined) return [];
  try {
    const items = await queueReleaseMembers(rule, observation, outcomes, members.workQueue);
    if (items.length > 0)
      deps.logger.info(`queued ${items.length} (account, region) item(s) for the target accounts`, { items });
    return items;
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    return error;
  }
}
