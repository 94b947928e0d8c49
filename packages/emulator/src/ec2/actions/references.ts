import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, parseFilters } from '../filters.js';
import {
  canLaunch,
  type InstanceRecord,
  type InstanceStateName,
  type LaunchTemplateRecord,
  type LaunchTemplateVersionRecord,
  tagsOf,
} from '../model.js';
import { checkMaxResults } from '../pagination.js';
import { isoTime, type XmlObject } from '../xml.js';
import { checkImageId, pageFor, tagSetXml } from './common.js';

/**
 * What uses an image, for safe retirement: DescribeInstances, DescribeLaunchTemplateVersions and
 * DescribeImageReferences over seeded instances, launch templates and external references
 * (`seedInstance`, `seedLaunchTemplate`, `seedImageReference`). Their shapes and rules follow the
 * EC2 API model's documentation
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageReferences.html), and
 * codes not stated there are marked where they are chosen.
 */

const INSTANCE_ID_PATTERN = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const LAUNCH_TEMPLATE_ID_PATTERN = /^lt-[0-9a-f]{17}$/;

const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export const INSTANCE_STATES = Object.keys(STATE_CODES);

// ---- DescribeInstances ---------------------------------------------------------------------------

function instanceXml(instance: InstanceRecord, accountId: string): XmlObject {
  const tags = tagSetXml(instance.tags, accountId);
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: { code: STATE_CODES[instance.state], name: instance.state },
    instanceType: instance.instanceType,
    launchTime: isoTime(instance.launchTime),
    tagSet: tags.length === 0 ? undefined : tags,
  };
}

/**
 * The caller's instances, one reservation each. `InstanceId.N` cannot be combined with
 * `MaxResults` (model); MaxResults is 5–1000. Unknown ids are `InvalidInstanceID.NotFound`.
 */
