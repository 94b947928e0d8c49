import type { RetireSettings } from '../rules/schema.js';
import { type LaunchPermission, LINEAGE, type ObservedImage } from './model.js';
import { DAY_MS, type ManagedImage, MINUTE_MS, parseTime, timeAgo } from './retire-decide.js';

/**
 * The checks retirement makes before it disables or deregisters an image (pure): its lineage as
 * its own tags confirm it, deregistration protection, and its last launch. `retire-plan.ts` says
 * when each applies.
 */

/** The launch window for images shared with anyone, when the rule sets no `notLaunchedForDays`. */
const SHARED_NOT_LAUNCHED_FOR_DAYS = 30;
/** EC2 reports a launch in `lastLaunchedTime` up to 24 hours after it happened. */
const LAUNCH_REPORTING_DELAY_DAYS = 1;

export type LaunchGuard =
  /** Its last launch does not hold back its deregistration. */
  | { readonly kind: 'clear' }
  | { readonly kind: 'refuse'; readonly reason: string }
  /** Launched within the default window for shared images: refused if it is shared. */
  | { readonly kind: 'if-shared'; readonly launched: string };

const DELAY = `plus ${LAUNCH_REPORTING_DELAY_DAYS} day for EC2's reporting delay`;
/** The default launch window, for a refusal to `verb` (`disabled`, `deregistered`) a shared image. */
export function sharedWindow(verb: string): string {
  return (
    `a shared image is ${verb} only once not launched for ${SHARED_NOT_LAUNCHED_FOR_DAYS} days ` +
    `(the default without retire.notLaunchedForDays), ${DELAY}`
  );
}

/**
 * Whether the image's last launch, in any account, holds back its disabling or deregistration: within the rule's
 * `notLaunchedForDays`, or the default window for shared images, plus the reporting delay. What
 * this function cannot tell (whether the image is shared, when it is not public) the candidate's
 * launch permissions decide.
 */
export function launchGuard(
  image: ObservedImage,
  retire: RetireSettings,
  now: Date,
  verb: 'disabled' | 'deregistered',
): LaunchGuard {
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
  if (image.isPublic)
    return { kind: 'refuse', reason: `${launched} and it is public: ${sharedWindow(verb)}` };
  return { kind: 'if-shared', launched };
}

/**
 * Who else may launch the image, in words, or undefined when nobody may. Unknown permissions
 * (not read, or the call failed) may hide a share: they count as shared.
 */
export function sharing(permissions: readonly LaunchPermission[] | undefined): string | undefined {
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
export function lineageProblem(entry: ManagedImage): string | undefined {
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
export function isProtected(image: ObservedImage): boolean {
  const protection = image.deregistrationProtection;
  return protection !== undefined && protection !== '' && protection !== 'disabled';
}

/** Deprecation is only brought forward: set when absent, or when set more than a minute later than `at`. */
export function needsDeprecation(current: string | undefined, at: Date): boolean {
  const time = parseTime(current);
  return time === undefined || time > at.getTime() + MINUTE_MS;
}
