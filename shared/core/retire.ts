import { globMatches } from '../rules/glob.js';
import type { RetireSettings, Rule } from '../rules/schema.js';
import type { PlanNote } from './actions.js';
import { AwsCallError } from './errors.js';
import type { ImageLookup, ImageRole } from './identify.js';
import { type LaunchPermission, LINEAGE, type ObservedImage } from './model.js';
import { DetailType, imageArn, toolEvent } from './notifications.js';
import type { EventPublisher, LoggerPort } from './ports.js';
import type { RetirementEc2 } from './retirement-ports.js';

/**
 * Retirement of a rule's older images, in three layers:
 *
 * 1. `decideRetirement` (pure): per rule, over its SOURCE images, which are kept and which are
 *    superseded, and for those when to deprecate and whether deregistration is due.
 * 2. `planRetirement` (pure): for the managed images of ONE region (sources and copies), their
 *    decisions and the safety facts observed beforehand, the actions to take and the notes saying
 *    what is left alone and why. It is the only place that can produce a deregistration, and it
 *    can only produce one for an image it was handed as managed, with its rule and lineage, whose
 *    tags confirm that lineage.
 * 3. `retireRegion`: observes references (only for images a deregistration is pending for) and,
 *    where they decide, launch permissions; plans, logs the plan as a diff, applies it, logs every
 *    deletion and announces each deregistered image on the tool's bus.
 *
 * Decisions where the design left a choice:
 * - Only `available` images are ranked and retired. `pending` ones will become available and be
 *   ranked then; `failed`, `invalid`, `error`, `transient` and `disabled` ones are left to people
 *   (a disabled image was turned off deliberately, and its snapshots cannot be deleted anyway).
 *   They take no place among the kept ones, so they never make an available image "superseded".
 * - A source without a creation date cannot be ranked: it is kept, with a note, and takes no place.
 * - Ties on the creation date rank the larger image id as newer (any fixed order would do).
 * - A source that is `deregistered` counts as gone: its copies become orphans.
 * - Copies follow their source's decision (same deprecation time, same deregistration due date).
 *   An orphan (a copy whose source is no longer among the rule's sources, typically because the
 *   source was deregistered first) is deprecated now when the rule deprecates, and deregistered
 *   once its OWN age reaches `deregisterAfterDays`, and only after its source is confirmed gone by
 *   id in the source's region (a source that stopped matching the rule, or a source region that
 *   could not be listed, would otherwise make live copies look orphaned). A copy whose source
 *   region is no longer a source region of the rule is not an orphan (its source was not looked
 *   for) and is left alone.
 * - Deprecation is reversible, so it is applied whatever `retire.apply` says; deregistration only
 *   with `apply: true` (otherwise a "would deregister" line). A dry run (`dryRun`) changes nothing.
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

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The launch window for images shared with anyone, when the rule sets no `notLaunchedForDays`. */
const SHARED_NOT_LAUNCHED_FOR_DAYS = 30;
/** EC2 reports a launch in `lastLaunchedTime` up to 24 hours after it happened. */
const LAUNCH_REPORTING_DELAY_DAYS = 1;

// ---- decisions ---------------------------------------------------------------------------------

export type RetirementDecision =
  /** Among the newest `keep` of its family. */
  | { readonly kind: 'keep'; readonly reason: string }
  /** Not ranked, never retired by this rule (not available, no creation date, no family). */
  | { readonly kind: 'skip'; readonly reason: string }
  /** Superseded (or an orphan copy). */
  | {
      readonly kind: 'retire';
      readonly reason: string;
      /** When to deprecate, a whole minute; absent when the rule sets no `deprecateAfterDays`. */
      readonly deprecateAt?: Date;
      /** Deregistration is due now. */
      readonly deregister: boolean;
      /** When deregistration is (or was) due; absent when the rule sets no `deregisterAfterDays`. */
      readonly deregisterFrom?: Date;
      /** A copy whose source is not among the rule's sources: its deregistration needs the source confirmed gone. */
      readonly orphan: boolean;
    };

