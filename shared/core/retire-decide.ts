import { globMatches } from '../rules/glob.js';
import type { RetireSettings, Rule } from '../rules/schema.js';
import type { Lineage } from './actions.js';
import type { ImageRole } from './identify.js';
import type { ObservedImage } from './model.js';

/**
 * Retirement decisions (pure): per rule, over its SOURCE images, which are kept and which are
 * superseded, and for those when to deprecate and whether deregistration is due; and for each
 * managed image of a region (sources and copies) the decision that applies to it. What is done
 * about a decision, and the safety checks before any deletion, are `retire-plan.ts`'s.
 *
 * Decisions where the design left a choice:
 * - Only `available` images are ranked. `pending` ones will become available and be ranked then;
 *   `failed`, `invalid`, `error` and `transient` ones are left to people. They take no place among
 *   the kept ones, so they never make an available image "superseded".
 * - A `disabled` image is not ranked either. With `retire.disableAfterDays` it goes on to
 *   deregistration when it is older than every image its family keeps (the tool disabled it, or
 *   someone did what the rule would have done); otherwise, or without that setting, it was turned
 *   off deliberately and is left to people. A family with nothing kept retires no disabled image.
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
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

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
      /** Disabling is due now (only ever true with `retire.disableAfterDays`). */
      readonly disable: boolean;
      /** When disabling is (or was) due; absent when the rule sets no `disableAfterDays`. */
      readonly disableFrom?: Date;
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
  const families = new Map<
    string,
    { region: string; family: string; members: Ranked[]; disabled: Ranked[] }
  >();
  for (const image of sources) {
    if (image.state === 'deregistered') continue;
    if (retire === undefined) {
      decisions.set(image.imageId, { kind: 'keep', reason: `rule "${rule.name}" does not retire images` });
      continue;
    }
    const disabledStage = image.state === 'disabled' && retire.disableAfterDays !== undefined;
    if (image.state !== 'available' && !disabledStage) {
      decisions.set(image.imageId, {
        kind: 'skip',
        reason:
          image.state === 'disabled'
            ? 'not retired: the image is disabled and the rule has no retire.disableAfterDays, so it was turned off by someone else (left to people)'
            : `not retired: the image is ${image.state} (only available images are ranked and retired)`,
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
      group = { region: image.region, family: family.label, members: [], disabled: [] };
      families.set(key, group);
    }
    (disabledStage ? group.disabled : group.members).push({ image, created });
  }
  if (retire === undefined) return decisions;

  for (const { region, family, members, disabled } of families.values()) {
    members.sort(newestFirst);
    const oldestKept = members[Math.min(retire.keep, members.length) - 1];
    for (const entry of disabled) {
      const where = `family ${family} in ${region}`;
      decisions.set(
        entry.image.imageId,
        oldestKept !== undefined && newestFirst(oldestKept, entry) < 0
          ? superseded(
              retire,
              entry.created,
              now,
              `superseded: disabled, and older than the ${Math.min(retire.keep, members.length)} kept in ${where}, created ${iso(entry.created)}`,
            )
          : {
              kind: 'skip',
              reason: `not retired: disabled, but not older than every image kept in ${where} (left to people)`,
            },
      );
    }
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
  const { deprecateAfterDays, disableAfterDays, deregisterAfterDays } = retire;
  const deprecateAt =
    deprecateAfterDays === undefined
      ? undefined
      : new Date(Math.max(ceilMinute(created + deprecateAfterDays * DAY_MS), nextMinute(now)));
  return {
    kind: 'retire',
    reason,
    ...(deprecateAt === undefined ? {} : { deprecateAt }),
    ...laterStages(created, disableAfterDays, deregisterAfterDays, now),
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

/** The lineage a managed image's retirement actions and announcements carry. */
export function lineageOfManaged(entry: ManagedImage): Lineage {
  return {
    rule: entry.rule.name,
    role: entry.role,
    sourceImageId: entry.sourceImageId,
    sourceRegion: entry.sourceRegion,
  };
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
  const { deprecateAfterDays, disableAfterDays, deregisterAfterDays } = retire;
  return {
    kind: 'retire',
    reason: `orphan copy: its source ${entry.sourceImageId} (${entry.sourceRegion}) no longer exists; created ${iso(created)}`,
    ...(deprecateAfterDays === undefined ? {} : { deprecateAt: new Date(nextMinute(now)) }),
    ...laterStages(created, disableAfterDays, deregisterAfterDays, now),
    orphan: true,
  };
}

/** When disabling and deregistration are (or were) due for an image created at `created`, and whether they are due now. */
function laterStages(
  created: number,
  disableAfterDays: number | undefined,
  deregisterAfterDays: number | undefined,
  now: Date,
): Pick<
  Extract<RetirementDecision, { kind: 'retire' }>,
  'disable' | 'disableFrom' | 'deregister' | 'deregisterFrom'
> {
  const from = (days: number | undefined) =>
    days === undefined ? undefined : new Date(created + days * DAY_MS);
  const due = (at: Date | undefined) => at !== undefined && at.getTime() <= now.getTime();
  const disableFrom = from(disableAfterDays);
  const deregisterFrom = from(deregisterAfterDays);
  return {
    disable: due(disableFrom),
    ...(disableFrom === undefined ? {} : { disableFrom }),
    deregister: due(deregisterFrom),
    ...(deregisterFrom === undefined ? {} : { deregisterFrom }),
  };
}

// ---- time ----------------------------------------------------------------------------------------

export function parseTime(value: string | undefined): number | undefined {
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
export function timeAgo(ms: number): string {
  const days = Math.floor(Math.max(ms, 0) / DAY_MS);
  return days === 0 ? 'less than a day ago' : days === 1 ? '1 day ago' : `${days} days ago`;
}

export function iso(time: number): string {
  return new Date(time).toISOString().replace('.000Z', 'Z');
}
