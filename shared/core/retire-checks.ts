import { LINEAGE, type ObservedImage } from './model.js';
import { type ManagedImage, MINUTE_MS, parseTime } from './retire-decide.js';

/** Checks on one image that retirement planning (`retire-plan.ts`) makes before acting on it. */

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
