import { type Action, actionId, type DeprecateAction, type Lineage, type PlanNote } from './actions.js';
import { deregistration } from './deletion.js';
import type { LaunchPermission } from './model.js';
import { snapshotList } from './render.js';
import {
  decisionFor,
  lineageOfManaged,
  type ManagedImage,
  type RetirementDecision,
} from './retire-decide.js';
import {
  isProtected,
  launchGuard,
  lineageProblem,
  needsDeprecation,
  sharedWindow,
  sharing,
} from './retire-guards.js';

/**
 * Retirement planning (pure): for the managed images of ONE region, their decisions
 * (`retire-decide.ts`) and the safety facts observed beforehand, the actions to take and the notes
 * saying what is left alone and why. It is the only place that can produce a deregistration, and
 * it can only produce one for an image it was handed as managed, with its rule and lineage, whose
 * tags confirm that lineage.
 *
 * A deregistration is the sequence `deletion.ts` builds (intent tag, DeregisterImage, the
 * snapshots EC2 left, the announcement).
 *
 * Safety rules where the design left a choice:
 * - Deprecation is reversible, so it is applied whatever `retire.apply` says; deregistration only
 *   with `apply: true` (otherwise a "would deregister" line). A dry run changes nothing.
 * - Deprecation is only ever brought forward, never postponed: an image already deprecated at or
 *   before the computed time (within a minute) is left as it is. Recomputing "now" on every run
 *   therefore never moves a deprecation time again.
 * - Besides its rule and lineage, an image must carry `ami-lifecycle:rule = <rule>` (the tool's own
 *   tag) and be owned by the account to be deprecated or deregistered at all.
 * - References are read in this account only; an image shared with other accounts can be in use
 *   there. EC2's `lastLaunchedTime` counts launches wherever they happen, so an image launched
 *   within `retire.notLaunchedForDays` (plus one day: EC2 reports a launch up to 24 hours late) is
 *   not deregistered. Without that setting, the window is `SHARED_NOT_LAUNCHED_FOR_DAYS` for an
 *   image anyone else may launch (launch permissions not empty, or public) and there is none for
 *   an image only this account can launch (its references here are all there is). An explicit
 *   setting applies to every image of the rule, shared or not, and replaces the default.
 *   Launch permissions are read only when they decide: for a candidate launched within the default
 *   window of a rule without the setting; unread ones count as shared.
 * - An image with no `lastLaunchedTime` was never launched as far as EC2 reports: the launch guard
 *   does not hold it back (else a shared image nobody launched could never be retired), and its
 *   references decide as for any other image. Like every image, a launch in the last 24 hours that
 *   EC2 has not reported yet cannot be seen. A `lastLaunchedTime` that does not parse counts as a
 *   launch now.
 * - Deprecation does not depend on use: a recently launched image is still deprecated (reversible),
 *   only its deregistration waits, as for a referenced one.
 */

export interface RetirementRefusal {
  readonly imageId: string;
  readonly reason: string;
}

/** What was observed about an image before deciding to delete it. */
export interface SafetyFacts {
  /** What uses the image (instances, launch templates, SSM parameters, recipes); empty: nothing. */
  readonly references: readonly string[];
  /**
   * Orphan copies only: the source was looked up by id in its own region and is gone (not found,
   * or deregistered). The rule's source listing alone does not prove it: a source that stopped
   * matching the rule, or a region that could not be listed, would look the same.
   */
  readonly sourceGone?: boolean;
  /**
   * Candidates with `checkSharing` only: who besides this account may launch the image (empty:
   * nobody). Absent for such a candidate: it may be shared, and is treated as shared.
   */
  readonly launchPermissions?: readonly LaunchPermission[];
}

export interface RetirementPlanInput {
  readonly region: string;
  /** Only the account's own images are retired. */
  readonly accountId: string;
  /** The managed images of `region`, sources and copies. */
  readonly managed: readonly ManagedImage[];
  /**
   * Per rule name, `decideRetirement` over the rule's sources. A rule absent here had its sources
   * not (fully) observed: its images are left alone, since any copy would look like an orphan.
   */
  readonly decisions: ReadonlyMap<string, ReadonlyMap<string, RetirementDecision>>;
  readonly now: Date;
  /** Images a pointer names (or a rollback pin holds), with why: left alone, whatever their decision. */
  readonly protectedImages?: ReadonlyMap<string, string>;
}

