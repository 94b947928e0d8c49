import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import { type ImageRecord, type ImageState, privateLaunchPermissions } from '../model.js';
import { isoTime } from '../xml.js';
import { ownedImage, RETURN_TRUE } from './common.js';
import { deregistrationProtectionState } from './describe-images.js';

/**
 * The owner's switches on an image's life: deprecation (EnableImageDeprecation,
 * DisableImageDeprecation), deregistration protection, and DisableImage/EnableImage.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

// ---- deprecation ---------------------------------------------------------------------------------

/** `YYYY-MM-DDTHH:MM[:SS[.fff]]Z` (or an explicit offset), as the SDK and the CLI send timestamps. */
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * EnableImageDeprecation
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImageDeprecation.html): rounded
 * to the nearest minute; refused in the past, beyond 10 years from now, and for a public AMI beyond
 * 2 years from its creation. The code for an out-of-range time is unverified; this emulator answers
 * `InvalidParameterValue`.
 */
export const enableImageDeprecation: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  const raw = ctx.params.requiredString('DeprecateAt');
  const parsed = TIMESTAMP_PATTERN.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw Ec2Error.invalidParameterValue(`Value (${raw}) for parameter deprecateAt is invalid.`);
  }
  const minute = 60_000;
  const deprecateAt = new Date(Math.round(parsed / minute) * minute);
  const now = ctx.now.getTime();
  if (deprecateAt.getTime() < Math.floor(now / minute) * minute) {
    throw Ec2Error.invalidParameterValue(
      `The deprecation time ${isoTime(deprecateAt)} can't be in the past.`,
    );
  }
  const tenYears = new Date(ctx.now);
  tenYears.setUTCFullYear(tenYears.getUTCFullYear() + 10);
  if (deprecateAt > tenYears) {
    throw Ec2Error.invalidParameterValue(
      `The deprecation time ${isoTime(deprecateAt)} can't be more than 10 years from now.`,
    );
  }
  if (image.launchPermissions.public) {
    const twoYears = new Date(image.creationDate);
    twoYears.setUTCFullYear(twoYears.getUTCFullYear() + 2);
    if (deprecateAt > twoYears) {
      throw Ec2Error.invalidParameterValue(
        `The deprecation time of a public AMI can't be more than 2 years after its creation date (${isoTime(twoYears)}).`,
      );
    }
  }
  image.deprecationTime = deprecateAt;
  return RETURN_TRUE;
};

export const disableImageDeprecation: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  image.deprecationTime = undefined;
  return RETURN_TRUE;
};

// ---- deregistration protection -------------------------------------------------------------------

/** Returns (a string, per the model) the resulting protection state. */
export const enableImageDeregistrationProtection: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  const withCooldown = ctx.params.boolean('WithCooldown') ?? false;
  image.deregistrationProtection = { enabled: true, withCooldown };
  return { return: deregistrationProtectionState(image, ctx.now) };
};

/** With a cooldown, EC2 keeps refusing deregistration for 24 hours after protection is disabled. */
export const disableImageDeregistrationProtection: ActionHandler = (ctx) => {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  const protection = image.deregistrationProtection;
  if (protection.enabled) {
    image.deregistrationProtection = {
      enabled: false,
      withCooldown: false,
      cooldownUntil: protection.withCooldown
        ? new Date(ctx.now.getTime() + DAY_MS)
        : protection.cooldownUntil,
    };
  }
  return { return: deregistrationProtectionState(image, ctx.now) };
};

// ---- DisableImage / EnableImage ------------------------------------------------------------------

/**
 * The caller's image `ImageId`, which must be in `state`. Only the owner may disable or enable an
 * AMI (documented); another account gets `AuthFailure` when it can see the image and
 * `InvalidAMIID.NotFound` when it cannot. The code for the wrong state is not documented
 * [unverified]; this emulator answers `IncorrectState`, EC2's code for "not in the correct state".
 */
function ownedImageIn(ctx: ActionContext, state: ImageState): ImageRecord {
  const image = ownedImage(ctx, ctx.params.requiredString('ImageId'));
  if (image.state !== state) {
    throw new Ec2Error(
      'IncorrectState',
      `The image ${image.imageId} is in state '${image.state}', not '${state}'.`,
    );
  }
  return image;
}

/**
 * DisableImage (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableImage.html): an
 * `available` AMI, deprecated or not, becomes `disabled` and loses every launch permission, so a
 * public or shared AMI is made private and the accounts, organizations and OUs it was shared with
 * lose access; emits `disabled`
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-ami-events.html). Its snapshots stay
 * in use (DeleteSnapshot refuses them), and it can still be deregistered.
 */
export const disableImage: ActionHandler = (ctx) => {
  const image = ownedImageIn(ctx, 'available');
  image.state = 'disabled';
  image.launchPermissions = privateLaunchPermissions();
  ctx.world.emitImageState(image, 'disabled', ctx.requestId);
  return RETURN_TRUE;
};

/**
 * EnableImage (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImage.html): a
 * `disabled` AMI becomes `available` again, still private: those who lost access when it was
 * disabled do not regain it, it must be shared again. Emits `available`.
 */
export const enableImage: ActionHandler = (ctx) => {
  const image = ownedImageIn(ctx, 'disabled');
  image.state = 'available';
  ctx.world.emitImageState(image, 'available', ctx.requestId);
  return RETURN_TRUE;
};
