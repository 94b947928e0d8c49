import type { TagStore } from './model.js';
import type { XmlObject } from './xml.js';

/**
 * The emulator's launch templates: records per region, and the template data as a tree. The data
 * is kept as the caller sent it (request member names such as `ImageId`, `BlockDeviceMapping`,
 * `MetadataOptions`), not as a model of every launch parameter: the emulator validates little of
 * it, merges it as CreateLaunchTemplateVersion does, and renders it back
 * (`launch-template-data.ts`).
 */

/** A launch parameter: a value, a list (`Name.N`) or a structure (`Name.Member`). */
export type LaunchTemplateValue = string | LaunchTemplateValue[] | LaunchTemplateStruct;

export interface LaunchTemplateStruct {
  [member: string]: LaunchTemplateValue;
}

export interface LaunchTemplateVersionRecord {
  versionNumber: number;
  description?: string;
  /** `RequestLaunchTemplateData` as sent (merged with the source version's, if any). */
  data: LaunchTemplateStruct;
  createTime: Date;
  /** The principal ARN that created the version. */
  createdBy: string;
}

export interface LaunchTemplateRecord {
  launchTemplateId: string;
  launchTemplateName: string;
  region: string;
  ownerId: string;
  createTime: Date;
  createdBy: string;
  defaultVersion: number;
  /** Ascending version numbers; the last is `$Latest`. */
  versions: LaunchTemplateVersionRecord[];
  tags: TagStore;
}

/**
 * A ClientToken of CreateLaunchTemplate or CreateLaunchTemplateVersion, for idempotent retries:
 * the same token with the same parameters gets the original answer again, with other parameters
 * `IdempotentParameterMismatch`.
 */
export interface LaunchTemplateTokenRecord {
  fingerprint: string;
  response: XmlObject;
}

/** The version that `$Latest` names. */
export function latestVersionOf(template: LaunchTemplateRecord): number {
  return template.versions[template.versions.length - 1]?.versionNumber ?? 0;
}

/** The image a version launches: an AMI id, or `resolve:ssm:<parameter>` as given. */
export function imageIdOf(version: LaunchTemplateVersionRecord): string | undefined {
  const imageId = version.data.ImageId;
  return typeof imageId === 'string' ? imageId : undefined;
}
