import type { ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, parseFilters } from '../filters.js';
import type { RegionInfo } from '../regions.js';

/**
 * DescribeRegions
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html), as the caller's
 * account sees them: the regions it has enabled by default, every known region with `AllRegions=true`, or the named ones (enabled or not)
 * with `RegionName.N`.
 */
export const describeRegions: ActionHandler = (ctx) => {
  const registry = ctx.world.regions;
  const names = ctx.params.strings('RegionName');
  const all = ctx.params.boolean('AllRegions') ?? false;
  const matches = compileFilters<RegionInfo>(parseFilters(ctx.params), {
    fields: {
      endpoint: (region) => [region.regionEndpoint],
      'opt-in-status': (region) => [region.optInStatus],
      'region-name': (region) => [region.regionName],
    },
  });
  for (const name of names) {
    if (!registry.isKnown(name)) throw Ec2Error.invalidParameterValue(`Invalid region: ${name}`);
  }
  const selected =
    names.length > 0
      ? [...new Set(names)]
      : all
        ? registry.allRegions()
        : registry.enabledRegions(ctx.accountId);
  return {
    regionInfo: selected
      .map((name) => registry.info(name, ctx.accountId))
      .filter(matches)
      .map((info) => ({ ...info })),
  };
};
