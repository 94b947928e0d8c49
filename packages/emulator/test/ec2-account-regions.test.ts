import { CopyImageCommand, DescribeImagesCommand, DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { createEc2Emulator } from '../src/ec2/index.js';
import { ACCOUNT, expectEc2Error, OTHER_ACCOUNT, useHarness } from './ec2-harness.js';

/**
 * Regions enabled per account (`accountRegions`): an opt-in region one account has not enabled is
 * refused to that account only, as a region disabled for every account is (`AuthFailure` 401), and
 * DescribeRegions answers each caller for its own account.
 */

const HONG_KONG = 'ap-east-1';
const BAHRAIN = 'me-south-1';
const REGIONS = ['us-east-1', 'eu-west-1', HONG_KONG, BAHRAIN];

describe('accountRegions', () => {
  const h = useHarness({
    regions: REGIONS,
    accountRegions: { [OTHER_ACCOUNT]: { disabled: [HONG_KONG] } },
  });
  const client = (region: string, account: string) => h.client(region, account);

  it('refuses the account that has not enabled the region with AuthFailure 401; other accounts are served', async () => {
    const refused = await expectEc2Error(
      client(HONG_KONG, OTHER_ACCOUNT).send(new DescribeImagesCommand({})),
      'AuthFailure',
      401,
    );
    expect(refused.message).toBe('AWS was not able to validate the provided access credentials');
    const served = await client(HONG_KONG, ACCOUNT).send(new DescribeImagesCommand({}));
    expect(served.Images).toEqual([]);
    // Its other regions, default or opted in, are unaffected.
    await client(BAHRAIN, OTHER_ACCOUNT).send(new DescribeImagesCommand({}));
    await client('eu-west-1', OTHER_ACCOUNT).send(new DescribeImagesCommand({}));
  });

  it('answers DescribeRegions per caller: not-opted-in and left out of the enabled list for that account', async () => {
    const status = async (account: string, all: boolean) =>
      Object.fromEntries(
        (
          (await client('us-east-1', account).send(new DescribeRegionsCommand({ AllRegions: all })))
            .Regions ?? []
        ).map((region) => [region.RegionName, region.OptInStatus]),
      );
    expect(await status(OTHER_ACCOUNT, false)).toEqual({
      'eu-west-1': 'opt-in-not-required',
      [BAHRAIN]: 'opted-in',
      'us-east-1': 'opt-in-not-required',
    });
    expect(await status(OTHER_ACCOUNT, true)).toMatchObject({ [HONG_KONG]: 'not-opted-in' });
    expect(await status(ACCOUNT, false)).toMatchObject({ [HONG_KONG]: 'opted-in', [BAHRAIN]: 'opted-in' });
    const filtered = await client('us-east-1', OTHER_ACCOUNT).send(
      new DescribeRegionsCommand({
        AllRegions: true,
        Filters: [{ Name: 'opt-in-status', Values: ['not-opted-in'] }],
      }),
    );
    expect(filtered.Regions?.map((region) => region.RegionName)).toEqual([HONG_KONG]);
  });

  it('refuses a CopyImage whose source region the caller has not enabled, as for a region disabled for all', async () => {
    const source = h.emulator.seedImage({
      region: HONG_KONG,
      ownerId: OTHER_ACCOUNT,
      name: 'in-hong-kong',
      emitEvent: false,
    });
    const error = await expectEc2Error(
      client('eu-west-1', OTHER_ACCOUNT).send(
        new CopyImageCommand({ Name: 'copy', SourceImageId: source.imageId, SourceRegion: HONG_KONG }),
      ),
      'InvalidRegion',
    );
    expect(error.message).toBe(`The source region '${HONG_KONG}' is not enabled for this account.`);
  });
});

describe('accountRegions seeds', () => {
  it('refuses a default region: only opt-in regions can be disabled', () => {
    expect(() =>
      createEc2Emulator({ accountRegions: { [OTHER_ACCOUNT]: { disabled: ['us-east-1'] } } }),
    ).toThrow(
      `accountRegions: ${OTHER_ACCOUNT} cannot disable us-east-1: only opt-in regions (launched after March 20, 2019) can be disabled; default regions are enabled on every account`,
    );
  });

  it('refuses an opt-in region the emulator does not know, and an account id that is not 12 digits', () => {
    expect(() =>
      createEc2Emulator({ accountRegions: { [OTHER_ACCOUNT]: { disabled: [HONG_KONG] } } }),
    ).toThrow(/ap-east-1 \(disabled for 210987654321\) is not one of the emulator's regions/);
    expect(() =>
      createEc2Emulator({ regions: REGIONS, accountRegions: { '12345': { disabled: [HONG_KONG] } } }),
    ).toThrow('accountRegions: account ids are 12 digits, got 12345');
  });
});
