import type { Rule } from '../rules/schema.js';
import type { ActionOutcome } from './apply.js';
import { InvariantError } from './errors.js';
import type { Observation } from './model.js';
import { observeMemberSources } from './observe-members.js';
import type {
  Ec2ForRegion,
  KeysForRegion,
  LoggerPort,
  MemberWorkItem,
  OrganizationsFor,
  WorkQueue,
} from './ports.js';
import { memberExpectation, resolveTargets, targetingRules, workItems } from './targets.js';

/**
 * The event path's part for a rule's target accounts (`accounts`): a source's event resolves the
 * rule's targets, shares the source with them (planned with the rest, after the KMS pre-flight),
 * and, once that went through, queues one work item per (target account, region) for the
 * member-work function, which makes each account's copies. Nothing here copies: the fan-out runs
 * on SQS, each item within its own account's and region's EC2 limits.
 */

export interface ReleaseMembersDependencies {
  readonly organizations: OrganizationsFor;
  /** KMS in the hub: whether the source's key is the AWS managed one. */
  readonly kms: KeysForRegion;
  readonly workQueue: WorkQueue;
}

/** What the event path needs them for; absent while no rule has target accounts. */
export function membersOf<T>(rules: readonly Rule[], deps: { readonly members?: T }): T | undefined {
  if (targetingRules(rules).length === 0) return undefined;
  if (deps.members === undefined) {
    throw new InvariantError(
      'the rules copy into other accounts (accounts), and the function was given no Organizations, KMS or work queue',
    );
  }
  return deps.members;
}

/**
 * The observation of a source whose rule has target accounts, completed with them and with what
 * sharing needs (see `observeMemberSources`); a fresh source has no grants yet, so only its
 * snapshots (their keys) are read. Resolution failures are logged and the named accounts kept.
 */
export async function observeReleaseMembers(
  rule: Rule,
  observation: Observation,
  ec2: Ec2ForRegion,
  deps: Omit<ReleaseMembersDependencies, 'workQueue'> & {
    readonly accountId: string;
    readonly logger: LoggerPort;
  },
): Promise<Observation> {
  const source = observation.source;
  if (rule.accounts === undefined || source === undefined) return observation;
  const resolved = await resolveTargets([rule], deps.accountId, deps.organizations);
  for (const failure of resolved.failures) {
    deps.logger.error(`rule ${rule.name}: target accounts only partly resolved: ${failure.error.message}`, {
      rule: rule.name,
      code: failure.error.code,
    });
  }
  const accounts = resolved.accounts.get(rule.name) ?? [];
  if (accounts.length === 0) return observation;
  const { region, imageId } = source.image;
  const facts = await observeMemberSources(
    ec2(region),
    [{ image: source.image, rule, role: 'source', sourceImageId: imageId, sourceRegion: region }],
    {
      region,
      targets: new Map([[rule.name, accounts]]),
      kms: deps.kms,
      concurrency: 4,
      // A source the tool knows was read in full already (observeDetail): only what is missing is read.
      ...(source.fresh
        ? { fresh: true }
        : {
            known: {
              snapshots: new Map(source.snapshots.map((t) => [t.snapshotId, t])),
              ...(source.launchPermissions === undefined
                ? {}
                : { launchPermissions: new Map([[imageId, source.launchPermissions]]) }),
            },
          }),
    },
  );
  const launchPermissions = facts.launchPermissions.get(imageId);
  return {
    ...observation,
    memberAccounts: accounts,
    source: {
      ...source,
      snapshots: facts.snapshots,
      ...(launchPermissions === undefined ? {} : { launchPermissions }),
    },
  };
}

/**
 * Queues the release's work items once its sharing went through (every share action on the source
 * applied): one per target account and region. Returns the items queued; a queue failure is an
 * `AwsCallError` for the caller to settle with the others.
 */
export async function queueReleaseMembers(
  rule: Rule,
  observation: Observation,
  outcomes: readonly ActionOutcome[],
  workQueue: WorkQueue,
): Promise<MemberWorkItem[]> {
  const accounts = observation.memberAccounts ?? [];
  if (accounts.length === 0) return [];
  const shared = outcomes
    .filter((o) => o.action.kind === 'share-image' || o.action.kind === 'share-snapshot')
    .every((o) => o.status === 'applied');
  if (!shared || !grantsPlanned(observation, outcomes)) return [];
  const items = workItems([rule], new Map([[rule.name, accounts]]), undefined, {
    sourceImageId: observation.sourceImageId,
    sourceRegion: observation.sourceRegion,
  });
  await workQueue.send(items);
  return items;
}

/**
 * Whether the accounts may copy the source: every target was granted (now, or before). The
 * pre-flight refusing a key plans no grant for a source that has none yet; then nothing is queued.
 */
function grantsPlanned(observation: Observation, outcomes: readonly ActionOutcome[]): boolean {
  const granted = new Set(
    (observation.source?.launchPermissions ?? []).flatMap((p) => (p.kind === 'account' ? [p.id] : [])),
  );
  for (const o of outcomes) {
    if (o.action.kind !== 'share-image') continue;
    for (const p of o.action.add) if (p.kind === 'account') granted.add(p.id);
  }
  return (observation.memberAccounts ?? []).every((id) => granted.has(id));
}

/**
 * An `EC2 AMI State Change` of another account, forwarded by its default bus: when that account is
 * a target of the rules, one work item for its region, so the member-work function reconciles the
 * account's copies there (a failed copy is started again at once, with a new token). Otherwise it
 * is ignored with the reason. Returns the item, or why there is none.
 */
export async function queueMemberEvent(
  event: {
    readonly account: string;
    readonly region: string;
    readonly imageId: string;
    readonly available: boolean;
  },
  rules: readonly Rule[],
  deps: ReleaseMembersDependencies & { readonly accountId: string },
): Promise<{ item: MemberWorkItem } | { reason: string }> {
  const resolved = await resolveTargets(rules, deps.accountId, deps.organizations);
  const names = [...resolved.accounts]
    .filter(([, accounts]) => accounts.includes(event.account))
    .map(([rule]) => rule)
    .filter((rule) => rules.find((r) => r.name === rule)?.accounts?.regions.includes(event.region));
  if (names.length === 0) {
    const partly = resolved.failures.length > 0 ? ' (the targets were only partly resolved)' : '';
    return { reason: `account ${event.account} is not a target of any rule in ${event.region}${partly}` };
  }
  const expected = Object.fromEntries(
    names.flatMap((name) => {
      const rule = rules.find((r) => r.name === name);
      return rule === undefined
        ? []
        : [[name, memberExpectation(rule, resolved.accounts.get(name) ?? [])] as const];
    }),
  );
  const item: MemberWorkItem = {
    account: event.account,
    region: event.region,
    rules: names.sort(),
    // An available copy is recorded for its release's completion once the account's run confirms it.
    ...(event.available ? { imageId: event.imageId, expected } : {}),
  };
  await deps.workQueue.send([item]);
  return { item };
}
