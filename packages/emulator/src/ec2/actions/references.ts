import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, parseFilters } from '../filters.js';
import { imageIdOf } from '../launch-template-model.js';
import { type InstanceRecord, type InstanceStateName, tagsOf } from '../model.js';
import { checkMaxResults } from '../pagination.js';
import {
  EXTERNAL_REFERENCE_TYPES,
  type ExternalImageReference,
  isExternalReferenceType,
} from '../reference-sources.js';
import { isoTime, type XmlObject } from '../xml.js';
import { checkImageId, pageFor, tagSetXml } from './common.js';

/**
 * What uses an image, for safe retirement: DescribeInstances over seeded instances, and
 * DescribeImageReferences over instances, launch templates (seeded or created) and the references
 * other services contribute (`ImageReferenceSource`, or seeded with `seedImageReference`). Their
 * shapes and rules follow the
 * EC2 API model's documentation
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageReferences.html), and
 * codes not stated there are marked where they are chosen.
 */

const INSTANCE_ID_PATTERN = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

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

// ---- DescribeImageReferences ---------------------------------------------------------------------

const REFERENCE_TYPES = ['ec2:Instance', 'ec2:LaunchTemplate', ...EXTERNAL_REFERENCE_TYPES] as const;
type ReferenceType = (typeof REFERENCE_TYPES)[number];

function isReferenceType(value: string): value is ReferenceType {
  return (REFERENCE_TYPES as readonly string[]).includes(value);
}

/** "Array Members: Minimum number of 1 item. Maximum number of 10 items." (code unverified) */
const MAX_IMAGE_IDS = 10;

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

/** The caller's instances in the chosen states that were launched from the images. */
function instanceReferences(
  ctx: ActionContext,
  wanted: ReadonlySet<string>,
  scope: ReferenceScope,
): Reference[] {
  return [...ctx.state.instances.values()]
    .filter(
      (instance) =>
        instance.ownerId === ctx.accountId &&
        wanted.has(instance.imageId) &&
        scope.instanceStates.has(instance.state),
    )
    .map((instance) => ({
      imageId: instance.imageId,
      resourceType: 'ec2:Instance',
      arn: `arn:aws:ec2:${ctx.region}:${instance.ownerId}:instance/${instance.instanceId}`,
    }));
}

/**
 * The caller's launch templates whose newest `version-depth` versions name an image, one reference
 * per template and image: "the number of launch template versions to check, starting from the most
 * recent version". A default version older than that is not checked, as documented. A
 * `resolve:ssm:` image id is not an image id and references nothing here (the parameter itself is
 * an `ssm:Parameter` reference).
 */
function templateReferences(
  ctx: ActionContext,
  wanted: ReadonlySet<string>,
  scope: ReferenceScope,
): Reference[] {
  const references: Reference[] = [];
  for (const template of ctx.state.launchTemplates.values()) {
    if (template.ownerId !== ctx.accountId) continue;
    const named = new Set(template.versions.slice(-scope.versionDepth).map(imageIdOf));
    for (const imageId of wanted) {
      if (named.has(imageId)) {
        references.push({
          imageId,
          resourceType: 'ec2:LaunchTemplate',
          arn: `arn:aws:ec2:${ctx.region}:${template.ownerId}:launch-template/${template.launchTemplateId}`,
        });
      }
    }
  }
  return references;
}

/** Seeded references and every registered source's, for the requested types EC2 does not own. */
function externalReferences(
  ctx: ActionContext,
  imageIds: readonly string[],
  scope: ReferenceScope,
): Reference[] {
  if (!EXTERNAL_REFERENCE_TYPES.some((type) => scope.types.has(type))) return [];
  const contributed: ExternalImageReference[] = ctx.state.externalReferences.filter(
    (reference) => reference.ownerId === ctx.accountId,
  );
  for (const source of ctx.world.referenceSources) {
    contributed.push(...source(ctx.accountId, ctx.region, imageIds));
  }
  const wanted = new Set(imageIds);
  return contributed
    .filter(
      (reference) =>
        wanted.has(reference.imageId) &&
        isExternalReferenceType(reference.resourceType) &&
        scope.types.has(reference.resourceType),
    )
    .map(({ imageId, resourceType, arn }) => ({ imageId, resourceType, arn }));
}

/**
 * The caller's resources that reference the images (1–10 ids, each visible to the caller), of the
 * requested types; exact duplicates (a source and a seed naming the same resource) are reported
 * once. MaxResults is at least 5.
 */
export const describeImageReferences: ActionHandler = (ctx) => {
  const imageIds = [...new Set(ctx.params.strings('ImageId'))];
  if (imageIds.length === 0) throw Ec2Error.missingParameter('ImageId');
  if (imageIds.length > MAX_IMAGE_IDS) {
    throw Ec2Error.invalidParameterValue(`At most ${MAX_IMAGE_IDS} image IDs can be checked in one request.`);
  }
  const maxResults = checkMaxResults(ctx.params.integer('MaxResults'), 5, 1000);
  const scope = readScope(ctx);
  for (const imageId of imageIds) checkImageId(imageId);
  const missing = imageIds.filter((id) => {
    const image = ctx.state.images.get(id);
    return image === undefined || !ctx.world.canLaunch(image, ctx.accountId);
  });
  if (missing.length > 0) throw Ec2Error.imageNotFound(missing);

  const wanted = new Set(imageIds);
  const found = [
    ...(scope.types.has('ec2:Instance') ? instanceReferences(ctx, wanted, scope) : []),
    ...(scope.types.has('ec2:LaunchTemplate') ? templateReferences(ctx, wanted, scope) : []),
    ...externalReferences(ctx, imageIds, scope),
  ];
  const unique = new Map(
    found.map((reference) => [`${reference.imageId}:${reference.resourceType}:${reference.arn}`, reference]),
  );
  const page = pageFor(
    ctx,
    [...unique.values()],
    (reference) => `${reference.imageId}:${reference.arn}`,
    maxResults,
  );
  return { imageReferenceSet: page.items.map((reference) => ({ ...reference })), nextToken: page.nextToken };
};
