import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  type LaunchTemplateVersion,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { awsCall, awsErrorCode, InvariantError, rethrowClassified } from '../core/errors.js';
import type { TemplateVersion } from '../core/pointers-model.js';
import type { Ec2Port } from '../core/ports.js';

/**
 * The EC2 port's launch template calls for one region (see `createEc2Port`): the default and
 * latest versions of a named template, a new version from the default with only the image id
 * changed, and the default version. Failures are classified by `awsCall`, as in `ec2.ts`.
 */

/** What EC2 answers for a template that does not exist (by id, by name). */
const TEMPLATE_NOT_FOUND = new Set([
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateName.NotFoundException',
]);

export function templateCalls(
  client: EC2Client,
  region: string,
): Pick<
  Ec2Port,
  'describeLaunchTemplate' | 'createLaunchTemplateVersion' | 'setDefaultLaunchTemplateVersion'
> {
  return {
    async describeLaunchTemplate(template) {
      try {
        const output = await client.send(
          new DescribeLaunchTemplateVersionsCommand({
            ...(template.id === undefined
              ? { LaunchTemplateName: template.name }
              : { LaunchTemplateId: template.id }),
            Versions: ['$Default', '$Latest'],
          }),
        );
        const versions = output.LaunchTemplateVersions ?? [];
        const byDefault = versions.find((v) => v.DefaultVersion === true);
        const latest = [...versions].sort((a, b) => (b.VersionNumber ?? 0) - (a.VersionNumber ?? 0))[0];
        if (byDefault === undefined || latest === undefined) {
          throw new InvariantError(
            `DescribeLaunchTemplateVersions in ${region} answered no default version for ${template.id ?? template.name}`,
          );
        }
        return {
          templateId: byDefault.LaunchTemplateId ?? '',
          templateName: byDefault.LaunchTemplateName ?? '',
          defaultVersion: toVersion(byDefault),
          latestVersion: toVersion(latest),
        };
      } catch (error) {
        if (TEMPLATE_NOT_FOUND.has(awsErrorCode(error))) return undefined;
        rethrowClassified('DescribeLaunchTemplateVersions', region, error);
      }
    },

    createLaunchTemplateVersion(request) {
      return awsCall('CreateLaunchTemplateVersion', region, async () => {
        const output = await client.send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId: request.templateId,
            SourceVersion: String(request.sourceVersion),
            VersionDescription: request.description,
            LaunchTemplateData: { ImageId: request.imageId },
            ClientToken: request.clientToken,
          }),
        );
        const number = output.LaunchTemplateVersion?.VersionNumber;
        if (number === undefined) {
          throw new InvariantError(
            `CreateLaunchTemplateVersion in ${region} answered without a version number`,
          );
        }
        return number;
      });
    },

    setDefaultLaunchTemplateVersion(templateId, version) {
      return awsCall('ModifyLaunchTemplate', region, async () => {
        await client.send(
          new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: String(version) }),
        );
      });
    },
  };
}

function toVersion(version: LaunchTemplateVersion): TemplateVersion {
  const imageId = version.LaunchTemplateData?.ImageId;
  return {
    number: version.VersionNumber ?? 0,
    // `resolve:ssm:…` names a parameter, not an image.
    ...(imageId === undefined || !imageId.startsWith('ami-') ? {} : { imageId }),
  };
}
