import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, parseFilters } from '../filters.js';
import {
  dataValue,
  launchTemplateDataXml,
  mergeLaunchTemplateData,
  readLaunchTemplateData,
} from '../launch-template-data.js';
import {
  imageIdOf,
  type LaunchTemplateRecord,
  type LaunchTemplateVersionRecord,
  latestVersionOf,
} from '../launch-template-model.js';
import { checkMaxResults } from '../pagination.js';
import { isoTime, type XmlObject } from '../xml.js';
import { pageFor } from './common.js';
import {
  checkVersionDescription,
  createdByOf,
  findTemplate,
  idempotent,
  versionOf,
} from './launch-templates.js';

/**
 * Launch template versions: CreateLaunchTemplateVersion and DescribeLaunchTemplateVersions, over
 * created and seeded templates alike
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplateVersion.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html).
 * `ResolveAlias` is accepted and ignored: a `resolve:ssm:` image id is answered as stored, never
 * resolved.
 */

function versionXml(template: LaunchTemplateRecord, version: LaunchTemplateVersionRecord): XmlObject {
  return {
    launchTemplateId: template.launchTemplateId,
    launchTemplateName: template.launchTemplateName,
    versionNumber: version.versionNumber,
    versionDescription: version.description,
    createTime: isoTime(version.createTime),
    createdBy: version.createdBy,
    defaultVersion: version.versionNumber === template.defaultVersion,
    launchTemplateData: launchTemplateDataXml(version.data),
  };
}

// ---- CreateLaunchTemplateVersion -----------------------------------------------------------------

/**
 * A new version numbered after the latest (numbers are never reused or chosen). With
 * `SourceVersion` (a number, `$Latest` or `$Default`) it inherits the source's parameters and the
 * given ones overwrite them, so a version "from the default with only the image changed" is
 * `SourceVersion=$Default` plus `LaunchTemplateData.ImageId`; without it, it holds only what is
 * given. The default version does not change (ModifyLaunchTemplate does that).
 */
export const createLaunchTemplateVersion: ActionHandler = (ctx) => {
  const { params } = ctx;
  const template = findTemplate(ctx, true);
  const description = params.string('VersionDescription');
  checkVersionDescription(description);
  const given = readLaunchTemplateData(params);
  const sourceVersion = params.string('SourceVersion');
  const source = sourceVersion === undefined ? undefined : versionOf(template, sourceVersion);
  const outcome = idempotent(ctx);
  if ('replay' in outcome) return outcome.replay;
  const version: LaunchTemplateVersionRecord = {
    versionNumber: latestVersionOf(template) + 1,
    description,
    data: source === undefined ? given : mergeLaunchTemplateData(source.data, given),
    createTime: ctx.now,
    createdBy: createdByOf(ctx.accountId),
  };
  template.versions.push(version);
  return outcome.remember({ launchTemplateVersion: versionXml(template, version) });
};

// ---- DescribeLaunchTemplateVersions --------------------------------------------------------------

interface VersionRow {
  template: LaunchTemplateRecord;
  version: LaunchTemplateVersionRecord;
}

/**
 * For one template: `$Latest`, `$Default` and numbers (a number that does not exist is
 * `InvalidLaunchTemplateId.VersionNotFound`), and `MinVersion`/`MaxVersion`. Across the caller's
 * templates: only `$Latest` and/or `$Default`, as documented.
 */
function selectVersions(ctx: ActionContext, template: LaunchTemplateRecord | undefined): VersionRow[] {
  const { params } = ctx;
  const selectors = params.strings('LaunchTemplateVersion');
  if (template === undefined) {
    if (
      selectors.length === 0 ||
      selectors.some((selector) => selector !== '$Latest' && selector !== '$Default')
    ) {
      throw Ec2Error.invalidParameterValue(
        'Without a launch template ID or name, LaunchTemplateVersion must be $Latest and/or $Default.',
      );
    }
    const rows: VersionRow[] = [];
    for (const each of ctx.state.launchTemplates.values()) {
      if (each.ownerId !== ctx.accountId) continue;
      for (const version of each.versions) {
        const wanted =
          (selectors.includes('$Latest') && version.versionNumber === latestVersionOf(each)) ||
          (selectors.includes('$Default') && version.versionNumber === each.defaultVersion);
        if (wanted) rows.push({ template: each, version });
      }
    }
    return rows;
  }
  const min = params.integer('MinVersion');
  const max = params.integer('MaxVersion');
  const numbers = new Set(selectors.map((selector) => versionOf(template, selector).versionNumber));
  return template.versions
    .filter(
      (version) =>
        (numbers.size === 0 || numbers.has(version.versionNumber)) &&
        (min === undefined || version.versionNumber > min) &&
        (max === undefined || version.versionNumber <= max),
    )
    .map((version) => ({ template, version }));
}

/** Filters over the stored data: the documented names whose parameter the emulator keeps as sent. */
const VERSION_FILTERS: Readonly<Record<string, readonly string[]>> = {
  'ebs-optimized': ['EbsOptimized'],
  'http-endpoint': ['MetadataOptions', 'HttpEndpoint'],
  'http-protocol-ipv4': ['MetadataOptions', 'HttpProtocolIpv4'],
  'http-tokens': ['MetadataOptions', 'HttpTokens'],
  'iam-instance-profile': ['IamInstanceProfile', 'Arn'],
  'instance-type': ['InstanceType'],
  'kernel-id': ['KernelId'],
  'ram-disk-id': ['RamDiskId'],
};

/** Versions of one template (by id or name), or the `$Latest`/`$Default` versions of all; MaxResults 1–200. */
export const describeLaunchTemplateVersions: ActionHandler = (ctx) => {
  const { params } = ctx;
  const maxResults = checkMaxResults(params.integer('MaxResults'), 1, 200);
  const template = findTemplate(ctx, false);
  const fields: Record<string, (row: VersionRow) => readonly (string | undefined)[]> = {
    'image-id': (row) => [imageIdOf(row.version)],
    'is-default-version': (row) => [String(row.version.versionNumber === row.template.defaultVersion)],
    'create-time': (row) => [isoTime(row.version.createTime)],
  };
  for (const [name, path] of Object.entries(VERSION_FILTERS)) {
    fields[name] = (row) => [dataValue(row.version.data, path)];
  }
  const matches = compileFilters<VersionRow>(parseFilters(params), { fields });
  const rows = selectVersions(ctx, template).filter(matches);
  const page = pageFor(
    ctx,
    rows,
    (row) => `${row.template.launchTemplateId}:${String(row.version.versionNumber).padStart(10, '0')}`,
    maxResults,
  );
  return {
    launchTemplateVersionSet: page.items.map(({ template: each, version }) => versionXml(each, version)),
    nextToken: page.nextToken,
  };
};
