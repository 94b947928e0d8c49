import {
  CreateLaunchTemplateCommand,
  type CreateLaunchTemplateCommandInput,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplatesCommand,
  type DescribeLaunchTemplatesCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  type DescribeLaunchTemplateVersionsCommandInput,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, expectEc2Error, OTHER_ACCOUNT, useHarness } from './ec2-harness.js';

/**
 * Launch templates through the SDK: CreateLaunchTemplate, CreateLaunchTemplateVersion (the
 * SourceVersion merge), ModifyLaunchTemplate, DescribeLaunchTemplates, DeleteLaunchTemplate, and
 * DescribeLaunchTemplateVersions over created and seeded templates.
 */

const REGION = 'us-east-1';
const NOW = new Date('2026-03-01T12:00:00Z');
const AMI_1 = 'ami-0123456789abcdef0';
const AMI_2 = 'ami-0fedcba9876543210';

/** Launch parameters of several shapes: values, structures, lists of structures and of values. */
const DATA = {
  ImageId: AMI_1,
  InstanceType: 't3.micro',
  KeyName: 'ops',
  SecurityGroupIds: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
  MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
  BlockDeviceMappings: [
    {
      DeviceName: '/dev/xvda',
      Ebs: { VolumeSize: 20, VolumeType: 'gp3', SnapshotId: 'snap-0123456789abcdef0' },
    },
  ],
  TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Team', Value: 'web' }] }],
} as const satisfies CreateLaunchTemplateCommandInput['LaunchTemplateData'];

