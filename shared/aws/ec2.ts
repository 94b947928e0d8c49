import {
  CopyImageCommand,
  CreateTagsCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type LaunchPermission as Ec2LaunchPermission,
  GetImageBlockPublicAccessStateCommand,
  type Image,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  paginateDescribeImages,
  paginateDescribeSnapshots,
  type Snapshot,
  type Tag,
} from '@aws-sdk/client-ec2';
import { awsCall, awsErrorCode, InvariantError, rethrowClassified } from '../core/errors.js';
import type { ImageState, LaunchPermission, ObservedImage, ObservedSnapshot, Tags } from '../core/model.js';
import type { Ec2Port } from '../core/ports.js';
import { lifecycleCalls } from './ec2-lifecycle.js';
import { templateCalls } from './ec2-templates.js';

/** CreateTags takes at most 1000 resource ids a call; ModifySnapshotAttribute 500 modifications. */
const CREATE_TAGS_BATCH = 1000;
const SNAPSHOT_PERMISSION_BATCH = 500;
/** Snapshot ids per DescribeSnapshots call when observing many images at once. */
const DESCRIBE_SNAPSHOTS_BATCH = 200;

/**
 * The EC2 port over an SDK client for one region: the image and snapshot calls here, deprecation,
 * deregistration, deletion and references in `ec2-lifecycle.ts`. Translates between EC2's shapes
 * and the core's; every failure is classified by `awsCall` (AWS and network errors become an
 * `AwsCallError` naming the operation and region, anything else propagates as it is).
 */
export function createEc2Port(client: EC2Client, region: string): Ec2Port {
  return {
    ...imageCalls(client, region),
    ...lifecycleCalls(client, region),
    ...templateCalls(client, region),
  };
}

/**
 * Values one `image-id` filter carries. EC2 refuses too many filter values (FilterLimitExceeded)
 * without documenting how many DescribeImages takes; 200 keeps each request well inside any limit
 * and costs one call where a region verifies up to 200 copies at once.
 */
const IMAGE_ID_FILTER_VALUES = 200;

