import {
  DescribeImageAttributeCommand,
  DescribeImageReferencesCommand,
  type DescribeImageReferencesCommandInput,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type DescribeLaunchTemplateVersionsCommandInput,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, expectEc2Error, OTHER_ACCOUNT, useHarness } from './ec2-harness.js';

const REGION = 'us-east-1';

describe('what uses an image: instances, launch templates, image references', () => {
  const h = useHarness();
  let imageId: string;
  let otherImageId: string;
  beforeEach(() => {
    imageId = h.emulator.seedImage({ region: REGION, name: 'in-use', emitEvent: false }).imageId;
    otherImageId = h.emulator.seedImage({ region: REGION, name: 'unused', emitEvent: false }).imageId;
  });

  it('DescribeInstances finds instances by image-id and state, and seeding records lastLaunchedTime', async () => {
    const running = h.emulator.seedInstance({
      region: REGION,
      imageId,
      launchTime: new Date('2026-02-01T00:00:00Z'),
      tags: { Name: 'web-1' },
    });
    const stopped = h.emulator.seedInstance({
      region: REGION,
      imageId,
      state: 'stopped',
      launchTime: new Date('2026-01-01T00:00:00Z'),
    });
    h.emulator.seedInstance({ region: REGION, imageId: otherImageId });
    h.emulator.seedInstance({
      region: REGION,
      imageId,
      ownerId: OTHER_ACCOUNT,
      launchTime: new Date('2025-12-01T00:00:00Z'),
    });

    const out = await h
      .client()
      .send(new DescribeInstancesCommand({ Filters: [{ Name: 'image-id', Values: [imageId] }] }));
    const instances = (out.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
    expect(instances.map((instance) => instance.InstanceId).sort()).toEqual([running, stopped].sort());
    expect(instances.find((instance) => instance.InstanceId === running)).toMatchObject({
      ImageId: imageId,
      State: { Code: 16, Name: 'running' },
      InstanceType: 't3.micro',
      LaunchTime: new Date('2026-02-01T00:00:00Z'),
      Tags: [{ Key: 'Name', Value: 'web-1' }],
    });
    expect(out.Reservations?.[0]?.OwnerId).toBe(ACCOUNT);

    const runningOnly = await h.client().send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'image-id', Values: [imageId] },
          { Name: 'instance-state-name', Values: ['running', 'pending'] },
        ],
      }),
    );
    expect(runningOnly.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([
      running,
    ]);

    const lastLaunched = await h
      .client()
      .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'lastLaunchedTime' }));
    expect(lastLaunched.LastLaunchedTime).toEqual({ Value: '2026-02-01T00:00:00.000Z' });

    await expectEc2Error(
      h.client().send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
      'InvalidInstanceID.NotFound',
    );
    await expectEc2Error(
      h.client().send(new DescribeInstancesCommand({ InstanceIds: [running], MaxResults: 5 })),
      'InvalidParameterCombination',
    );
  });

  it('DescribeLaunchTemplateVersions by id, name, version selectors, filters, and $Latest across templates', async () => {
    const templateId = h.emulator.seedLaunchTemplate({
      region: REGION,
      name: 'web',
      versions: [
        { imageId: otherImageId },
        { imageId, description: 'new ami' },
        { imageId: otherImageId, instanceType: 'm7g.large' },
      ],
      defaultVersion: 2,
    });
    const otherTemplate = h.emulator.seedLaunchTemplate({
      region: REGION,
      name: 'batch',
      versions: [{ imageId }],
    });
    const versions = async (input: DescribeLaunchTemplateVersionsCommandInput) =>
      (
        (await h.client().send(new DescribeLaunchTemplateVersionsCommand(input))).LaunchTemplateVersions ?? []
      ).map((version) => [
        version.LaunchTemplateName,
        version.VersionNumber,
        version.LaunchTemplateData?.ImageId,
        version.DefaultVersion,
      ]);

    expect(await versions({ LaunchTemplateId: templateId })).toEqual([
      ['web', 1, otherImageId, false],
      ['web', 2, imageId, true],
      ['web', 3, otherImageId, false],
    ]);
    expect(await versions({ LaunchTemplateName: 'web', Versions: ['$Default'] })).toEqual([
      ['web', 2, imageId, true],
    ]);
    expect(await versions({ LaunchTemplateName: 'web', MinVersion: '1', MaxVersion: '2' })).toEqual([
      ['web', 2, imageId, true],
    ]);
    expect(
      await versions({ LaunchTemplateId: templateId, Filters: [{ Name: 'image-id', Values: [imageId] }] }),
    ).toEqual([['web', 2, imageId, true]]);
    expect((await versions({ Versions: ['$Latest'] })).sort()).toEqual([
      ['batch', 1, imageId, true],
      ['web', 3, otherImageId, false],
    ]);
    const [described] =
      (await h.client().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: otherTemplate })))
        .LaunchTemplateVersions ?? [];
    expect(described).toMatchObject({
      LaunchTemplateId: otherTemplate,
      CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
    });
    expect(described?.CreateTime).toBeInstanceOf(Date);

    await expectEc2Error(
      h.client().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'nope' })),
      'InvalidLaunchTemplateName.NotFoundException',
    );
    await expectEc2Error(
      h
        .client()
        .send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-0123456789abcdef0' })),
      'InvalidLaunchTemplateId.NotFound',
    );
    await expectEc2Error(
      h.client().send(new DescribeLaunchTemplateVersionsCommand({ Versions: ['1'] })),
      'InvalidParameterValue',
    );
  });

  it('DescribeImageReferences lists instances, launch templates (within version-depth) and seeded references', async () => {
    const instanceId = h.emulator.seedInstance({ region: REGION, imageId });
    h.emulator.seedInstance({ region: REGION, imageId, state: 'terminated' });
    const oldTemplate = h.emulator.seedLaunchTemplate({
      region: REGION,
      name: 'old-reference',
      versions: [{ imageId }, ...Array.from({ length: 10 }, () => ({ imageId: otherImageId }))],
    });
    const recentTemplate = h.emulator.seedLaunchTemplate({
      region: REGION,
      name: 'recent',
      versions: [{ imageId }],
    });
    const parameterArn = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/golden/ami`;
    h.emulator.seedImageReference({
      region: REGION,
      imageId,
      resourceType: 'ssm:Parameter',
      arn: parameterArn,
    });

    const references = async (input: DescribeImageReferencesCommandInput) =>
      ((await h.client().send(new DescribeImageReferencesCommand(input))).ImageReferences ?? [])
        .map((reference) => `${reference.ResourceType} ${reference.Arn}`)
        .sort();

    const everything = await references({ ImageIds: [imageId], IncludeAllResourceTypes: true });
    expect(everything).toHaveLength(4);
    expect(everything).toContain(`ec2:Instance arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`);
    expect(everything).toContain(
      `ec2:LaunchTemplate arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/${recentTemplate}`,
    );
    expect(everything).toContain(`ssm:Parameter ${parameterArn}`);
    expect(everything.some((reference) => reference.includes(oldTemplate))).toBe(false);

    const deeper = await references({
      ImageIds: [imageId],
      ResourceTypes: [
        {
          ResourceType: 'ec2:LaunchTemplate',
          ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['11'] }],
        },
      ],
    });
    expect(deeper).toEqual(
      [
        `ec2:LaunchTemplate arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/${oldTemplate}`,
        `ec2:LaunchTemplate arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/${recentTemplate}`,
      ].sort(),
    );
    const runningOnly = await references({
      ImageIds: [imageId],
      ResourceTypes: [
        {
          ResourceType: 'ec2:Instance',
          ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['running'] }],
        },
      ],
    });
    expect(runningOnly).toEqual([`ec2:Instance arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`]);
    expect(
      await references({ ImageIds: [otherImageId], ResourceTypes: [{ ResourceType: 'ssm:Parameter' }] }),
    ).toEqual([]);

    await expectEc2Error(
      h.client().send(new DescribeImageReferencesCommand({ ImageIds: [imageId] })),
      'InvalidParameterCombination',
    );
    await expectEc2Error(
      h.client().send(
        new DescribeImageReferencesCommand({
          ImageIds: ['ami-0123456789abcdef0'],
          IncludeAllResourceTypes: true,
        }),
      ),
      'InvalidAMIID.NotFound',
    );
  });
});
