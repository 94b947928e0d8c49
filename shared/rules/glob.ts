/**
 * Name globs, with the wildcard syntax of EC2's DescribeImages filters: `*` matches any run of
 * characters (including none), `?` exactly one, everything else itself. Using EC2's own syntax
 * means a rule's globs can be sent to EC2 as `name` filters unchanged, and EC2 and the tool can
 * never disagree about which images a rule names.
 */

/** True when `name` matches `glob`. */
export function globMatches(glob: string, name: string): boolean {
  return globRegExp(glob).test(name);
}

const cache = new Map<string, RegExp>();

function globRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = [...glob]
      .map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`);
    cache.set(glob, re);
  }
  return re;
}

/** True when `glob` has no wildcard, so it names exactly one string. */
export function isLiteralGlob(glob: string): boolean {
  return !glob.includes('*') && !glob.includes('?');
}

/**
 * True when some string matches both globs. Decides rule overlap from the file alone: two rules
 * whose regions, owners and tags can coincide overlap exactly when a pair of their name globs do.
 *
 * Dynamic programming over positions (i in a, j in b): can the rest of a (from i) and the rest of
 * b (from j) match one common string? `*` may consume nothing, or one character produced by the
 * other side (which a `*` or `?` can always produce).
 */
export function globsIntersect(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const width = b.length + 1;
  const go = (i: number, j: number): boolean => {
    const key = i * width + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const ca = a[i];
    const cb = b[j];
    if (ca === undefined && cb === undefined) result = true;
    else if (ca === '*') result = go(i + 1, j) || (cb !== undefined && go(i, j + 1));
    else if (cb === '*') result = go(i, j + 1) || (ca !== undefined && go(i + 1, j));
    else if (ca === undefined || cb === undefined) result = false;
    else result = (ca === '?' || cb === '?' || ca === cb) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}
