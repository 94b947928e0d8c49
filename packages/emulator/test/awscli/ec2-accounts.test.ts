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
