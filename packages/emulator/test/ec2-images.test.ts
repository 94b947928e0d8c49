import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeSnapshotsCommand,
  type DescribeSnapshotsCommandInput,
  DisableImageCommand,
  DisableImageDeprecationCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  type Image,
  paginateDescribeImages,
  RegisterImageCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, expectEc2Error, OTHER_ACCOUNT, useHarness } from './ec2-harness.js';

const REGION = 'us-east-1';

describe('DescribeImages', () => {
  const h = useHarness();

  /** The ids DescribeImages answers `input` with, sorted. */
  const ids = async (input: DescribeImagesCommandInput) =>
    ((await h.client().send(new DescribeImagesCommand(input))).Images ?? [])
      .map((image) => image.ImageId)
      .sort();

  it('returns every documented field of an EBS image', async () => {
    const { imageId, snapshotIds } = h.emulator.seedImage({
      region: REGION,
      name: 'web-2026.01',
      description: 'web server',
      tags: { Team: 'web', Stage: 'prod' },
      blockDeviceMappings: [
        { volumeSize: 16, volumeType: 'gp3', encrypted: true },
        { deviceName: '/dev/sdf', volumeSize: 100, volumeType: 'io2', deleteOnTermination: false },
      ],
      productCodes: [{ productCode: 'abc123', type: 'marketplace' }],
      deprecationTime: new Date('2030-01-01T00:00:00Z'),
      emitEvent: false,
    });
    const out = await h.client().send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    const image = out.Images?.[0];
    expect(out.Images).toHaveLength(1);
    expect(image).toMatchObject({
      ImageId: imageId,
      Name: 'web-2026.01',
      Description: 'web server',
      State: 'available',
      OwnerId: ACCOUNT,
      Public: false,
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/xvda',
      DeprecationTime: '2030-01-01T00:00:00.000Z',
      DeregistrationProtection: 'disabled',
      ProductCodes: [{ ProductCodeId: 'abc123', ProductCodeType: 'marketplace' }],
      Tags: [
        { Key: 'Stage', Value: 'prod' },
        { Key: 'Team', Value: 'web' },
      ],
    });
    expect(image?.CreationDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(image?.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: {
          SnapshotId: snapshotIds[0],
          VolumeSize: 16,
          VolumeType: 'gp3',
          DeleteOnTermination: true,
          Encrypted: true,
          KmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:123456789012:key\//),
        },
      },
      {
        DeviceName: '/dev/sdf',
        Ebs: {
          SnapshotId: snapshotIds[1],
          VolumeSize: 100,
          VolumeType: 'io2',
          DeleteOnTermination: false,
          Encrypted: false,
        },
      },
    ]);
  });

  it('fails for unknown well-formed ids with the AWS-verified messages', async () => {
    const one = await expectEc2Error(
      h.client().send(new DescribeImagesCommand({ ImageIds: ['ami-abcd1234'] })),
      'InvalidAMIID.NotFound',
    );
    expect(one.message).toBe("The image id '[ami-abcd1234]' does not exist");
    const two = await expectEc2Error(
      h.client().send(new DescribeImagesCommand({ ImageIds: ['ami-abcd1234', 'ami-1234abcd'] })),
      'InvalidAMIID.NotFound',
    );
    expect(two.message).toBe("The image ids '[ami-abcd1234, ami-1234abcd]' do not exist");
  });

  it('fails for malformed ids naming only the first', async () => {
    const error = await expectEc2Error(
      h.client().send(new DescribeImagesCommand({ ImageIds: ['not_an_ami_id', 'another_bad_ami_id'] })),
      'InvalidAMIID.Malformed',
    );
    expect(error.message).toBe('Invalid id: "not_an_ami_id" (expecting "ami-...")');
  });

  it('shows own, public and shared images, and hides others’ private ones', async () => {
    const own = h.emulator.seedImage({ region: REGION, name: 'own', emitEvent: false }).imageId;
    const publicImage = h.emulator.seedImage({
      region: REGION,
      name: 'amzn-linux',
      ownerId: '137112412989',
      ownerAlias: 'amazon',
      public: true,
      emitEvent: false,
    }).imageId;
    const shared = h.emulator.seedImage({
      region: REGION,
      name: 'shared-with-us',
      ownerId: OTHER_ACCOUNT,
      launchPermissions: { userIds: [ACCOUNT] },
      emitEvent: false,
    }).imageId;
    const hidden = h.emulator.seedImage({
      region: REGION,
      name: 'not-ours',
      ownerId: OTHER_ACCOUNT,
      emitEvent: false,
    }).imageId;

    expect(await ids({})).toEqual([own, publicImage, shared].sort());
    expect(await ids({ Owners: ['self'] })).toEqual([own]);
    expect(await ids({ Owners: ['amazon'] })).toEqual([publicImage]);
    expect(await ids({ Owners: [OTHER_ACCOUNT] })).toEqual([shared]);
    expect(await ids({ Owners: ['self', 'amazon'] })).toEqual([own, publicImage].sort());
    expect(await ids({ ExecutableUsers: ['all'] })).toEqual([publicImage]);
    expect(await ids({ ExecutableUsers: ['self'] })).toEqual([own, shared].sort());
    await expectEc2Error(
      h.client().send(new DescribeImagesCommand({ ImageIds: [hidden] })),
      'InvalidAMIID.NotFound',
    );
    await expectEc2Error(
      h.client().send(new DescribeImagesCommand({ Owners: ['nobody'] })),
      'InvalidUserID.Malformed',
    );
  });

  it('ExecutableBy another account lists images shared directly with it', async () => {
    const sharedOut = h.emulator.seedImage({
      region: REGION,
      name: 'shared-out',
      launchPermissions: { userIds: [OTHER_ACCOUNT] },
      emitEvent: false,
    }).imageId;
    h.emulator.seedImage({ region: REGION, name: 'private', emitEvent: false });
    const out = await h.client().send(new DescribeImagesCommand({ ExecutableUsers: [OTHER_ACCOUNT] }));
    expect(out.Images?.map((image) => image.ImageId)).toEqual([sharedOut]);
  });

  it('filters by name, state, tag:K, tag-key, image-id and more, with * and ? wildcards', async () => {
    const web1 = h.emulator.seedImage({
      region: REGION,
      name: 'web-1',
      tags: { Team: 'web' },
      emitEvent: false,
    });
    const web2 = h.emulator.seedImage({
      region: REGION,
      name: 'web-2',
      tags: { Team: 'web', Release: '2' },
      emitEvent: false,
    });
    const db = h.emulator.seedImage({
      region: REGION,
      name: 'db-10',
      tags: { Team: 'data' },
      rootDeviceType: 'instance-store',
      state: 'pending',
      emitEvent: false,
    });
    const names = async (filters: Array<{ Name: string; Values: string[] }>) =>
      ((await h.client().send(new DescribeImagesCommand({ Filters: filters }))).Images ?? [])
        .map((image) => image.Name)
        .sort();

    expect(await names([{ Name: 'name', Values: ['web-*'] }])).toEqual(['web-1', 'web-2']);
    expect(await names([{ Name: 'name', Values: ['web-?'] }])).toEqual(['web-1', 'web-2']);
    expect(await names([{ Name: 'name', Values: ['db-?'] }])).toEqual([]);
    expect(await names([{ Name: 'name', Values: ['WEB-*'] }])).toEqual([]);
    expect(await names([{ Name: 'state', Values: ['pending'] }])).toEqual(['db-10']);
    expect(await names([{ Name: 'tag:Team', Values: ['web'] }])).toEqual(['web-1', 'web-2']);
    expect(await names([{ Name: 'tag:Team', Values: ['d*', 'nothing'] }])).toEqual(['db-10']);
    expect(await names([{ Name: 'tag-key', Values: ['Rel*'] }])).toEqual(['web-2']);
    expect(await names([{ Name: 'image-id', Values: [web1.imageId, db.imageId] }])).toEqual([
      'db-10',
      'web-1',
    ]);
    expect(await names([{ Name: 'root-device-type', Values: ['instance-store'] }])).toEqual(['db-10']);
    expect(await names([{ Name: 'is-public', Values: ['false'] }])).toEqual(['db-10', 'web-1', 'web-2']);
    expect(await names([{ Name: 'owner-id', Values: [ACCOUNT] }])).toHaveLength(3);
    expect(
      await names([
        { Name: 'tag:Team', Values: ['web'] },
        { Name: 'name', Values: ['*2'] },
      ]),
    ).toEqual(['web-2']);
    expect(
      await names([{ Name: 'block-device-mapping.snapshot-id', Values: [web2.snapshotIds[0] ?? ''] }]),
    ).toEqual(['web-2']);
    const error = await expectEc2Error(
      h.client().send(new DescribeImagesCommand({ Filters: [{ Name: 'flavour', Values: ['x'] }] })),
      'InvalidParameterValue',
    );
    expect(error.message).toBe("The filter 'flavour' is invalid");
  });

  it('paginates with MaxResults/NextToken, and the SDK paginator visits every image once', async () => {
    const seeded = Array.from(
      { length: 23 },
      (_, i) => h.emulator.seedImage({ region: REGION, name: `page-${i}`, emitEvent: false }).imageId,
    );
    const first = await h.client().send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 10 }));
    expect(first.Images).toHaveLength(10);
    expect(first.NextToken).toBeTypeOf('string');
    const seen: string[] = [];
    for await (const page of paginateDescribeImages(
      { client: h.client(), pageSize: 7 },
      { Owners: ['self'] },
    )) {
      expect(page.Images?.length).toBeLessThanOrEqual(7);
      for (const image of page.Images ?? []) seen.push(image.ImageId ?? '');
    }
    expect(seen.sort()).toEqual(seeded.sort());
    const last = await h.client().send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 1000 }));
    expect(last.NextToken).toBeUndefined();
  });

  it('refuses a pagination token it did not issue', async () => {
    await expectEc2Error(
      h.client().send(new DescribeImagesCommand({ MaxResults: 5, NextToken: 'garbage' })),
      'InvalidPaginationToken',
    );
  });

  it('hides deprecated images from non-owners unless IncludeDeprecated, and disabled ones unless IncludeDisabled', async () => {
    const past = new Date(Date.now() - 60_000);
    const foreign = h.emulator.seedImage({
      region: REGION,
      name: 'old-public',
      ownerId: OTHER_ACCOUNT,
      public: true,
      deprecationTime: past,
      emitEvent: false,
    }).imageId;
    const mine = h.emulator.seedImage({
      region: REGION,
      name: 'old-mine',
      deprecationTime: past,
      emitEvent: false,
    }).imageId;
    const disabled = h.emulator.seedImage({
      region: REGION,
      name: 'off',
      state: 'disabled',
      emitEvent: false,
    }).imageId;
    expect(await ids({})).toEqual([mine]);
    expect(await ids({ IncludeDeprecated: true })).toEqual([foreign, mine].sort());
    expect(await ids({ IncludeDisabled: true })).toEqual([mine, disabled].sort());
    expect(await ids({ ImageIds: [foreign] })).toEqual([foreign]);
  });
});

