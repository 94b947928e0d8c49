import {
  CopyImageCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DisableImageCommand,
  DisableImageDeprecationCommand,
  EnableImageCommand,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { expectEc2Error, OTHER_ACCOUNT, useHarness } from './ec2-harness.js';

/**
 * DisableImage, EnableImage and DisableImageDeprecation as AWS documents them
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/disable-an-ami.html): a disabled AMI loses
 * every launch permission, is hidden unless IncludeDisabled, cannot be copied or shared, keeps its
 * snapshots in use, and can be deregistered; enabling it does not give the permissions back.
 */

const REGION = 'us-east-1';
const NOW = new Date('2026-03-01T12:00:00Z');

describe('DisableImage and EnableImage', () => {
  const h = useHarness({ now: () => NOW });
  const other = () => h.client(REGION, OTHER_ACCOUNT);
  const ids = async (input: DescribeImagesCommandInput, client = h.client()) =>
    ((await client.send(new DescribeImagesCommand(input))).Images ?? []).map((image) => image.ImageId).sort();
  const launchPermissions = async (imageId: string) =>
    (
      await h
        .client()
        .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }))
    ).LaunchPermissions;

  it('takes every launch permission away, hides the image unless IncludeDisabled, and emits disabled', async () => {
    const { imageId } = h.emulator.seedImage({
      region: REGION,
      name: 'shared',
      public: true,
      launchPermissions: { userIds: [OTHER_ACCOUNT] },
      emitEvent: false,
    });
    expect(await ids({ ImageIds: [imageId] }, other())).toEqual([imageId]);

    const out = await h.client().send(new DisableImageCommand({ ImageId: imageId }));
    expect(out.Return).toBe(true);
    expect(await launchPermissions(imageId)).toEqual([]);
    expect(h.events.map((event) => [event.detail.ImageId, event.detail.State])).toEqual([
      [imageId, 'disabled'],
    ]);
    expect(h.events[0]?.detail.RequestId).toBe(out.$metadata.requestId);

    // The owner sees it only with IncludeDisabled, by id too; with it, its state is disabled.
    expect(await ids({})).toEqual([]);
    expect(await ids({ ImageIds: [imageId] })).toEqual([]);
    expect(await ids({ Owners: ['self'] })).toEqual([]);
    const described = await h
      .client()
      .send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDisabled: true }));
    expect(described.Images?.[0]).toMatchObject({ State: 'disabled', Public: false });
    expect(await ids({ IncludeDisabled: true, Filters: [{ Name: 'state', Values: ['disabled'] }] })).toEqual([
      imageId,
    ]);
    // The account it was shared with has lost it altogether.
    await expectEc2Error(
      other().send(new DescribeImagesCommand({ ImageIds: [imageId] })),
      'InvalidAMIID.NotFound',
    );
    expect(await ids({ IncludeDisabled: true }, other())).toEqual([]);
  });

  it('re-enabling makes it available again but private: sharing must be done again', async () => {
    const { imageId } = h.emulator.seedImage({
      region: REGION,
      name: 'back',
      launchPermissions: { userIds: [OTHER_ACCOUNT] },
      emitEvent: false,
    });
    await h.client().send(new DisableImageCommand({ ImageId: imageId }));
    const out = await h.client().send(new EnableImageCommand({ ImageId: imageId }));
    expect(out.Return).toBe(true);
    expect(h.emulator.getImage(REGION, imageId)?.state).toBe('available');
    expect(await ids({ ImageIds: [imageId] })).toEqual([imageId]);
    expect(await launchPermissions(imageId)).toEqual([]);
    expect(h.events.map((event) => event.detail.State)).toEqual(['disabled', 'available']);
    await h.client().send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: OTHER_ACCOUNT }] },
      }),
    );
    expect(await ids({ ImageIds: [imageId] }, other())).toEqual([imageId]);
  });

  it('refuses the wrong state, other accounts, copying and sharing a disabled image', async () => {
    const { imageId } = h.emulator.seedImage({
      region: REGION,
      name: 'strict',
      public: true,
      emitEvent: false,
    });
    await expectEc2Error(h.client().send(new EnableImageCommand({ ImageId: imageId })), 'IncorrectState');
    // Only the owner may disable: another account that can launch the public image is refused.
    await expectEc2Error(other().send(new DisableImageCommand({ ImageId: imageId })), 'AuthFailure', 401);

    await h.client().send(new DisableImageCommand({ ImageId: imageId }));
    await expectEc2Error(h.client().send(new DisableImageCommand({ ImageId: imageId })), 'IncorrectState');
    await expectEc2Error(other().send(new EnableImageCommand({ ImageId: imageId })), 'InvalidAMIID.NotFound');
    await expectEc2Error(
      h
        .client('eu-west-1')
        .send(new CopyImageCommand({ Name: 'copy', SourceImageId: imageId, SourceRegion: REGION })),
      'IncorrectState',
    );
    await expectEc2Error(
      h.client().send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ Group: 'all' }] },
        }),
      ),
      'IncorrectState',
    );
    expect(h.emulator.getImage(REGION, imageId)?.launchPermissions.public).toBe(false);

    const pending = h.emulator.seedImage({
      region: REGION,
      name: 'pending',
      state: 'pending',
      emitEvent: false,
    });
    await expectEc2Error(
      h.client().send(new DisableImageCommand({ ImageId: pending.imageId })),
      'IncorrectState',
    );
  });

  it('keeps the snapshots in use, and deregisters a disabled image', async () => {
    const { imageId, snapshotIds } = h.emulator.seedImage({ region: REGION, name: 'gone', emitEvent: false });
    await h.client().send(new DisableImageCommand({ ImageId: imageId }));
    await expectEc2Error(
      h.client().send(new DeleteSnapshotCommand({ SnapshotId: snapshotIds[0] })),
      'InvalidSnapshot.InUse',
    );
    const out = await h
      .client()
      .send(new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }));
    expect(out.DeleteSnapshotResults).toEqual([{ SnapshotId: snapshotIds[0], ReturnCode: 'success' }]);
    expect(h.events.map((event) => event.detail.State)).toEqual(['disabled', 'deregistered']);
    expect(await ids({ ImageIds: [imageId], IncludeDisabled: true })).toEqual([]);
  });

  it('disables a deprecated image; DisableImageDeprecation then clears its deprecation time', async () => {
    const { imageId } = h.emulator.seedImage({
      region: REGION,
      name: 'old',
      deprecationTime: new Date('2026-02-01T00:00:00Z'),
      emitEvent: false,
    });
    await h.client().send(new DisableImageCommand({ ImageId: imageId }));
    const out = await h.client().send(new DisableImageDeprecationCommand({ ImageId: imageId }));
    expect(out.Return).toBe(true);
    const [image] =
      (await h.client().send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDisabled: true })))
        .Images ?? [];
    expect(image?.State).toBe('disabled');
    expect(image?.DeprecationTime).toBeUndefined();
  });
});
