import {
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  DisableImageBlockPublicAccessCommand,
  EnableImageBlockPublicAccessCommand,
  GetImageBlockPublicAccessStateCommand,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  ResetImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  expectEc2Error,
  type Harness,
  OTHER_ACCOUNT,
  rawRequest,
  startHarness,
  useHarness,
} from './ec2-harness.js';

const REGION = 'us-east-1';
const ORG = 'arn:aws:organizations::123456789012:organization/o-abcde12345';
const OU = 'arn:aws:organizations::123456789012:ou/o-abcde12345/ou-ab12-cdef3456';
const THIRD_ACCOUNT = '333333333333';

describe('image attributes', () => {
  let h: Harness;
  let imageId: string;
  beforeEach(async () => {
    h = await startHarness();
    imageId = h.emulator.seedImage({
      region: REGION,
      name: 'shareable',
      description: 'first',
      emitEvent: false,
    }).imageId;
  });
  afterEach(() => h.close());

  const launchPermissions = async () =>
    (
      await h
        .client()
        .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }))
    ).LaunchPermissions;

  it('adds and removes launch permissions in the structured form (user, all, organization, OU)', async () => {
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: {
          Add: [
            { UserId: OTHER_ACCOUNT },
            { Group: 'all' },
            { OrganizationArn: ORG },
            { OrganizationalUnitArn: OU },
          ],
        },
      }),
    );
    expect(await launchPermissions()).toEqual([
      { Group: 'all' },
      { UserId: OTHER_ACCOUNT },
      { OrganizationArn: ORG },
      { OrganizationalUnitArn: OU },
    ]);
    const [image] = (await h.client().send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(image?.Public).toBe(true);

    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Remove: [{ Group: 'all' }, { OrganizationArn: ORG }] },
      }),
    );
    expect(await launchPermissions()).toEqual([{ UserId: OTHER_ACCOUNT }, { OrganizationalUnitArn: OU }]);
  });

  it('adds and removes launch permissions in the flat form (Attribute, OperationType, UserId.N, UserGroup.N, …)', async () => {
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        Attribute: 'launchPermission',
        OperationType: 'add',
        UserIds: [OTHER_ACCOUNT, THIRD_ACCOUNT],
        UserGroups: ['all'],
        OrganizationArns: [ORG],
        OrganizationalUnitArns: [OU],
      }),
    );
    expect(await launchPermissions()).toEqual([
      { Group: 'all' },
      { UserId: OTHER_ACCOUNT },
      { UserId: THIRD_ACCOUNT },
      { OrganizationArn: ORG },
      { OrganizationalUnitArn: OU },
    ]);
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        Attribute: 'launchPermission',
        OperationType: 'remove',
        UserIds: [THIRD_ACCOUNT],
        UserGroups: ['all'],
      }),
    );
    expect(await launchPermissions()).toEqual([
      { UserId: OTHER_ACCOUNT },
      { OrganizationArn: ORG },
      { OrganizationalUnitArn: OU },
    ]);
  });

  it('changes the description with Description.Value and with Attribute=description&Value=', async () => {
    await h
      .client()
      .send(new ModifyImageAttributeCommand({ ImageId: imageId, Description: { Value: 'second' } }));
    const second = await h
      .client()
      .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' }));
    expect(second.Description).toEqual({ Value: 'second' });
    expect(second.ImageId).toBe(imageId);
    await h
      .client()
      .send(new ModifyImageAttributeCommand({ ImageId: imageId, Attribute: 'description', Value: 'third' }));
    const third = await h
      .client()
      .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' }));
    expect(third.Description).toEqual({ Value: 'third' });
  });

  it('accepts the raw wire forms exactly as the EC2 API Reference lists them', async () => {
    const send = (params: Record<string, string>) =>
      rawRequest(h.server.endpoint, {
        Action: 'ModifyImageAttribute',
        Version: '2016-11-15',
        ImageId: imageId,
        ...params,
      });
    expect((await send({ 'LaunchPermission.Add.1.UserId': OTHER_ACCOUNT })).status).toBe(200);
    expect(
      (await send({ Attribute: 'launchPermission', OperationType: 'add', 'UserGroup.1': 'all' })).status,
    ).toBe(200);
    expect((await send({ 'Description.Value': 'raw' })).status).toBe(200);
    const response = await send({ Attribute: 'description', Value: 'raw & <flat>' });
    const body = new XMLParser({ parseTagValue: false }).parse(response.body);
    expect(body.ModifyImageAttributeResponse.return).toBe('true');
    expect(h.emulator.getImage(REGION, imageId)).toMatchObject({
      description: 'raw & <flat>',
      launchPermissions: { userIds: [OTHER_ACCOUNT], public: true },
    });
  });

  it('validates every item first: a bad account id applies nothing', async () => {
    const error = await expectEc2Error(
      h.client().send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }, { UserId: '1234-5678-9012' }] },
        }),
      ),
      'InvalidAMIAttributeItemValue',
    );
    expect(error.message).toBe('Invalid attribute item value "1234-5678-9012" for userId item type.');
    expect(await launchPermissions()).toEqual([]);
    await expectEc2Error(
      h.client().send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          Attribute: 'launchPermission',
          OperationType: 'add',
          UserGroups: ['everyone'],
        }),
      ),
      'InvalidAMIAttributeItemValue',
    );
    await expectEc2Error(
      h.client().send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ OrganizationArn: 'arn:aws:iam::1:root' }] },
        }),
      ),
      'InvalidAMIAttributeItemValue',
    );
    await expectEc2Error(
      h.client().send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          Description: { Value: 'x' },
          LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
        }),
      ),
      'InvalidParameterCombination',
    );
    expect(h.emulator.getImage(REGION, imageId)?.description).toBe('first');
  });

  it('treats adding an existing permission and removing an absent one as no-ops', async () => {
    const add = new ModifyImageAttributeCommand({
      ImageId: imageId,
      LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
    });
    await h.client().send(add);
    await h.client().send(add);
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Remove: [{ UserId: THIRD_ACCOUNT }] },
      }),
    );
    expect(await launchPermissions()).toEqual([{ UserId: OTHER_ACCOUNT }]);
  });

  it('resets launch permissions to private', async () => {
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ Group: 'all' }, { UserId: OTHER_ACCOUNT }] },
      }),
    );
    await h
      .client()
      .send(new ResetImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
    expect(await launchPermissions()).toEqual([]);
    expect(h.emulator.getImage(REGION, imageId)?.launchPermissions.public).toBe(false);
    const raw = await rawRequest(h.server.endpoint, {
      Action: 'ResetImageAttribute',
      ImageId: imageId,
      Attribute: 'description',
    });
    expect(raw.status).toBe(400);
    expect(raw.body).toContain('<Code>InvalidParameterValue</Code>');
  });

  it('reads deregistrationProtection, lastLaunchedTime and productCodes; blockDeviceMapping is AuthFailure 401', async () => {
    const launched = h.emulator.seedImage({
      region: REGION,
      name: 'launched',
      lastLaunchedTime: new Date('2026-01-02T03:04:05Z'),
      productCodes: [{ productCode: 'pc1', type: 'devpay' }],
      emitEvent: false,
    }).imageId;
    const read = (
      Attribute: 'deregistrationProtection' | 'lastLaunchedTime' | 'productCodes' | 'blockDeviceMapping',
    ) => h.client().send(new DescribeImageAttributeCommand({ ImageId: launched, Attribute }));
    expect((await read('deregistrationProtection')).DeregistrationProtection).toEqual({ Value: 'disabled' });
    expect((await read('lastLaunchedTime')).LastLaunchedTime).toEqual({ Value: '2026-01-02T03:04:05.000Z' });
    expect((await read('productCodes')).ProductCodes).toEqual([
      { ProductCodeId: 'pc1', ProductCodeType: 'devpay' },
    ]);
    const denied = await expectEc2Error(read('blockDeviceMapping'), 'AuthFailure', 401);
    expect(denied.message).toBe('Unauthorized attempt to access restricted resource');
  });

  it('only the owner may modify or read launch permissions', async () => {
    const foreign = h.emulator.seedImage({
      region: REGION,
      name: 'their-public',
      ownerId: OTHER_ACCOUNT,
      public: true,
      description: 'theirs',
      emitEvent: false,
    }).imageId;
    await expectEc2Error(
      h
        .client()
        .send(new ModifyImageAttributeCommand({ ImageId: foreign, Description: { Value: 'mine now' } })),
      'AuthFailure',
      401,
    );
    await expectEc2Error(
      h.client().send(new DescribeImageAttributeCommand({ ImageId: foreign, Attribute: 'launchPermission' })),
      'AuthFailure',
      401,
    );
    const description = await h
      .client()
      .send(new DescribeImageAttributeCommand({ ImageId: foreign, Attribute: 'description' }));
    expect(description.Description).toEqual({ Value: 'theirs' });
    // The other account, signing with its 12-digit access key id, owns it.
    await h
      .client(REGION, OTHER_ACCOUNT)
      .send(
        new ModifyImageAttributeCommand({ ImageId: foreign, Description: { Value: 'changed by owner' } }),
      );
    expect(h.emulator.getImage(REGION, foreign)?.description).toBe('changed by owner');
    await expectEc2Error(
      h
        .client()
        .send(
          new ModifyImageAttributeCommand({ ImageId: 'ami-0123456789abcdef0', Description: { Value: 'x' } }),
        ),
      'InvalidAMIID.NotFound',
    );
  });

  it('refuses to make a Marketplace image public', async () => {
    const marketplace = h.emulator.seedImage({
      region: REGION,
      name: 'paid',
      productCodes: [{ productCode: 'mp1', type: 'marketplace' }],
      emitEvent: false,
    }).imageId;
    await expectEc2Error(
      h.client().send(
        new ModifyImageAttributeCommand({
          ImageId: marketplace,
          LaunchPermission: { Add: [{ Group: 'all' }] },
        }),
      ),
      'OperationNotPermitted',
    );
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: marketplace,
        LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
      }),
    );
  });

  it('block public access: reported by GetImageBlockPublicAccessState and refusing public sharing when set', async () => {
    const state = await h.client().send(new GetImageBlockPublicAccessStateCommand({}));
    expect(state).toMatchObject({ ImageBlockPublicAccessState: 'unblocked', ManagedBy: 'account' });
    await h
      .client()
      .send(new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'block-new-sharing' }));
    expect(
      (await h.client().send(new GetImageBlockPublicAccessStateCommand({}))).ImageBlockPublicAccessState,
    ).toBe('block-new-sharing');
    expect(
      (await h.client('eu-west-1').send(new GetImageBlockPublicAccessStateCommand({})))
        .ImageBlockPublicAccessState,
    ).toBe('unblocked');
    const error = await expectEc2Error(
      h.client().send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ Group: 'all' }] },
        }),
      ),
      'OperationNotPermitted',
    );
    expect(error.message).toMatch(/[Bb]lock public access/);
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
      }),
    );
    await h.client().send(new DisableImageBlockPublicAccessCommand({}));
    await h
      .client()
      .send(
        new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: 'all' }] } }),
      );
  });

  it('takes block public access from the emulator options, per region', async () => {
    await h.close();
    h = await startHarness({ imageBlockPublicAccess: { 'eu-west-1': 'block-new-sharing' } });
    expect(
      (await h.client('eu-west-1').send(new GetImageBlockPublicAccessStateCommand({})))
        .ImageBlockPublicAccessState,
    ).toBe('block-new-sharing');
    expect(
      (await h.client(REGION).send(new GetImageBlockPublicAccessStateCommand({})))
        .ImageBlockPublicAccessState,
    ).toBe('unblocked');
  });
});

