import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImageReferencesCommand,
  type DescribeImageReferencesCommandInput,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type DescribeLaunchTemplateVersionsCommandInput,
  EC2Client,
  EnableImageDeprecationCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ec2ForRegion } from '../../shared/aws/clients.js';
import { createEc2Port } from '../../shared/aws/ec2.js';
import type { Ec2Port } from '../../shared/core/ports.js';
import { callError, ec2Error } from '../support/aws-errors.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

const REGION = 'eu-west-1';
const IMAGE = 'ami-0123456789abcdef0';
const ec2Mock = mockClient(EC2Client);
restoreAfterAll(ec2Mock);
let port: Ec2Port;

beforeEach(() => {
  ec2Mock.reset();
  port = createEc2Port(new EC2Client({ region: REGION }), REGION);
});

describe('enableDeprecation', () => {
  it('sends the image and the time rounded up to the whole minute', async () => {
    ec2Mock.on(EnableImageDeprecationCommand).resolves({ Return: true });
    await port.enableDeprecation(IMAGE, new Date('2026-12-08T08:15:10.500Z'));
    expect(ec2Mock.commandCalls(EnableImageDeprecationCommand).map((c) => c.args[0].input)).toEqual([
      { ImageId: IMAGE, DeprecateAt: new Date('2026-12-08T08:16:00.000Z') },
    ]);
  });

  it('leaves a whole minute as it is', async () => {
    ec2Mock.on(EnableImageDeprecationCommand).resolves({ Return: true });
    await port.enableDeprecation(IMAGE, new Date('2026-12-08T08:16:00.000Z'));
    expect(ec2Mock.commandCalls(EnableImageDeprecationCommand)[0]?.args[0].input.DeprecateAt).toEqual(
      new Date('2026-12-08T08:16:00.000Z'),
    );
  });

  it('reports EC2 refusing a bad time as an AwsCallError naming the operation', async () => {
    ec2Mock.on(EnableImageDeprecationCommand).rejects(ec2Error('InvalidParameterValue'));
    const error = await callError(port.enableDeprecation(IMAGE, new Date('2020-01-01T00:00:00Z')));
    expect(error).toMatchObject({
      operation: 'EnableImageDeprecation',
      region: REGION,
      code: 'InvalidParameterValue',
      retryable: false,
    });
  });
});

describe('deregister', () => {
  it('asks EC2 to delete the associated snapshots and returns its result per snapshot', async () => {
    ec2Mock.on(DeregisterImageCommand).resolves({
      Return: true,
      DeleteSnapshotResults: [
        { SnapshotId: 'snap-0aaaaaaaaaaaaaaa1', ReturnCode: 'success' },
        { SnapshotId: 'snap-0aaaaaaaaaaaaaaa2', ReturnCode: 'skipped' },
        { ReturnCode: 'client-error' },
      ],
    });
    const result = await port.deregister(IMAGE);
    expect(ec2Mock.commandCalls(DeregisterImageCommand).map((c) => c.args[0].input)).toEqual([
      { ImageId: IMAGE, DeleteAssociatedSnapshots: true },
    ]);
    expect(result).toEqual({
      snapshotResults: [
        { snapshotId: 'snap-0aaaaaaaaaaaaaaa1', returnCode: 'success' },
        { snapshotId: 'snap-0aaaaaaaaaaaaaaa2', returnCode: 'skipped' },
      ],
    });
  });

  it('an answer without results (no snapshots, or an older endpoint) is an empty list', async () => {
    ec2Mock.on(DeregisterImageCommand).resolves({ Return: true });
    expect(await port.deregister(IMAGE)).toEqual({ snapshotResults: [] });
  });

  it('a protected image: the refusal is an AwsCallError with EC2 code', async () => {
    ec2Mock.on(DeregisterImageCommand).rejects(ec2Error('OperationNotPermitted'));
    const error = await callError(port.deregister(IMAGE));
    expect(error).toMatchObject({
      operation: 'DeregisterImage',
      code: 'OperationNotPermitted',
      retryable: false,
    });
  });
});

