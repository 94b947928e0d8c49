import { CopyImageCommand, CreateTagsCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { loadOrganization } from '../src/organizations/index.js';
import { expectEc2Error, useHarness } from './ec2-harness.js';
import { IDS, SEED } from './organization-seed.js';

/**
 * EC2 across the accounts of a seeded organization, each account choosing itself by its 12-digit
 * access key: which images an account sees (owned, public, shared with it, its organization or an
 * OU above it), whose tags it sees, and what copying another account's image needs.
 */

const { MANAGEMENT, PROD, DEV, OUTSIDER, ORG, WORKLOADS, PRODUCTION } = IDS;
const REGION = 'us-east-1';
const organization = loadOrganization(SEED);
const orgArn = `arn:aws:organizations::${MANAGEMENT}:organization/${ORG}`;
const ouArn = (ou: string) => `arn:aws:organizations::${MANAGEMENT}:ou/${ORG}/${ou}`;

describe('images across accounts', () => {
  const h = useHarness({ membershipOf: (account) => organization.membership(account), regions: [REGION] });
  const seed = (
    name: string,
    launchPermissions: Parameters<typeof h.emulator.seedImage>[0]['launchPermissions'],
  ) =>
    h.emulator.seedImage({ region: REGION, ownerId: MANAGEMENT, name, launchPermissions, emitEvent: false });
  const visible = async (
    account: string,
    input: ConstructorParameters<typeof DescribeImagesCommand>[0] = {},
  ) =>
    ((await h.client(REGION, account).send(new DescribeImagesCommand(input))).Images ?? [])
      .map((image) => image.Name)
      .sort();

  it('shows an image to the accounts its launch permissions reach: account, organization, OU and child OU', async () => {
    seed('to-prod', { userIds: [PROD] });
    seed('to-org', { organizationArns: [orgArn] });
    seed('to-production-ou', { organizationalUnitArns: [ouArn(PRODUCTION)] });
    seed('to-workloads-ou', { organizationalUnitArns: [ouArn(WORKLOADS)] });
    seed('private', {});
    expect(await visible(PROD)).toEqual(['to-org', 'to-prod', 'to-production-ou', 'to-workloads-ou']);
    expect(await visible(DEV)).toEqual(['to-org', 'to-workloads-ou']);
    expect(await visible(OUTSIDER)).toEqual([]);
    expect(await visible(MANAGEMENT, { Owners: ['self'] })).toHaveLength(5);
    // ExecutableBy self counts organization and OU sharing; another account's id only direct sharing.
    expect(await visible(PROD, { ExecutableUsers: ['self'] })).toEqual([
      'to-org',
      'to-prod',
      'to-production-ou',
      'to-workloads-ou',
    ]);
    expect(await visible(MANAGEMENT, { ExecutableUsers: [PROD] })).toEqual(['to-prod']);
    expect(await visible(PROD, { Owners: [MANAGEMENT] })).toHaveLength(4);
  });

  it('answers InvalidAMIID.NotFound to an account the image is not shared with, even by id', async () => {
    const image = seed('to-production-ou', { organizationalUnitArns: [ouArn(PRODUCTION)] });
    const found = await h.client(REGION, PROD).send(new DescribeImagesCommand({ ImageIds: [image.imageId] }));
    expect(found.Images?.[0]?.OwnerId).toBe(MANAGEMENT);
    const error = await expectEc2Error(
      h.client(REGION, DEV).send(new DescribeImagesCommand({ ImageIds: [image.imageId] })),
      'InvalidAMIID.NotFound',
    );
    expect(error.message).toContain(image.imageId);
  });

  it('keeps tags per account: the owner does not see the tags a sharee adds, nor the sharee the owner', async () => {
    const image = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'tagged',
      tags: { Stage: 'golden' },
      launchPermissions: { organizationArns: [orgArn] },
      emitEvent: false,
    });
    await h
      .client(REGION, PROD)
      .send(new CreateTagsCommand({ Resources: [image.imageId], Tags: [{ Key: 'Seen', Value: 'prod' }] }));
    const tagsOf = async (account: string) =>
      (await h.client(REGION, account).send(new DescribeImagesCommand({ ImageIds: [image.imageId] })))
        .Images?.[0]?.Tags;
    expect(await tagsOf(MANAGEMENT)).toEqual([{ Key: 'Stage', Value: 'golden' }]);
    expect(await tagsOf(PROD)).toEqual([{ Key: 'Seen', Value: 'prod' }]);
    expect(await tagsOf(DEV)).toBeUndefined();
  });
});