describe('snapshot attributes', () => {
  const h = useHarness();

  const permissions = async (snapshotId: string) =>
    (
      await h.client().send(
        new DescribeSnapshotAttributeCommand({
          SnapshotId: snapshotId,
          Attribute: 'createVolumePermission',
        }),
      )
    ).CreateVolumePermissions;

  it('adds and removes createVolumePermission in structured and flat forms', async () => {
    const snapshotId = h.emulator.seedSnapshot({ region: REGION });
    await h.client().send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: snapshotId,
        CreateVolumePermission: { Add: [{ UserId: OTHER_ACCOUNT }, { Group: 'all' }] },
      }),
    );
    expect(await permissions(snapshotId)).toEqual([{ Group: 'all' }, { UserId: OTHER_ACCOUNT }]);
    await h.client().send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: snapshotId,
        Attribute: 'createVolumePermission',
        OperationType: 'remove',
        GroupNames: ['all'],
        UserIds: [OTHER_ACCOUNT],
      }),
    );
    expect(await permissions(snapshotId)).toEqual([]);
    await h.client().send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: snapshotId,
        Attribute: 'createVolumePermission',
        OperationType: 'add',
        UserIds: [THIRD_ACCOUNT],
      }),
    );
    expect(await permissions(snapshotId)).toEqual([{ UserId: THIRD_ACCOUNT }]);
    // The account it is shared with now sees it.
    expect(h.emulator.getSnapshot(REGION, snapshotId)?.createVolumePermissions.userIds).toEqual([
      THIRD_ACCOUNT,
    ]);
  });

  it('refuses add and remove together, public encrypted snapshots and sharing the AWS managed key', async () => {
    const plain = h.emulator.seedSnapshot({ region: REGION });
    await expectEc2Error(
      h.client().send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: plain,
          CreateVolumePermission: { Add: [{ UserId: OTHER_ACCOUNT }], Remove: [{ UserId: THIRD_ACCOUNT }] },
        }),
      ),
      'InvalidParameterCombination',
    );
    const managedKey = h.emulator.seedSnapshot({ region: REGION, encrypted: true });
    await expectEc2Error(
      h.client().send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: managedKey,
          CreateVolumePermission: { Add: [{ Group: 'all' }] },
        }),
      ),
      'OperationNotPermitted',
    );
    await expectEc2Error(
      h.client().send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: managedKey,
          CreateVolumePermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
        }),
      ),
      'OperationNotPermitted',
    );
    const customerKey = h.emulator.seedSnapshot({
      region: REGION,
      kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    });
    await h.client().send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: customerKey,
        CreateVolumePermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
      }),
    );
    expect(await permissions(customerKey)).toEqual([{ UserId: OTHER_ACCOUNT }]);
    const badGroup = await rawRequest(h.server.endpoint, {
      Action: 'ModifySnapshotAttribute',
      SnapshotId: plain,
      'CreateVolumePermission.Add.1.Group': 'everyone',
    });
    expect(badGroup.status).toBe(400);
    expect(badGroup.body).toContain('<Code>InvalidAMIAttributeItemValue</Code>');
    await expectEc2Error(
      h.client().send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: 'snap-0123456789abcdef0',
          CreateVolumePermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
        }),
      ),
      'InvalidSnapshot.NotFound',
    );
    expect(await permissions(plain)).toEqual([]);
  });
});