/**
 * Which of a rule's source images are kept and which are retired. `sources` are the rule's managed
 * source images in any of its source regions: every image there that the rule matches or that
 * carries its `ami-lifecycle:rule` tag, so that a source that merely stopped matching still counts
 * as existing (its copies are not orphans). Returns a decision for every source that is not
 * `deregistered`.
 */
export function decideRetirement(
  rule: Rule,
  sources: readonly ObservedImage[],
  now: Date,
): Map<string, RetirementDecision> {
  const decisions = new Map<string, RetirementDecision>();
  const retire = rule.retire;
  const families = new Map<string, { region: string; family: string; members: Ranked[] }>();
  for (const image of sources) {
    if (image.state === 'deregistered') continue;
    if (retire === undefined) {
      decisions.set(image.imageId, { kind: 'keep', reason: `rule "${rule.name}" does not retire images` });
      continue;
    }
    if (image.state !== 'available') {
      decisions.set(image.imageId, {
        kind: 'skip',
        reason: `not retired: the image is ${image.state} (only available images are ranked and retired)`,
      });
      continue;
    }
    const created = parseTime(image.creationDate);
    if (created === undefined) {
      decisions.set(image.imageId, {
        kind: 'skip',
        reason: 'not retired: the image has no creation date, so it cannot be ranked',
      });
      continue;
    }
    const family = familyOf(rule, retire, image);
    if (family.kind === 'none') {
      decisions.set(image.imageId, { kind: 'skip', reason: family.reason });
      continue;
    }
    const key = JSON.stringify([image.region, family.label]);
    let group = families.get(key);
    if (group === undefined) {
      group = { region: image.region, family: family.label, members: [] };
      families.set(key, group);
    }
    group.members.push({ image, created });
  }
  if (retire === undefined) return decisions;

  for (const { region, family, members } of families.values()) {
    members.sort(newestFirst);
    members.forEach(({ image, created }, index) => {
      const where = `family ${family} in ${region}`;
      if (index < retire.keep) {
        decisions.set(image.imageId, {
          kind: 'keep',
          reason: `newest ${index + 1} of ${members.length} in ${where} (keep ${retire.keep})`,
        });
      } else {
        decisions.set(
          image.imageId,
          superseded(
            retire,
            created,
            now,
            `superseded: number ${index + 1} of ${members.length} in ${where} (keep ${retire.keep}), created ${iso(created)}`,
          ),
        );
      }
    });
  }
  return decisions;
}

interface Ranked {
  readonly image: ObservedImage;
  readonly created: number;
}

function newestFirst(a: Ranked, b: Ranked): number {
  if (a.created !== b.created) return b.created - a.created;
  return a.image.imageId < b.image.imageId ? 1 : a.image.imageId > b.image.imageId ? -1 : 0;
}

type Family =
  | { readonly kind: 'family'; readonly label: string }
  | { readonly kind: 'none'; readonly reason: string };

function familyOf(rule: Rule, retire: RetireSettings, image: ObservedImage): Family {
  if (retire.family === 'name') {
    const globs = rule.match.names;
    if (globs === undefined) return { kind: 'family', label: '"*" (all names)' };
    const glob = globs.find((g) => globMatches(g, image.name));
    if (glob === undefined) {
      return {
        kind: 'none',
        reason: `not retired: its name matches none of match.names, so it has no family`,
      };
    }
    return { kind: 'family', label: JSON.stringify(glob) };
  }
  const key = retire.family.tag;
  const value = Object.hasOwn(image.tags, key) ? image.tags[key] : undefined;
  if (value === undefined) {
    return { kind: 'none', reason: `not retired: no tag "${key}", so it belongs to no family` };
  }
  return { kind: 'family', label: `${key}=${JSON.stringify(value)}` };
}

function superseded(retire: RetireSettings, created: number, now: Date, reason: string): RetirementDecision {
  const { deprecateAfterDays, deregisterAfterDays } = retire;
  const deprecateAt =
    deprecateAfterDays === undefined
      ? undefined
      : new Date(Math.max(ceilMinute(created + deprecateAfterDays * DAY_MS), nextMinute(now)));
  const deregisterFrom =
    deregisterAfterDays === undefined ? undefined : new Date(created + deregisterAfterDays * DAY_MS);
  return {
    kind: 'retire',
    reason,
    ...(deprecateAt === undefined ? {} : { deprecateAt }),
    deregister: deregisterFrom !== undefined && deregisterFrom.getTime() <= now.getTime(),
    ...(deregisterFrom === undefined ? {} : { deregisterFrom }),
    orphan: false,
  };
}

