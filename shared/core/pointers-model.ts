import { InvariantError } from './errors.js';
import { LINEAGE, type ObservedImage } from './model.js';

/**
 * Pointers in the core's words: the SSM parameters and launch templates a rule publishes, the
 * rule's state kept in AWS beside them, and the order of releases that makes "never backwards"
 * hold. Plain data, so the planner (`plan-pointers.ts`) is a pure function over literals.
 */

/** A release: one source image, named by its id and region, and its place in the rule's history. */
export interface Release {
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  /** `<source creation date>|<source image id>`: releases compare as strings, newest greatest. */
  readonly order: string;
}

export function releaseOrder(sourceCreationDate: string | undefined, sourceImageId: string): string {
  return `${sourceCreationDate ?? ''}|${sourceImageId}`;
}

/** The release of a source image as observed. */
export function releaseOfSource(source: ObservedImage): Release {
  return {
    sourceImageId: source.imageId,
    sourceRegion: source.region,
    order: releaseOrder(source.creationDate, source.imageId),
  };
}

/**
 * The release of a copy from its lineage tags alone (no read), or undefined when it lacks the
 * source's creation date (a copy made before the tag existed: its source must be read).
 */
export function releaseOfCopyTags(copy: ObservedImage, sourceImageId: string, sourceRegion: string) {
  const created = copy.tags[LINEAGE.sourceCreated];
  return created === undefined
    ? undefined
    : { sourceImageId, sourceRegion, order: releaseOrder(created, sourceImageId) };
}

/** The rollback pin: while set, releases do not move the rule's pointers in this region. */
export interface Pin {
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  /** When it was pinned (ISO 8601) and by whom (the caller's identity), for the record. */
  readonly at: string;
  readonly by: string;
}

/**
 * The rule's state in one region, kept in the tool's own String parameter
 * `/ami-lifecycle/rules/<rule>` (JSON): the release the pointers were last moved to, and the pin.
 */
export interface RuleState {
  readonly version: 1;
  readonly head?: Release & {
    /** Parameter name → the version labelled with this release (labels are attached once AWS validated the value). */
    readonly labelled?: Readonly<Record<string, number>>;
  };
  readonly pin?: Pin;
}

/** The rule state a parameter's value holds; a value that is not one is a broken invariant (someone else wrote it). */
export function parseRuleState(name: string, value: string): RuleState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvariantError(`${name} does not hold the tool's rule state (not JSON)`);
  }
  if (typeof parsed !== 'object' || parsed === null || !('version' in parsed) || parsed.version !== 1) {
    throw new InvariantError(`${name} does not hold the tool's rule state (version 1)`);
  }
  return parsed as RuleState;
}

/** A parameter as GetParameters answered it. */
export interface ObservedParameter {
  readonly name: string;
  readonly value: string;
  readonly version: number;
}

/** A launch template's default and latest versions, from one DescribeLaunchTemplateVersions. */
export interface ObservedTemplate {
  readonly templateId: string;
  readonly templateName: string;
  readonly defaultVersion: TemplateVersion;
  readonly latestVersion: TemplateVersion;
}

export interface TemplateVersion {
  readonly number: number;
  /** The image id of the version; absent when the version names none (or a `resolve:ssm:` parameter). */
  readonly imageId?: string;
}

/** What was read of one rule's pointers in one region. */
export interface ObservedPointers {
  readonly rule: string;
  readonly region: string;
  /** The rule state; undefined: never written here. */
  readonly state?: RuleState;
  /** The managed parameters that exist (absent: not created yet, or AWS still validating its first value). */
  readonly parameters: ReadonlyMap<string, ObservedParameter>;
  /** The named templates by their label (`templateLabel`); undefined: no such template here. */
  readonly templates: ReadonlyMap<string, ObservedTemplate | undefined>;
}
