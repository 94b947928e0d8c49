/**
 * The regions an emulated account knows, and which of them it has enabled.
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

export class RegionRegistry {
  private readonly all: readonly string[];
  private readonly disabled: ReadonlySet<string>;

  constructor(regions: readonly string[], disabledRegions: readonly string[]) {
    // A disabled region is still a known region (DescribeRegions AllRegions=true lists it).
    this.all = [...new Set([...regions, ...disabledRegions])].sort();
    this.disabled = new Set(disabledRegions);
  }

  isKnown(region: string): boolean {
    return this.all.includes(region);
  }

  isEnabled(region: string): boolean {
    return this.isKnown(region) && !this.disabled.has(region);
  }

  enabledRegions(): string[] {
    return this.all.filter((region) => !this.disabled.has(region));
  }

  allRegions(): readonly string[] {
    return this.all;
  }

  info(region: string): RegionInfo {
    const optInStatus: OptInStatus = this.disabled.has(region)
      ? 'not-opted-in'
      : OPT_IN_REGIONS.has(region)
        ? 'opted-in'
        : 'opt-in-not-required';
    return { regionName: region, regionEndpoint: `ec2.${region}.amazonaws.com`, optInStatus };
  }
}