export const describeInstances: ActionHandler = (ctx) => {
  const { params, accountId } = ctx;
  const instanceIds = params.strings('InstanceId');
  const maxResults = checkMaxResults(params.integer('MaxResults'), 5, 1000);
  if (instanceIds.length > 0 && maxResults !== undefined) {
    throw Ec2Error.invalidParameterCombination(
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  const matches = compileFilters<InstanceRecord>(parseFilters(params), {
    fields: {
      'image-id': (i) => [i.imageId],
      'instance-id': (i) => [i.instanceId],
      'instance-state-name': (i) => [i.state],
      'instance-state-code': (i) => [String(STATE_CODES[i.state])],
      'instance-type': (i) => [i.instanceType],
      'launch-time': (i) => [isoTime(i.launchTime)],
      'owner-id': (i) => [i.ownerId],
      'reservation-id': (i) => [i.reservationId],
    },
    tagsOf: (i) => tagsOf(i.tags, accountId),
  });
  const own = [...ctx.state.instances.values()].filter((instance) => instance.ownerId === accountId);
  let candidates = own;
  if (instanceIds.length > 0) {
    for (const id of instanceIds) {
      if (!INSTANCE_ID_PATTERN.test(id))
        throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
    const missing = instanceIds.filter((id) => !own.some((instance) => instance.instanceId === id));
    if (missing.length > 0) {
      throw new Ec2Error(
        'InvalidInstanceID.NotFound',
        missing.length === 1
          ? `The instance ID '${missing[0]}' does not exist`
          : `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
    candidates = own.filter((instance) => instanceIds.includes(instance.instanceId));
  }
  const page = pageFor(ctx, candidates.filter(matches), (instance) => instance.instanceId, maxResults);
  return {
    reservationSet: page.items.map((instance) => ({
      reservationId: instance.reservationId,
      ownerId: instance.ownerId,
      groupSet: [],
      instancesSet: [instanceXml(instance, accountId)],
    })),
    nextToken: page.nextToken,
  };
};

// ---- DescribeLaunchTemplateVersions --------------------------------------------------------------

function launchTemplate(ctx: ActionContext, id: string | undefined, name: string | undefined) {
  if (id !== undefined && name !== undefined) {
    throw Ec2Error.invalidParameterCombination(
      'Specify either LaunchTemplateId or LaunchTemplateName, but not both.',
    );
  }
  if (id === undefined && name === undefined) return undefined;
  if (id !== undefined && !LAUNCH_TEMPLATE_ID_PATTERN.test(id)) {
    throw new Ec2Error(
      'InvalidLaunchTemplateId.Malformed',
      `The specified ID for the launch template (${id}) is not valid.`,
    );
  }
  const found = [...ctx.state.launchTemplates.values()].find(
    (template) =>
      template.ownerId === ctx.accountId &&
      (id !== undefined ? template.launchTemplateId === id : template.launchTemplateName === name),
  );
  if (found !== undefined) return found;
  throw id !== undefined
    ? new Ec2Error(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${id}, does not exist.`,
      )
    : new Ec2Error(
        'InvalidLaunchTemplateName.NotFoundException',
        `The specified launch template, with template name ${name}, does not exist.`,
      );
}

interface VersionRow {
  template: LaunchTemplateRecord;
  version: LaunchTemplateVersionRecord;
}

function latestOf(template: LaunchTemplateRecord): number {
  return template.versions[template.versions.length - 1]?.versionNumber ?? 0;
}

/** Version selectors: `$Latest`, `$Default` and numbers for one template; only the aliases across templates. */
function selectVersions(ctx: ActionContext, template: LaunchTemplateRecord | undefined): VersionRow[] {
  const { params } = ctx;
  const selectors = params.strings('LaunchTemplateVersion');
  const min = params.integer('MinVersion');
  const max = params.integer('MaxVersion');
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
          (selectors.includes('$Latest') && version.versionNumber === latestOf(each)) ||
          (selectors.includes('$Default') && version.versionNumber === each.defaultVersion);
        if (wanted) rows.push({ template: each, version });
      }
    }
    return rows;
  }
  const numbers = new Set<number>();
  for (const selector of selectors) {
    if (selector === '$Latest') numbers.add(latestOf(template));
    else if (selector === '$Default') numbers.add(template.defaultVersion);
    else if (/^\d+$/.test(selector)) numbers.add(Number(selector));
    else throw Ec2Error.invalidParameterValue(`Invalid launch template version: ${selector}`);
  }
  return template.versions
    .filter(
      (version) =>
        (numbers.size === 0 || numbers.has(version.versionNumber)) &&
        (min === undefined || version.versionNumber > min) &&
        (max === undefined || version.versionNumber <= max),
    )
    .map((version) => ({ template, version }));
}

/** Versions of one template (by id or name), or the `$Latest`/`$Default` versions of all; MaxResults 1–200. */
export const describeLaunchTemplateVersions: ActionHandler = (ctx) => {
  const { params } = ctx;
  const maxResults = checkMaxResults(params.integer('MaxResults'), 1, 200);
  const template = launchTemplate(
    ctx,
    params.string('LaunchTemplateId'),
    params.string('LaunchTemplateName'),
  );
  const matches = compileFilters<VersionRow>(parseFilters(params), {
    fields: {
      'image-id': (row) => [row.version.imageId],
      'instance-type': (row) => [row.version.instanceType],
      'is-default-version': (row) => [String(row.version.versionNumber === row.template.defaultVersion)],
      'create-time': (row) => [isoTime(row.version.createTime)],
    },
  });
  const rows = selectVersions(ctx, template).filter(matches);
  const page = pageFor(
    ctx,
    rows,
    (row) => `${row.template.launchTemplateId}:${String(row.version.versionNumber).padStart(10, '0')}`,
    maxResults,
  );
  return {
    launchTemplateVersionSet: page.items.map(({ template: each, version }) => ({
      launchTemplateId: each.launchTemplateId,
      launchTemplateName: each.launchTemplateName,
      versionNumber: version.versionNumber,
      versionDescription: version.description,
      createTime: isoTime(version.createTime),
      createdBy: `arn:aws:iam::${each.ownerId}:root`,
      defaultVersion: version.versionNumber === each.defaultVersion,
      launchTemplateData: { imageId: version.imageId, instanceType: version.instanceType },
    })),
    nextToken: page.nextToken,
  };
};

// ---- DescribeImageReferences ---------------------------------------------------------------------

const REFERENCE_TYPES = [
  'ec2:Instance',
  'ec2:LaunchTemplate',
  'ssm:Parameter',
  'imagebuilder:ImageRecipe',
  'imagebuilder:ContainerRecipe',
] as const;
type ReferenceType = (typeof REFERENCE_TYPES)[number];

function isReferenceType(value: string): value is ReferenceType {
  return (REFERENCE_TYPES as readonly string[]).includes(value);
}

interface ReferenceScope {
  types: Set<ReferenceType>;
  /** ec2:Instance `state-name`; default all states. */
  instanceStates: Set<string>;
  /** ec2:LaunchTemplate `version-depth`: how many of the newest versions to check; default 10. */
  versionDepth: number;
}

/** `IncludeAllResourceTypes` and/or `ResourceType.N` with options (model documentation). */
function readScope(ctx: ActionContext): ReferenceScope {
  const all = ctx.params.boolean('IncludeAllResourceTypes') ?? false;
  const requested = ctx.params.items('ResourceType');
  if (!all && requested.length === 0) {
    throw Ec2Error.invalidParameterCombination(
      'Either IncludeAllResourceTypes or ResourceTypes must be specified.',
    );
  }
  const scope: ReferenceScope = {
    types: new Set(all ? REFERENCE_TYPES : []),
    instanceStates: new Set(INSTANCE_STATES),
    versionDepth: 10,
  };
  for (const item of requested) {
    const type = item.requiredString('ResourceType');
    if (!isReferenceType(type)) {
      throw Ec2Error.invalidParameterValue(`Value (${type}) for parameter ResourceType is invalid.`);
    }
    scope.types.add(type);
    for (const option of item.items('ResourceTypeOption')) {
      const name = option.requiredString('OptionName');
      const values = option.strings('OptionValue');
      if (type === 'ec2:Instance' && name === 'state-name') {
        const bad = values.find((value) => !INSTANCE_STATES.includes(value));
        if (bad !== undefined)
          throw Ec2Error.invalidParameterValue(`Value (${bad}) for option state-name is invalid.`);
        scope.instanceStates = new Set(values);
      } else if (type === 'ec2:LaunchTemplate' && name === 'version-depth') {
        const depth = Number(values[0]);
        if (values.length !== 1 || !Number.isInteger(depth) || depth < 1 || depth > 10_000) {
          throw Ec2Error.invalidParameterValue(
            'The option version-depth must be one integer between 1 and 10000.',
          );
        }
        scope.versionDepth = depth;
      } else {
        throw Ec2Error.invalidParameterValue(`The option ${name} is not valid for resource type ${type}.`);
      }
    }
  }
  return scope;
}

interface Reference {
  imageId: string;
  resourceType: ReferenceType;
  arn: string;
}

/**
 * The caller's resources that reference the images: instances (in the chosen states), launch
 * templates whose newest `version-depth` versions name the image (one reference per template),
 * and seeded SSM parameters / Image Builder recipes. MaxResults is at least 5.
 */
export const describeImageReferences: ActionHandler = (ctx) => {
  const imageIds = ctx.params.strings('ImageId');
  if (imageIds.length === 0) throw Ec2Error.missingParameter('ImageId');
  const maxResults = checkMaxResults(ctx.params.integer('MaxResults'), 5, 1000);
  const scope = readScope(ctx);
  for (const imageId of imageIds) checkImageId(imageId);
  const missing = imageIds.filter((id) => {
    const image = ctx.state.images.get(id);
    return image === undefined || !canLaunch(image, ctx.accountId);
  });
  if (missing.length > 0) throw Ec2Error.imageNotFound(missing);

  const wanted = new Set(imageIds);
  const references: Reference[] = [];
  if (scope.types.has('ec2:Instance')) {
    for (const instance of ctx.state.instances.values()) {
      if (
        instance.ownerId === ctx.accountId &&
        wanted.has(instance.imageId) &&
        scope.instanceStates.has(instance.state)
      ) {
        references.push({
          imageId: instance.imageId,
          resourceType: 'ec2:Instance',
          arn: `arn:aws:ec2:${ctx.region}:${instance.ownerId}:instance/${instance.instanceId}`,
        });
      }
    }
  }
  if (scope.types.has('ec2:LaunchTemplate')) {
    for (const template of ctx.state.launchTemplates.values()) {
      if (template.ownerId !== ctx.accountId) continue;
      const newest = template.versions.slice(-scope.versionDepth);
      for (const imageId of wanted) {
        if (newest.some((version) => version.imageId === imageId)) {
          references.push({
            imageId,
            resourceType: 'ec2:LaunchTemplate',
            arn: `arn:aws:ec2:${ctx.region}:${template.ownerId}:launch-template/${template.launchTemplateId}`,
          });
        }
      }
    }
  }
  for (const reference of ctx.state.externalReferences) {
    if (
      reference.ownerId === ctx.accountId &&
      wanted.has(reference.imageId) &&
      scope.types.has(reference.resourceType)
    ) {
      references.push({
        imageId: reference.imageId,
        resourceType: reference.resourceType,
        arn: reference.arn,
      });
    }
  }
  const page = pageFor(ctx, references, (reference) => `${reference.imageId}:${reference.arn}`, maxResults);
  return { imageReferenceSet: page.items.map((reference) => ({ ...reference })), nextToken: page.nextToken };
};