export interface RetirementPlan {
  readonly region: string;
  /** Deprecations (each with its announcement), then deregistrations (each with its sequence). */
  readonly actions: readonly Action[];
  readonly notes: readonly PlanNote[];
  /** Deregistrations due but refused (referenced, protected, launched recently, references not checked). */
  readonly refused: readonly RetirementRefusal[];
  /** Deregistrations due and safe that a rule without `retire.apply: true` does not make. */
  readonly wouldDeregister: readonly RetirementRefusal[];
  /** The same for disabling. */
  readonly wouldDisable: readonly RetirementRefusal[];
}

/** An image a deregistration (or disabling) is pending for: its safety facts decide. */
export interface RetirementCandidate {
  readonly managed: ManagedImage;
  /** Its source must be confirmed gone too (`SafetyFacts.sourceGone`). */
  readonly orphan: boolean;
  /**
   * Its launch permissions decide (`SafetyFacts.launchPermissions`): it was launched within the
   * window for shared images, and its rule sets no `notLaunchedForDays`.
   */
  readonly checkSharing: boolean;
}

interface Pending {
  readonly entry: ManagedImage;
  /** What is due: disabling (the image is available) or deregistration. */
  readonly stage: 'disable' | 'deregister';
  readonly reason: string;
  readonly orphan: boolean;
  /** Set when the image is refused if shared: what its last launch was (see `launchGuard`). */
  readonly launchedIfShared?: string;
}

interface Assessed {
  readonly deprecations: Map<string, { readonly action: DeprecateAction; readonly decision: string }>;
  /** Disabling or deregistration due, image managed, owned, not protected: references decide. */
  readonly candidates: Pending[];
  readonly notes: PlanNote[];
  readonly refused: RetirementRefusal[];
}

/** The images whose safety facts must be observed before planning: deregistration is pending for them. */
export function retirementCandidates(input: RetirementPlanInput): RetirementCandidate[] {
  return assess(input).candidates.map((c) => ({
    managed: c.entry,
    orphan: c.orphan,
    checkSharing: c.launchedIfShared !== undefined,
  }));
}

/**
 * The retirement plan of one region. `safety` holds the facts observed for the candidates
 * (`retirementCandidates`); a candidate without facts is refused ("references not checked").
 */
export function planRetirement(
  input: RetirementPlanInput & { readonly safety: ReadonlyMap<string, SafetyFacts> },
): RetirementPlan {
  const { region } = input;
  const { deprecations, candidates, notes, refused } = assess(input);
  const deregistrations: Action[] = [];
  const disablings: Action[] = [];
  const wouldDeregister: RetirementRefusal[] = [];
  const wouldDisable: RetirementRefusal[] = [];
  for (const { entry, stage, reason, orphan, launchedIfShared } of candidates) {
    const { image, rule } = entry;
    const imageId = image.imageId;
    const facts = input.safety.get(imageId);
    const shared = launchedIfShared === undefined ? undefined : sharing(facts?.launchPermissions);
    const done = stage === 'disable' ? 'disabled' : 'deregistered';
    const refuse = (why: string) => {
      refused.push({ imageId, reason: why });
      notes.push({ region, imageId, message: `not ${done}: ${why} (${reason})` });
    };
    if (facts === undefined) {
      refuse('its references were not checked');
    } else if (facts.references.length > 0) {
      refuse(`referenced by ${facts.references.join(', ')}`);
    } else if (orphan && facts.sourceGone !== true) {
      refuse(`its source ${entry.sourceImageId} (${entry.sourceRegion}) was not confirmed gone`);
    } else if (shared !== undefined) {
      refuse(`${launchedIfShared} and ${shared}: ${sharedWindow(done)}`);
    } else if (stage === 'disable') {
      if (rule.retire?.apply !== true) {
        wouldDisable.push({ imageId, reason });
        notes.push({
          region,
          imageId,
          message: `would disable, but retire.apply is not true for rule "${rule.name}": ${reason}`,
        });
      } else disablings.push(...disabling(entry, reason, deprecations.get(imageId)?.action.id));
    } else if (rule.retire?.apply !== true) {
      wouldDeregister.push({ imageId, reason });
      notes.push({
        region,
        imageId,
        message: `would deregister (and delete ${snapshotList(image.snapshotIds)}), but retire.apply is not true for rule "${rule.name}": ${reason}`,
      });
    } else {
      deprecations.delete(imageId);
      deregistrations.push(...deregistration(entry, reason));
    }
  }
  const deprecating = [...deprecations.values()].flatMap(({ action }) => [
    action,
    {
      kind: 'announce' as const,
      id: actionId('announce', action.region, `deprecated/${action.imageId}`),
      region: action.sourceRegion,
      after: [action.id],
      announcement: {
        kind: 'deprecated' as const,
        imageId: action.imageId,
        region: action.region,
        ...lineageOf(action),
        deprecationTime: action.at.toISOString(),
        reason: action.reason,
      },
    },
  ]);
  return {
    region,
    actions: [...deprecating, ...disablings, ...deregistrations],
    notes,
    refused,
    wouldDeregister,
    wouldDisable,
  };
}

