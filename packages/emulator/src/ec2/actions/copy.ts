import type { ActionContext, ActionHandler } from '../context.js';
import { Ec2Error } from '../errors.js';
import {
  type BlockDevice,
  canUseSnapshot,
  defaultEbsKmsKeyArn,
  type ImageRecord,
  newId,
  privateLaunchPermissions,
  type SnapshotRecord,
  type StateReason,
  snapshotIdsOf,
  tagsOf,
} from '../model.js';
import { isoTime } from '../xml.js';
import {
  checkImageId,
  checkKmsKeyNeedsEncryption,
  MAX_TAGS_PER_RESOURCE,
  readTagSpecifications,
  tagLimitExceeded,
} from './common.js';
import { checkDescription, checkImageName, checkImageNameFree } from './images.js';

/**
 * CopyImage, called in the destination region
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopyImage.html). The copy and one new
 * snapshot per source EBS snapshot start `pending`; after `copyDelayMs` they become
 * `available`/`completed`, or `failed`/`error` when a fault or an unusable KMS key says so, and the
 * destination region emits the `EC2 AMI State Change` event carrying the CopyImage request id.
 */

/** The only copy destinations emulated are regions; Outposts and Local Zones are refused. */
const UNSUPPORTED_DESTINATIONS = [
  'DestinationOutpostArn',
  'DestinationAvailabilityZone',
  'DestinationAvailabilityZoneId',
];

/** Client tokens: up to 64 printable ASCII characters (EC2 idempotency guide; the model allows 128). */
const CLIENT_TOKEN_PATTERN = /^[\x20-\x7e]{1,64}$/;

/** Parameters that do not take part in the idempotency fingerprint. */
const NOT_FINGERPRINTED = new Set(['Action', 'Version', 'ClientToken', 'DryRun']);

/**
 * Whether `kmsKeyId` can be used in `region`. KMS keys are regional: an ARN naming another region
 * cannot encrypt there. EC2 checks the key asynchronously, so a bad key does not fail the call but
 * the copy: the new image ends `failed`.
 */
function kmsKeyProblem(kmsKeyId: string, region: string): string | undefined {
  const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(?:key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/.exec(
    kmsKeyId,
  );
  if (arn !== null) {
    return arn[1] === region
      ? undefined
      : `The KMS key ${kmsKeyId} is not in the destination region ${region}.`;
  }
  if (
    /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]+)$/.test(
      kmsKeyId,
    )
  ) {
    return undefined;
  }
  return `The KMS key identifier ${kmsKeyId} is not valid.`;
}

function checkSourceRegion(ctx: ActionContext, sourceRegion: string): void {
  if (!ctx.world.regions.isKnown(sourceRegion)) {
    throw new Ec2Error(
      'InvalidRegion',
      `The source region '${sourceRegion}' is not valid. Specify the source Region using its Region code, for example, us-west-2.`,
    );
  }
  if (!ctx.world.regions.isEnabled(sourceRegion, ctx.accountId)) {
    throw new Ec2Error(
      'InvalidRegion',
      `The source region '${sourceRegion}' is not enabled for this account.`,
    );
  }
}

function sourceImage(ctx: ActionContext, sourceRegion: string, sourceImageId: string): ImageRecord {
  checkImageId(sourceImageId);
  const image = ctx.world.region(sourceRegion).images.get(sourceImageId);
  if (image === undefined || !ctx.world.canLaunch(image, ctx.accountId))
    throw Ec2Error.imageNotFound([sourceImageId]);
  if (image.state === 'deregistered') throw Ec2Error.imageUnavailable(sourceImageId);
  if (image.state !== 'available') {
    throw new Ec2Error(
      'IncorrectState',
      `The image '${sourceImageId}' is in state '${image.state}' and cannot be copied; it must be 'available'.`,
    );
  }
  if (image.ownerId !== ctx.accountId) checkSharedStorage(ctx, image, sourceRegion);
  return image;
}

/**
 * Copying another account's image also reads its snapshots: each needs create-volume permission for
 * the caller (EC2 User Guide, "Copy an AMI": the owner must grant read permission on the backing
 * snapshots). The refusal is the one users report from the console and the CLI, "You do not have
 * permission to access the storage of this ami"; its code `AuthFailure` is [unverified].
 */
function checkSharedStorage(ctx: ActionContext, image: ImageRecord, sourceRegion: string): void {
  const snapshots = ctx.world.region(sourceRegion).snapshots;
  for (const snapshotId of snapshotIdsOf(image)) {
    const snapshot = snapshots.get(snapshotId);
    if (snapshot === undefined || !canUseSnapshot(snapshot, ctx.accountId))
      throw new Ec2Error('AuthFailure', 'You do not have permission to access the storage of this ami', 401);
  }
}

