import type { Rule } from '../rules/schema.js';
import { copyDefaults } from '../rules/schema.js';
import { AwsCallError } from './errors.js';
import { type MemberCompletionDependencies, recordMemberPair } from './member-completion.js';
import { LINEAGE } from './model.js';
import type {
  EventPublisher,
  KeyReader,
  LoggerPort,
  MembersFor,
  MemberWorkItem,
  MetricsPort,
} from './ports.js';
import { type ReconcileReport, reconcileRegions } from './reconcile.js';

/**
 * The work of one (target account, region): the account's own copies of the hub's sources, made
 * and kept by the account itself through the member role. It is the scheduled reconcile
 * (`reconcileRegions`) run as that account, with each rule seen from there (`memberRules`): the
 * hub's sources are images of another account, visible once the hub has shared them, and each is
 * copied into every region of `accounts.regions`, its own region included.
 */

/** Why an item did nothing, in one line an operator can act on. */
export interface MemberSkip {
  readonly account: string;
  readonly region: string;
  readonly reason: string;
  readonly error?: AwsCallError;
  /** The rules the skip is about (a KMS key is one rule's); absent: all of the item's. */
  readonly rules?: readonly string[];
}

export type MemberResult =
  | {
      readonly status: 'done';
      readonly account: string;
      readonly region: string;
      readonly report: ReconcileReport;
      readonly skipped: readonly MemberSkip[];
    }
  | ({ readonly status: 'skipped' } & MemberSkip);

export interface MemberDependencies {
  readonly rules: readonly Rule[];
  /** The account the tool runs in, which owns the sources. */
  readonly hubAccountId: string;
  readonly members: MembersFor;
  readonly logger: LoggerPort;
  readonly events: EventPublisher;
  readonly now: () => Date;
  readonly metrics?: MetricsPort;
  /** Recording settled pairs for the release's completion across accounts (`member-completion.ts`). */
  readonly completion?: Pick<MemberCompletionDependencies, 'claims' | 'owner' | 'sleep'>;
}

export interface MemberOptions {
  readonly dryRun: boolean;
  readonly maxCopiesInFlight: number;
  readonly concurrency: number;
  readonly shouldStop?: () => boolean;
}

/**
 * A rule as a target account applies it: the hub's images (by owner and names; the hub's tags on
 * them are not visible to another account, so `match.tags` cannot apply there) copied into the
 * account's regions with the rule's tags and the lineage (and the hub as `source-account`) set by
 * CopyImage itself, and shared as the rule shares (`share`: the account grants them on its own
 * copies). Nothing else: the member tags after creation and retires nothing, and publishes no
 * pointer.
 */
export function memberRule(rule: Rule, hubAccountId: string, account: string): Rule | undefined {
  const accounts = rule.accounts;
  if (accounts === undefined) return undefined;
  const copy = rule.copy ?? copyDefaults(accounts.regions);
  const { tags: _tags, tagKeys: _tagKeys, ...match } = rule.match;
  return {
    name: rule.name,
    match: { ...match, owners: [hubAccountId] },
    ...(rule.share === undefined ? {} : { share: rule.share }),
    copy: {
      ...copy,
      regions: accounts.regions,
      encrypted: accounts.encrypted,
      kmsKeys: { ...accounts.kmsKeys, ...accounts.accountKmsKeys[account] },
      // CopyImageTags copies only the tags the copier itself put on the source: none here.
      copyTags: false,
      tags: { ...rule.tags?.image, ...copy.tags, [LINEAGE.sourceAccount]: hubAccountId },
    },
  };
}

/**
 * Runs one work item. Throws an `AwsCallError` only when a retry can help (throttling, 5xx), so the
 * queue retries it; any other failure of the account or region is a `skipped` result naming it.
 */
export async function reconcileMember(
  deps: MemberDependencies,
  item: MemberWorkItem,
  options: MemberOptions,
): Promise<MemberResult> {
  const result = await runMember(deps, item, options);
  if (deps.completion !== undefined && !options.dryRun)
    await recordPairs(deps, deps.completion, item, result);
  return result;
}

/**
 * A refused AssumeRole of the member role (the adapter names its operation `AssumeRole of …`):
 * every call in the account fails with it, so it is said once, as what it is.
 */
function roleRefused(account: string, region: string, error: AwsCallError): MemberResult | undefined {
  if (error.retryable || !error.operation.startsWith('AssumeRole')) return undefined;
  return {
    status: 'skipped',
    account,
    region,
    reason: `the member role cannot be assumed in account ${account} (${error.code}): is the member StackSet deployed there, trusting this hub?`,
    error,
  };
}

async function runMember(
  deps: MemberDependencies,
  item: MemberWorkItem,
  options: MemberOptions,
): Promise<MemberResult> {
  try {
    return await runMemberAs(deps, item, options);
  } catch (error) {
    const refused = error instanceof AwsCallError ? roleRefused(item.account, item.region, error) : undefined;
    if (refused === undefined) throw error;
    return refused;
  }
}

