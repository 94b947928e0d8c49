import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { compileFilters, parseFilters } from '../filters.js';
import { readLaunchTemplateData } from '../launch-template-data.js';
import {
  type LaunchTemplateRecord,
  type LaunchTemplateVersionRecord,
  latestVersionOf,
} from '../launch-template-model.js';
import { newId, tagsOf } from '../model.js';
import { checkMaxResults } from '../pagination.js';
import { isoTime, type XmlObject } from '../xml.js';
import { pageFor, readTagSpecifications, tagSetXml } from './common.js';

/**
 * Launch templates as the owner manages them: CreateLaunchTemplate, ModifyLaunchTemplate (the
 * default version), DeleteLaunchTemplate and DescribeLaunchTemplates, and the lookup and
 * idempotency rules that CreateLaunchTemplateVersion and DescribeLaunchTemplateVersions share
 * (`launch-template-versions.ts`). Codes and messages are those of the EC2 error codes page
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html) where it lists them.
 * A template belongs to one account in one region; other accounts never see it.
 */

const TEMPLATE_ID_PATTERN = /^lt-[0-9a-f]{17}$/;
/** 3–128 of letters, digits and `( ) . - / _` (the model's pattern and the error codes page). */
const TEMPLATE_NAME_PATTERN = /^[a-zA-Z0-9().\-/_]{3,128}$/;
/** "Constraint: Maximum 128 ASCII characters." */
const CLIENT_TOKEN_PATTERN = /^[\x20-\x7e]{1,128}$/;
/** The model's limit on `VersionDescription` (code unverified). */
const MAX_VERSION_DESCRIPTION = 255;
const NOT_FINGERPRINTED = new Set(['Action', 'Version', 'ClientToken', 'DryRun']);