describe('launch templates', () => {
  const h = useHarness({ now: () => NOW });
  const create = (input: CreateLaunchTemplateCommandInput, client = h.client()) =>
    client.send(new CreateLaunchTemplateCommand(input));
  const versions = async (input: DescribeLaunchTemplateVersionsCommandInput) =>
    (await h.client().send(new DescribeLaunchTemplateVersionsCommand(input))).LaunchTemplateVersions ?? [];
  const templates = async (input: DescribeLaunchTemplatesCommandInput) =>
    (await h.client().send(new DescribeLaunchTemplatesCommand(input))).LaunchTemplates ?? [];

  it('creates a template whose version 1 holds the data as sent, tagged as asked', async () => {
    const out = await create({
      LaunchTemplateName: 'web/app_(1).x-y',
      VersionDescription: 'first',
      LaunchTemplateData: DATA,
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: 'Owner', Value: 'ops' }] }],
    });
    const templateId = out.LaunchTemplate?.LaunchTemplateId ?? '';
    expect(templateId).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(out.LaunchTemplate).toEqual({
      LaunchTemplateId: templateId,
      LaunchTemplateName: 'web/app_(1).x-y',
      CreateTime: NOW,
      CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
      Tags: [{ Key: 'Owner', Value: 'ops' }],
    });
    const [version] = await versions({ LaunchTemplateId: templateId });
    expect(version).toEqual({
      LaunchTemplateId: templateId,
      LaunchTemplateName: 'web/app_(1).x-y',
      VersionNumber: 1,
      VersionDescription: 'first',
      CreateTime: NOW,
      CreatedBy: `arn:aws:iam::${ACCOUNT}:root`,
      DefaultVersion: true,
      LaunchTemplateData: DATA,
    });
  });

  it('enforces the name rules, one name per account and region, and ClientToken idempotency', async () => {
    await expectEc2Error(
      create({ LaunchTemplateName: 'ab', LaunchTemplateData: {} }),
      'InvalidLaunchTemplateName.MalformedException',
    );
    await expectEc2Error(
      create({ LaunchTemplateName: 'no spaces', LaunchTemplateData: {} }),
      'InvalidLaunchTemplateName.MalformedException',
    );
    const first = await create({
      LaunchTemplateName: 'web',
      ClientToken: 'token-1',
      LaunchTemplateData: { ImageId: AMI_1 },
    });
    const retry = await create({
      LaunchTemplateName: 'web',
      ClientToken: 'token-1',
      LaunchTemplateData: { ImageId: AMI_1 },
    });
    expect(retry.LaunchTemplate?.LaunchTemplateId).toBe(first.LaunchTemplate?.LaunchTemplateId);
    await expectEc2Error(
      create({ LaunchTemplateName: 'web', ClientToken: 'token-1', LaunchTemplateData: { ImageId: AMI_2 } }),
      'IdempotentParameterMismatch',
    );
    await expectEc2Error(
      create({ LaunchTemplateName: 'web', LaunchTemplateData: {} }),
      'InvalidLaunchTemplateName.AlreadyExistsException',
    );
    // Names are per account and per region.
    await create({ LaunchTemplateName: 'web', LaunchTemplateData: {} }, h.client(REGION, OTHER_ACCOUNT));
    await create({ LaunchTemplateName: 'web', LaunchTemplateData: {} }, h.client('eu-west-1'));
    await expectEc2Error(
      create({
        LaunchTemplateName: 'tagged',
        LaunchTemplateData: {},
        TagSpecifications: [{ ResourceType: 'image', Tags: [] }],
      }),
      'InvalidParameterValue',
    );
  });

  it('a version from $Default with only ImageId given inherits the rest, without inherited snapshots', async () => {
    const out = await create({ LaunchTemplateName: 'web', LaunchTemplateData: DATA });
    const templateId = out.LaunchTemplate?.LaunchTemplateId ?? '';
    const created = await h.client().send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateName: 'web',
        SourceVersion: '$Default',
        VersionDescription: 'release 2',
        LaunchTemplateData: { ImageId: AMI_2 },
      }),
    );
    const { SnapshotId: _snapshot, ...inheritedEbs } = DATA.BlockDeviceMappings[0].Ebs;
    const expected = {
      ...DATA,
      ImageId: AMI_2,
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: inheritedEbs }],
    };
    expect(created.LaunchTemplateVersion).toMatchObject({
      LaunchTemplateId: templateId,
      VersionNumber: 2,
      VersionDescription: 'release 2',
      DefaultVersion: false,
      LaunchTemplateData: expected,
    });
    // The default stays version 1 until ModifyLaunchTemplate moves it; $Latest is version 2.
    expect((await versions({ LaunchTemplateId: templateId, Versions: ['$Default'] }))[0]?.VersionNumber).toBe(
      1,
    );
    expect(
      (await versions({ LaunchTemplateId: templateId, Versions: ['$Latest'] }))[0]?.LaunchTemplateData,
    ).toEqual(expected);

    // Without SourceVersion a version holds only what is given; resolve:ssm: is stored as given.
    const bare = await h.client().send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        LaunchTemplateData: { ImageId: 'resolve:ssm:/golden/linux/latest' },
      }),
    );
    expect(bare.LaunchTemplateVersion?.VersionNumber).toBe(3);
    expect(bare.LaunchTemplateVersion?.LaunchTemplateData).toEqual({
      ImageId: 'resolve:ssm:/golden/linux/latest',
    });

    await expectEc2Error(
      h.client().send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: templateId,
          SourceVersion: '9',
          LaunchTemplateData: {},
        }),
      ),
      'InvalidLaunchTemplateId.VersionNotFound',
    );
    await expectEc2Error(
      h.client().send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateData: { ImageId: AMI_1 } })),
      'MissingParameter',
    );
    await expectEc2Error(
      h.client().send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: templateId,
          LaunchTemplateName: 'web',
          LaunchTemplateData: {},
        }),
      ),
      'InvalidParameterCombination',
    );
  });

  it('ModifyLaunchTemplate sets the default version; versions of seeded templates build on them too', async () => {
    const templateId = h.emulator.seedLaunchTemplate({
      region: REGION,
      name: 'seeded',
      versions: [{ imageId: AMI_1, instanceType: 'm7i.large' }],
    });
    await h.client().send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        SourceVersion: '1',
        LaunchTemplateData: { ImageId: AMI_2 },
      }),
    );
    const modified = await h
      .client()
      .send(new ModifyLaunchTemplateCommand({ LaunchTemplateName: 'seeded', DefaultVersion: '2' }));
    expect(modified.LaunchTemplate).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 2 });
    expect(
      (await versions({ Versions: ['$Default'] })).map((version) => [
        version.LaunchTemplateId,
        version.LaunchTemplateData,
      ]),
    ).toEqual([[templateId, { ImageId: AMI_2, InstanceType: 'm7i.large' }]]);
    expect(
      await versions({
        LaunchTemplateId: templateId,
        Filters: [{ Name: 'is-default-version', Values: ['true'] }],
      }),
    ).toHaveLength(1);
    expect(
      await versions({ LaunchTemplateId: templateId, Filters: [{ Name: 'image-id', Values: [AMI_1] }] }),
    ).toHaveLength(1);
    await expectEc2Error(
      h.client().send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: '3' })),
      'InvalidLaunchTemplateId.VersionNotFound',
    );
    await expectEc2Error(
      h
        .client()
        .send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: '$Latest' })),
      'InvalidParameterValue',
    );
    await expectEc2Error(
      versions({ LaunchTemplateId: templateId, Versions: ['7'] }),
      'InvalidLaunchTemplateId.VersionNotFound',
    );
  });

  it('DescribeLaunchTemplates by id, name, filters and pages; DeleteLaunchTemplate frees the name', async () => {
    const ids: string[] = [];
    for (const name of ['alpha', 'beta', 'gamma']) {
      const out = await create({
        LaunchTemplateName: name,
        LaunchTemplateData: {},
        TagSpecifications: [
          { ResourceType: 'launch-template', Tags: [{ Key: 'Tier', Value: name === 'beta' ? 'db' : 'web' }] },
        ],
      });
      ids.push(out.LaunchTemplate?.LaunchTemplateId ?? '');
    }
    await create({ LaunchTemplateName: 'theirs', LaunchTemplateData: {} }, h.client(REGION, OTHER_ACCOUNT));
    const names = async (input: DescribeLaunchTemplatesCommandInput) =>
      (await templates(input)).map((template) => template.LaunchTemplateName).sort();
    expect(await names({})).toEqual(['alpha', 'beta', 'gamma']);
    expect(await names({ LaunchTemplateIds: [ids[1] ?? ''] })).toEqual(['beta']);
    expect(await names({ LaunchTemplateNames: ['gamma', 'alpha'] })).toEqual(['alpha', 'gamma']);
    expect(await names({ Filters: [{ Name: 'tag:Tier', Values: ['web'] }] })).toEqual(['alpha', 'gamma']);
    expect(await names({ Filters: [{ Name: 'launch-template-name', Values: ['*a'] }] })).toEqual([
      'alpha',
      'beta',
      'gamma',
    ]);
    const page = await h.client().send(new DescribeLaunchTemplatesCommand({ MaxResults: 2 }));
    expect(page.LaunchTemplates).toHaveLength(2);
    const rest = await h
      .client()
      .send(new DescribeLaunchTemplatesCommand({ MaxResults: 2, NextToken: page.NextToken }));
    expect(rest.LaunchTemplates).toHaveLength(1);
    expect(rest.NextToken).toBeUndefined();
    await expectEc2Error(
      templates({ LaunchTemplateNames: ['theirs'] }),
      'InvalidLaunchTemplateName.NotFoundException',
    );
    await expectEc2Error(
      templates({ LaunchTemplateIds: ['lt-0123456789abcdef0'] }),
      'InvalidLaunchTemplateId.NotFound',
    );
    await expectEc2Error(templates({ LaunchTemplateIds: ['lt-123'] }), 'InvalidLaunchTemplateId.Malformed');

    const deleted = await h.client().send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: 'alpha' }));
    expect(deleted.LaunchTemplate).toMatchObject({ LaunchTemplateId: ids[0], LaunchTemplateName: 'alpha' });
    expect(await names({})).toEqual(['beta', 'gamma']);
    await expectEc2Error(versions({ LaunchTemplateId: ids[0] }), 'InvalidLaunchTemplateId.NotFound');
    await expectEc2Error(
      h.client().send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: 'alpha' })),
      'InvalidLaunchTemplateName.NotFoundException',
    );
    await create({ LaunchTemplateName: 'alpha', LaunchTemplateData: {} });
  });
});