/**
 * An encrypted snapshot of another account can be copied only with access to its KMS key. The AWS
 * managed key (`aws/ebs`) is never usable by another account (its key policy cannot be changed). A
 * customer managed key is usable when `world.kmsKeyUsable` says so (the stack answers from its
 * seeded KMS keys and their `usableBy`); without that function it is taken to be shared. Like a bad
 * `KmsKeyId`, this fails the copy, not the call [unverified: whether EC2 refuses it at once].
 */
function foreignKeyProblem(ctx: ActionContext, image: ImageRecord, sourceRegion: string): string | undefined {
  if (image.ownerId === ctx.accountId) return undefined;
  const snapshots = ctx.world.region(sourceRegion).snapshots;
  for (const snapshotId of snapshotIdsOf(image)) {
    const snapshot = snapshots.get(snapshotId);
    const keyArn = snapshot?.encrypted === true ? snapshot.kmsKeyId : undefined;
    if (keyArn === undefined) continue;
    if (keyArn === defaultEbsKmsKeyArn(sourceRegion, image.ownerId))
      return `The snapshot ${snapshotId} is encrypted with the AWS managed key of account ${image.ownerId}, which account ${ctx.accountId} cannot use.`;
    const usable = ctx.world.kmsKeyUsable?.({ accountId: ctx.accountId, keyArn }) ?? true;
    if (!usable)
      return `The snapshot ${snapshotId} is encrypted with the KMS key ${keyArn}, which account ${ctx.accountId} is not allowed to use.`;
  }
  return undefined;
}

