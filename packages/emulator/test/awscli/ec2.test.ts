import { afterAll, beforeAll, describe, it } from 'vitest';
import { z } from 'zod';
import { ACCOUNT, type Harness, OTHER_ACCOUNT, startHarness } from '../ec2-harness.js';
import { type AwsResult, aws as awsCli, awsJson } from './aws.js';

/**
 * The AWS CLI's EC2 commands against the EC2 emulator; the tests read the CLI's JSON output. They
 * share one emulator, each in regions of its own, so they run concurrently. What a test only reads
 * back in passing, and errors the SDK tests already check (InvalidAMIAttributeItemValue,
 * InvalidAMIID.Unavailable), are read from the emulator: each CLI command is a third of a second
 * of CPU.
 */
describe.concurrent('AWS CLI against the emulator', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  /** `aws ec2 …` in `region`, resolving with the exit code instead of throwing on failure. */
  const aws = (region: string, args: string[]): Promise<AwsResult> =>
    awsCli(['ec2', ...args], { endpoint: h.server.endpoint, region });
  const json = (region: string, args: string[]): Promise<unknown> =>
    awsJson(['ec2', ...args], { endpoint: h.server.endpoint, region });

  /** Validates the CLI's parsed JSON down to the fields a test reads. */
  const DescribeImagesOutput = z.object({
    Images: z.array(z.record(z.string(), z.unknown())),
    NextToken: z.string().optional(),
  });
  const images = (output: unknown) => DescribeImagesOutput.parse(output).Images;

  it('describe-images with filters, and pagination by --page-size, --max-items/--starting-token and --max-results', async ({
    expect,
  }) => {
    for (let i = 0; i < 7; i += 1) {
      h.emulator.seedImage({
        region: 'us-east-2',
        name: `web-${i}`,
        tags: { Team: i % 2 === 0 ? 'web' : 'ops' },
        emitEvent: false,
      });
    }
    h.emulator.seedImage({ region: 'us-east-2', name: 'db-1', tags: { Team: 'data' }, emitEvent: false });

    // Independent listings at once; the continuation waits for its token, and the --page-size
    // listing runs alone so the requests it makes can be counted.
    const [filteredOutput, firstPage, raw] = await Promise.all([
      json('us-east-2', [
        'describe-images',
        '--owners',
        'self',
        '--filters',
        'Name=name,Values=web-*',
        'Name=tag:Team,Values=web',
      ]),
      json('us-east-2', ['describe-images', '--owners', 'self', '--max-items', '5', '--page-size', '2']),
      json('us-east-2', ['describe-images', '--owners', 'self', '--max-results', '5']),
    ]);

    const filtered = images(filteredOutput);
    expect(filtered.map((image) => image.Name).sort()).toEqual(['web-0', 'web-2', 'web-4', 'web-6']);
    expect(filtered[0]).toMatchObject({ OwnerId: ACCOUNT, State: 'available', RootDeviceType: 'ebs' });

    expect(images(firstPage)).toHaveLength(5);
    const token = DescribeImagesOutput.parse(firstPage).NextToken ?? '';
    expect(token).not.toBe('');
    const rest = images(
      await json('us-east-2', ['describe-images', '--owners', 'self', '--starting-token', token]),
    );
    const names = [...images(firstPage), ...rest].map((image) => image.Name);
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);

    expect(images(raw)).toHaveLength(5);
    expect(raw).toHaveProperty('NextToken');

    const calls = () => h.emulator.counters().DescribeImages?.['us-east-2']?.calls ?? 0;
    const before = calls();
    const all = images(await json('us-east-2', ['describe-images', '--owners', 'self', '--page-size', '3']));
    expect(all).toHaveLength(8);
    // The CLI follows NextToken itself: 8 images in pages of 3 are 3 requests.
    expect(calls() - before).toBe(3);
  });

  it('reports an unknown image as InvalidAMIID.NotFound with a non-zero exit', async ({ expect }) => {
    const result = await aws('us-east-1', ['describe-images', '--image-ids', 'ami-abcd1234']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('InvalidAMIID.NotFound');
    expect(result.stderr).toContain("The image id '[ami-abcd1234]' does not exist");
  });

  it('copy-image with a client token, tags and copied tags; the copy becomes available', async ({
    expect,
  }) => {
    const source = h.emulator.seedImage({
      region: 'us-west-1',
      name: 'cli-source',
      tags: { Team: 'platform' },
      emitEvent: false,
    });
    const args = [
      'copy-image',
      '--source-region',
      'us-west-1',
      '--source-image-id',
      source.imageId,
      '--name',
      'cli-copy',
      '--client-token',
      'cli-token-1',
      '--description',
      'copied by the CLI',
      '--copy-image-tags',
    ];
    // (Debian's awscli 2.9 predates CopyImage TagSpecifications; the SDK tests cover them.)
    const { ImageId: imageId } = z.object({ ImageId: z.string() }).parse(await json('ca-central-1', args));
    // Once the copy exists: the same request again, and the same client token with another name,
    // at once.
    const [again, mismatch] = await Promise.all([
      json('ca-central-1', args),
      aws('ca-central-1', [...args.slice(0, 6), 'other-name', ...args.slice(7)]),
    ]);
    expect(again).toEqual({ ImageId: imageId });
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toContain('IdempotentParameterMismatch');

    expect(h.emulator.getImage('ca-central-1', imageId)).toMatchObject({ imageId, state: 'pending' });
    // (awscli 2.9's model predates sourceImageId/sourceImageRegion, so it drops them; the SDK tests read them.)
    expect(h.emulator.getImage('ca-central-1', imageId)).toMatchObject({
      sourceImageId: source.imageId,
      sourceImageRegion: 'us-west-1',
    });
    h.emulator.completePendingCopies();
    const [copy] = images(await json('ca-central-1', ['describe-images', '--image-ids', imageId]));
    expect(copy).toMatchObject({
      State: 'available',
      Name: 'cli-copy',
      Description: 'copied by the CLI',
      Tags: [{ Key: 'Team', Value: 'platform' }],
    });
    const snapshotIds = h.emulator.getImage('ca-central-1', imageId)?.snapshotIds ?? [];
    expect(snapshotIds).toHaveLength(1);
    expect(snapshotIds).not.toEqual(source.snapshotIds);
    expect(h.events.find((event) => event.detail.ImageId === imageId)).toMatchObject({
      region: 'ca-central-1',
      detail: { State: 'available' },
    });
  });

  it('modify-image-attribute (structured, flat and description) and describe-image-attribute', async ({
    expect,
  }) => {
    const { imageId } = h.emulator.seedImage({ region: 'eu-west-2', name: 'cli-share', emitEvent: false });
    await json('eu-west-2', [
      'modify-image-attribute',
      '--image-id',
      imageId,
      '--launch-permission',
      `Add=[{UserId=${OTHER_ACCOUNT}},{Group=all}]`,
    ]);
    const shared = await json('eu-west-2', [
      'describe-image-attribute',
      '--image-id',
      imageId,
      '--attribute',
      'launchPermission',
    ]);
    expect(shared).toEqual({
      ImageId: imageId,
      LaunchPermissions: [{ Group: 'all' }, { UserId: OTHER_ACCOUNT }],
    });

    // The flat form and the description form, on the same image at once.
    await Promise.all([
      json('eu-west-2', [
        'modify-image-attribute',
        '--image-id',
        imageId,
        '--attribute',
        'launchPermission',
        '--operation-type',
        'remove',
        '--user-groups',
        'all',
      ]),
      json('eu-west-2', [
        'modify-image-attribute',
        '--image-id',
        imageId,
        '--description',
        'Value=from the CLI',
      ]),
    ]);
    const description = await json('eu-west-2', [
      'describe-image-attribute',
      '--image-id',
      imageId,
      '--attribute',
      'description',
    ]);
    expect(description).toEqual({ ImageId: imageId, Description: { Value: 'from the CLI' } });
    expect(h.emulator.getImage('eu-west-2', imageId)?.launchPermissions).toMatchObject({
      public: false,
      userIds: [OTHER_ACCOUNT],
    });
  });

  it('create-tags on an image and its snapshot, describe-snapshots by tag, deregister-image', async ({
    expect,
  }) => {
    const { imageId, snapshotIds } = h.emulator.seedImage({
      region: 'eu-north-1',
      name: 'cli-retire',
      emitEvent: false,
    });
    const snapshotId = snapshotIds[0] ?? '';
    await json('eu-north-1', [
      'create-tags',
      '--resources',
      imageId,
      snapshotId,
      '--tags',
      'Key=Team,Value=web',
      'Key=Empty,Value=',
    ]);
    expect(h.emulator.getImage('eu-north-1', imageId)?.tags).toEqual({ Team: 'web', Empty: '' });

    const [snapshots, inUse] = await Promise.all([
      json('eu-north-1', [
        'describe-snapshots',
        '--owner-ids',
        'self',
        '--filters',
        'Name=tag:Team,Values=web',
      ]),
      aws('eu-north-1', ['delete-snapshot', '--snapshot-id', snapshotId]),
    ]);
    expect(snapshots).toMatchObject({
      Snapshots: [
        { SnapshotId: snapshotId, State: 'completed', OwnerId: ACCOUNT, VolumeSize: 8, Encrypted: false },
      ],
    });
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toContain('InvalidSnapshot.InUse');

    await json('eu-north-1', ['deregister-image', '--image-id', imageId]);
    expect(h.events.find((event) => event.detail.ImageId === imageId)?.detail.State).toBe('deregistered');
    expect(images(await json('eu-north-1', ['describe-images', '--owners', 'self']))).toEqual([]);
  });
});
