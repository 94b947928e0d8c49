import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImageReferencesCommand,
  type DescribeImageReferencesCommandInput,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import {
  createEc2Emulator,
  type ExternalImageReference,
  type ImageReferenceSource,
} from '../src/ec2/index.js';
import { ACCOUNT, expectEc2Error, OTHER_ACCOUNT, useHarness } from './ec2-harness.js';

/**
 * DescribeImageReferences over launch templates created through the API, and over references
 * other emulated services contribute through `addReferenceSource` / the `referenceSources` option.
 */

const REGION = 'us-east-1';

/** An SSM-like source: parameters by account and region, each naming an image. */
function parameterSource(
  parameters: ReadonlyArray<{ account: string; region: string; name: string; imageId: string }>,
) {
  const calls: Array<{ account: string; region: string; imageIds: readonly string[] }> = [];
  const source: ImageReferenceSource = (account, region, imageIds) => {
    calls.push({ account, region, imageIds });
    return parameters
      .filter((parameter) => parameter.account === account && parameter.region === region)
      .map(
        (parameter): ExternalImageReference => ({
          imageId: parameter.imageId,
          resourceType: 'ssm:Parameter',
          arn: `arn:aws:ssm:${region}:${account}:parameter/${parameter.name}`,
        }),
      );
  };
  return { source, calls };
}

describe('DescribeImageReferences: created templates and contributed references', () => {
  const h = useHarness();
  const references = async (input: DescribeImageReferencesCommandInput, client = h.client()) =>
    ((await client.send(new DescribeImageReferencesCommand(input))).ImageReferences ?? [])
      .map((reference) => `${reference.ImageId} ${reference.ResourceType} ${reference.Arn}`)
      .sort();

  it('counts a created template while one of its newest version-depth versions names the image', async () => {
    const { imageId } = h.emulator.seedImage({ region: REGION, name: 'v1', emitEvent: false });
    const { imageId: nextId } = h.emulator.seedImage({ region: REGION, name: 'v2', emitEvent: false });
    const created = await h.client().send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web',
        LaunchTemplateData: { ImageId: imageId },
      }),
    );
    const templateId = created.LaunchTemplate?.LaunchTemplateId ?? '';
    const arn = `arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/${templateId}`;
    for (let i = 0; i < 2; i += 1) {
      await h.client().send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: templateId,
          SourceVersion: '$Latest',
          LaunchTemplateData: { ImageId: nextId },
        }),
      );
    }
    const depth = (value: string) => ({
      ImageIds: [imageId, nextId],
      ResourceTypes: [
        {
          ResourceType: 'ec2:LaunchTemplate' as const,
          ResourceTypeOptions: [{ OptionName: 'version-depth' as const, OptionValues: [value] }],
        },
      ],
    });
    expect(await references({ ImageIds: [imageId, nextId], IncludeAllResourceTypes: true })).toEqual(
      [`${imageId} ec2:LaunchTemplate ${arn}`, `${nextId} ec2:LaunchTemplate ${arn}`].sort(),
    );
    // Version 1 (the default) is outside the newest two: the documented depth, not the default, decides.
    expect(await references(depth('2'))).toEqual([`${nextId} ec2:LaunchTemplate ${arn}`]);
    expect(await references(depth('3'))).toHaveLength(2);
    // Another account's call does not see this account's templates.
    await expectEc2Error(
      h
        .client(REGION, OTHER_ACCOUNT)
        .send(new DescribeImageReferencesCommand({ ImageIds: [imageId], IncludeAllResourceTypes: true })),
      'InvalidAMIID.NotFound',
    );
  });

  it('asks each source for the caller, region and images, and keeps what was asked for, once', async () => {
    const { imageId } = h.emulator.seedImage({ region: REGION, name: 'golden', emitEvent: false });
    const { imageId: otherId } = h.emulator.seedImage({ region: REGION, name: 'other', emitEvent: false });
    const { source, calls } = parameterSource([
      { account: ACCOUNT, region: REGION, name: 'golden/linux/latest', imageId },
      { account: ACCOUNT, region: REGION, name: 'golden/other', imageId: otherId },
      { account: ACCOUNT, region: 'eu-west-1', name: 'golden/linux/latest', imageId },
      { account: OTHER_ACCOUNT, region: REGION, name: 'theirs', imageId },
    ]);
    const remove = h.emulator.addReferenceSource(source);
    // The same reference seeded as well: reported once.
    h.emulator.seedImageReference({
      region: REGION,
      imageId,
      resourceType: 'ssm:Parameter',
      arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/golden/linux/latest`,
    });
    const parameterArn = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/golden/linux/latest`;

    expect(await references({ ImageIds: [imageId, imageId], IncludeAllResourceTypes: true })).toEqual([
      `${imageId} ssm:Parameter ${parameterArn}`,
    ]);
    expect(calls).toEqual([{ account: ACCOUNT, region: REGION, imageIds: [imageId] }]);
    expect(
      await references({ ImageIds: [imageId], ResourceTypes: [{ ResourceType: 'ssm:Parameter' }] }),
    ).toEqual([`${imageId} ssm:Parameter ${parameterArn}`]);
    // A request for EC2's own types only does not consult the sources.
    expect(
      await references({ ImageIds: [imageId], ResourceTypes: [{ ResourceType: 'ec2:Instance' }] }),
    ).toEqual([]);
    expect(
      await references({
        ImageIds: [imageId],
        ResourceTypes: [{ ResourceType: 'imagebuilder:ImageRecipe' }],
      }),
    ).toEqual([]);
    expect(calls).toHaveLength(3);

    remove();
    h.emulator.seedImageReference({
      region: REGION,
      imageId,
      resourceType: 'ssm:Parameter',
      arn: 'arn:aws:ssm:seeded',
    });
    expect(await references({ ImageIds: [imageId], IncludeAllResourceTypes: true })).toEqual(
      [`${imageId} ssm:Parameter ${parameterArn}`, `${imageId} ssm:Parameter arn:aws:ssm:seeded`].sort(),
    );
    expect(calls).toHaveLength(3);

    const eleven = Array.from({ length: 11 }, (_, i) => `ami-${String(i).padStart(17, '0')}`);
    await expectEc2Error(
      h
        .client()
        .send(new DescribeImageReferencesCommand({ ImageIds: eleven, IncludeAllResourceTypes: true })),
      'InvalidParameterValue',
    );
  });
});

