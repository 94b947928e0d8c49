import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { z } from 'zod';
import { type Harness, startHarness } from '../ec2-harness.js';
import { AWS, awsJson } from './aws.js';

/**
 * The AWS CLI's launch template and disable commands against the EC2 emulator. Debian's awscli
 * 2.9 has the launch template commands but not `disable-image`/`enable-image` (added to the CLI
 * after it) nor `describe-images --include-disabled`; the disable test runs only where the
 * installed CLI knows the commands, and the SDK tests (ec2-disable.test.ts) cover them meanwhile.
 */

/** Whether the installed CLI has `aws ec2 <command>` (its help exits 0; an unknown command 252). */
function knows(command: string): boolean {
  const result = spawnSync(AWS, ['ec2', command, 'help'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      PAGER: 'cat',
      MANPAGER: 'cat',
    },
    stdio: 'ignore',
    timeout: 60_000,
  });
  return result.status === 0;
}

const Template = z.object({
  LaunchTemplateId: z.string(),
  LaunchTemplateName: z.string(),
  DefaultVersionNumber: z.number(),
  LatestVersionNumber: z.number(),
});
const Version = z.object({
  VersionNumber: z.number(),
  DefaultVersion: z.boolean(),
  LaunchTemplateData: z.record(z.string(), z.unknown()),
});

describe.concurrent('AWS CLI: launch templates and disabled images', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const json = (region: string, args: string[]): Promise<unknown> =>
    awsJson(['ec2', ...args], { endpoint: h.server.endpoint, region });

  it('create-launch-template, create-launch-template-version from $Default with a new image, modify-launch-template', async ({
    expect,
  }) => {
    const region = 'ap-south-1';
    const data = {
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 't3.micro',
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, VolumeType: 'gp3' } }],
    };
    const created = z
      .object({ LaunchTemplate: Template })
      .parse(
        await json(region, [
          'create-launch-template',
          '--launch-template-name',
          'web',
          '--version-description',
          'first',
          '--launch-template-data',
          JSON.stringify(data),
          '--tag-specifications',
          'ResourceType=launch-template,Tags=[{Key=Owner,Value=ops}]',
        ]),
      ).LaunchTemplate;
    expect(created).toMatchObject({
      LaunchTemplateName: 'web',
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
    });

    const version = z
      .object({ LaunchTemplateVersion: Version })
      .parse(
        await json(region, [
          'create-launch-template-version',
          '--launch-template-id',
          created.LaunchTemplateId,
          '--source-version',
          '$Default',
          '--launch-template-data',
          '{"ImageId":"ami-0fedcba9876543210"}',
        ]),
      ).LaunchTemplateVersion;
    expect(version).toEqual({
      ...version,
      VersionNumber: 2,
      DefaultVersion: false,
      LaunchTemplateData: { ...data, ImageId: 'ami-0fedcba9876543210' },
    });

    const modified = z
      .object({ LaunchTemplate: Template })
      .parse(
        await json(region, [
          'modify-launch-template',
          '--launch-template-name',
          'web',
          '--default-version',
          '2',
        ]),
      );
    expect(modified.LaunchTemplate.DefaultVersionNumber).toBe(2);
    const defaults = z
      .object({ LaunchTemplateVersions: z.array(Version) })
      .parse(await json(region, ['describe-launch-template-versions', '--versions', '$Default']));
    expect(defaults.LaunchTemplateVersions.map((each) => each.LaunchTemplateData.ImageId)).toEqual([
      'ami-0fedcba9876543210',
    ]);
    const listed = z
      .object({
        LaunchTemplates: z.array(
          Template.extend({ Tags: z.array(z.object({ Key: z.string(), Value: z.string() })) }),
        ),
      })
      .parse(await json(region, ['describe-launch-templates', '--filters', 'Name=tag:Owner,Values=ops']));
    expect(listed.LaunchTemplates.map((each) => [each.LaunchTemplateName, each.LatestVersionNumber])).toEqual(
      [['web', 2]],
    );
    await json(region, ['delete-launch-template', '--launch-template-id', created.LaunchTemplateId]);
    expect(
      z
        .object({ LaunchTemplates: z.array(Template) })
        .parse(await json(region, ['describe-launch-templates'])).LaunchTemplates,
    ).toEqual([]);
  });

  it.skipIf(!knows('disable-image'))('disable-image and enable-image', async ({ expect }) => {
    const region = 'ap-northeast-1';
    const { imageId } = h.emulator.seedImage({ region, name: 'cli-disable', emitEvent: false });
    expect(await json(region, ['disable-image', '--image-id', imageId])).toEqual({ Return: true });
    const images = z.object({ Images: z.array(z.object({ ImageId: z.string(), State: z.string() })) });
    expect(images.parse(await json(region, ['describe-images', '--image-ids', imageId])).Images).toEqual([]);
    expect(
      images.parse(await json(region, ['describe-images', '--image-ids', imageId, '--include-disabled']))
        .Images,
    ).toEqual([{ ImageId: imageId, State: 'disabled' }]);
    expect(await json(region, ['enable-image', '--image-id', imageId])).toEqual({ Return: true });
    expect(h.emulator.getImage(region, imageId)?.state).toBe('available');
  });
});
