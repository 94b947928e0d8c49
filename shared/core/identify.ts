import { resolveRule } from '../rules/match.js';
import type { Rule } from '../rules/schema.js';
import { LINEAGE, type ObservedImage } from './model.js';

/**
 * What an image is to the tool. Copies are recognised before sources are matched: a copy in a
 * region that is also a source region of its rule would otherwise match the rule as a new source
 * and be copied again, for ever.
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
  | { readonly kind: 'ambiguous'; readonly rules: readonly Rule[] };

/** Finds an image by id in a region (DescribeImages, or a listing already made); undefined when absent. */
export type ImageLookup = (region: string, imageId: string) => Promise<ObservedImage | undefined>;

export async function identifyImage(
  image: ObservedImage,
  rules: readonly Rule[],
  accountId: string,
  lookup: ImageLookup,
): Promise<ImageRole> {
  // 1. Lineage tags, written by CopyImage itself when the tool started the copy.
  const ruleName = image.tags[LINEAGE.rule];
  const taggedSource = image.tags[LINEAGE.sourceImageId];
  const taggedRegion = image.tags[LINEAGE.sourceRegion];
  if (ruleName !== undefined && taggedSource !== undefined && taggedRegion !== undefined) {
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
  if (image.sourceImageId !== undefined && image.sourceImageRegion !== undefined) {
    const source = await lookup(image.sourceImageRegion, image.sourceImageId);
    if (source !== undefined) {
      const resolution = resolveRule(rules, source, accountId);
      if (resolution.kind === 'matched' && resolution.rule.copy?.regions.includes(image.region)) {
        return {
          kind: 'copy',
          rule: resolution.rule,
          sourceImageId: source.imageId,
          sourceRegion: source.region,
        };
      }
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
