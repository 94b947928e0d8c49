import type { Rule } from '../rules/schema.js';
import type { Lineage, Plan } from './actions.js';
import { publishAnnouncements } from './announcements.js';
import { type ActionOutcome, applyPlan } from './apply.js';
import { InvariantError } from './errors.js';
import type { ObservedImage } from './model.js';
import { observePointers } from './observe-pointers.js';
import { planPointers } from './plan-pointers.js';
import { type Release, releaseOfCopyTags, releaseOfSource, releaseOrder } from './pointers-model.js';
import type { Ec2ForRegion, EventPublisher, LoggerPort, MetricsPort, SsmForRegion } from './ports.js';
import { renderPlan } from './render.js';

/**
 * The event path's pointer step: an image whose every change is applied in its region (the moment
 * it is recorded done) moves the rule's pointers there, through `planPointers` like every path.
 * Reads: one GetParameters (the rule state with the parameters) and one DescribeLaunchTemplateVersions
 * per named template; a copy made before `ami-lifecycle:source-created` existed also reads its source.
 */

export interface ReleasePointersDependencies {
  readonly ec2: Ec2ForRegion;
  readonly ssm?: SsmForRegion;
  readonly events: EventPublisher;
  readonly logger: LoggerPort;
  readonly metrics?: MetricsPort;
}

export async function movePointersOnRelease(
  rule: Rule,
  image: ObservedImage,
  lineage: Omit<Lineage, 'rule'>,
  deps: ReleasePointersDependencies,
): Promise<{ plan: Plan; outcomes: ActionOutcome[] } | undefined> {
  if (rule.publish === undefined) return undefined;
  const { region, imageId } = image;
  if (deps.ssm === undefined) {
    throw new InvariantError(
      `rule ${rule.name} publishes pointers, and the event path was given no SSM port`,
    );
  }
  const release = await releaseOf(image, lineage, deps.ec2);
  const observed = await observePointers(rule, region, deps.ssm(region), deps.ec2(region));
  const plan = planPointers(rule, region, { release, imageId, after: [] }, observed, {
    kind: 'forward',
    trustHead: true,
  });
  deps.logger.info(
    `pointers of rule ${rule.name} in ${region} for ${release.sourceImageId}: ${plan.actions.length} action(s)`,
    {
      rule: rule.name,
      region,
      imageId,
      diff: renderPlan(plan),
    },
  );
  if (plan.actions.length === 0) return { plan, outcomes: [] };
  const outcomes = await applyPlan(
    plan,
    { ec2: deps.ec2, ssm: deps.ssm, announce: publishAnnouncements(deps.events) },
    { concurrency: 4, ...(deps.metrics ? { metrics: deps.metrics } : {}) },
  );
  return { plan, outcomes };
}

/** The image's release: a source is its own; a copy's order is on its lineage tag, or read from its source. */
async function releaseOf(
  image: ObservedImage,
  lineage: Omit<Lineage, 'rule'>,
  ec2: Ec2ForRegion,
): Promise<Release> {
  if (lineage.role === 'source') return releaseOfSource(image);
  const tagged = releaseOfCopyTags(image, lineage.sourceImageId, lineage.sourceRegion);
  if (tagged !== undefined) return tagged;
  const source = await ec2(lineage.sourceRegion).describeImage(lineage.sourceImageId);
  return {
    sourceImageId: lineage.sourceImageId,
    sourceRegion: lineage.sourceRegion,
    order: releaseOrder(source?.creationDate, lineage.sourceImageId),
  };
}