describe('RegisterImage', () => {
  const h = useHarness();

  it('registers an EBS image from an existing snapshot and emits available', async () => {
    const snapshotId = h.emulator.seedSnapshot({ region: REGION, volumeSize: 20 });
    const out = await h.client().send(
      new RegisterImageCommand({
        Name: 'registered',
        Architecture: 'x86_64',
        RootDeviceName: '/dev/xvda',
        VirtualizationType: 'hvm',
        EnaSupport: true,
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, VolumeType: 'gp3' } },
        ],
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'Owner', Value: 'TeamA' }] }],
      }),
    );
    const imageId = out.ImageId ?? '';
    expect(imageId).toMatch(/^ami-[0-9a-f]{17}$/);
    const image = h.emulator.getImage(REGION, imageId);
    expect(image).toMatchObject({
      state: 'available',
      rootDeviceType: 'ebs',
      snapshotIds: [snapshotId],
      tags: { Owner: 'TeamA' },
    });
    expect(h.events.map((event) => [event.detail.ImageId, event.detail.State])).toEqual([
      [imageId, 'available'],
    ]);
    expect(h.events[0]?.detail.RequestId).toBe(out.$metadata.requestId);
  });

  it('creates the root snapshot when only a size is given, and leaves other volumes empty', async () => {
    const out = await h.client().send(
      new RegisterImageCommand({
        Name: 'fresh',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8 } },
          { DeviceName: '/dev/sdb', Ebs: { VolumeSize: 50 } },
          { DeviceName: '/dev/sdc', VirtualName: 'ephemeral0' },
        ],
      }),
    );
    const image = h.emulator.getImage(REGION, out.ImageId ?? '');
    expect(image?.snapshotIds).toHaveLength(1);
    expect(h.emulator.getSnapshot(REGION, image?.snapshotIds[0] ?? '')).toMatchObject({
      volumeSize: 8,
      state: 'completed',
    });
    expect(image?.blockDeviceMappings[1]?.ebs?.snapshotId).toBeUndefined();
    expect(image?.blockDeviceMappings[2]).toEqual({ deviceName: '/dev/sdc', virtualName: 'ephemeral0' });
  });

  it('registers an instance-store image from ImageLocation with no snapshots', async () => {
    const out = await h
      .client()
      .send(
        new RegisterImageCommand({ Name: 'instance-store', ImageLocation: 'my-bucket/image.manifest.xml' }),
      );
    const [described] =
      (await h.client().send(new DescribeImagesCommand({ ImageIds: [out.ImageId ?? ''] }))).Images ?? [];
    expect(described).toMatchObject({
      RootDeviceType: 'instance-store',
      ImageLocation: 'my-bucket/image.manifest.xml',
      BlockDeviceMappings: [],
    });
  });

  it('refuses duplicate names, bad names, missing snapshots and a missing root device', async () => {
    await h.client().send(new RegisterImageCommand({ Name: 'taken', ImageLocation: 'b/m.xml' }));
    await expectEc2Error(
      h.client().send(new RegisterImageCommand({ Name: 'taken', ImageLocation: 'b/m.xml' })),
      'InvalidAMIName.Duplicate',
    );
    await expectEc2Error(
      h.client().send(new RegisterImageCommand({ Name: 'x', ImageLocation: 'b/m.xml' })),
      'InvalidAMIName.Malformed',
    );
    await expectEc2Error(
      h.client().send(
        new RegisterImageCommand({
          Name: 'no-such-snapshot',
          RootDeviceName: '/dev/xvda',
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0123456789abcdef0' } }],
        }),
      ),
      'InvalidSnapshot.NotFound',
    );
    await expectEc2Error(
      h.client().send(new RegisterImageCommand({ Name: 'nothing' })),
      'InvalidParameterCombination',
    );
    await expectEc2Error(
      h.client().send(
        new RegisterImageCommand({
          Name: 'bad-tag-type',
          ImageLocation: 'b/m.xml',
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }],
        }),
      ),
      'InvalidParameterValue',
    );
    expect(h.emulator.listImages(REGION)).toHaveLength(1);
  });
});

