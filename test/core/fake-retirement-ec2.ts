import { AwsCallError } from '../../shared/core/errors.js';
import {
  type LaunchPermission,
  LINEAGE,
  type ObservedImage,
  type ObservedSnapshot,
} from '../../shared/core/model.js';
import type { Ec2ForRegion, Ec2Port } from '../../shared/core/ports.js';
import { globMatches } from '../../shared/rules/glob.js';
import { ec2Error } from '../support/aws-errors.js';
import { ACCOUNT } from './builders.js';

/**
 * An EC2 of several regions for the retirement tests, as one object-literal `Ec2Port` per region.
 * Reads answer from `images` and `snapshots`; writes change them as EC2 would (DeregisterImage
 * removes the image and the snapshots it deleted, DeleteSnapshot removes the snapshot, or answers
 * InvalidSnapshot.NotFound when it is not there; a DeregisterImage of an image not there answers
 * InvalidAMIID.NotFound). Every call
 * is recorded in `calls`, in the order made, as `region Operation subject`. A call named in
 * `errors` (`Operation subject`, e.g. `DeregisterImage ami-…`) throws that error instead; one named
 * in `lostAnswers` takes effect, then throws a retryable error (the answer was lost on the way).
 * Calls the retirement tests never expect (CopyImage, permission changes) throw a plain Error: a
 * bug, which the core must not turn into an AWS failure.
 */

export interface RetirementWorldOptions {
  readonly images: readonly ObservedImage[];
  /** Snapshots per region, with their tags; default: `toolSnapshots(images)`. */
  readonly snapshots?: readonly RegionalSnapshot[];
  /** What uses each image (DescribeImageReferences); default nothing. */
  readonly references?: Readonly<Record<string, readonly string[]>>;
  /** Launch permissions per image; default none (only the owner launches it). */
  readonly launchPermissions?: Readonly<Record<string, readonly LaunchPermission[]>>;
  /** DeregisterImage's returnCode per snapshot; default success. */
  readonly returnCodes?: Readonly<Record<string, string>>;
  readonly errors?: Readonly<Record<string, unknown>>;
  readonly lostAnswers?: readonly string[];
  /** Milliseconds CreateTags takes, so an action that does not wait for it shows in `calls`. */
  readonly createTagsDelayMs?: number;
}

export interface RegionalSnapshot extends ObservedSnapshot {
  readonly region: string;
}

export interface RetirementWorld {
  readonly ec2: Ec2ForRegion;
  readonly calls: string[];
  /** The images EC2 shows now. */
  readonly images: ObservedImage[];
  readonly snapshots: RegionalSnapshot[];
}

/** An AwsCallError around an EC2 error as the SDK raises it: a client fault (400), or throttling (503). */
export function awsError(code: string, operation: string, region = 'us-east-1'): AwsCallError {
  const throttled = code === 'RequestLimitExceeded';
  return new AwsCallError(operation, region, ec2Error(code, throttled ? 503 : 400));
}

/** The snapshots of the tool's images as it leaves them: with their image's tags (the rules' default). */
export function toolSnapshots(images: readonly ObservedImage[]): RegionalSnapshot[] {
  return images
    .filter((i) => i.tags[LINEAGE.rule] !== undefined)
    .flatMap((i) =>
      i.snapshotIds.map((snapshotId) => ({ region: i.region, snapshotId, tags: i.tags, encrypted: false })),
    );
}

