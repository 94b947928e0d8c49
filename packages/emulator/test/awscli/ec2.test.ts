import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACCOUNT, type Harness, OTHER_ACCOUNT, startHarness } from './ec2-harness.js';

/**
 * Compatibility with a client nobody here wrote: the AWS CLI drives the emulator over HTTP and the
 * tests read its JSON output. Debian's awscli (v2, /usr/bin/aws) is preferred; CI installs it.
 * Another `aws` on PATH is used only when Debian's is absent.
 */
const run = promisify(execFile);
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('AWS CLI against the emulator', () => {
  let h: Harness;
  let isV2 = false;

  beforeAll(async () => {
    h = await startHarness();
    const { stdout, stderr } = await run(AWS, ['--version'], { timeout: 60_000 });
    isV2 = /aws-cli\/2\./.test(`${stdout}${stderr}`);
  });
  afterAll(() => h.close());

  /** Runs `aws ec2 …` for `region`; resolves with the exit code instead of throwing on failure. */
  const aws = async (region: string, args: string[]): Promise<CliResult> => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: region,
      AWS_PAGER: '',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const flags = [
      '--endpoint-url',
      h.server.endpoint,
      '--output',
      'json',
      ...(isV2 ? ['--no-cli-pager'] : []),
    ];
    try {
      const { stdout, stderr } = await run(AWS, ['ec2', ...args, ...flags], { env, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      if (error instanceof Error && 'stdout' in error && 'stderr' in error && 'code' in error) {
        return { code: Number(error.code), stdout: String(error.stdout), stderr: String(error.stderr) };
      }
      throw error;
    }
  };

  const json = async (region: string, args: string[]): Promise<unknown> => {
    const result = await aws(region, args);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout.trim() === '' ? {} : JSON.parse(result.stdout);
  };

  /** Validates the CLI's parsed JSON down to the fields a test reads. */
  const DescribeImagesOutput = z.object({
    Images: z.array(z.record(z.string(), z.unknown())),
    NextToken: z.string().optional(),
  });
  const images = (output: unknown) => DescribeImagesOutput.parse(output).Images;

  it('describe-images with filters, and pagination by --page-size, --max-items/--starting-token and --max-results', async () => {
    for (let i = 0; i < 7; i += 1) {
      h.emulator.seedImage({
        region: 'us-east-2',
        name: `web-${i}`,
        tags: { Team: i % 2 === 0 ? 'web' : 'ops' },
        emitEvent: false,
      });
    }
    h.emulator.seedImage({ region: 'us-east-2', name: 'db-1', tags: { Team: 'data' }, emitEvent: false });

    const filtered = images(
      await json('us-east-2', [
        'describe-images',
        '--owners',
        'self',
        '--filters',
        'Name=name,Values=web-*',
        'Name=tag:Team,Values=web',
      ]),
    );
    expect(filtered.map((image) => image.Name).sort()).toEqual(['web-0', 'web-2', 'web-4', 'web-6']);
    expect(filtered[0]).toMatchObject({ OwnerId: ACCOUNT, State: 'available', RootDeviceType: 'ebs' });

    const all = images(await json('us-east-2', ['describe-images', '--owners', 'self', '--page-size', '3']));
    expect(all).toHaveLength(8);
    expect(h.emulator.counters().DescribeImages?.['us-east-2']?.calls).toBeGreaterThanOrEqual(3);

    const firstPage = await json('us-east-2', [
      'describe-images',
      '--owners',
      'self',
      '--max-items',
      '5',
      '--page-size',
      '2',
    ]);
    expect(images(firstPage)).toHaveLength(5);
    const token = DescribeImagesOutput.parse(firstPage).NextToken ?? '';
    expect(token).not.toBe('');
    const rest = images(
      await json('us-east-2', ['describe-images', '--owners', 'self', '--starting-token', token]),
    );
    const names = [...images(firstPage), ...rest].map((image) => image.Name);
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);

    const raw = await json('us-east-2', ['describe-images', '--owners', 'self', '--max-results', '5']);
    expect(images(raw)).toHaveLength(5);
    expect(raw).toHaveProperty('NextToken');
  });

  it('reports an unknown image as InvalidAMIID.NotFound with a non-zero exit', async () => {
    const result = await aws('us-east-1', ['describe-images', '--image-ids', 'ami-abcd1234']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('InvalidAMIID.NotFound');
    expect(result.stderr).toContain("The image id '[ami-abcd1234]' does not exist");
  });

  it('copy-image with a client token, tags and copied tags; the copy becomes available', async () => {
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
    expect(await json('ca-central-1', args)).toEqual({ ImageId: imageId });

    const pending = images(await json('ca-central-1', ['describe-images', '--image-ids', imageId]));
    expect(pending[0]).toMatchObject({ ImageId: imageId, State: 'pending' });
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

    const mismatch = await aws('ca-central-1', [...args.slice(0, 6), 'other-name', ...args.slice(7)]);
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toContain('IdempotentParameterMismatch');
  });

  it('modify-image-attribute (structured, flat and description) and describe-image-attribute', async () => {
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

    await json('eu-west-2', [
      'modify-image-attribute',
      '--image-id',
      imageId,
      '--attribute',
      'launchPermission',
      '--operation-type',
      'remove',
      '--user-groups',
      'all',
    ]);
    await json('eu-west-2', [
      'modify-image-attribute',
      '--image-id',
      imageId,
      '--description',
      'Value=from the CLI',
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

    const bad = await aws('eu-west-2', [
      'modify-image-attribute',
      '--image-id',
      imageId,
      '--launch-permission',
      'Add=[{UserId=not-an-account}]',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('InvalidAMIAttributeItemValue');
  });

  it('create-tags on an image and its snapshot, describe-snapshots by tag, deregister-image', async () => {
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

    const snapshots = await json('eu-north-1', [
      'describe-snapshots',
      '--owner-ids',
      'self',
      '--filters',
      'Name=tag:Team,Values=web',
    ]);
    expect(snapshots).toMatchObject({
      Snapshots: [
        { SnapshotId: snapshotId, State: 'completed', OwnerId: ACCOUNT, VolumeSize: 8, Encrypted: false },
      ],
    });

    const inUse = await aws('eu-north-1', ['delete-snapshot', '--snapshot-id', snapshotId]);
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toContain('InvalidSnapshot.InUse');

    await json('eu-north-1', ['deregister-image', '--image-id', imageId]);
    expect(images(await json('eu-north-1', ['describe-images', '--owners', 'self']))).toEqual([]);
    expect(h.events.find((event) => event.detail.ImageId === imageId)?.detail.State).toBe('deregistered');
    const again = await aws('eu-north-1', ['deregister-image', '--image-id', imageId]);
    expect(again.stderr).toContain('InvalidAMIID.Unavailable');
  });
});