describe('DeregisterImage and DeleteSnapshot', () => {
  const h = useHarness();

  it('refuses to delete a snapshot in use, deregisters (event), then deletes; a second deregister is Unavailable', async () => {
    const { imageId, snapshotIds } = h.emulator.seedImage({
      region: REGION,
      name: 'retire-me',
      emitEvent: false,
    });
    const snapshotId = snapshotIds[0] ?? '';
    const inUse = await expectEc2Error(
      h.client().send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })),
      'InvalidSnapshot.InUse',
    );
    expect(inUse.message).toBe(`The snapshot ${snapshotId} is currently in use by ${imageId}`);

    const out = await h.client().send(new DeregisterImageCommand({ ImageId: imageId }));
    expect(out.DeleteSnapshotResults).toBeUndefined();
    expect(h.events).toEqual([
      {
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        'detail-type': 'EC2 AMI State Change',
        source: 'aws.ec2',
        account: ACCOUNT,
        time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        region: REGION,
        resources: [`arn:aws:ec2:${REGION}::image/${imageId}`],
        detail: {
          RequestId: out.$metadata.requestId,
          ImageId: imageId,
          State: 'deregistered',
          ErrorMessage: '',
        },
      },
    ]);
    expect((await h.client().send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images).toEqual([]);
    await h.client().send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    expect(h.emulator.getSnapshot(REGION, snapshotId)).toBeUndefined();
    await expectEc2Error(
      h.client().send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })),
      'InvalidSnapshot.NotFound',
    );
    const again = await expectEc2Error(
      h.client().send(new DeregisterImageCommand({ ImageId: imageId })),
      'InvalidAMIID.Unavailable',
    );
    expect(again.message).toBe(`The image id '[${imageId}]' is no longer available`);
  });

  it('DeleteAssociatedSnapshots deletes unshared snapshots and skips one another image uses', async () => {
    const sharedSnapshot = h.emulator.seedSnapshot({ region: REGION });
    const { imageId, snapshotIds } = h.emulator.seedImage({
      region: REGION,
      name: 'two-disks',
      blockDeviceMappings: [{}, { deviceName: '/dev/sdb', snapshotId: sharedSnapshot }],
      emitEvent: false,
    });
    h.emulator.seedImage({
      region: REGION,
      name: 'also-uses-it',
      blockDeviceMappings: [{ snapshotId: sharedSnapshot }],
      emitEvent: false,
    });
    const out = await h
      .client()
      .send(new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }));
    expect(out.DeleteSnapshotResults).toEqual([
      { SnapshotId: snapshotIds[0], ReturnCode: 'success' },
      { SnapshotId: sharedSnapshot, ReturnCode: 'skipped' },
    ]);
    expect(h.emulator.getSnapshot(REGION, snapshotIds[0] ?? '')).toBeUndefined();
    expect(h.emulator.getSnapshot(REGION, sharedSnapshot)).toBeDefined();
  });

  it('only the owner may deregister, and unknown or malformed ids fail', async () => {
    const foreign = h.emulator.seedImage({
      region: REGION,
      name: 'public-foreign',
      ownerId: OTHER_ACCOUNT,
      public: true,
      emitEvent: false,
    }).imageId;
    await expectEc2Error(
      h.client().send(new DeregisterImageCommand({ ImageId: foreign })),
      'AuthFailure',
      401,
    );
    await expectEc2Error(
      h.client().send(new DeregisterImageCommand({ ImageId: 'ami-0123456789abcdef0' })),
      'InvalidAMIID.NotFound',
    );
    await expectEc2Error(
      h.client().send(new DeregisterImageCommand({ ImageId: 'image-1' })),
      'InvalidAMIID.Malformed',
    );
  });
});