// ---- managed images and their decisions ------------------------------------------------------

/** An image the tool manages, with the rule and lineage that make it so. */
export interface ManagedImage {
  readonly image: ObservedImage;
  readonly rule: Rule;
  readonly role: 'source' | 'copy';
  /** The source's id; for a source, its own. */
  readonly sourceImageId: string;
  readonly sourceRegion: string;
}

/** A managed image from what `identifyImage` said; undefined for unmanaged and ambiguous images. */
export function toManagedImage(image: ObservedImage, role: ImageRole): ManagedImage | undefined {
  switch (role.kind) {
    case 'source':
      return {
        image,
        rule: role.rule,
        role: 'source',
        sourceImageId: image.imageId,
        sourceRegion: image.region,
      };
    case 'copy':
      return {
        image,
        rule: role.rule,
        role: 'copy',
        sourceImageId: role.sourceImageId,
        sourceRegion: role.sourceRegion,
      };
    case 'unmanaged':
    case 'ambiguous':
      return undefined;
  }
}

/**
 * The decision for one managed image, from its rule's source decisions: a source its own, a copy
 * its source's, an orphan copy its own (see the module comment).
 */
export function decisionFor(
  entry: ManagedImage,
  sourceDecisions: ReadonlyMap<string, RetirementDecision>,
  now: Date,
): RetirementDecision {
  const retire = entry.rule.retire;
  if (retire === undefined)
    return { kind: 'keep', reason: `rule "${entry.rule.name}" does not retire images` };
  if (entry.role === 'source') {
    return (
      sourceDecisions.get(entry.image.imageId) ?? {
        kind: 'skip',
        reason: 'not retired: not among the sources observed for its rule',
      }
    );
  }
  const ofSource = sourceDecisions.get(entry.sourceImageId);
  if (ofSource !== undefined) {
    return {
      ...ofSource,
      reason: `copy of ${entry.sourceImageId} (${entry.sourceRegion}): ${ofSource.reason}`,
    };
  }
  if (!entry.rule.match.regions.includes(entry.sourceRegion)) {
    return {
      kind: 'skip',
      reason: `not retired: its source region ${entry.sourceRegion} is not a source region of rule "${entry.rule.name}", so its source was not looked for`,
    };
  }
  const created = parseTime(entry.image.creationDate);
  if (created === undefined) {
    return { kind: 'skip', reason: 'not retired: orphan copy without a creation date' };
  }
  const { deprecateAfterDays, deregisterAfterDays } = retire;
  const deregisterFrom =
    deregisterAfterDays === undefined ? undefined : new Date(created + deregisterAfterDays * DAY_MS);
  return {
    kind: 'retire',
    reason: `orphan copy: its source ${entry.sourceImageId} (${entry.sourceRegion}) no longer exists; created ${iso(created)}`,
    ...(deprecateAfterDays === undefined ? {} : { deprecateAt: new Date(nextMinute(now)) }),
    deregister: deregisterFrom !== undefined && deregisterFrom.getTime() <= now.getTime(),
    ...(deregisterFrom === undefined ? {} : { deregisterFrom }),
    orphan: true,
  };
}

// ---- planning ----------------------------------------------------------------------------------

export type RetirementAction =
  | {
      readonly kind: 'deprecate';
      readonly region: string;
      readonly imageId: string;
      /** UTC, a whole minute. */
      readonly at: Date;
      readonly rule: string;
      readonly role: 'source' | 'copy';
      readonly sourceImageId: string;
      readonly sourceRegion: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'deregister';
      readonly region: string;
      readonly imageId: string;
      /** The image's snapshots, deleted with it. */
      readonly snapshotIds: readonly string[];
      readonly deleteSnapshots: true;
      readonly rule: string;
      readonly role: 'source' | 'copy';
      readonly sourceImageId: string;
      readonly sourceRegion: string;
      readonly reason: string;
    };

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
}

