import { type CompletionDependencies, claimPatiently, publishClaimed } from './completion.js';
import { type DetailInput, DetailType, imageArn, toolEvent } from './notifications.js';
import type { MemberExpectation } from './ports.js';

/**
 * Completion of a release across its target accounts: every (account, region) pair the rule's
 * targets make has the account's own copy available, or was skipped (a region the account has not
 * enabled, a KMS key it cannot use). Announced once per release and set of targets, as
 * `AMI Account Copies Completed`, listing the accounts × regions.
 *
 * As for the hub's regions (`completion.ts`), without reading EC2: each work item that leaves a
 * pair settled records it in the release's item in the source region's table (one atomic write
 * returning every pair recorded), and the write that completes the set claims and publishes. The
 * pair is the key `<account>/<region>`; its value the copy's id, or `skipped <reason>`.
 */

const SKIPPED = 'skipped ';

export interface MemberPair {
  readonly rule: string;
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  readonly account: string;
  readonly region: string;
  /** The account's available copy here, or why the pair was skipped. */
  readonly outcome: { readonly imageId: string } | { readonly skipped: string };
  /** The source's name, when the item saw the source (its source region's item): kept with the release. */
  readonly imageName?: string;
}

/** As for the hub's completion, without EC2 (nothing is tagged) and metrics. */
export type MemberCompletionDependencies = Omit<CompletionDependencies, 'ec2' | 'metrics'>;

export type MemberCompletion = 'announced' | 'already-announced' | 'incomplete';

/** The release's key for its target accounts: the source, and the fingerprint of its targets. */
export function memberReleaseKey(
  pair: Omit<MemberPair, 'account' | 'region' | 'outcome'>,
  fingerprint: string,
): string {
  return `${pair.sourceRegion}/${pair.sourceImageId}/accounts/${fingerprint}`;
}

export async function recordMemberPair(
  pair: MemberPair,
  expected: MemberExpectation,
  deps: MemberCompletionDependencies,
): Promise<MemberCompletion> {
  const claims = deps.claims(pair.sourceRegion);
  const key = memberReleaseKey(pair, expected.fingerprint);
  const value = 'imageId' in pair.outcome ? pair.outcome.imageId : `${SKIPPED}${pair.outcome.skipped}`;
  const progress = await claims.markDone(key, `${pair.account}/${pair.region}`, value, pair.imageName);
  if (progress.regions.size < expected.pairs) return 'incomplete';
  if ((await claimPatiently(claims, key, deps)) === 'published') return 'already-announced';

  const input: DetailInput<typeof DetailType.AccountCopiesCompleted> = {
    rule: pair.rule,
    sourceImageId: pair.sourceImageId,
    sourceRegion: pair.sourceRegion,
    ...(progress.imageName === undefined ? {} : { imageName: progress.imageName }),
    accounts: accountsOf(progress.regions),
    completedAt: deps.now().toISOString(),
  };
  const event = toolEvent(
    DetailType.AccountCopiesCompleted,
    input,
    [pair.sourceRegion, pair.sourceImageId, expected.fingerprint],
    { resources: [imageArn(pair.sourceRegion, pair.sourceImageId)], busRegion: pair.sourceRegion },
  );
  await publishClaimed(claims, key, event, deps);
  deps.logger.info(`copies of ${pair.sourceImageId} complete in ${input.accounts.length} target account(s)`, {
    sourceImageId: pair.sourceImageId,
    rule: pair.rule,
    pairs: progress.regions.size,
  });
  return 'announced';
}

/** The recorded pairs as the event lists them: accounts sorted, each with its regions sorted. */
function accountsOf(
  pairs: ReadonlyMap<string, string>,
): DetailInput<typeof DetailType.AccountCopiesCompleted>['accounts'] {
  const byAccount = new Map<string, { region: string; value: string }[]>();
  for (const [key, value] of pairs) {
    const [account = '', region = ''] = key.split('/');
    byAccount.set(account, [...(byAccount.get(account) ?? []), { region, value }]);
  }
  return [...byAccount.keys()].sort().map((account) => ({
    account,
    regions: (byAccount.get(account) ?? [])
      .sort((a, b) => a.region.localeCompare(b.region))
      .map(({ region, value }) =>
        value.startsWith(SKIPPED)
          ? { region, status: 'skipped' as const, reason: value.slice(SKIPPED.length) }
          : { region, status: 'available' as const, imageId: value },
      ),
  }));
}