async function runMemberAs(
  deps: MemberDependencies,
  item: MemberWorkItem,
  options: MemberOptions,
): Promise<MemberResult> {
  const { account, region } = item;
  if (account === deps.hubAccountId) {
    return { status: 'skipped', account, region, reason: 'the account the tool runs in is not a member' };
  }
  const ports = deps.members(account);
  const skipped: MemberSkip[] = [];
  const rules: Rule[] = [];
  for (const name of item.rules) {
    const rule = deps.rules.find((r) => r.name === name);
    const projected = rule === undefined ? undefined : memberRule(rule, deps.hubAccountId, account);
    if (projected === undefined) {
      skipped.push({ account, region, reason: `rule ${name} no longer copies into other accounts` });
      continue;
    }
    const problem = await keyProblem(projected, region, ports.kms(region));
    if (problem !== undefined) {
      skipped.push({ account, region, ...problem, rules: [name] });
      continue;
    }
    rules.push(projected);
  }
  if (rules.length === 0) {
    return {
      status: 'skipped',
      account,
      region,
      reason: skipped.map((s) => s.reason).join('; ') || 'no rule',
    };
  }
  const [result] = await reconcileRegions(
    {
      rules,
      accountId: account,
      ec2: ports.ec2,
      logger: deps.logger,
      events: deps.events,
      now: deps.now,
      retire: false,
      copyOnly: true,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    },
    { ...options, regions: [region] },
  );
  if (result === undefined) throw new Error('reconcileRegions returned no result for one region');
  if ('error' in result) {
    if (result.error.retryable) throw result.error;
    const refused = roleRefused(account, region, result.error);
    if (refused !== undefined) return refused;
    return {
      status: 'skipped',
      account,
      region,
      reason: `${region} of account ${account} cannot be read (${result.error.code}): the region is not enabled there, or the member role cannot act there`,
      error: result.error,
    };
  }
  return { status: 'done', account, region, report: result.report, skipped };
}

/**
 * The KMS key the rule encrypts this region's copies with, as the target account sees it: a key it
 * cannot use (absent, not shared with it, disabled) would fail every copy after it started.
 */
async function keyProblem(
  rule: Rule,
  region: string,
  kms: KeyReader,
): Promise<{ reason: string; error?: AwsCallError } | undefined> {
  const key = rule.copy?.encrypted ? rule.copy.kmsKeys[region] : undefined;
  if (key === undefined) return undefined;
  try {
    const found = await kms.describeKey(key);
    if (found === undefined)
      return {
        reason: `rule ${rule.name}: KMS key "${key}" does not exist in ${region} or the account cannot use it; no copy is started there`,
      };
    if (!found.enabled)
      return {
        reason: `rule ${rule.name}: KMS key "${key}" is disabled in ${region}; no copy is started there`,
      };
    return undefined;
  } catch (error) {
    // A refused member role is the account's problem, not the key's: runMember says so once.
    if (!(error instanceof AwsCallError) || error.retryable || error.operation.startsWith('AssumeRole'))
      throw error;
    return {
      reason: `rule ${rule.name}: KMS key "${key}" in ${region} cannot be described (${error.code})`,
      error,
    };
  }
}

/**
 * The pairs this item settled, for its release's completion across accounts: the release's copy
 * (or the copy whose event brought the item) available with nothing left to change, or the
 * region skipped for the item's rules. Items of the schedule (no release, no image) record
 * nothing, so a converged run writes nothing.
 */
async function recordPairs(
  deps: MemberDependencies,
  completion: NonNullable<MemberDependencies['completion']>,
  item: MemberWorkItem,
  result: MemberResult,
): Promise<void> {
  if (item.expected === undefined || (item.release === undefined && item.imageId === undefined)) return;
  const pairs: Parameters<typeof recordMemberPair>[0][] = [];
  const where = { account: item.account, region: item.region };
  // The source is listed in its own region's run: its name names the release in the announcement.
  const nameOf = (sourceImageId: string) =>
    result.status === 'done'
      ? result.report.images.find((i) => i.role === 'source' && i.imageId === sourceImageId)?.name
      : undefined;
  if (result.status === 'done') {
    for (const image of result.report.images) {
      if (image.role !== 'copy' || image.state !== 'available' || image.pendingChanges > 0) continue;
      const wanted =
        image.imageId === item.imageId ||
        (item.release !== undefined &&
          image.sourceImageId === item.release.sourceImageId &&
          image.sourceRegion === item.release.sourceRegion);
      if (!wanted) continue;
      const imageName = nameOf(image.sourceImageId);
      pairs.push({
        ...where,
        rule: image.rule,
        sourceImageId: image.sourceImageId,
        sourceRegion: image.sourceRegion,
        outcome: { imageId: image.imageId },
        ...(imageName === undefined ? {} : { imageName }),
      });
    }
  }
  const skipped =
    result.status === 'skipped'
      ? [{ reason: result.reason, rules: item.rules }]
      : result.skipped.map((s) => ({ reason: s.reason, rules: s.rules ?? [] }));
  if (item.release !== undefined) {
    for (const skip of skipped) {
      for (const rule of skip.rules)
        pairs.push({ ...where, rule, ...item.release, outcome: { skipped: skip.reason } });
    }
  }
  for (const pair of pairs) {
    const expected = item.expected[pair.rule];
    if (expected === undefined) continue;
    await recordMemberPair(pair, expected, {
      ...completion,
      events: deps.events,
      logger: deps.logger,
      now: deps.now,
    });
  }
}
