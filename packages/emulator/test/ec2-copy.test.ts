import {
  CopyImageCommand,
  CreateTagsCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  waitUntilImageAvailable,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  expectEc2Error,
  type Harness,
  OTHER_ACCOUNT,
  startHarness,
  waitForEvent,
} from './ec2-harness.js';

const SOURCE = 'us-east-1';
const DEST = 'eu-west-1';

describe('CopyImage', () => {
  let h: Harness;
  afterEach(() => h.close());

  const seedSource = (overrides: Partial<Parameters<Harness['emulator']['seedImage']>[0]> = {}) =>
    h.emulator.seedImage({
      region: SOURCE,
      name: 'golden-1',
      tags: { Team: 'platform', Release: '1' },
      blockDeviceMappings: [{ volumeSize: 8 }, { deviceName: '/dev/sdb', volumeSize: 30 }],
      emitEvent: false,
      ...overrides,
    });

  it('creates a pending copy with new snapshots, then available with an event from the destination region', async () => {
    h = await startHarness();
    const source = seedSource();
    const out = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'golden-1-copy',
        Description: 'copied',
        SourceImageId: source.imageId,
        SourceRegion: SOURCE,
      }),
    );
    const imageId = out.ImageId ?? '';
    const [pending] =
      (await h.client(DEST).send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(pending).toMatchObject({
      ImageId: imageId,
      Name: 'golden-1-copy',
      Description: 'copied',
      State: 'pending',
      SourceImageId: source.imageId,
      SourceImageRegion: SOURCE,
      Public: false,
    });
    const newSnapshots = (pending?.BlockDeviceMappings ?? []).map((mapping) => mapping.Ebs?.SnapshotId ?? '');
    expect(newSnapshots).toHaveLength(2);
    expect(newSnapshots.some((id) => source.snapshotIds.includes(id))).toBe(false);
    const pendingSnapshots = await h
      .client(DEST)
      .send(new DescribeSnapshotsCommand({ SnapshotIds: newSnapshots }));
    expect(pendingSnapshots.Snapshots?.map((snapshot) => snapshot.State)).toEqual(['pending', 'pending']);
    expect(h.events).toEqual([]);

    h.emulator.completePendingCopies();
    const [available] =
      (await h.client(DEST).send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(available?.State).toBe('available');
    const done = await h.client(DEST).send(new DescribeSnapshotsCommand({ SnapshotIds: newSnapshots }));
    expect(done.Snapshots?.map((snapshot) => [snapshot.State, snapshot.Progress])).toEqual([
      ['completed', '100%'],
      ['completed', '100%'],
    ]);
    expect(h.events).toEqual([
      {
        version: '0',
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        'detail-type': 'EC2 AMI State Change',
        source: 'aws.ec2',
        account: ACCOUNT,
        time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        region: DEST,
        resources: [`arn:aws:ec2:${DEST}::image/${imageId}`],
        detail: {
          RequestId: out.$metadata.requestId,
          ImageId: imageId,
          State: 'available',
          ErrorMessage: '',
        },
      },
    ]);
  });

  it('finishes on its own after copyDelayMs, and the SDK waiter sees it available', async () => {
    h = await startHarness({ copyDelayMs: 20 });
    const source = seedSource();
    const out = await h
      .client(DEST)
      .send(new CopyImageCommand({ Name: 'timed', SourceImageId: source.imageId, SourceRegion: SOURCE }));
    const event = await waitForEvent(h, (e) => e.detail.ImageId === out.ImageId);
    expect(event.detail.State).toBe('available');
    expect(event.region).toBe(DEST);
    const waited = await waitUntilImageAvailable(
      { client: h.client(DEST), maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { ImageIds: [out.ImageId ?? ''] },
    );
    expect(waited.state).toBe('SUCCESS');
  });

  it('is idempotent per region for the same ClientToken and parameters, and refuses other parameters', async () => {
    h = await startHarness();
    const source = seedSource();
    const input = {
      Name: 'idem',
      SourceImageId: source.imageId,
      SourceRegion: SOURCE,
      ClientToken: 'release-42',
    };
    const first = await h.client(DEST).send(new CopyImageCommand(input));
    const again = await h.client(DEST).send(new CopyImageCommand(input));
    expect(again.ImageId).toBe(first.ImageId);
    expect(h.emulator.listImages(DEST)).toHaveLength(1);

    const mismatch = await expectEc2Error(
      h.client(DEST).send(new CopyImageCommand({ ...input, Name: 'idem-renamed' })),
      'IdempotentParameterMismatch',
    );
    expect(mismatch.message).toMatch(/inconsistent/);
    // The same token in another region is another request.
    const elsewhere = await h.client('eu-central-1').send(new CopyImageCommand(input));
    expect(elsewhere.ImageId).not.toBe(first.ImageId);
    // Without a token the SDK fills a random one: every call copies again.
    const { ClientToken: _omitted, ...withoutToken } = input;
    const a = await h.client(DEST).send(new CopyImageCommand({ ...withoutToken, Name: 'idem-a' }));
    const b = await h.client(DEST).send(new CopyImageCommand({ ...withoutToken, Name: 'idem-b' }));
    expect(new Set([first.ImageId, a.ImageId, b.ImageId]).size).toBe(3);
    // A name already used in the destination region is refused.
    const duplicate = await expectEc2Error(
      h.client(DEST).send(new CopyImageCommand(withoutToken)),
      'InvalidAMIName.Duplicate',
    );
    expect(duplicate.message).toBe(`AMI name idem is already in use by AMI ${first.ImageId}`);
  });

  it('copies only user tags with CopyImageTags, applies TagSpecifications to the image and every new snapshot', async () => {
    h = await startHarness();
    // System tags (aws:) are never copied; seeding is the only way to put one on an image.
    const source = seedSource({
      tags: { Team: 'platform', Release: '1', 'aws:cloudformation:stack-name': 'amis' },
    });
    const out = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'tagged',
        SourceImageId: source.imageId,
        SourceRegion: SOURCE,
        CopyImageTags: true,
        TagSpecifications: [
          {
            ResourceType: 'image',
            Tags: [
              { Key: 'Release', Value: '1-copy' },
              { Key: 'CopiedBy', Value: 'tool' },
            ],
          },
          { ResourceType: 'snapshot', Tags: [{ Key: 'Backs', Value: 'golden-1' }] },
        ],
      }),
    );
    const copy = h.emulator.getImage(DEST, out.ImageId ?? '');
    expect(copy?.tags).toEqual({ Team: 'platform', Release: '1-copy', CopiedBy: 'tool' });
    expect(copy?.snapshotIds).toHaveLength(2);
    for (const snapshotId of copy?.snapshotIds ?? []) {
      expect(h.emulator.getSnapshot(DEST, snapshotId)?.tags).toEqual({ Backs: 'golden-1' });
    }
    const plain = await h
      .client(DEST)
      .send(new CopyImageCommand({ Name: 'untagged', SourceImageId: source.imageId, SourceRegion: SOURCE }));
    expect(h.emulator.getImage(DEST, plain.ImageId ?? '')?.tags).toEqual({});

    await expectEc2Error(
      h.client(DEST).send(
        new CopyImageCommand({
          Name: 'bad-type',
          SourceImageId: source.imageId,
          SourceRegion: SOURCE,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }],
        }),
      ),
      'InvalidParameterValue',
    );
    await expectEc2Error(
      h.client(DEST).send(
        new CopyImageCommand({
          Name: 'aws-tag',
          SourceImageId: source.imageId,
          SourceRegion: SOURCE,
          TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'aws:reserved', Value: 'b' }] }],
        }),
      ),
      'InvalidParameterValue',
    );
  });

  it('never copies launch permissions, and copies a shared image the caller can launch', async () => {
    h = await startHarness();
    const shared = h.emulator.seedImage({
      region: SOURCE,
      name: 'vendor-image',
      ownerId: OTHER_ACCOUNT,
      launchPermissions: { userIds: [ACCOUNT] },
      // Copying another account's image reads its snapshots: they are shared too.
      snapshotPermissions: { sharedWith: [ACCOUNT] },
      tags: { VendorTag: 'x' },
      emitEvent: false,
    });
    await h
      .client(SOURCE)
      .send(new CreateTagsCommand({ Resources: [shared.imageId], Tags: [{ Key: 'Mine', Value: 'y' }] }));
    const out = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'vendor-copy',
        SourceImageId: shared.imageId,
        SourceRegion: SOURCE,
        CopyImageTags: true,
      }),
    );
    const copy = h.emulator.getImage(DEST, out.ImageId ?? '');
    expect(copy).toMatchObject({
      ownerId: ACCOUNT,
      tags: { Mine: 'y' },
      launchPermissions: { userIds: [], public: false, organizationArns: [], organizationalUnitArns: [] },
    });
    const publicSource = seedSource({
      name: 'public-source',
      public: true,
      launchPermissions: { userIds: [OTHER_ACCOUNT] },
    });
    const publicCopy = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'from-public',
        SourceImageId: publicSource.imageId,
        SourceRegion: SOURCE,
      }),
    );
    expect(h.emulator.getImage(DEST, publicCopy.ImageId ?? '')?.launchPermissions).toEqual({
      userIds: [],
      public: false,
      organizationArns: [],
      organizationalUnitArns: [],
    });
  });

  it('encrypts with Encrypted/KmsKeyId, keeps encrypted sources encrypted, and refuses KmsKeyId alone', async () => {
    h = await startHarness();
    const source = seedSource();
    const key = `arn:aws:kms:${DEST}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const out = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'encrypted',
        SourceImageId: source.imageId,
        SourceRegion: SOURCE,
        Encrypted: true,
        KmsKeyId: key,
      }),
    );
    for (const snapshotId of h.emulator.getImage(DEST, out.ImageId ?? '')?.snapshotIds ?? []) {
      expect(h.emulator.getSnapshot(DEST, snapshotId)).toMatchObject({ encrypted: true, kmsKeyId: key });
    }
    const encryptedSource = seedSource({ name: 'enc-source', blockDeviceMappings: [{ encrypted: true }] });
    const reencrypted = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'still-encrypted',
        SourceImageId: encryptedSource.imageId,
        SourceRegion: SOURCE,
        // false means "do not add encryption": an encrypted source is never copied unencrypted.
        Encrypted: false,
      }),
    );
    const [snapshotId] = h.emulator.getImage(DEST, reencrypted.ImageId ?? '')?.snapshotIds ?? [];
    expect(h.emulator.getSnapshot(DEST, snapshotId ?? '')).toMatchObject({
      encrypted: true,
      kmsKeyId: expect.stringMatching(new RegExp(`^arn:aws:kms:${DEST}:${ACCOUNT}:key/`)),
    });
    await expectEc2Error(
      h.client(DEST).send(
        new CopyImageCommand({
          Name: 'key-only',
          SourceImageId: source.imageId,
          SourceRegion: SOURCE,
          KmsKeyId: key,
        }),
      ),
      'InvalidParameterDependency',
    );
  });

  it('a KMS key from another region makes the copy fail asynchronously, with a failed event', async () => {
    h = await startHarness();
    const source = seedSource();
    const out = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'wrong-key-region',
        SourceImageId: source.imageId,
        SourceRegion: SOURCE,
        Encrypted: true,
        KmsKeyId: `arn:aws:kms:${SOURCE}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      }),
    );
    h.emulator.completePendingCopies();
    const [image] =
      (await h.client(DEST).send(new DescribeImagesCommand({ ImageIds: [out.ImageId ?? ''] }))).Images ?? [];
    expect(image?.State).toBe('failed');
    expect(image?.StateReason?.Message).toMatch(/not in the destination region/);
    expect(h.events.map((event) => [event.detail.State, event.region])).toEqual([['failed', DEST]]);
    expect(h.events[0]?.detail.ErrorMessage).toBe(image?.StateReason?.Message);
  });

  it('ends failed with a stateReason when a fault is injected (failNextCopy and failedCopyRate)', async () => {
    h = await startHarness({ faults: { seed: 7, failedCopyRate: 1 } });
    const source = seedSource();
    const out = await h
      .client(DEST)
      .send(new CopyImageCommand({ Name: 'doomed', SourceImageId: source.imageId, SourceRegion: SOURCE }));
    h.emulator.completePendingCopies();
    const failed = h.emulator.getImage(DEST, out.ImageId ?? '');
    expect(failed?.state).toBe('failed');
    expect(failed?.stateReason).toEqual({
      code: 'Server.InternalError',
      message: 'An internal error has occurred during the AMI copy',
    });
    for (const snapshotId of failed?.snapshotIds ?? [])
      expect(h.emulator.getSnapshot(DEST, snapshotId)?.state).toBe('error');
    expect(h.events[0]?.detail).toMatchObject({
      State: 'failed',
      ErrorMessage: 'An internal error has occurred during the AMI copy',
    });
    await h.close();

    h = await startHarness();
    const again = seedSource();
    h.emulator.failNextCopy(DEST, 'Snapshot copy failed');
    const doomed = await h
      .client(DEST)
      .send(
        new CopyImageCommand({ Name: 'doomed-once', SourceImageId: again.imageId, SourceRegion: SOURCE }),
      );
    const fine = await h
      .client(DEST)
      .send(new CopyImageCommand({ Name: 'fine', SourceImageId: again.imageId, SourceRegion: SOURCE }));
    h.emulator.completePendingCopies();
    expect(h.emulator.getImage(DEST, doomed.ImageId ?? '')?.stateReason?.message).toBe(
      'Snapshot copy failed',
    );
    expect(h.emulator.getImage(DEST, fine.ImageId ?? '')?.state).toBe('available');
  });

  it('refuses a missing, unavailable or pending source, a bad SourceRegion and a bad duration', async () => {
    h = await startHarness({ disabledRegions: ['me-south-1'] });
    const copy = (input: Partial<ConstructorParameters<typeof CopyImageCommand>[0]>) =>
      h.client(DEST).send(
        new CopyImageCommand({
          Name: 'x-copy',
          SourceImageId: 'ami-0123456789abcdef0',
          SourceRegion: SOURCE,
          ...input,
        }),
      );
    const missing = await expectEc2Error(copy({}), 'InvalidAMIID.NotFound');
    expect(missing.message).toBe("The image id '[ami-0123456789abcdef0]' does not exist");
    await expectEc2Error(copy({ SourceImageId: 'bogus' }), 'InvalidAMIID.Malformed');
    const pending = seedSource({ name: 'still-pending', state: 'pending' });
    await expectEc2Error(copy({ SourceImageId: pending.imageId }), 'IncorrectState');
    const inOtherRegion = seedSource({ name: 'in-source' });
    await expectEc2Error(
      copy({ SourceImageId: inOtherRegion.imageId, SourceRegion: 'us-west-2' }),
      'InvalidAMIID.NotFound',
    );
    await expectEc2Error(
      copy({ SourceImageId: inOtherRegion.imageId, SourceRegion: 'mars-north-1' }),
      'InvalidRegion',
    );
    await expectEc2Error(
      copy({ SourceImageId: inOtherRegion.imageId, SourceRegion: 'me-south-1' }),
      'InvalidRegion',
    );
    await expectEc2Error(
      copy({ SourceImageId: inOtherRegion.imageId, SnapshotCopyCompletionDurationMinutes: 20 }),
      'InvalidParameterValue',
    );
    await expectEc2Error(
      copy({ SourceImageId: inOtherRegion.imageId, Name: 'ab' }),
      'InvalidAMIName.Malformed',
    );
    const foreignPrivate = seedSource({ name: 'foreign', ownerId: OTHER_ACCOUNT });
    await expectEc2Error(copy({ SourceImageId: foreignPrivate.imageId }), 'InvalidAMIID.NotFound');
    expect(h.emulator.listImages(DEST)).toEqual([]);
  });

  it('accepts a time-based copy duration in 15-minute steps and records it on the new snapshots', async () => {
    h = await startHarness();
    const source = seedSource();
    const out = await h.client(DEST).send(
      new CopyImageCommand({
        Name: 'time-based',
        SourceImageId: source.imageId,
        SourceRegion: SOURCE,
        SnapshotCopyCompletionDurationMinutes: 45,
      }),
    );
    const snapshots = await h.client(DEST).send(
      new DescribeSnapshotsCommand({
        SnapshotIds: h.emulator.getImage(DEST, out.ImageId ?? '')?.snapshotIds,
      }),
    );
    expect(snapshots.Snapshots?.map((s) => [s.TransferType, s.CompletionDurationMinutes])).toEqual([
      ['time-based', 45],
      ['time-based', 45],
    ]);
  });

  it('copies an instance-store image without snapshots', async () => {
    h = await startHarness();
    const source = seedSource({
      name: 'instance-store',
      rootDeviceType: 'instance-store',
      blockDeviceMappings: [],
    });
    const out = await h
      .client(DEST)
      .send(new CopyImageCommand({ Name: 'is-copy', SourceImageId: source.imageId, SourceRegion: SOURCE }));
    expect(h.emulator.getImage(DEST, out.ImageId ?? '')).toMatchObject({
      rootDeviceType: 'instance-store',
      snapshotIds: [],
    });
  });

  it('deregistering a pending copy cancels it: no available event, snapshots in error, quota freed', async () => {
    h = await startHarness({ maxConcurrentCopiesPerRegion: 1 });
    const source = seedSource();
    const out = await h
      .client(DEST)
      .send(new CopyImageCommand({ Name: 'cancelled', SourceImageId: source.imageId, SourceRegion: SOURCE }));
    const imageId = out.ImageId ?? '';
    const snapshotIds = h.emulator.getImage(DEST, imageId)?.snapshotIds ?? [];
    await h.client(DEST).send(new DeregisterImageCommand({ ImageId: imageId }));
    h.emulator.completePendingCopies();
    expect(h.emulator.getImage(DEST, imageId)?.state).toBe('deregistered');
    expect(snapshotIds.map((id) => h.emulator.getSnapshot(DEST, id)?.state)).toEqual(['error', 'error']);
    expect(h.events.map((event) => event.detail.State)).toEqual(['deregistered']);
    await h
      .client(DEST)
      .send(
        new CopyImageCommand({ Name: 'after-cancel', SourceImageId: source.imageId, SourceRegion: SOURCE }),
      );
  });

  it('refuses copies beyond the concurrent-copy limit of the destination region with ResourceLimitExceeded', async () => {
    h = await startHarness({ maxConcurrentCopiesPerRegion: 2 });
    const source = seedSource();
    const copy = (name: string, region = DEST) =>
      h
        .client(region)
        .send(new CopyImageCommand({ Name: name, SourceImageId: source.imageId, SourceRegion: SOURCE }));
    await copy('copy-1');
    await copy('copy-2');
    const refused = await expectEc2Error(copy('copy-3'), 'ResourceLimitExceeded');
    expect(refused.message).toMatch(/concurrent/);
    await copy('other-region', 'eu-west-2');
    h.emulator.completePendingCopies(DEST);
    await copy('copy-3');
    expect(h.emulator.listImages(DEST).map((image) => [image.name, image.state])).toEqual([
      ['copy-1', 'available'],
      ['copy-2', 'available'],
      ['copy-3', 'pending'],
    ]);
  });
});
