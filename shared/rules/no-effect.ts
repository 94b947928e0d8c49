import type { Rule } from './schema.js';

/**
 * Settings that can never lead to an action: a rule that validates should do what it says, so a
 * section that would silently do nothing is an error that says why.
 */
export function noEffectChecks(rule: Rule): string[] {
  const problems: string[] = [];
  // A rule with nothing but `match` still acts: it tags the images it matches as managed
  // (`ami-lifecycle:rule`) and announces them, so it is not refused.
  const { copy, share, tags } = rule;
  // A target that is the only source region is skipped by design (one region list can serve
  // rules with different sources); a copy section with no other target copies nothing.
  const sources = rule.match.regions;
  if (copy?.regions.every((target) => sources.every((s) => s === target))) {
    problems.push(
      `copy.regions: ${JSON.stringify(copy.regions)} are only the rule's source region, and an image is never copied into its own region: copy copies nothing`,
    );
  }
  if (
    share !== undefined &&
    share.accounts.length === 0 &&
    share.organizations.length === 0 &&
    share.organizationalUnits.length === 0 &&
    !share.public
  ) {
    problems.push(
      'share: shares with nobody: name accounts, organizations or organizationalUnits (or remove share)',
    );
  }
  if (
    tags !== undefined &&
    Object.keys(tags.image).length === 0 &&
    Object.keys(tags.snapshots).length === 0
  ) {
    problems.push('tags: sets no tags: give tags.image or tags.snapshots some (or remove tags)');
  }
  return problems;
}
