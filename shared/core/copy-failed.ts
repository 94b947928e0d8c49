import type { AmiStateChangeEvent } from '../events/ami-state-change.js';
import { familyStatus, sharedWith } from './completion.js';
import { copyKey, startNextCopy } from './copy-cap.js';
import { identifyReading } from './identify.js';
import { DetailType, imageArn, toolEvent } from './notifications.js';
import type { StateChangeDependencies, StateChangeResult } from './state-change.js';

/**
 * A copy the tool started ended `failed`: one `AMI Copy Failed`, with the whole family (what the
 * message says arrived where). A failed copy is not retried here: the schedule retries it under a
 * new token, once per run, so a copy that fails for good (a KMS key the region cannot use) does
 * not loop.
 */
export async function reportFailedCopy(
  event: AmiStateChangeEvent,
  deps: StateChangeDependencies,
): Promise<StateChangeResult> {
  const { logger, ec2 } = deps;
  const { region } = event;
  const imageId = event.detail.ImageId;
  const image = await ec2(region).describeImage(imageId);
  if (image === undefined) {
    logger.info(
      `failed image ${imageId} is no longer visible in ${region}; cannot tell whether it was a copy`,
      {
        imageId,
        region,
      },
    );
    return { status: 'ignored', reason: 'image not found' };
  }
  const role = await identifyReading(image, deps.accountId, deps);
  if (role.kind !== 'copy') {
    logger.info(`${imageId} failed in ${region} but is not a copy made by a rule`, { imageId, region });
    return { status: 'ignored', reason: 'not a managed copy' };
  }
  const reason = image.stateReason || event.detail.ErrorMessage || 'no reason given';
  const { rule, sourceImageId, sourceRegion } = role;
  logger.error(`copy ${imageId} of ${sourceImageId} failed in ${region}: ${reason}`, {
    imageId,
    region,
    sourceImageId,
    sourceRegion,
    rule: rule.name,
    reason,
  });
  if (deps.dryRun) return { status: 'ignored', reason: 'dry run: nothing published' };
  deps.metrics?.add('CopiesFailed', 1, { rule: rule.name, region });
  // The whole family, so the message says where the release did arrive.
  const source = await ec2(sourceRegion).describeImage(sourceImageId);
  const regions =
    source === undefined
      ? [{ region, role: 'copy' as const, imageId, status: 'failed' as const, reason }]
      : await familyStatus(rule, source, (where) => ec2(where).findCopies(sourceImageId, sourceRegion));
  await deps.events.publish([
    toolEvent(
      DetailType.CopyFailed,
      {
        rule: rule.name,
        sourceImageId,
        sourceRegion,
        imageName: source?.name ?? image.name,
        imageId,
        region,
        reason,
        regions,
        sharedWith: sharedWith(rule),
      },
      [region, imageId],
      { resources: [imageArn(region, imageId)], busRegion: sourceRegion },
    ),
  ]);
  // A failed copy frees its slot too: the region's newest deferred copy starts.
  if (deps.copyCap !== undefined) {
    await startNextCopy(region, copyKey(sourceRegion, sourceImageId), { ...deps, cap: deps.copyCap });
  }
  return { status: 'reported', detailType: DetailType.CopyFailed };
}