function imageCalls(
  client: EC2Client,
  region: string,
): Omit<Ec2Port, keyof ReturnType<typeof lifecycleCalls> | keyof ReturnType<typeof templateCalls>> {
  const call = <T>(operation: string, send: () => Promise<T>): Promise<T> => awsCall(operation, region, send);

  return {
    async describeImage(imageId) {
      try {
        const output = await client.send(
          new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }),
        );
        const image = output.Images?.[0];
        return image === undefined ? undefined : toObservedImage(image, region);
      } catch (error) {
        if (awsErrorCode(error) === 'InvalidAMIID.NotFound') return undefined;
        rethrowClassified('DescribeImages', region, error);
      }
    },

    listImages({ owners, names }) {
      return call('DescribeImages', async () => {
        const images: ObservedImage[] = [];
        const pages = paginateDescribeImages(
          { client, pageSize: 1000 },
          {
            Owners: [...owners],
            IncludeDeprecated: true,
            IncludeDisabled: true,
            ...(names === undefined ? {} : { Filters: [{ Name: 'name', Values: [...names] }] }),
          },
        );
        for await (const page of pages) {
          for (const image of page.Images ?? []) images.push(toObservedImage(image, region));
        }
        return images;
      });
    },

    imagesExecutableBy(accountId) {
      return call('DescribeImages', async () => {
        const ids = new Set<string>();
        const pages = paginateDescribeImages(
          { client, pageSize: 1000 },
          { Owners: ['self'], ExecutableUsers: [accountId], IncludeDeprecated: true, IncludeDisabled: true },
        );
        for await (const page of pages) {
          for (const image of page.Images ?? []) if (image.ImageId) ids.add(image.ImageId);
        }
        return ids;
      });
    },

    snapshotsRestorableBy(accountId) {
      return call('DescribeSnapshots', async () => {
        const ids = new Set<string>();
        const pages = paginateDescribeSnapshots(
          { client, pageSize: 1000 },
          { OwnerIds: ['self'], RestorableByUserIds: [accountId] },
        );
        for await (const page of pages) {
          for (const snapshot of page.Snapshots ?? []) if (snapshot.SnapshotId) ids.add(snapshot.SnapshotId);
        }
        return ids;
      });
    },

    describeImagesById(imageIds) {
      return call('DescribeImages', async () => {
        const images: ObservedImage[] = [];
        for (let i = 0; i < imageIds.length; i += IMAGE_ID_FILTER_VALUES) {
          const pages = paginateDescribeImages(
            { client, pageSize: 1000 },
            {
              Owners: ['self'],
              IncludeDeprecated: true,
              IncludeDisabled: true,
              Filters: [{ Name: 'image-id', Values: imageIds.slice(i, i + IMAGE_ID_FILTER_VALUES) }],
            },
          );
          for await (const page of pages) {
            for (const image of page.Images ?? []) images.push(toObservedImage(image, region));
          }
        }
        return images;
      });
    },

    findCopies(sourceImageId, sourceRegion) {
      return call('DescribeImages', async () => {
        const copies: ObservedImage[] = [];
        const pages = paginateDescribeImages(
          { client, pageSize: 100 },
          {
            Owners: ['self'],
            IncludeDeprecated: true,
            IncludeDisabled: true,
            Filters: [{ Name: 'source-image-id', Values: [sourceImageId] }],
          },
        );
        for await (const page of pages) {
          for (const image of page.Images ?? []) {
            const observed = toObservedImage(image, region);
            // The filter is by id; the region check guards against an id reused across regions.
            if (observed.sourceImageRegion === undefined || observed.sourceImageRegion === sourceRegion) {
              copies.push(observed);
            }
          }
        }
        return copies;
      });
    },

    describeLaunchPermissions(imageId) {
      return call('DescribeImageAttribute', async () => {
        const output = await client.send(
          new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
        );
        return (output.LaunchPermissions ?? []).flatMap(fromEc2LaunchPermission);
      });
    },

    describeSnapshots(snapshotIds) {
      return call('DescribeSnapshots', async () => {
        const snapshots: ObservedSnapshot[] = [];
        for (let i = 0; i < snapshotIds.length; i += DESCRIBE_SNAPSHOTS_BATCH) {
          const output = await client.send(
            new DescribeSnapshotsCommand({ SnapshotIds: snapshotIds.slice(i, i + DESCRIBE_SNAPSHOTS_BATCH) }),
          );
          for (const s of output.Snapshots ?? []) snapshots.push(toObservedSnapshot(s));
        }
        return snapshots;
      });
    },

    listTaggedSnapshots(tagKey) {
      return call('DescribeSnapshots', async () => {
        const snapshots: ObservedSnapshot[] = [];
        const pages = paginateDescribeSnapshots(
          { client, pageSize: 1000 },
          { OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: [tagKey] }] },
        );
        for await (const page of pages) {
          for (const s of page.Snapshots ?? []) snapshots.push(toObservedSnapshot(s));
        }
        return snapshots;
      });
    },

    describeCreateVolumeUserIds(snapshotId) {
      return call('DescribeSnapshotAttribute', async () => {
        const output = await client.send(
          new DescribeSnapshotAttributeCommand({
            SnapshotId: snapshotId,
            Attribute: 'createVolumePermission',
          }),
        );
        return (output.CreateVolumePermissions ?? []).flatMap((p) => (p.UserId ? [p.UserId] : []));
      });
    },

    isPublicSharingBlocked() {
      return call('GetImageBlockPublicAccessState', async () => {
        const output = await client.send(new GetImageBlockPublicAccessStateCommand({}));
        return output.ImageBlockPublicAccessState === 'block-new-sharing';
      });
    },

    copyImage(request) {
      return call('CopyImage', async () => {
        const output = await client.send(
          new CopyImageCommand({
            Name: request.name,
            Description: request.description,
            SourceImageId: request.sourceImageId,
            SourceRegion: request.sourceRegion,
            ClientToken: request.clientToken,
            Encrypted: request.encrypted,
            KmsKeyId: request.kmsKeyId,
            CopyImageTags: request.copyImageTags,
            SnapshotCopyCompletionDurationMinutes: request.completionDurationMinutes,
            TagSpecifications: [
              { ResourceType: 'image', Tags: toEc2Tags(request.imageTags) },
              ...(request.snapshotTags === undefined
                ? []
                : [{ ResourceType: 'snapshot' as const, Tags: toEc2Tags(request.snapshotTags) }]),
            ],
          }),
        );
        if (output.ImageId === undefined) {
          throw new InvariantError(`CopyImage in ${region} answered without an image id`);
        }
        return output.ImageId;
      });
    },

    createTags(resourceIds, tags) {
      return call('CreateTags', async () => {
        for (let i = 0; i < resourceIds.length; i += CREATE_TAGS_BATCH) {
          await client.send(
            new CreateTagsCommand({
              Resources: resourceIds.slice(i, i + CREATE_TAGS_BATCH),
              Tags: toEc2Tags(tags),
            }),
          );
        }
      });
    },

    addLaunchPermissions(imageId, permissions) {
      return call('ModifyImageAttribute', async () => {
        await client.send(
          new ModifyImageAttributeCommand({
            ImageId: imageId,
            LaunchPermission: { Add: permissions.map(toEc2LaunchPermission) },
          }),
        );
      });
    },

    removeLaunchPermissions(imageId, permissions) {
      return call('ModifyImageAttribute', async () => {
        await client.send(
          new ModifyImageAttributeCommand({
            ImageId: imageId,
            LaunchPermission: { Remove: permissions.map(toEc2LaunchPermission) },
          }),
        );
      });
    },

    addCreateVolumePermissions(snapshotId, userIds) {
      return call('ModifySnapshotAttribute', async () => {
        for (let i = 0; i < userIds.length; i += SNAPSHOT_PERMISSION_BATCH) {
          await client.send(
            new ModifySnapshotAttributeCommand({
              SnapshotId: snapshotId,
              Attribute: 'createVolumePermission',
              OperationType: 'add',
              CreateVolumePermission: {
                Add: userIds.slice(i, i + SNAPSHOT_PERMISSION_BATCH).map((UserId) => ({ UserId })),
              },
            }),
          );
        }
      });
    },
  };
}