export interface RetirementPlan {
  readonly region: string;
  /** Deprecations first, then deregistrations. */
  readonly actions: readonly RetirementAction[];
  readonly notes: readonly PlanNote[];
  /** Deregistrations due but refused (referenced, protected, launched recently, references not checked). */
  readonly refused: readonly RetirementRefusal[];
  /** Deregistrations due and safe that a rule without `retire.apply: true` does not make. */
  readonly wouldDeregister: readonly RetirementRefusal[];
}

/** An image a deregistration is pending for: its safety facts decide. */
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
  readonly reason: string;
  readonly orphan: boolean;
  /** Set when the image is refused if shared: what its last launch was (see `launchGuard`). */
  readonly launchedIfShared?: string;
}

interface Assessed {
  readonly deprecations: Map<string, Extract<RetirementAction, { kind: 'deprecate' }>>;
  /** Deregistration due, image managed, owned, available and not protected: references decide. */
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
  const deregistrations: RetirementAction[] = [];
  const wouldDeregister: RetirementRefusal[] = [];
  for (const { entry, reason, orphan, launchedIfShared } of candidates) {
    const { image, rule } = entry;
    const imageId = image.imageId;
    const facts = input.safety.get(imageId);
    const shared = launchedIfShared === undefined ? undefined : sharing(facts?.launchPermissions);
    const refuse = (why: string) => {
      refused.push({ imageId, reason: why });
      notes.push({ region, imageId, message: `not deregistered: ${why} (${reason})` });
    };
    if (facts === undefined) {
      refuse('its references were not checked');
    } else if (facts.references.length > 0) {
      refuse(`referenced by ${facts.references.join(', ')}`);
    } else if (orphan && facts.sourceGone !== true) {
      refuse(`its source ${entry.sourceImageId} (${entry.sourceRegion}) was not confirmed gone`);
    } else if (shared !== undefined) {
      refuse(`${launchedIfShared} and ${shared}: ${SHARED_WINDOW}`);
    } else if (rule.retire?.apply !== true) {
      wouldDeregister.push({ imageId, reason });
      notes.push({
        region,
        imageId,
        message: `would deregister (and delete ${snapshotList(image.snapshotIds)}), but retire.apply is not true for rule "${rule.name}": ${reason}`,
      });
    } else {
      deprecations.delete(imageId);
      deregistrations.push({
        kind: 'deregister',
        region,
        imageId,
        snapshotIds: image.rootDeviceType === 'ebs' ? [...image.snapshotIds] : [],
        deleteSnapshots: true,
        rule: rule.name,
        role: entry.role,
        sourceImageId: entry.sourceImageId,
        sourceRegion: entry.sourceRegion,
        reason,
      });
    }
  }
  return { region, actions: [...deprecations.values(), ...deregistrations], notes, refused, wouldDeregister };
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
    if (image.state !== 'available') {
      note(`not retired: the image is ${image.state} (${decision.reason})`);
      continue;
    }
    const at = decision.deprecateAt;
    if (at !== undefined && needsDeprecation(image.deprecationTime, at)) {
      assessed.deprecations.set(imageId, {
        kind: 'deprecate',
        region,
        imageId,
        at,
        rule: rule.name,
        role: entry.role,
        sourceImageId: entry.sourceImageId,
        sourceRegion: entry.sourceRegion,
        reason: decision.reason,
      });
    }
    if (!decision.deregister) continue;
    if (isProtected(image)) {
      const why = `deregistration protection is ${image.deregistrationProtection}`;
      assessed.refused.push({ imageId, reason: why });
      note(`not deregistered: ${why} (${decision.reason})`);
      continue;
    }
    const launch = launchGuard(image, retire, now);
    if (launch.kind === 'refuse') {
      assessed.refused.push({ imageId, reason: launch.reason });
      note(`not deregistered: ${launch.reason} (${decision.reason})`);
      continue;
    }
    assessed.candidates.push({
      entry,
      reason: decision.reason,
      orphan: decision.orphan,
      ...(launch.kind === 'if-shared' ? { launchedIfShared: launch.launched } : {}),
    });
  }
  return assessed;
}