describe('CopyImage of another account image', () => {
  const h = useHarness({ membershipOf: (account) => organization.membership(account), regions: [REGION] });
  const copy = (account: string, sourceImageId: string) =>
    h.client(REGION, account).send(
      new CopyImageCommand({
        Name: `copy-${sourceImageId}`,
        SourceImageId: sourceImageId,
        SourceRegion: REGION,
      }),
    );

  it('needs launch permission, then create-volume permission on every snapshot', async () => {
    const unshared = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'private',
      emitEvent: false,
    });
    await expectEc2Error(copy(PROD, unshared.imageId), 'InvalidAMIID.NotFound');
    const launchOnly = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'launch-only',
      launchPermissions: { organizationArns: [orgArn] },
      emitEvent: false,
    });
    const refused = await expectEc2Error(copy(PROD, launchOnly.imageId), 'AuthFailure', 401);
    expect(refused.message).toBe('You do not have permission to access the storage of this ami');
    const readable = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'readable',
      launchPermissions: { organizationArns: [orgArn] },
      snapshotPermissions: { sharedWith: [PROD] },
      emitEvent: false,
    });
    const { ImageId } = await copy(PROD, readable.imageId);
    h.emulator.completePendingCopies();
    const made = h.emulator.getImage(REGION, ImageId ?? '');
    expect(made).toMatchObject({ ownerId: PROD, state: 'available', sourceImageId: readable.imageId });
    // The copy is the caller's: DEV, though in the organization, does not see it.
    await expectEc2Error(
      h.client(REGION, DEV).send(new DescribeImagesCommand({ ImageIds: [ImageId ?? ''] })),
      'InvalidAMIID.NotFound',
    );
  });

  it("fails the copy of snapshots under the owner's AWS managed key; a customer managed key is usable", async () => {
    const shared = { organizationArns: [orgArn] };
    const awsManaged = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'aws-managed',
      launchPermissions: shared,
      blockDeviceMappings: [{ encrypted: true }],
      snapshotPermissions: { sharedWith: [PROD] },
      emitEvent: false,
    });
    const customerKey = `arn:aws:kms:${REGION}:${MANAGEMENT}:key/0a1b2c3d-0000-4000-8000-000000000001`;
    const customer = h.emulator.seedImage({
      region: REGION,
      ownerId: MANAGEMENT,
      name: 'customer-managed',
      launchPermissions: shared,
      blockDeviceMappings: [{ encrypted: true, kmsKeyId: customerKey }],
      snapshotPermissions: { sharedWith: [PROD] },
      emitEvent: false,
    });
    const failed = await copy(PROD, awsManaged.imageId);
    const succeeded = await copy(PROD, customer.imageId);
    h.emulator.completePendingCopies();
    expect(h.emulator.getImage(REGION, failed.ImageId ?? '')).toMatchObject({
      state: 'failed',
      stateReason: { code: 'Client.InvalidKMSKey.InvalidState' },
    });
    const good = h.emulator.getImage(REGION, succeeded.ImageId ?? '');
    expect(good?.state).toBe('available');
    // The copy is encrypted under the caller's own default key, not the owner's.
    expect(good?.blockDeviceMappings[0]?.ebs?.kmsKeyId).toMatch(
      new RegExp(`^arn:aws:kms:${REGION}:${PROD}:key/`),
    );
  });
});
