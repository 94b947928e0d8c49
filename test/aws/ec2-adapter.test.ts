import {
  CopyImageCommand,
  CreateTagsCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  GetImageBlockPublicAccessStateCommand,
  type Image,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { AwsCallError, InvariantError } from '../../shared/core/errors.js';
import type { Ec2Port } from '../../shared/core/ports.js';
import { callError, ec2Error, rejectionOf } from '../support/aws-errors.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

const REGION = 'eu-west-1';
const ec2Mock = mockClient(EC2Client);
restoreAfterAll(ec2Mock);
let port: Ec2Port;

beforeEach(() => {
  ec2Mock.reset();
  port = createEc2Port(new EC2Client({ region: REGION }), REGION);
});

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i.toString(16).padStart(17, '0')}`);

describe('copyImage', () => {
  it('sends every field of the request, with the given client token', async () => {
    ec2Mock.on(CopyImageCommand).resolves({ ImageId: 'ami-0copy0000000000001' });

    const imageId = await port.copyImage({
      name: 'golden-linux-42',
      description: 'golden-linux-42 from ami-0source000000000001 (us-east-1)',
      sourceImageId: 'ami-0source000000000001',
      sourceRegion: 'us-east-1',
      clientToken: 'ami-lifecycle-3f2a9c-eu-west-1-0',
      encrypted: true,
      kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
      copyImageTags: true,
      imageTags: { 'ami-lifecycle:rule': 'golden-linux', distribution: 'golden' },
      snapshotTags: { 'ami-lifecycle:rule': 'golden-linux', 'backup-policy': 'none' },
      completionDurationMinutes: 60,
    });

    expect(imageId).toBe('ami-0copy0000000000001');
    expect(ec2Mock).toHaveReceivedCommandTimes(CopyImageCommand, 1);
    expect(ec2Mock.commandCalls(CopyImageCommand)[0]?.args[0].input).toEqual({
      Name: 'golden-linux-42',
      Description: 'golden-linux-42 from ami-0source000000000001 (us-east-1)',
      SourceImageId: 'ami-0source000000000001',
      SourceRegion: 'us-east-1',
      ClientToken: 'ami-lifecycle-3f2a9c-eu-west-1-0',
      Encrypted: true,
      KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
      CopyImageTags: true,
      SnapshotCopyCompletionDurationMinutes: 60,
      TagSpecifications: [
        {
          ResourceType: 'image',
          Tags: [
            { Key: 'ami-lifecycle:rule', Value: 'golden-linux' },
            { Key: 'distribution', Value: 'golden' },
          ],
        },
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: 'ami-lifecycle:rule', Value: 'golden-linux' },
            { Key: 'backup-policy', Value: 'none' },
          ],
        },
      ],
    });
  });

  it('sends no snapshot tag specification for an instance-store image, and no KMS key or duration', async () => {
    ec2Mock.on(CopyImageCommand).resolves({ ImageId: 'ami-0copy0000000000002' });

    await port.copyImage({
      name: 'legacy-1',
      description: 'legacy',
      sourceImageId: 'ami-0source000000000002',
      sourceRegion: 'us-east-1',
      clientToken: 'token-2',
      encrypted: false,
      copyImageTags: false,
      imageTags: { team: 'legacy' },
    });

    const input = ec2Mock.commandCalls(CopyImageCommand)[0]?.args[0].input;
    expect(input).toEqual({
      Name: 'legacy-1',
      Description: 'legacy',
      SourceImageId: 'ami-0source000000000002',
      SourceRegion: 'us-east-1',
      ClientToken: 'token-2',
      Encrypted: false,
      CopyImageTags: false,
      TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'team', Value: 'legacy' }] }],
    });
    expect(input?.KmsKeyId).toBeUndefined();
    expect(input?.SnapshotCopyCompletionDurationMinutes).toBeUndefined();
  });

  it('repeats the same client token when the same copy is asked for again (never a random one)', async () => {
    ec2Mock.on(CopyImageCommand).resolves({ ImageId: 'ami-0copy0000000000003' });
    const request = {
      name: 'golden-linux-43',
      description: 'd',
      sourceImageId: 'ami-0source000000000003',
      sourceRegion: 'us-east-1',
      clientToken: 'deterministic-token',
      encrypted: false,
      copyImageTags: true,
      imageTags: {},
      snapshotTags: {},
    };

    await port.copyImage(request);
    await port.copyImage(request);

    const tokens = ec2Mock.commandCalls(CopyImageCommand).map((call) => call.args[0].input.ClientToken);
    expect(tokens).toEqual(['deterministic-token', 'deterministic-token']);
  });

  const MINIMAL_COPY = {
    name: 'n-1',
    description: 'd',
    sourceImageId: 'ami-0source000000000004',
    sourceRegion: 'us-east-1',
    clientToken: 't',
    encrypted: false,
    copyImageTags: true,
    imageTags: {},
  };

  it('an answer without an image id is a broken invariant: InvariantError, not an AWS failure to retry', async () => {
    ec2Mock.on(CopyImageCommand).resolves({});
    const error = await rejectionOf(port.copyImage(MINIMAL_COPY), InvariantError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('CopyImage in eu-west-1');
  });

  it('a TypeError inside the adapter propagates as itself: a bug is never retried', async () => {
    ec2Mock.on(CopyImageCommand).callsFake(() => {
      throw new TypeError('cannot read properties of undefined');
    });
    const error = await rejectionOf(port.copyImage(MINIMAL_COPY), TypeError);
    expect(error).not.toBeInstanceOf(AwsCallError);
  });

  it('a 5xx whose body does not parse is a retryable AwsCallError', async () => {
    ec2Mock
      .on(CreateTagsCommand)
      .rejects(Object.assign(new Error('@aws-sdk XML parse error'), { $metadata: { httpStatusCode: 502 } }));
    const error = await callError(port.createTags(['ami-0copy0000000000001'], { a: 'b' }));
    expect(error).toMatchObject({ operation: 'CreateTags', code: 'HTTP502', retryable: true });
  });
});

describe('addLaunchPermissions', () => {
  it('sends one ModifyImageAttribute adding accounts, the organization, the OU and the public group', async () => {
    ec2Mock.on(ModifyImageAttributeCommand).resolves({});

    await port.addLaunchPermissions('ami-0copy0000000000001', [
      { kind: 'account', id: '444455556666' },
      { kind: 'account', id: '777788889999' },
      { kind: 'organization', arn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
      {
        kind: 'organizational-unit',
        arn: 'arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456',
      },
      { kind: 'public' },
    ]);

    expect(ec2Mock).toHaveReceivedCommandTimes(ModifyImageAttributeCommand, 1);
    expect(ec2Mock.commandCalls(ModifyImageAttributeCommand)[0]?.args[0].input).toEqual({
      ImageId: 'ami-0copy0000000000001',
      LaunchPermission: {
        Add: [
          { UserId: '444455556666' },
          { UserId: '777788889999' },
          { OrganizationArn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
          { OrganizationalUnitArn: 'arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456' },
          { Group: 'all' },
        ],
      },
    });
  });
});

describe('createTags', () => {
  it('tags an image and its snapshots in one CreateTags call', async () => {
    ec2Mock.on(CreateTagsCommand).resolves({});

    await port.createTags(['ami-0copy0000000000001', 'snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'], {
      owner: 'platform-team',
      'ami-lifecycle:rule': 'golden-linux',
    });

    expect(ec2Mock).toHaveReceivedCommandTimes(CreateTagsCommand, 1);
    expect(ec2Mock.commandCalls(CreateTagsCommand)[0]?.args[0].input).toEqual({
      Resources: ['ami-0copy0000000000001', 'snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'],
      Tags: [
        { Key: 'owner', Value: 'platform-team' },
        { Key: 'ami-lifecycle:rule', Value: 'golden-linux' },
      ],
    });
  });

  it.each([
    { count: 1000, batches: [1000] },
    { count: 1001, batches: [1000, 1] },
    { count: 2500, batches: [1000, 1000, 500] },
  ])('splits $count resource ids into batches of at most 1000', async ({ count, batches }) => {
    ec2Mock.on(CreateTagsCommand).resolves({});
    const resources = ids('snap', count);

    await port.createTags(resources, { owner: 'platform-team' });

    const calls = ec2Mock.commandCalls(CreateTagsCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.Resources?.length)).toEqual(batches);
    expect(calls.flatMap((input) => input.Resources)).toEqual(resources);
    for (const input of calls) expect(input.Tags).toEqual([{ Key: 'owner', Value: 'platform-team' }]);
  });
});

describe('addCreateVolumePermissions', () => {
  it('adds createVolumePermission for the accounts in one ModifySnapshotAttribute', async () => {
    ec2Mock.on(ModifySnapshotAttributeCommand).resolves({});

    await port.addCreateVolumePermissions('snap-0aaaaaaaaaaaaaaa1', ['444455556666', '777788889999']);

    expect(ec2Mock).toHaveReceivedCommandTimes(ModifySnapshotAttributeCommand, 1);
    expect(ec2Mock.commandCalls(ModifySnapshotAttributeCommand)[0]?.args[0].input).toEqual({
      SnapshotId: 'snap-0aaaaaaaaaaaaaaa1',
      Attribute: 'createVolumePermission',
      OperationType: 'add',
      CreateVolumePermission: { Add: [{ UserId: '444455556666' }, { UserId: '777788889999' }] },
    });
  });

  it('splits more than 500 accounts into batches of 500', async () => {
    ec2Mock.on(ModifySnapshotAttributeCommand).resolves({});
    const accounts = Array.from({ length: 1200 }, (_, i) => String(100000000000 + i));

    await port.addCreateVolumePermissions('snap-0aaaaaaaaaaaaaaa1', accounts);

    const calls = ec2Mock.commandCalls(ModifySnapshotAttributeCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.CreateVolumePermission?.Add?.length)).toEqual([500, 500, 200]);
    expect(calls.flatMap((input) => input.CreateVolumePermission?.Add?.map((p) => p.UserId))).toEqual(
      accounts,
    );
    for (const input of calls) {
      expect(input).toMatchObject({
        SnapshotId: 'snap-0aaaaaaaaaaaaaaa1',
        Attribute: 'createVolumePermission',
        OperationType: 'add',
      });
    }
  });
});

describe('describeImage', () => {
  const ebsImage: Image = {
    ImageId: 'ami-0copy0000000000001',
    Name: 'golden-linux-42',
    OwnerId: '111122223333',
    State: 'available',
    RootDeviceType: 'ebs',
    BlockDeviceMappings: [
      { DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0aaaaaaaaaaaaaaa1', VolumeSize: 8 } },
      { DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' },
      { DeviceName: '/dev/sdc', Ebs: { SnapshotId: 'snap-0aaaaaaaaaaaaaaa2', VolumeSize: 100 } },
      { DeviceName: '/dev/sdd', Ebs: { VolumeSize: 10 } },
    ],
    Tags: [
      { Key: 'pipeline', Value: 'golden' },
      { Key: 'empty', Value: '' },
    ],
    Public: false,
    SourceImageId: 'ami-0source000000000001',
    SourceImageRegion: 'us-east-1',
    CreationDate: '2024-06-01T12:00:00.000Z',
    DeprecationTime: '2026-06-01T12:00:00.000Z',
    DeregistrationProtection: 'enabled-with-cooldown',
    LastLaunchedTime: '2026-05-30T08:00:00.000Z',
    ProductCodes: [{ ProductCodeId: 'abc123', ProductCodeType: 'marketplace' }],
  };

  it('asks for the image including deprecated and disabled ones', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [ebsImage] });
    await port.describeImage('ami-0copy0000000000001');
    expect(ec2Mock.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      ImageIds: ['ami-0copy0000000000001'],
      IncludeDeprecated: true,
      IncludeDisabled: true,
    });
  });

  it('maps an EBS copy: snapshots in mapping order, lineage, dates (last launch too), protection and Marketplace code', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [ebsImage] });
    expect(await port.describeImage('ami-0copy0000000000001')).toEqual({
      region: REGION,
      imageId: 'ami-0copy0000000000001',
      name: 'golden-linux-42',
      ownerId: '111122223333',
      state: 'available',
      rootDeviceType: 'ebs',
      snapshotIds: ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'],
      tags: { pipeline: 'golden', empty: '' },
      isPublic: false,
      sourceImageId: 'ami-0source000000000001',
      sourceImageRegion: 'us-east-1',
      creationDate: '2024-06-01T12:00:00.000Z',
      deprecationTime: '2026-06-01T12:00:00.000Z',
      deregistrationProtection: 'enabled-with-cooldown',
      lastLaunchedTime: '2026-05-30T08:00:00.000Z',
      hasMarketplaceCode: true,
    });
  });

  it('maps an instance-store image owned by Amazon: no snapshots, the owner alias, failed state', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [
        {
          ImageId: 'ami-0instancestore0001',
          Name: 'amzn-ami-minimal-pv',
          OwnerId: '137112412989',
          ImageOwnerAlias: 'amazon',
          State: 'failed',
          StateReason: { Code: 'Client.UnknownError', Message: 'copy failed' },
          RootDeviceType: 'instance-store',
          BlockDeviceMappings: [{ DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' }],
          Public: true,
          ProductCodes: [{ ProductCodeId: 'xyz', ProductCodeType: 'devpay' }],
        },
      ],
    });
    expect(await port.describeImage('ami-0instancestore0001')).toEqual({
      region: REGION,
      imageId: 'ami-0instancestore0001',
      name: 'amzn-ami-minimal-pv',
      ownerId: '137112412989',
      ownerAlias: 'amazon',
      state: 'failed',
      stateReason: 'copy failed',
      rootDeviceType: 'instance-store',
      snapshotIds: [],
      tags: {},
      isPublic: true,
      hasMarketplaceCode: false,
    });
  });

  it('returns undefined when EC2 does not know the image (InvalidAMIID.NotFound)', async () => {
    ec2Mock.on(DescribeImagesCommand).rejects(ec2Error('InvalidAMIID.NotFound', 400));
    expect(await port.describeImage('ami-0gone000000000001')).toBeUndefined();
  });

  it('returns undefined when EC2 answers with no image', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [] });
    expect(await port.describeImage('ami-0gone000000000001')).toBeUndefined();
  });

  it('throws other errors as a DescribeImages AwsCallError', async () => {
    ec2Mock.on(DescribeImagesCommand).rejects(ec2Error('InvalidAMIID.Malformed', 400));
    const error = await callError(port.describeImage('ami-bad'));
    expect(error).toMatchObject({
      code: 'InvalidAMIID.Malformed',
      operation: 'DescribeImages',
      region: REGION,
      retryable: false,
    });
  });
});

describe('findCopies', () => {
  const copy = (n: number, sourceRegion = 'us-east-1'): Image => ({
    ImageId: `ami-0copy${String(n).padStart(12, '0')}`,
    Name: `golden-linux-${n}`,
    OwnerId: '111122223333',
    State: 'available',
    RootDeviceType: 'ebs',
    SourceImageId: 'ami-0source000000000001',
    SourceImageRegion: sourceRegion,
  });

  it('filters on source-image-id among the account’s own images and pages through NextToken', async () => {
    // The SDK paginator reuses one input object and sets NextToken on it, so each request is
    // copied as it is sent, and the page is chosen by the token it carries.
    const pages: Record<string, { Images: Image[]; NextToken?: string }> = {
      first: { Images: [copy(1), copy(2)], NextToken: 'page-2' },
      'page-2': { Images: [copy(3)], NextToken: 'page-3' },
      'page-3': { Images: [copy(4)] },
    };
    const sent: DescribeImagesCommandInput[] = [];
    ec2Mock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => {
      sent.push(structuredClone(input));
      return pages[input.NextToken ?? 'first'];
    });

    const copies = await port.findCopies('ami-0source000000000001', 'us-east-1');

    expect(copies.map((c) => c.imageId)).toEqual([
      'ami-0copy000000000001',
      'ami-0copy000000000002',
      'ami-0copy000000000003',
      'ami-0copy000000000004',
    ]);
    expect(copies.every((c) => c.region === REGION && c.sourceImageId === 'ami-0source000000000001')).toBe(
      true,
    );
    expect(sent.map((input) => input.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
    for (const input of sent) {
      expect(input).toMatchObject({
        Owners: ['self'],
        Filters: [{ Name: 'source-image-id', Values: ['ami-0source000000000001'] }],
      });
      expect(input.ImageIds).toBeUndefined();
    }
  });

  it('leaves out images copied from the same id in another region', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [copy(1), copy(2, 'us-west-2')] });
    const copies = await port.findCopies('ami-0source000000000001', 'us-east-1');
    expect(copies.map((c) => c.imageId)).toEqual(['ami-0copy000000000001']);
  });

  it('returns no copies when there are none', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({});
    expect(await port.findCopies('ami-0source000000000001', 'us-east-1')).toEqual([]);
  });
});

describe('describeImagesById', () => {
  it('asks for the account’s own images by image-id filter (any state, deprecated and disabled too), 200 ids a request, and returns those EC2 knows', async () => {
    const wanted = ids('ami', 201);
    const sent: DescribeImagesCommandInput[] = [];
    ec2Mock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => {
      sent.push(structuredClone(input));
      // EC2 answers only for the ids it knows: here the first of each request.
      const first = input.Filters?.[0]?.Values?.[0];
      return { Images: first === undefined ? [] : [{ ImageId: first, State: 'pending' }] };
    });

    const images = await port.describeImagesById(wanted);

    expect(images.map((i) => [i.imageId, i.state, i.region])).toEqual([
      [wanted[0], 'pending', REGION],
      [wanted[200], 'pending', REGION],
    ]);
    expect(sent.map((input) => input.Filters?.[0]?.Values?.length)).toEqual([200, 1]);
    for (const input of sent) {
      expect(input).toMatchObject({ Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true });
      expect(input.Filters?.[0]?.Name).toBe('image-id');
      // ImageIds would fail the whole request on one id EC2 does not know.
      expect(input.ImageIds).toBeUndefined();
    }
  });

  it('a failure is a DescribeImages AwsCallError', async () => {
    ec2Mock.on(DescribeImagesCommand).rejects(ec2Error('RequestLimitExceeded', 503));
    const error = await rejectionOf(port.describeImagesById(['ami-0123456789abcdef0']), AwsCallError);
    expect(error).toMatchObject({ operation: 'DescribeImages', retryable: true });
  });
});

describe('reads', () => {
  it('maps launch permissions of every kind', async () => {
    ec2Mock.on(DescribeImageAttributeCommand).resolves({
      LaunchPermissions: [
        { UserId: '444455556666' },
        { Group: 'all' },
        { OrganizationArn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
        { OrganizationalUnitArn: 'arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456' },
      ],
    });
    expect(await port.describeLaunchPermissions('ami-0copy0000000000001')).toEqual([
      { kind: 'account', id: '444455556666' },
      { kind: 'public' },
      { kind: 'organization', arn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
      {
        kind: 'organizational-unit',
        arn: 'arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456',
      },
    ]);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeImageAttributeCommand, {
      ImageId: 'ami-0copy0000000000001',
      Attribute: 'launchPermission',
    });
  });

  it('maps snapshots and their create-volume accounts', async () => {
    ec2Mock.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-0aaaaaaaaaaaaaaa1', Encrypted: true, Tags: [{ Key: 'a', Value: 'b' }] },
      ],
    });
    ec2Mock.on(DescribeSnapshotAttributeCommand).resolves({
      CreateVolumePermissions: [{ UserId: '444455556666' }, { Group: 'all' }],
    });
    expect(await port.describeSnapshots(['snap-0aaaaaaaaaaaaaaa1'])).toEqual([
      { snapshotId: 'snap-0aaaaaaaaaaaaaaa1', tags: { a: 'b' }, encrypted: true },
    ]);
    expect(await port.describeCreateVolumeUserIds('snap-0aaaaaaaaaaaaaaa1')).toEqual(['444455556666']);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeSnapshotAttributeCommand, {
      SnapshotId: 'snap-0aaaaaaaaaaaaaaa1',
      Attribute: 'createVolumePermission',
    });
  });

  it.each([
    { state: 'block-new-sharing' as const, blocked: true },
    { state: 'unblocked' as const, blocked: false },
  ])('reads block public access $state as blocked=$blocked', async ({ state, blocked }) => {
    ec2Mock.on(GetImageBlockPublicAccessStateCommand).resolves({ ImageBlockPublicAccessState: state });
    expect(await port.isPublicSharingBlocked()).toBe(blocked);
  });
});

describe('errors', () => {
  const calls: Array<{ operation: string; run: (p: Ec2Port) => Promise<unknown> }> = [
    {
      operation: 'CopyImage',
      run: (p) =>
        p.copyImage({
          name: 'n-1',
          description: 'd',
          sourceImageId: 'ami-0source000000000001',
          sourceRegion: 'us-east-1',
          clientToken: 't',
          encrypted: false,
          copyImageTags: true,
          imageTags: {},
        }),
    },
    { operation: 'CreateTags', run: (p) => p.createTags(['ami-0copy0000000000001'], { a: 'b' }) },
    {
      operation: 'ModifyImageAttribute',
      run: (p) => p.addLaunchPermissions('ami-0copy0000000000001', [{ kind: 'account', id: '444455556666' }]),
    },
    {
      operation: 'ModifySnapshotAttribute',
      run: (p) => p.addCreateVolumePermissions('snap-0aaaaaaaaaaaaaaa1', ['444455556666']),
    },
    { operation: 'DescribeImages', run: (p) => p.findCopies('ami-0source000000000001', 'us-east-1') },
    { operation: 'DescribeImages', run: (p) => p.describeImage('ami-0source000000000001') },
    {
      operation: 'DescribeImageAttribute',
      run: (p) => p.describeLaunchPermissions('ami-0copy0000000000001'),
    },
    { operation: 'DescribeSnapshots', run: (p) => p.describeSnapshots(['snap-0aaaaaaaaaaaaaaa1']) },
    {
      operation: 'DescribeSnapshotAttribute',
      run: (p) => p.describeCreateVolumeUserIds('snap-0aaaaaaaaaaaaaaa1'),
    },
    { operation: 'GetImageBlockPublicAccessState', run: (p) => p.isPublicSharingBlocked() },
  ];

  const classifications = [
    {
      code: 'RequestLimitExceeded',
      status: 503,
      fault: 'client' as const,
      retryable: true,
      why: 'throttled',
    },
    {
      code: 'ResourceLimitExceeded',
      status: 400,
      fault: 'client' as const,
      retryable: true,
      why: 'too many copies in progress; a slot frees up',
    },
    { code: 'InternalError', status: 500, fault: 'server' as const, retryable: true, why: 'a server fault' },
    {
      code: 'SomethingNewAndBroken',
      status: 502,
      fault: 'server' as const,
      retryable: true,
      why: 'any 5xx, even an unknown code',
    },
    { code: 'AuthFailure', status: 401, fault: 'client' as const, retryable: false, why: 'bad credentials' },
    {
      code: 'UnauthorizedOperation',
      status: 403,
      fault: 'client' as const,
      retryable: false,
      why: 'IAM denies it',
    },
    {
      code: 'OptInRequired',
      status: 401,
      fault: 'client' as const,
      retryable: false,
      why: 'the region is not enabled',
    },
    {
      code: 'InvalidParameterValue',
      status: 400,
      fault: 'client' as const,
      retryable: false,
      why: 'a bad request stays bad',
    },
  ];

  it.each(classifications)(
    '$code is retryable=$retryable ($why)',
    async ({ code, status, fault, retryable }) => {
      for (const { operation, run } of calls) {
        ec2Mock.reset();
        const sdkError = ec2Error(code, status, fault);
        ec2Mock.onAnyCommand().rejects(sdkError);
        const error = await callError(run(port));
        expect(error, operation).toMatchObject({ code, operation, region: REGION, retryable });
        expect(error.cause).toBe(sdkError);
        expect(error.message).toContain(`${operation} in ${REGION} failed: ${code}`);
      }
    },
  );
});