describe('deregistration protection and deprecation (injectable clock)', () => {
  let now = new Date('2026-03-01T12:00:00Z');
  beforeEach(() => {
    now = new Date('2026-03-01T12:00:00Z');
  });
  const h = useHarness({ now: () => now });

  const describeOne = async (imageId: string): Promise<Image | undefined> =>
    (await h.client().send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
  const deprecate = (imageId: string, at: string) =>
    h.client().send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(at) }));

  it('refuses to deregister a protected image, and keeps refusing for 24 h after a WithCooldown disable', async () => {
    const { imageId } = h.emulator.seedImage({ region: REGION, name: 'protected', emitEvent: false });
    const enabled = await h
      .client()
      .send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: true }));
    expect(enabled.Return).toBe('enabled-with-cooldown');
    expect((await describeOne(imageId))?.DeregistrationProtection).toBe('enabled-with-cooldown');
    await expectEc2Error(
      h.client().send(new DeregisterImageCommand({ ImageId: imageId })),
      'OperationNotPermitted',
    );

    await h.client().send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    expect((await describeOne(imageId))?.DeregistrationProtection).toBe(
      'disabled-until-2026-03-02T12:00:00.000Z',
    );
    now = new Date('2026-03-02T11:59:00Z');
    await expectEc2Error(
      h.client().send(new DeregisterImageCommand({ ImageId: imageId })),
      'OperationNotPermitted',
    );
    now = new Date('2026-03-02T12:00:01Z');
    expect((await describeOne(imageId))?.DeregistrationProtection).toBe('disabled');
    await h.client().send(new DeregisterImageCommand({ ImageId: imageId }));
    expect(h.emulator.getImage(REGION, imageId)?.state).toBe('deregistered');
  });

  it('without cooldown, disabling protection allows deregistration at once', async () => {
    const { imageId } = h.emulator.seedImage({
      region: REGION,
      name: 'protected-no-cooldown',
      emitEvent: false,
    });
    const enabled = await h
      .client()
      .send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    expect(enabled.Return).toBe('enabled-without-cooldown');
    await expectEc2Error(
      h.client().send(new DeregisterImageCommand({ ImageId: imageId })),
      'OperationNotPermitted',
    );
    await h.client().send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    await h.client().send(new DeregisterImageCommand({ ImageId: imageId }));
  });

  it('sets deprecation rounded to the nearest minute, refuses the past and >10 years, and cancels it', async () => {
    const { imageId } = h.emulator.seedImage({ region: REGION, name: 'to-deprecate', emitEvent: false });
    const out = await deprecate(imageId, '2026-06-01T10:20:31Z');
    expect(out.Return).toBe(true);
    expect((await describeOne(imageId))?.DeprecationTime).toBe('2026-06-01T10:21:00.000Z');
    await deprecate(imageId, '2026-06-01T10:20:29Z');
    expect((await describeOne(imageId))?.DeprecationTime).toBe('2026-06-01T10:20:00.000Z');

    await expectEc2Error(deprecate(imageId, '2026-02-28T00:00:00Z'), 'InvalidParameterValue');
    await expectEc2Error(deprecate(imageId, '2036-03-01T12:01:00Z'), 'InvalidParameterValue');
    await h.client().send(new DisableImageDeprecationCommand({ ImageId: imageId }));
    expect((await describeOne(imageId))?.DeprecationTime).toBeUndefined();
  });

  it('limits a public image’s deprecation to 2 years after its creation', async () => {
    const { imageId } = h.emulator.seedImage({
      region: REGION,
      name: 'public-deprecate',
      public: true,
      creationDate: new Date('2025-06-01T00:00:00Z'),
      emitEvent: false,
    });
    await expectEc2Error(deprecate(imageId, '2027-06-02T00:00:00Z'), 'InvalidParameterValue');
    await deprecate(imageId, '2027-05-31T00:00:00Z');
  });

  it('DisableImage makes an image disabled and private (event), EnableImage makes it available (event)', async () => {
    const { imageId } = h.emulator.seedImage({
      region: REGION,
      name: 'toggle',
      public: true,
      emitEvent: false,
    });
    await h.client().send(new DisableImageCommand({ ImageId: imageId }));
    expect(h.emulator.getImage(REGION, imageId)).toMatchObject({
      state: 'disabled',
      launchPermissions: { public: false },
    });
    await expectEc2Error(h.client().send(new DisableImageCommand({ ImageId: imageId })), 'IncorrectState');
    await h.client().send(new EnableImageCommand({ ImageId: imageId }));
    expect(h.events.map((event) => event.detail.State)).toEqual(['disabled', 'available']);
    expect(h.events[0]?.time).toBe('2026-03-01T12:00:00Z');
  });
});

