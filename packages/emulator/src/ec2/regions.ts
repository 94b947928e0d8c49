import { ACCOUNT_ID } from '../accounts.js';

/**
 * The regions an emulated account knows, and which of them it has enabled: every known region but
 * those disabled for every account (`disabledRegions`) and the opt-in regions disabled for it
 * (`accountRegions`).
 *
 * A call signed for a region that is disabled (not opted in) or unknown is answered as AWS answers
 * credentials presented to a region the account cannot use: `AuthFailure`, HTTP 401, "AWS was not
 * able to validate the provided access credentials". Whether AWS answers `OptInRequired` or an auth
 * failure there is unverified; the auth failure is what callers of a not-opted-in region observe.
 */

/** The commercial regions enabled by default on every account (no opt-in needed). */
export const DEFAULT_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'sa-east-1',
];

/** Regions launched after March 2019, which an account must opt in to. */
const OPT_IN_REGIONS = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
]);

export type OptInStatus = 'opt-in-not-required' | 'opted-in' | 'not-opted-in';

export interface RegionInfo {
  regionName: string;
  regionEndpoint: string;
  optInStatus: OptInStatus;
}

/** Per account id, the opt-in regions that account has not enabled. */
export type AccountRegions = Readonly<Record<string, { readonly disabled: readonly string[] }>>;

/**
 * The per-account seed, checked: 12-digit account ids, and only opt-in regions of `known`. AWS's
 * Account Management Reference: "Default Regions cannot be enabled or disabled" (those launched
 * before March 20, 2019); only opt-in Regions can.
 */
function accountDisabled(known: readonly string[], accounts: AccountRegions): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const [accountId, { disabled }] of Object.entries(accounts)) {
    if (!ACCOUNT_ID.test(accountId))
      throw new RangeError(`accountRegions: account ids are 12 digits, got ${accountId}`);
    for (const region of disabled) {
      if (!OPT_IN_REGIONS.has(region))
        throw new RangeError(
          `accountRegions: ${accountId} cannot disable ${region}: only opt-in regions (launched after March 20, 2019) can be disabled; default regions are enabled on every account`,
        );
      if (!known.includes(region))
        throw new RangeError(
          `accountRegions: ${region} (disabled for ${accountId}) is not one of the emulator's regions; add it to regions`,
        );
    }
    result.set(accountId, new Set(disabled));
  }
  return result;
}

export class RegionRegistry {
  private readonly all: readonly string[];
  private readonly disabled: ReadonlySet<string>;
  private readonly byAccount: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(regions: readonly string[], disabledRegions: readonly string[], accounts: AccountRegions = {}) {
    // A disabled region is still a known region (DescribeRegions AllRegions=true lists it).
    this.all = [...new Set([...regions, ...disabledRegions])].sort();
    this.disabled = new Set(disabledRegions);
    this.byAccount = accountDisabled(regions, accounts);
  }

  isKnown(region: string): boolean {
    return this.all.includes(region);
  }

  /** Whether `accountId` can call `region`: known, enabled for every account and not disabled for this one. */
  isEnabled(region: string, accountId: string): boolean {
    return this.isKnown(region) && !this.isDisabled(region, accountId);
  }

  enabledRegions(accountId: string): string[] {
    return this.all.filter((region) => !this.isDisabled(region, accountId));
  }

  allRegions(): readonly string[] {
    return this.all;
  }

  /** The region as DescribeRegions shows it to `accountId`. */
  info(region: string, accountId: string): RegionInfo {
    const optInStatus: OptInStatus = this.isDisabled(region, accountId)
      ? 'not-opted-in'
      : OPT_IN_REGIONS.has(region)
        ? 'opted-in'
        : 'opt-in-not-required';
    return { regionName: region, regionEndpoint: `ec2.${region}.amazonaws.com`, optInStatus };
  }

  private isDisabled(region: string, accountId: string): boolean {
    return this.disabled.has(region) || (this.byAccount.get(accountId)?.has(region) ?? false);
  }
}