export const copyImage: ActionHandler = (ctx) => {
  const { params, world } = ctx;
  const name = params.requiredString('Name');
  const sourceImageId = params.requiredString('SourceImageId');
  const sourceRegion = params.requiredString('SourceRegion');
  checkImageName(name);
  const description = params.string('Description');
  checkDescription(description);
  const clientToken = params.string('ClientToken');
  if (clientToken !== undefined && clientToken !== '' && !CLIENT_TOKEN_PATTERN.test(clientToken)) {
    throw new Ec2Error(
      'InvalidClientToken',
      'The client token must be at most 64 printable ASCII characters.',
    );
  }
  const encrypt = params.boolean('Encrypted') ?? false;
  const kmsKeyId = params.string('KmsKeyId');
  checkKmsKeyNeedsEncryption(kmsKeyId, encrypt);
  const copyTags = params.boolean('CopyImageTags') ?? false;
  const tagSpecs = readTagSpecifications(params, ['image', 'snapshot']);
  const duration = params.integer('SnapshotCopyCompletionDurationMinutes');
  if (duration !== undefined && (duration < 15 || duration % 15 !== 0)) {
    throw Ec2Error.invalidParameterValue(
      `Value (${duration}) for parameter SnapshotCopyCompletionDurationMinutes is invalid. It must be a multiple of 15 minutes.`,
    );
  }
  for (const parameter of UNSUPPORTED_DESTINATIONS) {
    if (params.string(parameter) !== undefined) {
      throw new Ec2Error('UnsupportedOperation', `${parameter} is not supported by this emulator.`);
    }
  }

  // Idempotency comes before any check of the world: a retry of a call that succeeded gets the same
  // answer even if the source has changed since: EC2 returns the original result to a retry with
  // the same token and parameters
  // (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
  const tokenKey =
    clientToken === undefined || clientToken === '' ? undefined : `${ctx.accountId}:${clientToken}`;
  const fingerprint = params.canonical(NOT_FINGERPRINTED);
  if (tokenKey !== undefined) {
    const prior = ctx.state.copyTokens.get(tokenKey);
    if (prior !== undefined) {
      if (prior.fingerprint !== fingerprint) throw Ec2Error.idempotentParameterMismatch();
      return { imageId: prior.imageId };
    }
  }

  checkSourceRegion(ctx, sourceRegion);
  const source = sourceImage(ctx, sourceRegion, sourceImageId);
  checkImageNameFree(ctx, name);
  const limit = world.maxConcurrentCopiesPerRegion;
  if (world.copiesInProgress(ctx.region, ctx.accountId) >= limit) {
    throw new Ec2Error(
      'ResourceLimitExceeded',
      `You have reached the limit of ${limit} concurrent AMI copies in progress in ${ctx.region}. ` +
        'Wait for copies to complete and try again.',
    );
  }

  // CopyImageTags copies the caller's own user tags only: never aws: ones, nor tags other accounts
  // attached to a shared or public source.
  const imageTags = new Map<string, string>();
  if (copyTags) {
    for (const [key, value] of tagsOf(source.tags, ctx.accountId)) {
      if (!key.toLowerCase().startsWith('aws:')) imageTags.set(key, value);
    }
  }
  for (const [key, value] of tagSpecs.get('image') ?? []) imageTags.set(key, value);
  if (imageTags.size > MAX_TAGS_PER_RESOURCE) throw tagLimitExceeded();

  const imageId = newId('ami');
  const sourceSnapshots = ctx.world.region(sourceRegion).snapshots;
  const newSnapshots: SnapshotRecord[] = [];
  const mappings = source.blockDeviceMappings.map((mapping): BlockDevice => {
    const ebs = mapping.ebs;
    if (ebs === undefined) return structuredClone(mapping);
    const encrypted = ebs.encrypted || encrypt;
    // A key can only be reused within its own region; otherwise the destination's default key.
    const key = !encrypted
      ? undefined
      : (kmsKeyId ??
        // Another account's key is not the caller's to reuse [unverified]: the caller's default.
        (ebs.encrypted &&
        sourceRegion === ctx.region &&
        source.ownerId === ctx.accountId &&
        ebs.kmsKeyId !== undefined
          ? ebs.kmsKeyId
          : defaultEbsKmsKeyArn(ctx.region, ctx.accountId)));
    const copied: BlockDevice = { ...structuredClone(mapping), ebs: { ...ebs, encrypted, kmsKeyId: key } };
    if (ebs.snapshotId === undefined || copied.ebs === undefined) return copied;
    const sourceSnapshot = sourceSnapshots.get(ebs.snapshotId);
    const snapshot: SnapshotRecord = {
      snapshotId: newId('snap'),
      region: ctx.region,
      ownerId: ctx.accountId,
      // EC2 reports this placeholder volume id for copied snapshots.
      volumeId: 'vol-ffffffff',
      volumeSize: sourceSnapshot?.volumeSize ?? ebs.volumeSize,
      state: 'pending',
      startTime: ctx.now,
      progress: '0%',
      description:
        `Copied for DestinationAmi ${imageId} from SourceAmi ${source.imageId} ` +
        `for SourceSnapshot ${ebs.snapshotId}. Task created on ${isoTime(ctx.now)}.`,
      encrypted,
      kmsKeyId: key,
      createVolumePermissions: { userIds: new Set(), public: false },
      productCodes: [],
      tags: new Map(),
      transferType: duration === undefined ? 'standard' : 'time-based',
      completionDurationMinutes: duration,
    };
    const snapshotTags = tagSpecs.get('snapshot');
    if (snapshotTags !== undefined) snapshot.tags.set(ctx.accountId, new Map(snapshotTags));
    newSnapshots.push(snapshot);
    copied.ebs.snapshotId = snapshot.snapshotId;
    return copied;
  });

  const copy: ImageRecord = {
    imageId,
    region: ctx.region,
    ownerId: ctx.accountId,
    name,
    description,
    state: 'pending',
    rootDeviceType: source.rootDeviceType,
    rootDeviceName: source.rootDeviceName,
    imageLocation: source.rootDeviceType === 'ebs' ? `${ctx.accountId}/${name}` : source.imageLocation,
    architecture: source.architecture,
    virtualizationType: source.virtualizationType,
    enaSupport: source.enaSupport,
    bootMode: source.bootMode,
    imdsSupport: source.imdsSupport,
    tpmSupport: source.tpmSupport,
    sriovNetSupport: source.sriovNetSupport,
    kernelId: source.kernelId,
    ramdiskId: source.ramdiskId,
    platform: source.platform,
    blockDeviceMappings: mappings,
    creationDate: ctx.now,
    deregistrationProtection: { enabled: false, withCooldown: false },
    // Launch permissions are never copied: a copy starts private.
    launchPermissions: privateLaunchPermissions(),
    productCodes: source.productCodes.map((code) => ({ ...code })),
    tags: new Map(imageTags.size > 0 ? [[ctx.accountId, imageTags]] : []),
    sourceImageId: source.imageId,
    sourceImageRegion: sourceRegion,
  };

  const keyProblem =
    (kmsKeyId === undefined ? undefined : kmsKeyProblem(kmsKeyId, ctx.region)) ??
    foreignKeyProblem(ctx, source, sourceRegion);
  const injected = keyProblem === undefined ? world.faults.copyFailureFor(ctx.region) : undefined;
  const failure: StateReason | undefined =
    keyProblem !== undefined
      ? { code: 'Client.InvalidKMSKey.InvalidState', message: keyProblem }
      : injected !== undefined
        ? { code: 'Server.InternalError', message: injected }
        : undefined;

  for (const snapshot of newSnapshots) ctx.state.snapshots.set(snapshot.snapshotId, snapshot);
  ctx.state.images.set(imageId, copy);
  if (tokenKey !== undefined) ctx.state.copyTokens.set(tokenKey, { fingerprint, imageId });
  world.scheduleCopy(copy, ctx.requestId, failure === undefined ? {} : { failure });
  return { imageId };
};