export function retirementWorld(options: RetirementWorldOptions): RetirementWorld {
  const images = [...options.images];
  const snapshots = [...(options.snapshots ?? toolSnapshots(options.images))];
  const calls: string[] = [];
  const lost = new Set(options.lostAnswers ?? []);

  const ec2: Ec2ForRegion = (region) => {
    /** Records the call; throws the error configured for it. */
    const call = (operation: string, subject: string) => {
      calls.push(`${region} ${operation} ${subject}`.trimEnd());
      const error = options.errors?.[`${operation} ${subject}`];
      if (error !== undefined) throw error;
    };
    /** After the effect: the answer of a call named in `lostAnswers` never arrives. */
    const answer = (operation: string, subject: string) => {
      if (lost.has(`${operation} ${subject}`)) throw awsError('RequestLimitExceeded', operation, region);
    };
    const unexpected = (operation: string) => async () => {
      calls.push(`${region} ${operation}`);
      throw new Error(`unexpected ${operation} in ${region}`);
    };
    const here = () => images.filter((i) => i.region === region);
    const setImage = (imageId: string, change: (image: ObservedImage) => ObservedImage) => {
      for (const [i, img] of images.entries()) {
        if (img.region === region && img.imageId === imageId) images[i] = change(img);
      }
    };

    const port: Ec2Port = {
      async describeImage(imageId) {
        call('DescribeImages', imageId);
        return here().find((i) => i.imageId === imageId);
      },
      async describeImagesById(imageIds) {
        call('DescribeImages', imageIds.join(','));
        return here().filter((i) => imageIds.includes(i.imageId));
      },
      async listImages({ owners, names }) {
        call('DescribeImages', `owners=${owners.join(',')}${names ? ` names=${names.join(',')}` : ''}`);
        return here().filter(
          (i) =>
            owners.some((o) => (o === 'self' ? i.ownerId === ACCOUNT : i.ownerId === o)) &&
            (names === undefined || names.some((glob) => globMatches(glob, i.name))),
        );
      },
      async imagesExecutableBy(accountId) {
        call('DescribeImages', `executable-by=${accountId}`);
        return new Set<string>();
      },
      async snapshotsRestorableBy(accountId) {
        call('DescribeSnapshots', `restorable-by=${accountId}`);
        return new Set<string>();
      },
      async findCopies(sourceImageId) {
        call('DescribeImages', `source=${sourceImageId}`);
        return here().filter((i) => i.sourceImageId === sourceImageId);
      },
      async describeLaunchPermissions(imageId) {
        call('DescribeImageAttribute', imageId);
        return [...(options.launchPermissions?.[imageId] ?? [])];
      },
      async describeSnapshots(ids) {
        call('DescribeSnapshots', ids.join(','));
        return snapshots.filter((s) => s.region === region && ids.includes(s.snapshotId));
      },
      async listTaggedSnapshots(tagKey) {
        call('DescribeSnapshots', `tag-key=${tagKey}`);
        return snapshots.filter((s) => s.region === region && Object.hasOwn(s.tags, tagKey));
      },
      async describeCreateVolumeUserIds(snapshotId) {
        call('DescribeSnapshotAttribute', snapshotId);
        return [];
      },
      async isPublicSharingBlocked() {
        call('GetImageBlockPublicAccessState', '');
        return false;
      },
      async findReferences(imageId) {
        call('DescribeImageReferences', imageId);
        return [...(options.references?.[imageId] ?? [])];
      },
      copyImage: unexpected('CopyImage'),
      addLaunchPermissions: unexpected('ModifyImageAttribute'),
      removeLaunchPermissions: unexpected('ModifyImageAttribute'),
      addCreateVolumePermissions: unexpected('ModifySnapshotAttribute'),
      async createTags(resourceIds, tags) {
        const subject = `${resourceIds.join(',')} ${Object.entries(tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`;
        if (options.createTagsDelayMs !== undefined) {
          await new Promise((resolve) => setTimeout(resolve, options.createTagsDelayMs));
        }
        // Recorded once done: an action that started before CreateTags finished shows before it.
        call('CreateTags', subject);
        for (const [i, img] of images.entries()) {
          if (img.region === region && resourceIds.includes(img.imageId)) {
            images[i] = { ...img, tags: { ...img.tags, ...tags } };
          }
        }
        for (const [i, s] of snapshots.entries()) {
          if (s.region === region && resourceIds.includes(s.snapshotId)) {
            snapshots[i] = { ...s, tags: { ...s.tags, ...tags } };
          }
        }
        answer('CreateTags', subject);
      },
      async enableDeprecation(imageId, at) {
        call('EnableImageDeprecation', `${imageId} ${at.toISOString()}`);
        for (const [i, img] of images.entries()) {
          if (img.region === region && img.imageId === imageId) {
            images[i] = { ...img, deprecationTime: at.toISOString() };
          }
        }
        answer('EnableImageDeprecation', `${imageId} ${at.toISOString()}`);
      },
      async disableDeprecation(imageId) {
        call('DisableImageDeprecation', imageId);
        setImage(imageId, (img) => {
          const { deprecationTime: _, ...rest } = img;
          return rest;
        });
        answer('DisableImageDeprecation', imageId);
      },
      async disableImage(imageId) {
        call('DisableImage', imageId);
        setImage(imageId, (img) => ({ ...img, state: 'disabled' }));
        answer('DisableImage', imageId);
      },
      async enableImage(imageId) {
        call('EnableImage', imageId);
        setImage(imageId, (img) => ({ ...img, state: 'available' }));
        answer('EnableImage', imageId);
      },
      async deregister(imageId) {
        call('DeregisterImage', imageId);
        const index = images.findIndex((i) => i.region === region && i.imageId === imageId);
        const found = images[index];
        if (found === undefined) throw awsError('InvalidAMIID.NotFound', 'DeregisterImage', region);
        images.splice(index, 1);
        const snapshotResults = found.snapshotIds.map((snapshotId) => ({
          snapshotId,
          returnCode: options.returnCodes?.[snapshotId] ?? 'success',
        }));
        for (const { snapshotId, returnCode } of snapshotResults) {
          if (returnCode === 'success') removeSnapshot(region, snapshotId);
        }
        answer('DeregisterImage', imageId);
        return { snapshotResults };
      },
      async deleteSnapshot(snapshotId) {
        call('DeleteSnapshot', snapshotId);
        if (!removeSnapshot(region, snapshotId)) {
          throw awsError('InvalidSnapshot.NotFound', 'DeleteSnapshot', region);
        }
        answer('DeleteSnapshot', snapshotId);
      },
      async describeLaunchTemplate(template) {
        call('DescribeLaunchTemplateVersions', template.id ?? template.name ?? '');
        return undefined;
      },
      async createLaunchTemplateVersion(request) {
        call('CreateLaunchTemplateVersion', request.templateId);
        return 2;
      },
      async setDefaultLaunchTemplateVersion(templateId) {
        call('ModifyLaunchTemplate', templateId);
      },
    };
    return port;
  };

  /** Whether the snapshot was there. */
  function removeSnapshot(region: string, snapshotId: string): boolean {
    const index = snapshots.findIndex((s) => s.region === region && s.snapshotId === snapshotId);
    if (index >= 0) snapshots.splice(index, 1);
    return index >= 0;
  }

  return { ec2, calls, images, snapshots };
}

/** The writes among `calls`: what changed EC2. */
export function writesOf(calls: readonly string[]): string[] {
  return calls.filter((c) =>
    /^\S+ (CreateTags|EnableImageDeprecation|DeregisterImage|DeleteSnapshot|CopyImage|Modify\w+) /.test(
      `${c} `,
    ),
  );
}