describe('describeLaunchPermissions', () => {
  it('asks for the launchPermission attribute of the image, and maps accounts, organizations, OUs and public', async () => {
    ec2Mock.on(DescribeImageAttributeCommand).resolves({
      ImageId: IMAGE,
      LaunchPermissions: [
        { UserId: '444455556666' },
        { OrganizationArn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
        {
          OrganizationalUnitArn: 'arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456',
        },
        { Group: 'all' },
      ],
    });
    expect(await port.describeLaunchPermissions(IMAGE)).toEqual([
      { kind: 'account', id: '444455556666' },
      { kind: 'organization', arn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
      {
        kind: 'organizational-unit',
        arn: 'arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456',
      },
      { kind: 'public' },
    ]);
    expect(ec2Mock.commandCalls(DescribeImageAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { ImageId: IMAGE, Attribute: 'launchPermission' },
    ]);
  });

  it('an image only its owner can launch: no permissions, an empty list', async () => {
    ec2Mock.on(DescribeImageAttributeCommand).resolves({ ImageId: IMAGE });
    expect(await port.describeLaunchPermissions(IMAGE)).toEqual([]);
  });

  it('a failure is an AwsCallError naming DescribeImageAttribute', async () => {
    ec2Mock.on(DescribeImageAttributeCommand).rejects(ec2Error('RequestLimitExceeded'));
    const error = await callError(port.describeLaunchPermissions(IMAGE));
    expect(error).toMatchObject({
      operation: 'DescribeImageAttribute',
      region: REGION,
      code: 'RequestLimitExceeded',
      retryable: true,
    });
  });
});

describe('deleteSnapshot', () => {
  it('sends the snapshot id', async () => {
    ec2Mock.on(DeleteSnapshotCommand).resolves({});
    await port.deleteSnapshot('snap-0aaaaaaaaaaaaaaa1');
    expect(ec2Mock.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0aaaaaaaaaaaaaaa1' },
    ]);
  });

  it('keeps InvalidSnapshot.InUse as the code, so the core can tell a shared snapshot from a failure', async () => {
    ec2Mock.on(DeleteSnapshotCommand).rejects(ec2Error('InvalidSnapshot.InUse'));
    const error = await callError(port.deleteSnapshot('snap-0aaaaaaaaaaaaaaa1'));
    expect(error).toMatchObject({ operation: 'DeleteSnapshot', code: 'InvalidSnapshot.InUse' });
  });
});

describe('findReferences with DescribeImageReferences', () => {
  it('asks for every resource type, live instances and the deepest launch-template history, page by page', async () => {
    const pages = [
      {
        ImageReferences: [
          {
            ImageId: IMAGE,
            ResourceType: 'ec2:Instance' as const,
            Arn: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0',
          },
        ],
        NextToken: 'page-2',
      },
      {
        ImageReferences: [
          {
            ImageId: IMAGE,
            ResourceType: 'ec2:LaunchTemplate' as const,
            Arn: 'arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0123456789abcdef0',
          },
          {
            ImageId: IMAGE,
            ResourceType: 'ssm:Parameter' as const,
            Arn: 'arn:aws:ssm:eu-west-1:123456789012:parameter/golden/ami',
          },
        ],
      },
    ];
    // SDK paginators reuse one input object and set its NextToken: keep a copy of each call's.
    const inputs: DescribeImageReferencesCommandInput[] = [];
    ec2Mock.on(DescribeImageReferencesCommand).callsFake((input: DescribeImageReferencesCommandInput) => {
      inputs.push(structuredClone(input));
      return pages[inputs.length - 1] ?? {};
    });
    expect(await port.findReferences(IMAGE)).toEqual([
      'instance i-0123456789abcdef0',
      'launch-template lt-0123456789abcdef0',
      'ssm-parameter arn:aws:ssm:eu-west-1:123456789012:parameter/golden/ami',
    ]);
    expect(inputs).toEqual([
      {
        ImageIds: [IMAGE],
        IncludeAllResourceTypes: true,
        ResourceTypes: [
          {
            ResourceType: 'ec2:Instance',
            ResourceTypeOptions: [
              {
                OptionName: 'state-name',
                OptionValues: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'],
              },
            ],
          },
          {
            ResourceType: 'ec2:LaunchTemplate',
            ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['10000'] }],
          },
        ],
      },
      expect.objectContaining({ ImageIds: [IMAGE], NextToken: 'page-2' }),
    ]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 0);
  });

  it('nothing references the image: an empty list, and no fallback scan', async () => {
    ec2Mock.on(DescribeImageReferencesCommand).resolves({ ImageReferences: [] });
    expect(await port.findReferences(IMAGE)).toEqual([]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeLaunchTemplateVersionsCommand, 0);
  });

  it('a denied or throttled call is a failure, not a reason to fall back to a weaker scan', async () => {
    ec2Mock.on(DescribeImageReferencesCommand).rejects(ec2Error('UnauthorizedOperation', 403));
    const error = await callError(port.findReferences(IMAGE));
    expect(error).toMatchObject({ operation: 'DescribeImageReferences', code: 'UnauthorizedOperation' });
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 0);
  });
});

