import { createHash } from 'node:crypto';
import type { Rule } from '../rules/schema.js';
import { actionId, type CopyAction } from './actions.js';
import { LINEAGE, type ObservedImage, type Tags } from './model.js';
import type { CopyImageRequest } from './ports.js';

/**
 * Copies: what a copy is asked to be (name, encryption, tags at creation), its client token, and
 * which states of an existing copy stand in the way of a new one.
 */

/** A copy in one of these states is (or may become) the region's image: no new copy is started. */
export function occupiesRegion(image: ObservedImage): boolean {
  return (
    image.state === 'pending' ||
    image.state === 'available' ||
    image.state === 'disabled' ||
    image.state === 'transient'
  );
}

/** The source AMI: the rule's image tags, plus the rule's name so the tool (and IAM conditions) can tell it is managed. */
export function sourceImageTags(rule: Rule): Tags {
  return { ...rule.tags?.image, [LINEAGE.rule]: rule.name };
}

/** What CopyImage itself puts on a copy (TagSpecifications): the rule's copy tags and the lineage. */
export function copyImageTags(rule: Rule, sourceImageId: string, sourceRegion: string): Tags {
  return {
    ...rule.copy?.tags,
    [LINEAGE.rule]: rule.name,
    [LINEAGE.sourceImageId]: sourceImageId,
    [LINEAGE.sourceRegion]: sourceRegion,
  };
}

/**
 * What a copy should carry: its CopyImage tags and, when it takes the source's tags
 * (`copyTags`), the rule's image tags, which CopyImageTags brings from the source (tagged before
 * any copy starts). Naming them here lets a run repair a copy that lost them.
 */
export function desiredCopyTags(rule: Rule, sourceImageId: string, sourceRegion: string): Tags {
  return {
    ...(rule.copy?.copyTags === false ? {} : rule.tags?.image),
    ...copyImageTags(rule, sourceImageId, sourceRegion),
  };
}

/** Snapshots inherit their image's tags unless the rule says otherwise, plus the rule's snapshot extras. */
export function snapshotTags(rule: Rule, imageTags: Tags): Tags {
  const inherit = rule.tags?.inheritToSnapshots ?? true;
  return {
    ...(inherit ? imageTags : { [LINEAGE.rule]: rule.name }),
    ...rule.tags?.snapshots,
  };
}

/**
 * The copy of `source` into `region` the rule asks for, as attempt `generation`. `spentImageIds`
 * are the copies of the source already seen there that cannot be the region's image (failed,
 * deregistered); `verify` says whether earlier copies may exist that the plan could not see.
 */
export function copyAction(
  rule: Rule,
  source: ObservedImage,
  region: string,
  options: {
    generation: number;
    spentImageIds: readonly string[];
    verify: boolean;
    after?: readonly string[];
  },
): CopyAction | undefined {
  const copy = rule.copy;
  if (copy === undefined) return undefined;
  const values: Record<string, string> = {
    name: source.name,
    imageId: source.imageId,
    sourceRegion: source.region,
    region,
    rule: rule.name,
    creationDate: source.creationDate ?? '',
  };
  // The source's creation date orders the release (`releaseOrder`): on the copy, its own event
  // knows the order with no read of the source.
  const imageTags = {
    ...copyImageTags(rule, source.imageId, source.region),
    ...(source.creationDate === undefined ? {} : { [LINEAGE.sourceCreated]: source.creationDate }),
  };
  const kmsKeyId = copy.kmsKeys[region];
  const request: Omit<CopyImageRequest, 'clientToken'> = {
    name: amiName(render(copy.name, values)),
    description: render(copy.description, values).slice(0, 255),
    sourceImageId: source.imageId,
    sourceRegion: source.region,
    encrypted: copy.encrypted,
    ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    copyImageTags: copy.copyTags,
    imageTags,
    // The snapshots inherit what the copy should carry, the source's rule tags included: they are
    // tagged at creation, and CopyImageTags only brings the image's own tags.
    ...(source.rootDeviceType === 'ebs'
      ? { snapshotTags: snapshotTags(rule, desiredCopyTags(rule, source.imageId, source.region)) }
      : {}),
    ...(copy.completionDurationMinutes === undefined
      ? {}
      : { completionDurationMinutes: copy.completionDurationMinutes }),
  };
  return {
    kind: 'copy',
    id: actionId('copy', region, `${source.region}/${source.imageId}`),
    region,
    ...(options.after === undefined || options.after.length === 0 ? {} : { after: options.after }),
    rule: rule.name,
    generation: options.generation,
    ...(source.creationDate === undefined ? {} : { sourceCreationDate: source.creationDate }),
    spentImageIds: options.spentImageIds,
    verify: options.verify,
    ...request,
    clientToken: clientToken(source.imageId, region, rule.name, options.generation, request),
  };
}

/** The request of a copy action, as attempt `generation` (its own token). */
export function copyRequest(action: CopyAction, generation: number): CopyImageRequest {
  const request: Omit<CopyImageRequest, 'clientToken'> = {
    name: action.name,
    description: action.description,
    sourceImageId: action.sourceImageId,
    sourceRegion: action.sourceRegion,
    encrypted: action.encrypted,
    ...(action.kmsKeyId === undefined ? {} : { kmsKeyId: action.kmsKeyId }),
    copyImageTags: action.copyImageTags,
    imageTags: action.imageTags,
    ...(action.snapshotTags === undefined ? {} : { snapshotTags: action.snapshotTags }),
    ...(action.completionDurationMinutes === undefined
      ? {}
      : { completionDurationMinutes: action.completionDurationMinutes }),
  };
  return {
    ...request,
    clientToken: clientToken(action.sourceImageId, action.region, action.rule, generation, request),
  };
}

/**
 * CopyImage's idempotency token: the same source, destination, rule, attempt and parameters give
 * the same token, so EC2 answers a repeated request with the copy it already started. The SDK's
 * default (a random UUID) would start a new copy on every retry. Parameters are part of the token
 * so that editing the rule does not make EC2 reject the next copy as IdempotentParameterMismatch.
 * 64 hex characters: the documented maximum length of a client token.
 */
export function clientToken(
  sourceImageId: string,
  region: string,
  rule: string,
  generation: number,
  parameters: object,
): string {
  return createHash('sha256')
    .update(JSON.stringify([sourceImageId, region, rule, generation, parameters]))
    .digest('hex');
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** AMI names allow letters, digits, spaces and ( ) [ ] . / - ' @ _ and are 3-128 characters long. */
function amiName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9 ()[\]./\-'@_]/g, '-').slice(0, 128);
  return cleaned.length >= 3 ? cleaned : cleaned.padEnd(3, '_');
}
