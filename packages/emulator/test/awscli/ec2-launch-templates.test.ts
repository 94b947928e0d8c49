import { DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { z } from 'zod';
import { type Harness, startHarness } from '../ec2-harness.js';
import { awsJson } from './aws.js';

/**
 * The AWS CLI's launch template commands against the EC2 emulator. Debian's awscli 2.9 has them,
 * but not `disable-image`/`enable-image` (added to the CLI after it) nor `describe-images
 * --include-disabled`: those are covered by the SDK tests (ec2-disable.test.ts), and were checked
 * by hand with AWS CLI 1.45 (botocore 1.43), as the emulator's README says.
 */

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
    // Read back by the SDK (describe-launch-templates is the CLI's above): each CLI command is a
    // third of a second of CPU.
    const left = await h.client(region).send(new DescribeLaunchTemplatesCommand({}));
    expect(left.LaunchTemplates ?? []).toEqual([]);
  });
});
