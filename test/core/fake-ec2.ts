import type { ObservedImage } from '../../shared/core/model.js';
import type { Ec2ForRegion, Ec2Port } from '../../shared/core/ports.js';

/**
 * An EC2 test double: reads answer from the images given; writes are recorded. Only what a test
 * names exists, so an unexpected call shows up as a recorded write or an undefined image.
 */
export function fakeEc2(images: readonly ObservedImage[]): { ec2: Ec2ForRegion; writes: string[] } {
  const writes: string[] = [];
  const ec2: Ec2ForRegion = (region) => {
    const port: Ec2Port = {
      describeImage: async (id) => images.find((i) => i.region === region && i.imageId === id),
      describeImagesById: async (ids) => images.filter((i) => i.region === region && ids.includes(i.imageId)),
      listImages: async () => images.filter((i) => i.region === region),
      imagesExecutableBy: async () => new Set<string>(),
      snapshotsRestorableBy: async () => new Set<string>(),
      findCopies: async (sourceImageId) =>
        images.filter((i) => i.region === region && i.sourceImageId === sourceImageId),
      describeLaunchPermissions: async () => [],
      describeSnapshots: async (ids) => ids.map((snapshotId) => ({ snapshotId, tags: {}, encrypted: false })),
      listTaggedSnapshots: async () => [],
      findReferences: async () => [],
      describeCreateVolumeUserIds: async () => [],
      isPublicSharingBlocked: async () => false,
      copyImage: async (request) => {
        writes.push(`${region} CopyImage ${request.sourceImageId}`);
        return 'ami-0new0000000000000';
      },
      createTags: async (ids) => {
        writes.push(`${region} CreateTags ${ids.join(',')}`);
      },
      addLaunchPermissions: async (imageId) => {
        writes.push(`${region} ModifyImageAttribute ${imageId}`);
      },
      removeLaunchPermissions: async (imageId) => {
        writes.push(`${region} ModifyImageAttribute ${imageId} remove`);
      },
      addCreateVolumePermissions: async (snapshotId) => {
        writes.push(`${region} ModifySnapshotAttribute ${snapshotId}`);
      },
      enableDeprecation: async (imageId) => {
        writes.push(`${region} EnableImageDeprecation ${imageId}`);
      },
      disableDeprecation: async (imageId) => {
        writes.push(`${region} DisableImageDeprecation ${imageId}`);
      },
      disableImage: async (imageId) => {
        writes.push(`${region} DisableImage ${imageId}`);
      },
      enableImage: async (imageId) => {
        writes.push(`${region} EnableImage ${imageId}`);
      },
      deregister: async (imageId) => {
        writes.push(`${region} DeregisterImage ${imageId}`);
        return { snapshotResults: [] };
      },
      deleteSnapshot: async (snapshotId) => {
        writes.push(`${region} DeleteSnapshot ${snapshotId}`);
      },
      describeLaunchTemplate: async () => undefined,
      createLaunchTemplateVersion: async (request) => {
        writes.push(`${region} CreateLaunchTemplateVersion ${request.templateId} ${request.imageId}`);
        return 2;
      },
      setDefaultLaunchTemplateVersion: async (templateId, version) => {
        writes.push(`${region} ModifyLaunchTemplate ${templateId} ${version}`);
      },
    };
    return port;
  };
  return { ec2, writes };
}