describe('findReferences where DescribeImageReferences is unavailable', () => {
  let templateCalls: DescribeLaunchTemplateVersionsCommandInput[];
  beforeEach(() => {
    ec2Mock.on(DescribeImageReferencesCommand).rejects(ec2Error('InvalidAction'));
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1' }, { InstanceId: 'i-0aaaaaaaaaaaaaaa2' }] },
      ],
    });
    templateCalls = [];
    ec2Mock
      .on(DescribeLaunchTemplateVersionsCommand)
      .callsFake((input: DescribeLaunchTemplateVersionsCommandInput) => {
        templateCalls.push(structuredClone(input));
        // Every template once, through its $Latest version (two pages).
        if (input.LaunchTemplateId === undefined) {
          return input.NextToken === undefined
            ? {
                LaunchTemplateVersions: [{ LaunchTemplateId: 'lt-0aaaaaaaaaaaaaaa1', VersionNumber: 9 }],
                NextToken: 'templates-2',
              }
            : { LaunchTemplateVersions: [{ LaunchTemplateId: 'lt-0aaaaaaaaaaaaaaa2', VersionNumber: 1 }] };
        }
        // All versions of each template that name the image: an old pinned version counts.
        return input.LaunchTemplateId === 'lt-0aaaaaaaaaaaaaaa1'
          ? { LaunchTemplateVersions: [{ LaunchTemplateId: 'lt-0aaaaaaaaaaaaaaa1', VersionNumber: 3 }] }
          : { LaunchTemplateVersions: [] };
      });
  });

  it('scans live instances and every version of every launch template with the image-id filter', async () => {
    expect(await port.findReferences(IMAGE)).toEqual([
      'instance i-0aaaaaaaaaaaaaaa1',
      'instance i-0aaaaaaaaaaaaaaa2',
      'launch-template lt-0aaaaaaaaaaaaaaa1 v3',
    ]);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [
        { Name: 'image-id', Values: [IMAGE] },
        {
          Name: 'instance-state-name',
          Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'],
        },
      ],
      MaxResults: 1000,
    });
    expect(templateCalls).toEqual([
      { Versions: ['$Latest'], MaxResults: 200 },
      { Versions: ['$Latest'], MaxResults: 200, NextToken: 'templates-2' },
      {
        LaunchTemplateId: 'lt-0aaaaaaaaaaaaaaa1',
        Filters: [{ Name: 'image-id', Values: [IMAGE] }],
        MaxResults: 200,
      },
      {
        LaunchTemplateId: 'lt-0aaaaaaaaaaaaaaa2',
        Filters: [{ Name: 'image-id', Values: [IMAGE] }],
        MaxResults: 200,
      },
    ]);
  });

  it('does not ask for DescribeImageReferences again in that region', async () => {
    await port.findReferences(IMAGE);
    await port.findReferences('ami-0fedcba9876543210');
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeImageReferencesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
  });

  it('a failing scan is an AwsCallError naming the scan call', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded', 503));
    const error = await callError(port.findReferences(IMAGE));
    expect(error).toMatchObject({ operation: 'DescribeInstances', region: REGION, retryable: true });
  });
});

describe('ec2ForRegion', () => {
  it('builds one port per region and keeps it', () => {
    expect(ec2ForRegion('us-east-1')).toBe(ec2ForRegion('us-east-1'));
    expect(ec2ForRegion('us-east-1')).not.toBe(ec2ForRegion('eu-west-1'));
  });
});