describe('DescribeImageReferences: sources given as an option', () => {
  /** Claims every image it is asked about, so the test needs no image id in advance. */
  const everything: ImageReferenceSource = (account, region, imageIds) =>
    imageIds.map((imageId) => ({
      imageId,
      resourceType: 'imagebuilder:ImageRecipe',
      arn: `arn:aws:imagebuilder:${region}:${account}:image-recipe/golden/1.0.0`,
    }));
  const h = useHarness({ referenceSources: [everything] });

  it('consults the referenceSources option from the start, and only for visible images', async () => {
    const { imageId } = h.emulator.seedImage({ region: REGION, name: 'any', emitEvent: false });
    const out = await h
      .client()
      .send(new DescribeImageReferencesCommand({ ImageIds: [imageId], IncludeAllResourceTypes: true }));
    expect(out.ImageReferences).toEqual([
      {
        ImageId: imageId,
        ResourceType: 'imagebuilder:ImageRecipe',
        Arn: `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:image-recipe/golden/1.0.0`,
      },
    ]);
    await expectEc2Error(
      h.client().send(
        new DescribeImageReferencesCommand({
          ImageIds: [imageId, 'ami-00000000000000001'],
          IncludeAllResourceTypes: true,
        }),
      ),
      'InvalidAMIID.NotFound',
    );
    expect(() => createEc2Emulator({ referenceSources: [everything], copyDelayMs: 0 }).close()).not.toThrow();
  });
});