type LaunchGuard =
  /** Its last launch does not hold back its deregistration. */
  | { readonly kind: 'clear' }
  | { readonly kind: 'refuse'; readonly reason: string }
  /** Launched within the default window for shared images: refused if it is shared. */
  | { readonly kind: 'if-shared'; readonly launched: string };

const DELAY = `plus ${LAUNCH_REPORTING_DELAY_DAYS} day for EC2's reporting delay`;
const SHARED_WINDOW =
  `a shared image is deregistered only once not launched for ${SHARED_NOT_LAUNCHED_FOR_DAYS} days ` +
  `(the default without retire.notLaunchedForDays), ${DELAY}`;

/**
 * Whether the image's last launch, in any account, holds back its deregistration: within the rule's
 * `notLaunchedForDays`, or the default window for shared images, plus the reporting delay. What
 * this function cannot tell (whether the image is shared, when it is not public) the candidate's
 * launch permissions decide.
 */
function launchGuard(image: ObservedImage, retire: RetireSettings, now: Date): LaunchGuard {
  const last = image.lastLaunchedTime;
  if (last === undefined) return { kind: 'clear' };
  const configured = retire.notLaunchedForDays;
  const days = configured ?? SHARED_NOT_LAUNCHED_FOR_DAYS;
  const at = parseTime(last);
  if (at !== undefined && at + (days + LAUNCH_REPORTING_DELAY_DAYS) * DAY_MS <= now.getTime()) {
    return { kind: 'clear' };
  }
  const launched =
    at === undefined
      ? `its lastLaunchedTime ${JSON.stringify(last)} cannot be read, so it may have been launched just now`
      : `launched ${timeAgo(now.getTime() - at)} (lastLaunchedTime ${last}; launches by accounts it is shared with count too)`;
  if (configured !== undefined) {
    return {
      kind: 'refuse',
      reason: `${launched}: retire.notLaunchedForDays is ${configured}, ${DELAY}`,
    };
  }
  if (image.isPublic) return { kind: 'refuse', reason: `${launched} and it is public: ${SHARED_WINDOW}` };
  return { kind: 'if-shared', launched };
}

/**
 * Who else may launch the image, in words, or undefined when nobody may. Unknown permissions
 * (not read, or the call failed) may hide a share: they count as shared.
 */
function sharing(permissions: readonly LaunchPermission[] | undefined): string | undefined {
  if (permissions === undefined) return 'its launch permissions were not read, so it may be shared';
  if (permissions.length === 0) return undefined;
  if (permissions.some((p) => p.kind === 'public')) return 'it is public';
  const count = (kind: LaunchPermission['kind'], one: string, many: string) => {
    const n = permissions.filter((p) => p.kind === kind).length;
    return n === 0 ? [] : [`${n} ${n === 1 ? one : many}`];
  };
  const parts = [
    ...count('account', 'account', 'accounts'),
    ...count('organization', 'organization', 'organizations'),
    ...count('organizational-unit', 'OU', 'OUs'),
  ];
  return `it is shared with ${parts.join(', ')}`;
}

/**
 * Why the image's own tags do not confirm the rule and lineage it was handed with, or undefined
 * when they do. The tool retires only images it tagged as managed by that rule.
 */
function lineageProblem(entry: ManagedImage): string | undefined {
  const { image, rule } = entry;
  const tagged = image.tags[LINEAGE.rule];
  if (tagged !== rule.name) {
    return tagged === undefined
      ? `no ${LINEAGE.rule} tag; only images the tool tagged as managed by rule "${rule.name}" are retired`
      : `tagged ${LINEAGE.rule}=${tagged}, not "${rule.name}"`;
  }
  if (entry.role === 'source') {
    if (entry.sourceImageId !== image.imageId || entry.sourceRegion !== image.region) {
      return `given as a source of ${entry.sourceImageId} (${entry.sourceRegion}), which is not itself`;
    }
    return undefined;
  }
  const source = image.tags[LINEAGE.sourceImageId] ?? image.sourceImageId;
  if (source !== entry.sourceImageId) {
    return `given as a copy of ${entry.sourceImageId}, but its lineage says ${source ?? 'no source'}`;
  }
  if (entry.sourceImageId === image.imageId) return 'given as a copy of itself';
  return undefined;
}

