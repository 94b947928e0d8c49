import type { Rule } from '../rules/schema.js';
import { type Action, actionId, type CopyAction, dropActions, isKind, type Plan } from './actions.js';
import { announceStartedOnce } from './announcements.js';
import { applyPlan } from './apply.js';
import { releaseKey, targetRegions } from './completion.js';
import { identifyImage } from './identify.js';
import type { ObservedImage } from './model.js';
import { planFamily } from './plan-family.js';
import type {
  ClaimsForRegion,
  CopySlotsForRegion,
  Ec2ForRegion,
  EventPublisher,
  LoggerPort,
  MetricsPort,
} from './ports.js';

/**
 * The copy cap on the event path: at most `max` copies pending per region, as the scheduled
 * reconcile keeps. A copy takes a slot in its region before it starts (`admitCopies`); one that
 * finds none is recorded as deferred and left out of the plan. When a copy finishes (available or
 * failed), its handler gives the slot back and starts the newest deferred copy of the region
 * (`startNextCopy`); whatever is still deferred the next scheduled run copies (newest first, within
 * the cap it observes), and corrects the slots from what it sees (a copy whose event was lost).
 */

export interface CopyCap {
  readonly slots: CopySlotsForRegion;
  readonly max: number;
}

/** A copy's slot key: its source. */
export function copyKey(sourceRegion: string, sourceImageId: string): string {
  return `${sourceRegion}/${sourceImageId}`;
}

/** The plan with its copies admitted under the cap: each took a slot, or is deferred (noted, and out of the plan). */
export async function admitCopies(plan: Plan, cap: CopyCap): Promise<Plan> {
  const copies = plan.actions.filter(isKind('copy'));
  const admitted = await Promise.all(
    copies.map(async (copy) => ({
      copy,
      taken: await cap.slots(copy.region).acquire(copyKey(copy.sourceRegion, copy.sourceImageId), cap.max, {
        key: copyKey(copy.sourceRegion, copy.sourceImageId),
        rule: copy.rule,
        sourceCreationDate: copy.sourceCreationDate ?? '',
      }),
    })),
  );
  const deferred = admitted.filter((a) => !a.taken).map((a) => a.copy);
  if (deferred.length === 0) return plan;
  return {
    actions: dropActions(plan.actions, new Set(deferred.map((c) => c.id))),
    notes: [
      ...plan.notes,
      ...deferred.map((copy: CopyAction) => ({
        region: copy.region,
        imageId: copy.sourceImageId,
        message: `copy deferred: ${cap.max} copies in flight here (the cap); it starts when one finishes, or at the next scheduled run`,
      })),
    ],
  };
}

export interface NextCopyDependencies {
  readonly rules: readonly Rule[];
  readonly accountId: string;
  readonly ec2: Ec2ForRegion;
  readonly logger: LoggerPort;
  readonly cap: CopyCap;
  /** `AMI Distribution Started` goes out once per release: for one wholly deferred, with its first copy. */
  readonly events: EventPublisher;
  readonly claims: ClaimsForRegion;
  readonly invocationId: string;
  readonly metrics?: MetricsPort;
}

/** Deferred copies tried per finished copy, at most: each that cannot start gives its slot back to the next. */
const MAX_STARTS = 3;

/**
 * A copy into `region` finished: gives its slot back and starts the newest deferred copy of the
 * region, if a slot is free. Returns the copy started, if any. Reads its source and the region's
 * copies of it first: the deferred copy may have been started by the schedule meanwhile.
 */
export async function startNextCopy(
  region: string,
  finished: string,
  deps: NextCopyDependencies,
): Promise<{ readonly sourceImageId: string; readonly imageId: string } | undefined> {
  const slots = deps.cap.slots(region);
  let next = await slots.release(finished, deps.cap.max);
  for (let attempt = 0; next !== undefined && attempt < MAX_STARTS; attempt++) {
    const [sourceRegion, sourceImageId] = next.key.split('/');
    const rule = deps.rules.find((r) => r.name === next?.rule);
    const source =
      sourceRegion === undefined || sourceImageId === undefined
        ? undefined
        : await deps.ec2(sourceRegion).describeImage(sourceImageId);
    const role = source === undefined ? undefined : identifyImage(source, deps.rules, deps.accountId);
    if (
      source !== undefined &&
      rule !== undefined &&
      role?.kind === 'source' &&
      role.rule.name === rule.name
    ) {
      const copies = await deps.ec2(region).findCopies(source.imageId, source.region);
      const family = planFamily(
        rule,
        {
          accountId: deps.accountId,
          sourceImageId: source.imageId,
          sourceRegion: source.region,
          sourceImage: source,
          targets: { [region]: { status: 'observed', copies, details: [] } },
        },
        { cleanUp: false },
      );
      const copiesHere = family.actions.filter(
        (a) => a.kind === 'copy' && a.region === region && (a.after ?? []).length === 0,
      );
      const actions: Action[] = [
        ...copiesHere,
        ...copiesHere.map((copy) => startedAnnouncement(rule, source, copy.id)),
      ];
      if (copiesHere.length === 0) {
        deps.logger.info(`deferred copy of ${source.imageId} into ${region}: nothing to start`, {
          notes: family.notes,
        });
      } else {
        const key = `${releaseKey(rule, source.region, source.imageId)}/started`;
        const announce = announceStartedOnce(
          deps.events,
          deps.claims(source.region),
          key,
          deps.invocationId,
          deps.metrics,
        );
        const [outcome] = await applyPlan(
          { actions, notes: [] },
          { ec2: deps.ec2, announce },
          deps.metrics ? { metrics: deps.metrics } : {},
        );
        if (outcome?.status === 'applied' && outcome.result?.kind === 'copy') {
          deps.logger.info(
            `deferred copy of ${source.imageId} into ${region} started: ${outcome.result.imageId}`,
          );
          return { sourceImageId: source.imageId, imageId: outcome.result.imageId };
        }
        if (outcome?.status === 'failed') {
          // Deferred again, slot given back: the next finished copy or the schedule starts it.
          deps.logger.error(
            `deferred copy of ${source.imageId} into ${region} failed to start; deferred again`,
            {
              code: outcome.error.code,
              error: outcome.error.message,
            },
          );
          await slots.release(next.key, 0);
          await slots.acquire(next.key, 0, next);
          return undefined;
        }
      }
    }
    // Nothing to start for this one: its slot goes to the next deferred copy.
    next = await slots.release(next.key, deps.cap.max);
  }
  return undefined;
}

/** The release's `AMI Distribution Started`, after the copy that starts it (published once per release). */
function startedAnnouncement(rule: Rule, source: ObservedImage, copyId: string): Action {
  return {
    kind: 'announce',
    id: actionId('announce', source.region, `distribution-started/${source.imageId}`),
    region: source.region,
    waitsFor: [copyId],
    announcement: {
      kind: 'distribution-started',
      rule: rule.name,
      sourceImageId: source.imageId,
      sourceRegion: source.region,
      imageName: source.name,
      targetRegions: targetRegions(rule, source.region),
    },
  };
}