const IMAGE_STATES: ReadonlySet<string> = new Set<ImageState>([
  'pending',
  'available',
  'invalid',
  'deregistered',
  'transient',
  'failed',
  'error',
  'disabled',
]);

function isImageState(state: string | undefined): state is ImageState {
  return state !== undefined && IMAGE_STATES.has(state);
}

export function toObservedImage(image: Image, region: string): ObservedImage {
  const snapshotIds = (image.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [],
  );
  return {
    region,
    imageId: image.ImageId ?? '',
    name: image.Name ?? '',
    ownerId: image.OwnerId ?? '',
    ...(image.ImageOwnerAlias ? { ownerAlias: image.ImageOwnerAlias } : {}),
    state: isImageState(image.State) ? image.State : 'invalid',
    ...(image.StateReason?.Message ? { stateReason: image.StateReason.Message } : {}),
    rootDeviceType: image.RootDeviceType === 'instance-store' ? 'instance-store' : 'ebs',
    snapshotIds,
    tags: toTags(image.Tags),
    isPublic: image.Public ?? false,
    ...(image.SourceImageId ? { sourceImageId: image.SourceImageId } : {}),
    ...(image.SourceImageRegion ? { sourceImageRegion: image.SourceImageRegion } : {}),
    ...(image.CreationDate ? { creationDate: image.CreationDate } : {}),
    ...(image.DeprecationTime ? { deprecationTime: image.DeprecationTime } : {}),
    ...(image.DeregistrationProtection ? { deregistrationProtection: image.DeregistrationProtection } : {}),
    ...(image.LastLaunchedTime ? { lastLaunchedTime: image.LastLaunchedTime } : {}),
    hasMarketplaceCode: (image.ProductCodes ?? []).some((p) => p.ProductCodeType === 'marketplace'),
  };
}

function toObservedSnapshot(snapshot: Snapshot): ObservedSnapshot {
  return {
    snapshotId: snapshot.SnapshotId ?? '',
    tags: toTags(snapshot.Tags),
    encrypted: snapshot.Encrypted ?? false,
    ...(snapshot.KmsKeyId ? { kmsKeyId: snapshot.KmsKeyId } : {}),
  };
}

function toTags(tags: readonly Tag[] | undefined): Tags {
  return Object.fromEntries(
    (tags ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? '']])),
  );
}

function toEc2Tags(tags: Tags): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** One of EC2's launch permissions in the core's words; [] for a shape the core does not know. */
export function fromEc2LaunchPermission(permission: Ec2LaunchPermission): LaunchPermission[] {
  if (permission.UserId) return [{ kind: 'account', id: permission.UserId }];
  if (permission.Group === 'all') return [{ kind: 'public' }];
  if (permission.OrganizationArn) return [{ kind: 'organization', arn: permission.OrganizationArn }];
  if (permission.OrganizationalUnitArn)
    return [{ kind: 'organizational-unit', arn: permission.OrganizationalUnitArn }];
  return [];
}

function toEc2LaunchPermission(permission: LaunchPermission): Ec2LaunchPermission {
  switch (permission.kind) {
    case 'account':
      return { UserId: permission.id };
    case 'organization':
      return { OrganizationArn: permission.arn };
    case 'organizational-unit':
      return { OrganizationalUnitArn: permission.arn };
    case 'public':
      return { Group: 'all' };
  }
}