describe('DescribeSnapshots', () => {
  const h = useHarness();

  it('lists by id, owner, restorable-by and filters, with pagination', async () => {
    const a = h.emulator.seedSnapshot({ region: REGION, tags: { Team: 'web' }, volumeSize: 10 });
    const b = h.emulator.seedSnapshot({
      region: REGION,
      tags: { Team: 'data' },
      encrypted: true,
      state: 'pending',
    });
    const foreignShared = h.emulator.seedSnapshot({
      region: REGION,
      ownerId: OTHER_ACCOUNT,
      sharedWith: [ACCOUNT],
    });
    h.emulator.seedSnapshot({ region: REGION, ownerId: OTHER_ACCOUNT });
    const ids = async (input: DescribeSnapshotsCommandInput) =>
      ((await h.client().send(new DescribeSnapshotsCommand(input))).Snapshots ?? [])
        .map((snapshot) => snapshot.SnapshotId)
        .sort();
    expect(await ids({})).toEqual([a, b, foreignShared].sort());
    expect(await ids({ OwnerIds: ['self'] })).toEqual([a, b].sort());
    expect(await ids({ RestorableByUserIds: ['self'] })).toEqual([a, b, foreignShared].sort());
    expect(await ids({ SnapshotIds: [a] })).toEqual([a]);
    expect(await ids({ Filters: [{ Name: 'tag:Team', Values: ['w*'] }] })).toEqual([a]);
    expect(await ids({ Filters: [{ Name: 'tag-key', Values: ['Team'] }] })).toEqual([a, b].sort());
    expect(await ids({ Filters: [{ Name: 'status', Values: ['pending'] }] })).toEqual([b]);
    expect(await ids({ Filters: [{ Name: 'snapshot-id', Values: [b] }] })).toEqual([b]);
    expect(await ids({ Filters: [{ Name: 'encrypted', Values: ['true'] }] })).toEqual([b]);

    const [snapshot] =
      (await h.client().send(new DescribeSnapshotsCommand({ SnapshotIds: [a] }))).Snapshots ?? [];
    expect(snapshot).toMatchObject({
      SnapshotId: a,
      OwnerId: ACCOUNT,
      VolumeSize: 10,
      State: 'completed',
      Progress: '100%',
      Encrypted: false,
      Tags: [{ Key: 'Team', Value: 'web' }],
    });
    expect(snapshot?.StartTime).toBeInstanceOf(Date);

    const page1 = await h.client().send(new DescribeSnapshotsCommand({ MaxResults: 5, OwnerIds: ['self'] }));
    expect(page1.Snapshots).toHaveLength(2);
    expect(page1.NextToken).toBeUndefined();
    for (let i = 0; i < 6; i += 1) h.emulator.seedSnapshot({ region: REGION });
    const first = await h.client().send(new DescribeSnapshotsCommand({ MaxResults: 5, OwnerIds: ['self'] }));
    const second = await h
      .client()
      .send(new DescribeSnapshotsCommand({ MaxResults: 5, OwnerIds: ['self'], NextToken: first.NextToken }));
    expect([...(first.Snapshots ?? []), ...(second.Snapshots ?? [])]).toHaveLength(8);
    expect(second.NextToken).toBeUndefined();

    await expectEc2Error(
      h.client().send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0123456789abcdef0'] })),
      'InvalidSnapshot.NotFound',
    );
    await expectEc2Error(
      h.client().send(new DescribeSnapshotsCommand({ SnapshotIds: ['disk-1'] })),
      'InvalidSnapshotID.Malformed',
    );
    await expectEc2Error(
      h.client().send(new DescribeSnapshotsCommand({ MaxResults: 2 })),
      'InvalidParameterValue',
    );
  });
});
