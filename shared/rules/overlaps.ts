import { globsIntersect } from './glob.js';
import type { Rule } from './schema.js';

/**
 * Rules that could both match one image, found without comparing every pair: the check runs at
 * every `validate` and every cold start, on files of thousands of rules.
 *
 * Two rules can only overlap where they share a source region and an owner, so rules are grouped
 * by (region, owner) first. Within a group, two name globs can only match a common string when the
 * literal text before the first wildcard of one starts with that of the other; an index of those
 * prefixes finds the candidates, and only candidates are compared in full ({@link rulesOverlap}).
 * For a file whose globs start with distinct literal text, the work is linear in the number of
 * globs (times the length of a prefix).
 */
export function overlappingPairs(rules: readonly Rule[]): [number, number][] {
  const groups = new Map<string, { rule: number; prefix: string }[]>();
  rules.forEach((rule, index) => {
    // A rule without names matches every name: its prefix is the empty string.
    const prefixes = (rule.match.names ?? ['*']).map(literalPrefix);
    for (const region of rule.match.regions)
      for (const owner of rule.match.owners) {
        const key = `${region}\u0000${owner}`;
        const group = groups.get(key) ?? [];
        groups.set(key, group);
        for (const prefix of prefixes) group.push({ rule: index, prefix });
      }
  });
  const found = new Set<number>();
  const pairs: [number, number][] = [];
  for (const group of groups.values()) {
    const byPrefix = new Map<string, number[]>();
    for (const { rule, prefix } of group) {
      const list = byPrefix.get(prefix) ?? [];
      byPrefix.set(prefix, list);
      if (list[list.length - 1] !== rule) list.push(rule);
    }
    for (const [prefix, members] of byPrefix)
      for (let end = 0; end <= prefix.length; end++) {
        const shorter = byPrefix.get(prefix.slice(0, end));
        if (shorter === undefined) continue;
        for (const a of members)
          for (const b of shorter) {
            if (a === b) continue;
            const [i, j] = a < b ? [a, b] : [b, a];
            const key = i * rules.length + j;
            if (found.has(key)) continue;
            found.add(key);
            if (rulesOverlap(rules[i] as Rule, rules[j] as Rule)) pairs.push([i, j]);
          }
      }
  }
  return pairs.sort(([a, b], [c, d]) => a - c || b - d);
}

/** The text of a glob before its first wildcard: every name it matches starts with it. */
function literalPrefix(glob: string): string {
  const wildcard = glob.search(/[*?]/);
  return wildcard === -1 ? glob : glob.slice(0, wildcard);
}

/**
 * Whether one image could match both rules, decided from the file alone. Owners are compared as
 * written: "self" and the account's own id are only known to be the same at run time, where an
 * image matched by two rules is reported and left alone.
 */
export function rulesOverlap(a: Rule, b: Rule): boolean {
  const intersects = (x: readonly string[], y: readonly string[]) => x.some((v) => y.includes(v));
  if (!intersects(a.match.regions, b.match.regions)) return false;
  if (!intersects(a.match.owners, b.match.owners)) return false;
  const namesA = a.match.names;
  const namesB = b.match.names;
  if (namesA && namesB && !namesA.some((ga) => namesB.some((gb) => globsIntersect(ga, gb)))) return false;
  // Exact tag values that differ for the same key make the rules disjoint.
  for (const [key, value] of Object.entries(a.match.tags ?? {})) {
    const other = b.match.tags?.[key];
    if (other !== undefined && other !== value) return false;
  }
  return true;
}
