import { resolveRule } from '../rules/match.js';
import type { Rule } from '../rules/schema.js';
import { LINEAGE, type ObservedImage } from './model.js';
import type { Ec2ForRegion, LoggerPort } from './ports.js';

/**
 * What an image is to the tool. Copies are recognised before sources are matched: a copy in a
 * region that is also a source region of its rule would otherwise match the rule as a new source
 * and be copied again, for ever.
 *
 * Identity cannot be forged with tags. Anyone who may tag an image could write the tool's three
 * lineage tags on it; the tool would then share it, and retire it with its snapshots, as a copy. So
 * a copy's lineage tags count only when they agree with what EC2 itself records on the image
 * (`SourceImageId`, `SourceImageRegion`, which no caller can set), and only on an image the
 * account owns. An image whose tags claim a lineage EC2 does not confirm is `refused`: reported,
 * and left alone by every path (plan, share, retire, delete).
 */
export type ImageRole =
  | { readonly kind: 'source'; readonly rule: Rule }
  | {
      readonly kind: 'copy';
      readonly rule: Rule;
      readonly sourceImageId: string;
      readonly sourceRegion: string;
    }
  | { readonly kind: 'unmanaged'; readonly reason: string }
  /** Looks like the tool's, but what makes it so cannot be trusted: left alone and reported. */
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'ambiguous'; readonly rules: readonly Rule[] };

/** Where an image's source must be looked up to identify it: EC2's lineage of a copy without lineage tags. */
export function sourceToLookUp(image: ObservedImage): { region: string; imageId: string } | undefined {
  if (hasLineageTags(image)) return undefined;
  if (image.sourceImageId === undefined || image.sourceImageRegion === undefined) return undefined;
  return { region: image.sourceImageRegion, imageId: image.sourceImageId };
}

function hasLineageTags(image: ObservedImage): boolean {
  return (
    image.tags[LINEAGE.rule] !== undefined &&
    image.tags[LINEAGE.sourceImageId] !== undefined &&
    image.tags[LINEAGE.sourceRegion] !== undefined
  );
}

/**
 * Identifies `image`. `source` is the image `sourceToLookUp` names, when the caller looked it up
 * (undefined: not looked up, or gone); identification itself reads nothing.
 */
export function identifyImage(
  image: ObservedImage,
  rules: readonly Rule[],
  accountId: string,
  source?: ObservedImage,
): ImageRole {
  // 1. Lineage tags, written by CopyImage itself when the tool started the copy, and confirmed by
  //    EC2's own record of where the image was copied from.
  const ruleName = image.tags[LINEAGE.rule];
  const taggedSource = image.tags[LINEAGE.sourceImageId];
  const taggedRegion = image.tags[LINEAGE.sourceRegion];
  if (ruleName !== undefined && taggedSource !== undefined && taggedRegion !== undefined) {
    if (image.sourceImageId !== taggedSource || image.sourceImageRegion !== taggedRegion) {
      const recorded =
        image.sourceImageId === undefined
          ? 'EC2 records no source for it (it is not a copy)'
          : `EC2 records it as a copy of ${image.sourceImageId} (${image.sourceImageRegion ?? 'unknown region'})`;
      return {
        kind: 'refused',
        reason: `its lineage tags say it is a copy of ${taggedSource} (${taggedRegion}), but ${recorded}; tags alone do not make an image the tool's`,
      };
    }
    if (image.ownerId !== accountId) {
      return {
        kind: 'refused',
        reason: `it carries the tool's lineage tags but is owned by ${image.ownerId}, not ${accountId}`,
      };
    }
    const rule = rules.find((r) => r.name === ruleName);
    if (rule === undefined) {
      return {
        kind: 'unmanaged',
        reason: `a copy made by rule "${ruleName}", which the rules file no longer has`,
      };
    }
    return { kind: 'copy', rule, sourceImageId: taggedSource, sourceRegion: taggedRegion };
  }

  // 2. EC2's own lineage (SourceImageId/SourceImageRegion): a copy whose tags were lost, or one
  //    made outside the tool, of a source that a rule manages and copies to this region.
  const lookup = sourceToLookUp(image);
  if (lookup !== undefined && source?.imageId === lookup.imageId && source.region === lookup.region) {
    const resolution = resolveRule(rules, source, accountId);
    if (resolution.kind === 'matched' && resolution.rule.copy?.regions.includes(image.region)) {
      if (image.ownerId !== accountId) {
        return {
          kind: 'unmanaged',
          reason: `a copy of ${source.imageId} owned by ${image.ownerId}, not ${accountId}`,
        };
      }
      return {
        kind: 'copy',
        rule: resolution.rule,
        sourceImageId: source.imageId,
        sourceRegion: source.region,
      };
    }
  }

  // 3. A source, if exactly one rule matches it.
  const resolution = resolveRule(rules, image, accountId);
  switch (resolution.kind) {
    case 'matched':
      return { kind: 'source', rule: resolution.rule };
    case 'ambiguous':
      return { kind: 'ambiguous', rules: resolution.rules };
    case 'unmatched':
      return { kind: 'unmanaged', reason: 'no rule matches it' };
  }
}

/** `identifyImage`, reading the source first when the image is a copy without its lineage tags. */
export async function identifyReading(
  image: ObservedImage,
  accountId: string,
  deps: { readonly rules: readonly Rule[]; readonly ec2: Ec2ForRegion; readonly logger: LoggerPort },
): Promise<Exclude<ImageRole, { kind: 'ambiguous' }>> {
  const lookup = sourceToLookUp(image);
  const source =
    lookup === undefined ? undefined : await deps.ec2(lookup.region).describeImage(lookup.imageId);
  const role = identifyImage(image, deps.rules, accountId, source);
  const where = { imageId: image.imageId, region: image.region };
  if (role.kind === 'unmanaged')
    deps.logger.info(`${image.imageId} in ${image.region} is not managed: ${role.reason}`, where);
  if (role.kind === 'refused')
    deps.logger.warn(`${image.imageId} in ${image.region} left alone: ${role.reason}`, where);
  if (role.kind === 'ambiguous') {
    const names = role.rules.map((r) => r.name);
    deps.logger.warn(
      `${image.imageId} in ${image.region} matches ${names.length} rules (${names.join(', ')}); left alone`,
      {
        ...where,
        rules: names,
      },
    );
    return { kind: 'unmanaged', reason: `matched by rules ${names.join(', ')}` };
  }
  return role;
}