/** DisableImage and its announcement, after the image's deprecation when one is planned. */
function disabling(entry: ManagedImage, reason: string, deprecateId: string | undefined): Action[] {
  const { region, imageId } = entry.image;
  const lineage = lineageOfManaged(entry);
  const id = actionId('disable-image', region, imageId);
  return [
    {
      kind: 'disable-image',
      id,
      region,
      imageId,
      reason,
      ...lineage,
      ...(deprecateId ? { after: [deprecateId] } : {}),
    },
    {
      kind: 'announce',
      id: actionId('announce', region, `disabled/${imageId}`),
      region: entry.sourceRegion,
      after: [id],
      announcement: { kind: 'disabled', imageId, region, ...lineage, reason },
    },
  ];
}

function lineageOf(action: Lineage): Lineage {
  return {
    rule: action.rule,
    role: action.role,
    sourceImageId: action.sourceImageId,
    sourceRegion: action.sourceRegion,
  };
}

function assess(input: RetirementPlanInput): Assessed {
  const { region, accountId, now } = input;
  const assessed: Assessed = { deprecations: new Map(), candidates: [], notes: [], refused: [] };
  const unobservedRules = new Set<string>();
  const seen = new Set<string>();
  for (const entry of input.managed) {
    const { image, rule } = entry;
    const imageId = image.imageId;
    const retire = rule.retire;
    if (retire === undefined) continue;
    const note = (message: string) => assessed.notes.push({ region, imageId, message });
    if (seen.has(imageId)) {
      note('listed twice; considered once');
      continue;
    }
    seen.add(imageId);
    if (image.region !== region) {
      note(`not retired here: the image is in ${image.region}, not ${region}`);
      continue;
    }
    const lineage = lineageProblem(entry);
    if (lineage !== undefined) {
      note(`not retired: ${lineage}`);
      continue;
    }
    if (image.ownerId !== accountId) {
      note(`not retired: owned by ${image.ownerId}, not this account`);
      continue;
    }
    const sourceDecisions = input.decisions.get(rule.name);
    if (sourceDecisions === undefined) {
      if (!unobservedRules.has(rule.name)) {
        unobservedRules.add(rule.name);
        assessed.notes.push({
          region,
          message: `rule "${rule.name}": its sources were not observed; none of its images is retired`,
        });
      }
      continue;
    }
    const decision = decisionFor(entry, sourceDecisions, now);
    if (decision.kind === 'keep') continue;
    if (decision.kind === 'skip') {
      note(decision.reason);
      continue;
    }
    const pointer = input.protectedImages?.get(imageId);
    if (pointer !== undefined) {
      note(`not retired: ${pointer} (${decision.reason})`);
      continue;
    }
    // A disabled image goes on to deregistration when the rule has a disable stage (see retire-decide.ts).
    const disabled = image.state === 'disabled' && retire.disableAfterDays !== undefined;
    if (image.state !== 'available' && !disabled) {
      note(`not retired: the image is ${image.state} (${decision.reason})`);
      continue;
    }
    const at = decision.deprecateAt;
    if (at !== undefined && !disabled && needsDeprecation(image.deprecationTime, at)) {
      assessed.deprecations.set(imageId, {
        decision: decision.reason,
        action: {
          kind: 'deprecate',
          id: actionId('deprecate', region, imageId),
          region,
          imageId,
          at,
          ...lineageOfManaged(entry),
          reason: decision.reason,
        },
      });
    }
    const stage = decision.deregister ? 'deregister' : decision.disable && !disabled ? 'disable' : undefined;
    if (stage === undefined) continue;
    if (stage === 'deregister' && isProtected(image)) {
      const why = `deregistration protection is ${image.deregistrationProtection}`;
      assessed.refused.push({ imageId, reason: why });
      note(`not deregistered: ${why} (${decision.reason})`);
      continue;
    }
    const done = stage === 'disable' ? 'disabled' : 'deregistered';
    const launch = launchGuard(image, retire, now, done);
    if (launch.kind === 'refuse') {
      assessed.refused.push({ imageId, reason: launch.reason });
      note(`not ${done}: ${launch.reason} (${decision.reason})`);
      continue;
    }
    assessed.candidates.push({
      entry,
      stage,
      reason: decision.reason,
      orphan: decision.orphan,
      ...(launch.kind === 'if-shared' ? { launchedIfShared: launch.launched } : {}),
    });
  }
  return assessed;
}