export function createdByOf(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

function checkTemplateId(id: string): void {
  if (!TEMPLATE_ID_PATTERN.test(id)) {
    throw new Ec2Error(
      'InvalidLaunchTemplateId.Malformed',
      `The specified ID for the launch template (${id}) is not valid. ` +
        'Ensure that you specify the launch template ID in the form lt-xxxxxxxxxxxxxxxxx.',
    );
  }
}

function templateIdNotFound(id: string): Ec2Error {
  return new Ec2Error(
    'InvalidLaunchTemplateId.NotFound',
    `The specified launch template, with template ID ${id}, does not exist.`,
  );
}

function templateNameNotFound(name: string): Ec2Error {
  return new Ec2Error(
    'InvalidLaunchTemplateName.NotFoundException',
    `The specified launch template, with template name ${name}, does not exist.`,
  );
}

function ownTemplates(ctx: ActionContext): LaunchTemplateRecord[] {
  return [...ctx.state.launchTemplates.values()].filter((template) => template.ownerId === ctx.accountId);
}

/**
 * The caller's template named by `LaunchTemplateId` or `LaunchTemplateName` (one, not both), or
 * undefined when neither is given and `required` is false.
 */
export function findTemplate(ctx: ActionContext, required: true): LaunchTemplateRecord;
export function findTemplate(ctx: ActionContext, required: boolean): LaunchTemplateRecord | undefined;
export function findTemplate(ctx: ActionContext, required: boolean): LaunchTemplateRecord | undefined {
  const id = ctx.params.string('LaunchTemplateId');
  const name = ctx.params.string('LaunchTemplateName');
  if (id !== undefined && name !== undefined) {
    throw Ec2Error.invalidParameterCombination(
      'Specify either LaunchTemplateId or LaunchTemplateName, but not both.',
    );
  }
  if (id === undefined && name === undefined) {
    if (!required) return undefined;
    throw Ec2Error.missingParameter('launchTemplateName or launchTemplateId');
  }
  if (id !== undefined) {
    checkTemplateId(id);
    const found = ctx.state.launchTemplates.get(id);
    if (found === undefined || found.ownerId !== ctx.accountId) throw templateIdNotFound(id);
    return found;
  }
  const found = ownTemplates(ctx).find((template) => template.launchTemplateName === name);
  if (found === undefined) throw templateNameNotFound(name ?? '');
  return found;
}

/** The version `selector` (a number, `$Latest` or `$Default`) names; `VersionNotFound` if none. */
export function versionOf(template: LaunchTemplateRecord, selector: string): LaunchTemplateVersionRecord {
  const number =
    selector === '$Latest'
      ? latestVersionOf(template)
      : selector === '$Default'
        ? template.defaultVersion
        : /^\d+$/.test(selector)
          ? Number(selector)
          : undefined;
  if (number === undefined) {
    throw Ec2Error.invalidParameterValue(`Invalid launch template version: ${selector}`);
  }
  const version = template.versions.find((each) => each.versionNumber === number);
  if (version === undefined) {
    throw new Ec2Error(
      'InvalidLaunchTemplateId.VersionNotFound',
      `The specified launch template version ${selector} does not exist for launch template ${template.launchTemplateId}.`,
    );
  }
  return version;
}

export function checkVersionDescription(description: string | undefined): void {
  if (description !== undefined && [...description].length > MAX_VERSION_DESCRIPTION) {
    throw Ec2Error.invalidParameterValue(
      `The version description must be at most ${MAX_VERSION_DESCRIPTION} characters long.`,
    );
  }
}

/**
 * Idempotency by `ClientToken`
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html): a retry with the
 * same token and parameters gets the first answer again, even if the template changed since; with
 * other parameters `IdempotentParameterMismatch`. Tokens are per account, region and action.
 * Returns the remembered answer, or a function that remembers this call's.
 */
export function idempotent(
  ctx: ActionContext,
): { replay: XmlObject } | { remember: (response: XmlObject) => XmlObject } {
  const token = ctx.params.string('ClientToken');
  if (token === undefined || token === '') return { remember: (response) => response };
  if (!CLIENT_TOKEN_PATTERN.test(token)) {
    throw new Ec2Error(
      'InvalidClientToken',
      'The client token must be at most 128 printable ASCII characters.',
    );
  }
  const key = `${ctx.accountId}:${ctx.action}:${token}`;
  const fingerprint = ctx.params.canonical(NOT_FINGERPRINTED);
  const prior = ctx.state.launchTemplateTokens.get(key);
  if (prior !== undefined) {
    if (prior.fingerprint !== fingerprint) throw Ec2Error.idempotentParameterMismatch();
    return { replay: prior.response };
  }
  return {
    remember: (response) => {
      ctx.state.launchTemplateTokens.set(key, { fingerprint, response });
      return response;
    },
  };
}

/** A `LaunchTemplate` structure, as the caller sees it (its own tags). */
export function templateXml(template: LaunchTemplateRecord, accountId: string): XmlObject {
  const tags = tagSetXml(template.tags, accountId);
  return {
    launchTemplateId: template.launchTemplateId,
    launchTemplateName: template.launchTemplateName,
    createTime: isoTime(template.createTime),
    createdBy: template.createdBy,
    defaultVersionNumber: template.defaultVersion,
    latestVersionNumber: latestVersionOf(template),
    tagSet: tags.length === 0 ? undefined : tags,
  };
}

// ---- CreateLaunchTemplate ------------------------------------------------------------------------

/**
 * CreateLaunchTemplate
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html): version
 * 1, the default, with the data as given; `ImageId` is stored as given, an AMI id or
 * `resolve:ssm:<parameter>`, and not checked against the images (AWS reports problems with the
 * data as a `Warning` or at launch, not as an error of this call [unverified]). `TagSpecification`
 * takes resource type `launch-template`.
 */
export const createLaunchTemplate: ActionHandler = (ctx) => {
  const { params } = ctx;
  const name = params.requiredString('LaunchTemplateName');
  if (!TEMPLATE_NAME_PATTERN.test(name)) {
    throw new Ec2Error(
      'InvalidLaunchTemplateName.MalformedException',
      'A launch template name must be between 3 and 128 characters, and may contain letters, numbers, ' +
        "and the following characters: '-', '_', '.', '/', '(', and ')'.",
    );
  }
  const description = params.string('VersionDescription');
  checkVersionDescription(description);
  const data = readLaunchTemplateData(params);
  const tags = readTagSpecifications(params, ['launch-template']).get('launch-template');
  const outcome = idempotent(ctx);
  if ('replay' in outcome) return outcome.replay;
  if (ownTemplates(ctx).some((template) => template.launchTemplateName === name)) {
    throw new Ec2Error(
      'InvalidLaunchTemplateName.AlreadyExistsException',
      'Launch template name already in use.',
    );
  }
  const createdBy = createdByOf(ctx.accountId);
  const template: LaunchTemplateRecord = {
    launchTemplateId: newId('lt'),
    launchTemplateName: name,
    region: ctx.region,
    ownerId: ctx.accountId,
    createTime: ctx.now,
    createdBy,
    defaultVersion: 1,
    versions: [{ versionNumber: 1, description, data, createTime: ctx.now, createdBy }],
    tags: new Map(tags === undefined ? [] : [[ctx.accountId, new Map(tags)]]),
  };
  ctx.state.launchTemplates.set(template.launchTemplateId, template);
  return outcome.remember({ launchTemplate: templateXml(template, ctx.accountId) });
};

// ---- ModifyLaunchTemplate ------------------------------------------------------------------------

/**
 * ModifyLaunchTemplate: `SetDefaultVersion` (the SDK's `DefaultVersion`) makes an existing
 * version the default. A version number only; `$Latest` is refused [unverified]. Without it the
 * call changes nothing and describes the template.
 */
export const modifyLaunchTemplate: ActionHandler = (ctx) => {
  const template = findTemplate(ctx, true);
  const selector = ctx.params.string('SetDefaultVersion');
  if (selector !== undefined) {
    if (!/^\d+$/.test(selector)) {
      throw Ec2Error.invalidParameterValue(`Value (${selector}) for parameter defaultVersion is invalid.`);
    }
    template.defaultVersion = versionOf(template, selector).versionNumber;
  }
  return { launchTemplate: templateXml(template, ctx.accountId) };
};

// ---- DeleteLaunchTemplate ------------------------------------------------------------------------

/** DeleteLaunchTemplate: the template and all its versions; answers the template as it was. */
export const deleteLaunchTemplate: ActionHandler = (ctx) => {
  const template = findTemplate(ctx, true);
  ctx.state.launchTemplates.delete(template.launchTemplateId);
  return { launchTemplate: templateXml(template, ctx.accountId) };
};

// ---- DescribeLaunchTemplates ---------------------------------------------------------------------

/**
 * DescribeLaunchTemplates by `LaunchTemplateId.N` and/or `LaunchTemplateName.N`, filters
 * `create-time`, `launch-template-name`, `tag:<key>`, `tag-key`; MaxResults 1–200. A missing id or
 * name fails the call (AWS's message for names, as moto records it).
 */
export const describeLaunchTemplates: ActionHandler = (ctx) => {
  const { params, accountId } = ctx;
  const ids = params.strings('LaunchTemplateId');
  const names = params.strings('LaunchTemplateName');
  const maxResults = checkMaxResults(params.integer('MaxResults'), 1, 200);
  for (const id of ids) checkTemplateId(id);
  const matches = compileFilters<LaunchTemplateRecord>(parseFilters(params), {
    fields: {
      'create-time': (template) => [isoTime(template.createTime)],
      'launch-template-name': (template) => [template.launchTemplateName],
    },
    tagsOf: (template) => tagsOf(template.tags, accountId),
  });
  const own = ownTemplates(ctx);
  const missingId = ids.find((id) => !own.some((template) => template.launchTemplateId === id));
  if (missingId !== undefined) throw templateIdNotFound(missingId);
  if (names.some((name) => !own.some((template) => template.launchTemplateName === name))) {
    throw new Ec2Error(
      'InvalidLaunchTemplateName.NotFoundException',
      'At least one of the launch templates specified in the request does not exist.',
    );
  }
  const selected = own.filter(
    (template) =>
      (ids.length === 0 || ids.includes(template.launchTemplateId)) &&
      (names.length === 0 || names.includes(template.launchTemplateName)) &&
      matches(template),
  );
  const page = pageFor(ctx, selected, (template) => template.launchTemplateId, maxResults);
  return {
    launchTemplates: page.items.map((template) => templateXml(template, accountId)),
    nextToken: page.nextToken,
  };
};
