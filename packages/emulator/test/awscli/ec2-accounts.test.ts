import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadOrganization } from '../../src/organizations/index.js';
import { type Harness, startHarness } from '../ec2-harness.js';
import { IDS, SEED } from '../organization-seed.js';
import { aws as awsCli } from './aws.js';

/** The AWS CLI's EC2 commands across the accounts of a seeded organization (12-digit access keys). */

const REGION = 'eu-west-1';
const { MANAGEMENT, PROD, DEV, ORG, PRODUCTION } = IDS;
const organization = loadOrganization(SEED);

describe.concurrent('AWS CLI: EC2 across accounts', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      membershipOf: (account) => organization.membership(account),
      regions: [REGION],
    });
  });
  afterAll(() => h.close());

  const aws = (account: string, args: string[]) =>
    awsCli(['ec2', ...args], { endpoint: h.server.endpoint, region: REGION, accessKeyId: account });

  it('describe-images --executable-users self sees an image shared with an OU above the account', async ({
    expect,
  }) => {
    const image = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'ou-shared',
      launchPermissions: {
        organizationalUnitArns: [`arn:aws:organizations::${MANAGEMENT}:ou/${ORG}/${PRODUCTION}`],
      },
      emitEvent: false,
    });
    const [prod, dev] = await Promise.all([
      aws(PROD, ['describe-images', '--executable-users', 'self']),
      aws(DEV, ['describe-images', '--image-ids', image.imageId]),
    ]);
    expect(prod.code).toBe(0);
    expect(JSON.parse(prod.stdout).Images.map((i: { ImageId: string }) => i.ImageId)).toContain(
      image.imageId,
    );
    expect(dev.code).not.toBe(0);
    expect(dev.stderr).toContain('(InvalidAMIID.NotFound)');
  });

  it('copy-image of a shared image whose snapshots are not shared is refused AuthFailure', async ({
    expect,
  }) => {
    const image = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'storage-private',
      launchPermissions: { userIds: [PROD] },
      emitEvent: false,
    });
    const refused = await aws(PROD, [
      'copy-image',
      '--name',
      'mine',
      '--source-image-id',
      image.imageId,
      '--source-region',
      REGION,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      '(AuthFailure) when calling the CopyImage operation: You do not have permission to access the storage of this ami',
    );
  });
});

describe.concurrent('AWS CLI: regions enabled per account', () => {
  const HONG_KONG = 'ap-east-1';
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      regions: [REGION, HONG_KONG],
      accountRegions: { [DEV]: { disabled: [HONG_KONG] } },
    });
  });
  afterAll(() => h.close());

  const aws = (account: string, region: string, args: string[]) =>
    awsCli(['ec2', ...args], { endpoint: h.server.endpoint, region, accessKeyId: account });

  it('describe-regions answers each account for itself; a call to a region it has not enabled is AuthFailure', async ({
    expect,
  }) => {
    const [dev, prod, refused, served] = await Promise.all([
      aws(DEV, REGION, ['describe-regions', '--all-regions']),
      aws(PROD, REGION, ['describe-regions']),
      aws(DEV, HONG_KONG, ['describe-images', '--owners', 'self']),
      aws(PROD, HONG_KONG, ['describe-images', '--owners', 'self']),
    ]);
    const statusOf = (stdout: string) =>
      Object.fromEntries(
        JSON.parse(stdout).Regions.map((r: { RegionName: string; OptInStatus: string }) => [
          r.RegionName,
          r.OptInStatus,
        ]),
      );
    expect(statusOf(dev.stdout)).toEqual({ [HONG_KONG]: 'not-opted-in', [REGION]: 'opt-in-not-required' });
    expect(statusOf(prod.stdout)).toEqual({ [HONG_KONG]: 'opted-in', [REGION]: 'opt-in-not-required' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      '(AuthFailure) when calling the DescribeImages operation: AWS was not able to validate the provided access credentials',
    );
    expect(served.code).toBe(0);
  });
});
