import type { AnnounceAction, Lineage } from './actions.js';
import type { ActionOutcome, ApplyPorts } from './apply.js';
import { type Detail, DetailType, imageArn, type ToolEvent, toolEvent } from './notifications.js';
import type { CompletionClaims, EventPublisher, MetricsPort } from './ports.js';

/**
 * Announcements, from plan to event: what an `announce` action publishes, with the parts that depend
 * on how the actions it follows went taken from their outcomes. Undefined: nothing to announce
 * (no copy was started after all).
 */
export function announcementEvent(
  action: AnnounceAction,
  prerequisites: readonly ActionOutcome[],
): ToolEvent | undefined {
  const a = action.announcement;
  switch (a.kind) {
    case 'distribution-started': {
      const copies = prerequisites.flatMap((o) =>
        o.status === 'applied' && o.result?.kind === 'copy'
          ? [{ region: o.action.region, imageId: o.result.imageId }]
          : [],
      );
      if (copies.length === 0) return undefined;
      return toolEvent(
        DetailType.DistributionStarted,
        {
          rule: a.rule,
          sourceImageId: a.sourceImageId,
          sourceRegion: a.sourceRegion,
          imageName: a.imageName,
          targetRegions: [...a.targetRegions],
          copies,
        },
        [a.sourceRegion, a.sourceImageId, ...copies.map((c) => c.region).sort()],
        { resources: [imageArn(a.sourceRegion, a.sourceImageId)], busRegion: a.sourceRegion },
      );
    }
    case 'deprecated':
      return toolEvent(
        DetailType.Deprecated,
        {
          ...retiredImage(a),
          deprecationTime: a.deprecationTime,
          reason: a.reason,
        },
        [a.region, a.imageId, a.deprecationTime],
        { resources: [imageArn(a.region, a.imageId)], busRegion: a.sourceRegion },
      );
    case 'disabled':
      return toolEvent(
        DetailType.Disabled,
        { ...retiredImage(a), reason: a.reason },
        [a.region, a.imageId, 'disabled'],
        { resources: [imageArn(a.region, a.imageId)], busRegion: a.sourceRegion },
      );
    case 'deregistered': {
      // An answer lost and confirmed by reading: EC2 deleted the snapshots with the image, so a
      // snapshot the follow-up finds gone was deleted, not missing.
      const confirmed = prerequisites.some(
        (o) => o.status === 'applied' && o.result?.kind === 'deregister' && o.result.confirmedByReading,
      );
      const deleted: string[] = [];
      const notDeleted: Array<{
        snapshotId: string;
        outcome: 'in-use' | 'not-found' | 'failed';
        detail?: string;
      }> = [];
      for (const snapshotId of a.snapshotIds) {
        const outcome = prerequisites.find(
          (o) => o.action.kind === 'delete-snapshot' && o.action.snapshotId === snapshotId,
        );
        if (outcome === undefined || outcome.status === 'skipped') {
          notDeleted.push({ snapshotId, outcome: 'failed', detail: 'deletion not attempted' });
        } else if (outcome.status === 'failed') {
          notDeleted.push({ snapshotId, outcome: 'failed', detail: outcome.error.message });
        } else if (outcome.result?.kind === 'delete-snapshot') {
          const { outcome: how, detail } = outcome.result;
          if (how === 'deleted' || how === 'with-image' || (how === 'not-found' && confirmed)) {
            deleted.push(snapshotId);
          } else notDeleted.push({ snapshotId, outcome: how, ...(detail ? { detail } : {}) });
        }
      }
      return toolEvent(
        DetailType.Deregistered,
        {
          ...retiredImage(a),
          reason: a.reason,
          snapshotsDeleted: deleted,
          snapshotsNotDeleted: notDeleted,
        },
        [a.region, a.imageId],
        { resources: [imageArn(a.region, a.imageId)], busRegion: a.sourceRegion },
      );
    }
    case 'pointers-moved':
      return pointersMoved(a, prerequisites);
    case 'rollback':
      return rollback(a, prerequisites);
  }
}

