import { createHash } from 'node:crypto';
import type { Rule } from '../rules/schema.js';
import { AwsCallError } from './errors.js';
import type {
  MemberExpectation,
  MemberWorkItem,
  OrganizationAccount,
  OrganizationsFor,
  OrganizationsReader,
} from './ports.js';

/**
 * A rule's target accounts (`accounts`): the ids it names, plus every active account under the
 * organizations and OUs it names, resolved through AWS Organizations when the run starts (so an
 * account that joins a targeted OU is a target on the next run, and one that leaves is not), less
 * `exclude` and the account the tool runs in (its copies are the rule's `copy`).
 */
export interface ResolvedTargets {
  /** Rule name → its target accounts, sorted. A rule whose resolution failed has only its explicit ids. */
  readonly accounts: ReadonlyMap<string, readonly string[]>;
  /** Rules whose organizations or OUs could not be read, with why: their targets are partial this run. */
  readonly failures: readonly { readonly rule: string; readonly error: AwsCallError }[];
}

/** The rules with target accounts. */
export function targetingRules(rules: readonly Rule[]): Rule[] {
  return rules.filter((r) => r.accounts !== undefined);
}

/**
 * Resolves every rule's targets. Organizations is read once per (role, parent) in a run, however
 * many rules name the same OU; reads of different parents go in parallel.
 */
export async function resolveTargets(
  rules: readonly Rule[],
  hubAccountId: string,
  organizations: OrganizationsFor,
): Promise<ResolvedTargets> {
  const walks = new Map<string, Promise<string[]>>();
  const under = (reader: OrganizationsReader, role: string, parentId: string): Promise<string[]> => {
    const key = `${role}|${parentId}`;
    let walk = walks.get(key);
    if (walk === undefined) {
      walk = accountsUnder(reader, parentId, (child) => under(reader, role, child));
      walks.set(key, walk);
    }
    return walk;
  };
  const accounts = new Map<string, readonly string[]>();
  const failures: { rule: string; error: AwsCallError }[] = [];
  await Promise.all(
    targetingRules(rules).map(async (rule) => {
      const settings = rule.accounts;
      if (settings === undefined) return;
      const role = settings.organizationsRole;
      const found = new Set(settings.ids);
      // An organization is every account under its roots (the credentials see only their own).
      const wholeOrganization = settings.organizations.length > 0;
      const ous = settings.organizationalUnits.map(lastSegment);
      if (wholeOrganization || ous.length > 0) {
        try {
          const reader = organizations(role);
          const starts = [...ous, ...(wholeOrganization ? await reader.listRoots() : [])];
          for (const ids of await Promise.all(starts.map((id) => under(reader, role ?? '', id)))) {
            for (const id of ids) found.add(id);
          }
        } catch (error) {
          if (!(error instanceof AwsCallError)) throw error;
          failures.push({ rule: rule.name, error });
        }
      }
      for (const id of [...settings.exclude, hubAccountId]) found.delete(id);
      accounts.set(rule.name, [...found].sort());
    }),
  );
  return { accounts, failures };
}

/** Every active account under `parentId` and, recursively, its child OUs. */
async function accountsUnder(
  reader: OrganizationsReader,
  parentId: string,
  walk: (childOu: string) => Promise<string[]>,
): Promise<string[]> {
  const [direct, children] = await Promise.all([
    reader.listAccountsForParent(parentId),
    reader.listChildOus(parentId),
  ]);
  const nested = await Promise.all(children.map(walk));
  return [...direct.filter((a) => a.status === 'ACTIVE').map((a) => a.id), ...nested.flat()];
}

/** `ou-ab12-cdef3456` of `arn:aws:organizations::111122223333:ou/o-x/ou-ab12-cdef3456`. */
function lastSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * The fan-out: one work item per (target account, region), each naming the rules that target the
 * account and copy into the region. Sorted, so the same targets make the same items.
 */
export function workItems(
  rules: readonly Rule[],
  targets: ReadonlyMap<string, readonly string[]>,
  regions?: readonly string[],
  release?: MemberWorkItem['release'],
): MemberWorkItem[] {
  const byPair = new Map<string, { account: string; region: string; rules: string[] }>();
  for (const rule of targetingRules(rules)) {
    for (const account of targets.get(rule.name) ?? []) {
      for (const region of rule.accounts?.regions ?? []) {
        if (regions !== undefined && !regions.includes(region)) continue;
        const key = `${account}/${region}`;
        const item = byPair.get(key) ?? { account, region, rules: [] };
        item.rules.push(rule.name);
        byPair.set(key, item);
      }
    }
  }
  const items = [...byPair.values()].sort(
    (a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region),
  );
  if (release === undefined) return items;
  // A release's items carry what its completion waits for: one expectation per rule, computed once.
  const expected = Object.fromEntries(
    targetingRules(rules).map((rule) => [rule.name, memberExpectation(rule, targets.get(rule.name) ?? [])]),
  );
  return items.map((item) => ({
    ...item,
    release,
    expected: Object.fromEntries(item.rules.flatMap((r) => (expected[r] ? [[r, expected[r]]] : []))),
  }));
}

/** The pairs a release of `rule` waits for in its target accounts, and their fingerprint. */
export function memberExpectation(rule: Rule, accounts: readonly string[]): MemberExpectation {
  const regions = [...(rule.accounts?.regions ?? [])].sort();
  const sorted = [...accounts].sort();
  return {
    fingerprint: createHash('sha256')
      .update(JSON.stringify([sorted, regions]))
      .digest('hex')
      .slice(0, 16),
    pairs: sorted.length * regions.length,
  };
}

/**
 * Organizations answers kept for `ttlMs`: a warm function resolves the targets of every event it
 * handles (a release's, and each one forwarded from a member account), and Organizations allows
 * only a few requests a second per account. An account that joins or leaves an OU is seen once
 * the answer about its parent runs out. A failed call is not kept.
 */
export function cachingOrganizations(
  inner: OrganizationsFor,
  ttlMs: number,
  now: () => number = Date.now,
): OrganizationsFor {
  const roots = expiring<string[]>(ttlMs, now);
  const ous = expiring<string[]>(ttlMs, now);
  const accounts = expiring<OrganizationAccount[]>(ttlMs, now);
  return (role) => {
    const reader = inner(role);
    const scope = role ?? '';
    return {
      listRoots: () => roots(scope, () => reader.listRoots()),
      listChildOus: (parent) => ous(`${scope}|${parent}`, () => reader.listChildOus(parent)),
      listAccountsForParent: (parent) =>
        accounts(`${scope}|${parent}`, () => reader.listAccountsForParent(parent)),
    };
  };
}

/** Answers by key for `ttlMs`; a failed one is dropped at once, so the next caller asks again. */
function expiring<T>(ttlMs: number, now: () => number): (key: string, read: () => Promise<T>) => Promise<T> {
  const answers = new Map<string, { at: number; value: Promise<T> }>();
  return (key, read) => {
    const hit = answers.get(key);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit.value;
    const value = read();
    answers.set(key, { at: now(), value });
    value.catch(() => answers.delete(key));
    return value;
  };
}