/** Anything but absent or `disabled` protects (`enabled`, `enabled-with-cooldown`, ...). */
function isProtected(image: ObservedImage): boolean {
  const protection = image.deregistrationProtection;
  return protection !== undefined && protection !== '' && protection !== 'disabled';
}

/** Deprecation is only brought forward: set when absent, or when set more than a minute later than `at`. */
function needsDeprecation(current: string | undefined, at: Date): boolean {
  const time = parseTime(current);
  return time === undefined || time > at.getTime() + MINUTE_MS;
}

// ---- rendering -----------------------------------------------------------------------------------

/** The plan as diff lines: `~` deprecates, `-` deregisters and deletes, `!` left alone and why. */
export function renderRetirementPlan(plan: RetirementPlan): string[] {
  return [
    ...plan.actions.map((action) =>
      action.kind === 'deprecate'
        ? `~ ${action.region} deprecate ${action.imageId} at ${iso(action.at.getTime())} (rule ${action.rule})`
        : `- ${action.region} deregister ${action.imageId} (${action.role} of rule ${action.rule}) and delete ${snapshotList(action.snapshotIds)}: ${action.reason}`,
    ),
    ...plan.notes.map((n) => `! ${n.region} ${n.imageId ?? ''} ${n.message}`.replace(/ +/g, ' ')),
  ];
}

function snapshotList(snapshotIds: readonly string[]): string {
  return snapshotIds.length === 0 ? 'no snapshots' : `snapshots ${snapshotIds.join(', ')}`;
}

// ---- orchestration -------------------------------------------------------------------------------

export interface RetireRegionInput {
  readonly region: string;
  readonly accountId: string;
  /** The managed images of `region` (see `toManagedImage`). */
  readonly managed: readonly ManagedImage[];
  /**
   * Per rule name, the rule's source images in all its source regions (see `decideRetirement`).
   * Leave a rule out when any of its source regions could not be listed.
   */
  readonly sourcesByRule: ReadonlyMap<string, readonly ObservedImage[]>;
  readonly rules: readonly Rule[];
  readonly ec2: RetirementEc2;
  /**
   * Finds an image by id in any region (`identifyImage`'s lookup). Used to confirm that the
   * source of an orphan copy is really gone before the copy is deregistered; without it orphan
   * copies are deprecated but never deregistered.
   */
  readonly lookupImage?: ImageLookup;
  readonly events: EventPublisher;
  readonly logger: LoggerPort;
  /** Plan and log only. */
  readonly dryRun: boolean;
  readonly now: Date;
  /** Asked before each call that changes something; true stops (the rest waits for the next run). */
  readonly shouldStop: () => boolean;
}