/** `AMI Pointers Moved`: the moves among the prerequisites that were applied; none, no event. */
function pointersMoved(
  a: Extract<AnnounceAction['announcement'], { kind: 'pointers-moved' }>,
  prerequisites: readonly ActionOutcome[],
): ToolEvent | undefined {
  const parameters: Detail<typeof DetailType.PointersMoved>['parameters'] = [];
  const launchTemplates: Detail<typeof DetailType.PointersMoved>['launchTemplates'] = [];
  for (const o of prerequisites) {
    if (o.status !== 'applied') continue;
    const { action, result } = o;
    if (action.kind === 'put-parameter' && result?.kind === 'put-parameter') {
      parameters.push({
        name: action.name,
        ...(action.previous === undefined ? {} : { previous: action.previous }),
        imageId: action.imageId,
        version: result.version,
      });
    } else if (action.kind === 'template-version' && result?.kind === 'template-version') {
      launchTemplates.push({
        template: action.template,
        templateId: action.templateId,
        version: result.version,
        ...(action.previous === undefined ? {} : { previous: action.previous }),
        imageId: action.imageId,
        isDefault: action.makeDefault,
      });
    }
  }
  if (parameters.length === 0 && launchTemplates.length === 0) return undefined;
  return toolEvent(
    DetailType.PointersMoved,
    {
      rule: a.rule,
      sourceImageId: a.sourceImageId,
      sourceRegion: a.sourceRegion,
      imageId: a.imageId,
      region: a.region,
      parameters,
      launchTemplates,
    },
    [
      a.region,
      a.rule,
      a.imageId,
      ...parameters.map((p) => `${p.name}@${p.version}`),
      ...launchTemplates.map((t) => `${t.templateId}@${t.version}`),
    ],
    { resources: [imageArn(a.region, a.imageId)], busRegion: a.sourceRegion },
  );
}

/** `AMI Rollback`: the regions whose rule state (the pin) was written. */
function rollback(
  a: Extract<AnnounceAction['announcement'], { kind: 'rollback' }>,
  prerequisites: readonly ActionOutcome[],
): ToolEvent | undefined {
  const regions = prerequisites.flatMap((o) =>
    o.status === 'applied' && o.action.kind === 'put-rule-state' ? [o.action.region] : [],
  );
  if (regions.length === 0) return undefined;
  const at = prerequisites.flatMap((o) =>
    o.action.kind === 'put-rule-state' && o.action.state.pin !== undefined ? [o.action.state.pin.at] : [],
  );
  return toolEvent(
    DetailType.Rollback,
    {
      rule: a.rule,
      sourceImageId: a.sourceImageId,
      sourceRegion: a.sourceRegion,
      regions,
      pinned: a.pinned,
      by: a.by,
    },
    [a.rule, a.sourceImageId, String(a.pinned), ...at.slice(0, 1), ...[...regions].sort()],
    { resources: [imageArn(a.sourceRegion, a.sourceImageId)], busRegion: a.sourceRegion },
  );
}

/** The image a retirement announcement is about, with its family. */
function retiredImage(a: Lineage & { readonly imageId: string; readonly region: string }) {
  return {
    rule: a.rule,
    role: a.role,
    sourceImageId: a.sourceImageId,
    sourceRegion: a.sourceRegion,
    imageId: a.imageId,
    region: a.region,
  };
}

/** The applier's announcer: publishes each announcement's event on the tool's bus. */
export function publishAnnouncements(events: EventPublisher): ApplyPorts['announce'] {
  return async (action, prerequisites) => {
    const event = announcementEvent(action, prerequisites);
    if (event !== undefined) await events.publish([event]);
  };
}

/**
 * The event path's announcer: like `publishAnnouncements`, but `AMI Distribution Started` goes out
 * once per release, however many deliveries of the source's event start (or find) its copies:
 * the first to claim `startedKey` publishes (and counts the release started); a publish that fails
 * gives the claim back, so the retry sends it.
 */
export function announceStartedOnce(
  events: EventPublisher,
  claims: CompletionClaims,
  startedKey: string,
  owner: string,
  metrics?: MetricsPort,
): ApplyPorts['announce'] {
  const publish = publishAnnouncements(events);
  return async (action, prerequisites) => {
    if (action.announcement.kind !== 'distribution-started') return publish(action, prerequisites);
    const event = announcementEvent(action, prerequisites);
    if (event === undefined) return;
    if ((await claims.claim(startedKey, owner)) !== 'claimed') return;
    try {
      await events.publish([event]);
    } catch (error) {
      await claims.release(startedKey, owner);
      throw error;
    }
    await claims.published(startedKey, owner);
    const { rule, sourceRegion } = action.announcement;
    metrics?.add('ReleasesStarted', 1, { rule, region: sourceRegion });
  };
}
