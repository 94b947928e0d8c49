import type { ObservedImage } from '../core/model.js';
import { globMatches } from './glob.js';
import type { Rule } from './schema.js';

/** Whether `rule` picks up `image` as a source, in the account `accountId`. */
export function ruleMatches(rule: Rule, image: ObservedImage, accountId: string): boolean {
  const { match } = rule;
  if (!match.regions.includes(image.region)) return false;
  const ownerMatches = match.owners.some((owner) => {
    if (owner === 'self') return image.ownerId === accountId;
    if (owner === 'amazon' || owner === 'aws-marketplace') return image.ownerAlias === owner;
    return image.ownerId === owner;
  });
  if (!ownerMatches) return false;
  if (match.names && !match.names.some((glob) => globMatches(glob, image.name))) return false;
  for (const [key, value] of Object.entries(match.tags ?? {})) {
    if (image.tags[key] !== value) return false;
  }
  for (const key of match.tagKeys ?? []) {
    // hasOwn, not `in`: `in` also sees Object.prototype, so "constructor" or "toString" would always match.
    if (!Object.hasOwn(image.tags, key)) return false;
  }
  return true;
}

export type RuleResolution =
  | { readonly kind: 'unmatched' }
  | { readonly kind: 'matched'; readonly rule: Rule }
  /** Two or more rules match: the image is reported and left alone rather than managed twice. */
  | { readonly kind: 'ambiguous'; readonly rules: readonly Rule[] };

export function resolveRule(rules: readonly Rule[], image: ObservedImage, accountId: string): RuleResolution {
  const matching = rules.filter((rule) => ruleMatches(rule, image, accountId));
  const [first, ...others] = matching;
  if (first === undefined) return { kind: 'unmatched' };
  if (others.length > 0) return { kind: 'ambiguous', rules: matching };
  return { kind: 'matched', rule: first };
}