export interface RetirementFailure {
  readonly imageId: string;
  readonly snapshotId?: string;
  readonly operation: string;
  readonly region: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export interface SnapshotOutcome {
  readonly snapshotId: string;
  readonly outcome: 'deleted' | 'in-use' | 'not-found' | 'failed';
  readonly detail?: string;
}

export interface RetiredImage {
  readonly imageId: string;
  readonly rule: string;
  readonly role: 'source' | 'copy';
  readonly sourceImageId: string;
  readonly snapshots: readonly SnapshotOutcome[];
}

export interface RetirementReport {
  readonly region: string;
  /** The plan as diff lines (logged before anything is applied). */
  readonly lines: readonly string[];
  readonly planned: Readonly<Record<RetirementAction['kind'], number>>;
  readonly applied: Readonly<Record<RetirementAction['kind'], number>>;
  readonly refused: readonly RetirementRefusal[];
  readonly wouldDeregister: readonly RetirementRefusal[];
  readonly retired: readonly RetiredImage[];
  readonly failures: readonly RetirementFailure[];
  /** `shouldStop` ended the run before every action was applied. */
  readonly stopped: boolean;
}

/**
 * Retirement in one region: decide per rule, observe references for the pending deregistrations,
 * plan, log the plan, apply. A failure of one image never stops the others; errors other than
 * `AwsCallError` are bugs and propagate.
 */
export async function retireRegion(input: RetireRegionInput): Promise<RetirementReport> {
  const { region, ec2, logger } = input;
  const decisions = new Map<string, ReadonlyMap<string, RetirementDecision>>();
  for (const rule of input.rules) {
    const sources = input.sourcesByRule.get(rule.name);
    if (rule.retire !== undefined && sources !== undefined) {
      decisions.set(rule.name, decideRetirement(rule, sources, input.now));
    }
  }
  const planInput: RetirementPlanInput = {
    region,
    accountId: input.accountId,
    managed: input.managed,
    decisions,
    now: input.now,
  };

  const failures: RetirementFailure[] = [];
  const failed = (imageId: string, error: AwsCallError, snapshotId?: string) => {
    const failure: RetirementFailure = {
      imageId,
      ...(snapshotId === undefined ? {} : { snapshotId }),
      operation: error.operation,
      region: error.region,
      code: error.code,
      message: error.message,
      retryable: error.retryable,
    };
    failures.push(failure);
    logger.warn('retirement call failed', { ...failure });
  };

  let stopped = false;
  const safety = new Map<string, SafetyFacts>();
  for (const { managed, orphan, checkSharing } of retirementCandidates(planInput)) {
    if (input.shouldStop()) {
      stopped = true;
      break;
    }
    const imageId = managed.image.imageId;
    let facts: SafetyFacts;
    try {
      const references = await ec2.findReferences(imageId);
      const sourceGone = orphan ? await sourceIsGone(managed, input.lookupImage) : undefined;
      facts = { references, ...(sourceGone === undefined ? {} : { sourceGone }) };
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      failed(imageId, error);
      continue;
    }
    // Only when they decide: a referenced image is refused whoever else may launch it.
    if (checkSharing && facts.references.length === 0) {
      try {
        facts = { ...facts, launchPermissions: await ec2.describeLaunchPermissions(imageId) };
      } catch (error) {
        if (!(error instanceof AwsCallError)) throw error;
        failed(imageId, error);
      }
    }
    safety.set(imageId, facts);
  }

  const plan = planRetirement({ ...planInput, safety });
  const lines = renderRetirementPlan(plan);
  const count = (kind: RetirementAction['kind']) => plan.actions.filter((a) => a.kind === kind).length;
  const planned = { deprecate: count('deprecate'), deregister: count('deregister') };
  logger.info('retirement plan', { region, dryRun: input.dryRun, planned, lines });

  const applied = { deprecate: 0, deregister: 0 };
  const retired: RetiredImage[] = [];
  if (!input.dryRun && !stopped) {
    for (const action of plan.actions) {
      if (input.shouldStop()) {
        stopped = true;
        logger.warn('retirement stopped before every action was applied', { region, applied });
        break;
      }
      if (action.kind === 'deprecate') {
        try {
          await ec2.enableDeprecation(action.imageId, action.at);
          applied.deprecate++;
          logger.info('AMI deprecation set', {
            region,
            imageId: action.imageId,
            rule: action.rule,
            deprecateAt: action.at.toISOString(),
          });
          await input.events.publish([
            toolEvent(
              DetailType.Deprecated,
              {
                rule: action.rule,
                role: action.role,
                sourceImageId: action.sourceImageId,
                sourceRegion: action.sourceRegion,
                imageId: action.imageId,
                region,
                deprecationTime: action.at.toISOString(),
                reason: action.reason,
              },
              [region, action.imageId, action.at.toISOString()],
              { resources: [imageArn(region, action.imageId)], busRegion: action.sourceRegion },
            ),
          ]);
        } catch (error) {
          if (!(error instanceof AwsCallError)) throw error;
          failed(action.imageId, error);
        }
        continue;
      }
      const outcome = await deregister(action, input, failed);
      if (outcome === undefined) continue;
      applied.deregister++;
      retired.push(outcome);
    }
  }

  return {
    region,
    lines,
    planned,
    applied,
    refused: plan.refused,
    wouldDeregister: plan.wouldDeregister,
    retired,
    failures,
    stopped,
  };
}

/** Whether an orphan's source is gone from its region: not found, or deregistered. */
async function sourceIsGone(entry: ManagedImage, lookup: ImageLookup | undefined): Promise<boolean> {
  if (lookup === undefined) return false;
  const source = await lookup(entry.sourceRegion, entry.sourceImageId);
  return source === undefined || source.state === 'deregistered';
}

/** Deregisters one image with its snapshots, deletes the snapshots EC2 left, logs and announces it. */
async function deregister(
  action: Extract<RetirementAction, { kind: 'deregister' }>,
  input: RetireRegionInput,
  failed: (imageId: string, error: AwsCallError, snapshotId?: string) => void,
): Promise<RetiredImage | undefined> {
  const { region, ec2, logger } = input;
  const { imageId } = action;
  let results: { snapshotId: string; returnCode: string }[];
  try {
    results = (await ec2.deregister(imageId)).snapshotResults;
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    failed(imageId, error);
    return undefined;
  }
  logger.info('AMI deregistered', {
    region,
    imageId,
    rule: action.rule,
    role: action.role,
    sourceImageId: action.sourceImageId,
    reason: action.reason,
  });

  const snapshots: SnapshotOutcome[] = [];
  const ids = [...new Set([...action.snapshotIds, ...results.map((r) => r.snapshotId)])];
  for (const snapshotId of ids) {
    const returnCode = results.find((r) => r.snapshotId === snapshotId)?.returnCode;
    if (returnCode === 'success') {
      snapshots.push({ snapshotId, outcome: 'deleted' });
      logger.info('snapshot deleted', { region, imageId, snapshotId, by: 'DeregisterImage' });
      continue;
    }
    // Not deleted with the image (skipped, missing-permissions, an error, or not reported at all).
    if (!action.snapshotIds.includes(snapshotId)) continue;
    try {
      await ec2.deleteSnapshot(snapshotId);
      snapshots.push({ snapshotId, outcome: 'deleted' });
      logger.info('snapshot deleted', {
        region,
        imageId,
        snapshotId,
        by: 'DeleteSnapshot',
        deregisterReturnCode: returnCode ?? 'none',
      });
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      if (error.code === 'InvalidSnapshot.InUse') {
        snapshots.push({ snapshotId, outcome: 'in-use', detail: error.message });
        logger.warn('snapshot kept: another image uses it', { region, imageId, snapshotId });
      } else if (error.code === 'InvalidSnapshot.NotFound') {
        snapshots.push({ snapshotId, outcome: 'not-found' });
        logger.info('snapshot already gone', { region, imageId, snapshotId });
      } else {
        snapshots.push({ snapshotId, outcome: 'failed', detail: error.message });
        failed(imageId, error, snapshotId);
      }
    }
  }

  try {
    await input.events.publish([
      toolEvent(
        DetailType.Deregistered,
        {
          rule: action.rule,
          role: action.role,
          sourceImageId: action.sourceImageId,
          sourceRegion: action.sourceRegion,
          imageId,
          region,
          reason: action.reason,
          snapshotsDeleted: snapshots.filter((s) => s.outcome === 'deleted').map((s) => s.snapshotId),
          snapshotsNotDeleted: snapshots.flatMap((s) =>
            s.outcome === 'deleted'
              ? []
              : [{ snapshotId: s.snapshotId, outcome: s.outcome, ...(s.detail ? { detail: s.detail } : {}) }],
          ),
        },
        [region, imageId],
        { resources: [imageArn(region, imageId)], busRegion: action.sourceRegion },
      ),
    ]);
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    failed(imageId, error);
  }
  return { imageId, rule: action.rule, role: action.role, sourceImageId: action.sourceImageId, snapshots };
}

// ---- time ----------------------------------------------------------------------------------------

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** Up to the next whole minute (a whole minute stays): EC2 keeps deprecation times to the minute. */
export function ceilMinute(time: number): number {
  return Math.ceil(time / MINUTE_MS) * MINUTE_MS;
}

/** The next whole minute after `now`: the earliest deprecation time EC2 cannot find in the past. */
export function nextMinute(now: Date): number {
  return Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
}

/** `less than a day ago`, `1 day ago`, `12 days ago` (whole days, rounded down). */
function timeAgo(ms: number): string {
  const days = Math.floor(Math.max(ms, 0) / DAY_MS);
  return days === 0 ? 'less than a day ago' : days === 1 ? '1 day ago' : `${days} days ago`;
}

function iso(time: number): string {
  return new Date(time).toISOString().replace('.000Z', 'Z');
}
