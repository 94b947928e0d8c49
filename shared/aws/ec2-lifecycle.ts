import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DisableImageCommand,
  DisableImageDeprecationCommand,
  type EC2Client,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  type ImageReference,
  paginateDescribeImageReferences,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplateVersions,
} from '@aws-sdk/client-ec2';
import { awsCall, awsErrorCode, rethrowClassified } from '../core/errors.js';
import type { Ec2Port } from '../core/ports.js';

/**
 * The EC2 port's lifecycle calls for one region (see `createEc2Port`): references, deprecation,
 * deregistration and snapshot deletion. Failures are classified by `awsCall`, as in `ec2.ts`.
 *
 * References: `DescribeImageReferences` when the region has it (instances in any state but
 * terminated, launch templates to the deepest version depth the API allows, SSM parameters, Image
 * Builder recipes). Where it is unavailable, a fallback scan: `DescribeInstances` with the
 * `image-id` filter, and every version of every launch template with the `image-id` filter (the
 * templates are enumerated through their `$Latest` versions, then each template's versions are
 * paged; a template version pinned by an Auto Scaling group can be any version, not only
 * `$Latest`/`$Default`). The fallback does not see SSM parameters, Image Builder recipes, nor
 * launch-template versions whose image is `resolve:ssm:…` (they name a parameter, not the image).
 */

/** Error codes that say the API does not exist in this region or partition: fall back. */
const REFERENCES_UNAVAILABLE = new Set([
  'InvalidAction',
  'UnsupportedOperation',
  'UnsupportedOperationException',
  'UnknownOperation',
  'UnknownOperationException',
  'NotImplemented',
]);

/** Instance states that still use an image; `terminated` ones never launch again. */
const LIVE_INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

/** DescribeImageReferences checks only the newest 10 versions of a template by default; 10000 is its maximum. */
const LAUNCH_TEMPLATE_VERSION_DEPTH = '10000';

const MINUTE_MS = 60_000;

export function lifecycleCalls(
  client: EC2Client,
  region: string,
): Pick<
  Ec2Port,
  | 'findReferences'
  | 'enableDeprecation'
  | 'disableDeprecation'
  | 'disableImage'
  | 'enableImage'
  | 'deregister'
  | 'deleteSnapshot'
> {
  const call = <T>(operation: string, send: () => Promise<T>): Promise<T> => awsCall(operation, region, send);

  /** Once a region says DescribeImageReferences does not exist, do not ask again. */
  let referencesApiAvailable = true;

  async function imageReferences(imageId: string): Promise<string[] | undefined> {
    const references: string[] = [];
    try {
      const pages = paginateDescribeImageReferences(
        { client },
        {
          ImageIds: [imageId],
          IncludeAllResourceTypes: true,
          // Given with IncludeAllResourceTypes, these override its defaults for these two types.
          ResourceTypes: [
            {
              ResourceType: 'ec2:Instance',
              ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: LIVE_INSTANCE_STATES }],
            },
            {
              ResourceType: 'ec2:LaunchTemplate',
              ResourceTypeOptions: [
                { OptionName: 'version-depth', OptionValues: [LAUNCH_TEMPLATE_VERSION_DEPTH] },
              ],
            },
          ],
        },
      );
      for await (const page of pages) {
        for (const reference of page.ImageReferences ?? []) references.push(describeReference(reference));
      }
    } catch (error) {
      if (REFERENCES_UNAVAILABLE.has(awsErrorCode(error))) {
        referencesApiAvailable = false;
        return undefined;
      }
      rethrowClassified('DescribeImageReferences', region, error);
    }
    return references;
  }

  async function scanReferences(imageId: string): Promise<string[]> {
    const references: string[] = [];
    await call('DescribeInstances', async () => {
      const pages = paginateDescribeInstances(
        { client, pageSize: 1000 },
        {
          Filters: [
            { Name: 'image-id', Values: [imageId] },
            { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
          ],
        },
      );
      for await (const page of pages) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) {
            references.push(`instance ${instance.InstanceId ?? '(unknown id)'}`);
          }
        }
      }
    });
    await call('DescribeLaunchTemplateVersions', async () => {
      // Without a template id, only $Latest/$Default may be asked for: that lists every template once.
      const templateIds = new Set<string>();
      const all = paginateDescribeLaunchTemplateVersions(
        { client, pageSize: 200 },
        { Versions: ['$Latest'] },
      );
      for await (const page of all) {
        for (const version of page.LaunchTemplateVersions ?? []) {
          if (version.LaunchTemplateId !== undefined) templateIds.add(version.LaunchTemplateId);
        }
      }
      for (const templateId of templateIds) {
        const versions = paginateDescribeLaunchTemplateVersions(
          { client, pageSize: 200 },
          { LaunchTemplateId: templateId, Filters: [{ Name: 'image-id', Values: [imageId] }] },
        );
        for await (const page of versions) {
          for (const version of page.LaunchTemplateVersions ?? []) {
            references.push(`launch-template ${templateId} v${version.VersionNumber ?? '?'}`);
          }
        }
      }
    });
    return references;
  }

  return {
    async findReferences(imageId) {
      if (referencesApiAvailable) {
        const found = await imageReferences(imageId);
        if (found !== undefined) return found;
      }
      return scanReferences(imageId);
    },

    enableDeprecation(imageId, at) {
      return call('EnableImageDeprecation', async () => {
        // EC2 keeps the minute; rounding up here means never earlier than asked, never in the past.
        const deprecateAt = new Date(Math.ceil(at.getTime() / MINUTE_MS) * MINUTE_MS);
        await client.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: deprecateAt }));
      });
    },

    disableDeprecation(imageId) {
      return call('DisableImageDeprecation', async () => {
        await client.send(new DisableImageDeprecationCommand({ ImageId: imageId }));
      });
    },

    disableImage(imageId) {
      return call('DisableImage', async () => {
        await client.send(new DisableImageCommand({ ImageId: imageId }));
      });
    },

    enableImage(imageId) {
      return call('EnableImage', async () => {
        await client.send(new EnableImageCommand({ ImageId: imageId }));
      });
    },

    deregister(imageId) {
      return call('DeregisterImage', async () => {
        const output = await client.send(
          new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }),
        );
        return {
          snapshotResults: (output.DeleteSnapshotResults ?? []).flatMap((result) =>
            result.SnapshotId === undefined
              ? []
              : [{ snapshotId: result.SnapshotId, returnCode: result.ReturnCode ?? 'unknown' }],
          ),
        };
      });
    },

    deleteSnapshot(snapshotId) {
      return call('DeleteSnapshot', async () => {
        await client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      });
    },
  };
}

/** `instance i-…`, `launch-template lt-…`, `ssm-parameter arn:…`, `image-recipe arn:…`: one readable line. */
function describeReference(reference: ImageReference): string {
  const arn = reference.Arn ?? '(no ARN)';
  const id = arn.slice(arn.lastIndexOf('/') + 1);
  switch (reference.ResourceType) {
    case 'ec2:Instance':
      return `instance ${id}`;
    case 'ec2:LaunchTemplate':
      return `launch-template ${id}`;
    case 'ssm:Parameter':
      return `ssm-parameter ${arn}`;
    case 'imagebuilder:ImageRecipe':
      return `image-recipe ${arn}`;
    case 'imagebuilder:ContainerRecipe':
      return `container-recipe ${arn}`;
    default:
      return `${reference.ResourceType ?? 'resource'} ${arn}`;
  }
}
