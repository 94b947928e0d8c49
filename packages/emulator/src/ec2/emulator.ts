import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { callerAccount } from '../accounts.js';
import type { EmulatedResponse, EmulatedService } from '../http.js';
import { signedRegion } from '../http.js';
import { copyImage } from './actions/copy.js';
import { describeImages } from './actions/describe-images.js';
import {
  describeImageAttribute,
  disableImageBlockPublicAccess,
  enableImageBlockPublicAccess,
  getImageBlockPublicAccessState,
  modifyImageAttribute,
  resetImageAttribute,
} from './actions/image-attributes.js';
import {
  disableImage,
  disableImageDeprecation,
  disableImageDeregistrationProtection,
  enableImage,
  enableImageDeprecation,
  enableImageDeregistrationProtection,
} from './actions/image-states.js';
import { deregisterImage, registerImage } from './actions/images.js';
import {
  createLaunchTemplateVersion,
  describeLaunchTemplateVersions,
} from './actions/launch-template-versions.js';
import {
  createLaunchTemplate,
  deleteLaunchTemplate,
  describeLaunchTemplates,
  modifyLaunchTemplate,
} from './actions/launch-templates.js';
import { describeImageReferences, describeInstances } from './actions/references.js';
import { describeRegions } from './actions/regions.js';
import {
  deleteSnapshot,
  describeSnapshotAttribute,
  describeSnapshots,
  modifySnapshotAttribute,
} from './actions/snapshots.js';
import { createTags, deleteTags, describeTags } from './actions/tags.js';
import type { ActionContext, ActionHandler } from './context.js';
import { type AccountCounterSnapshot, type CounterSnapshot, Counters, type Outcome } from './counters.js';
import { Ec2Error } from './errors.js';
import type { AmiEventListener } from './events.js';
import { Faults } from './faults.js';
import type { RegionState } from './model.js';
import { checkOptions, type Ec2EmulatorOptions } from './options.js';
import { parseQueryRequest, type QueryNode } from './query.js';
import type { ImageReferenceSource } from './reference-sources.js';
import { DEFAULT_REGIONS, RegionRegistry } from './regions.js';
import {
  type SeededImage,
  type SeedImageInput,
  type SeedImageReferenceInput,
  type SeedInstanceInput,
  type SeedLaunchTemplateInput,
  type SeedSnapshotInput,
  seedImage,
  seedImageReference,
  seedInstance,
  seedLaunchTemplate,
  seedSnapshot,
} from './seed.js';
import { Throttle } from './throttle.js';
import { type ImageView, type SnapshotView, toImageView, toSnapshotView } from './views.js';
import { World } from './world.js';
import { errorXml, successXml } from './xml.js';

export interface Ec2Emulator {
  /** The EC2 Query API, to mount on `startLocalServer` or call directly. */
  readonly service: EmulatedService;
  readonly accountId: string;
  seedImage(input: SeedImageInput): SeededImage;
  /** Returns the new snapshot id. */
  seedSnapshot(input: SeedSnapshotInput): string;
  /** An instance launched from an image (DescribeInstances, DescribeImageReferences); returns its id. */
  seedInstance(input: SeedInstanceInput): string;
  /** A launch template with versions (DescribeLaunchTemplateVersions, DescribeImageReferences); returns its id. */
  seedLaunchTemplate(input: SeedLaunchTemplateInput): string;
  /** An SSM parameter or Image Builder recipe referencing an image (DescribeImageReferences). */
  seedImageReference(input: SeedImageReferenceInput): void;
  /**
   * Lets another emulated service (SSM Parameter Store) report its resources' references to images
   * in DescribeImageReferences; the contract is `ImageReferenceSource`'s. Returns the function that
   * removes the source.
   */
  addReferenceSource(source: ImageReferenceSource): () => void;
  getImage(region: string, imageId: string): ImageView | undefined;
  /** Whether `accountId` may launch the image: owner, public, shared directly or through its organization. */
  canLaunch(region: string, imageId: string, accountId: string): boolean;
  listImages(region: string): ImageView[];
  getSnapshot(region: string, snapshotId: string): SnapshotView | undefined;
  listSnapshots(region: string): SnapshotView[];
  /** The next CopyImage into `region` ends `failed` with this message (queued: call twice for two). */
  failNextCopy(region: string, message?: string): void;
  /** Finishes pending copies now (all, or those into `region`) instead of waiting for `copyDelayMs`. */
  completePendingCopies(region?: string): void;
  /** `EC2 AMI State Change` events from every region; returns the unsubscribe function. */
  onEvent(listener: AmiEventListener): () => void;
  counters(): CounterSnapshot;
  /** The same counts per calling account (each account has its own token buckets). */
  countersByAccount(): AccountCounterSnapshot;
  /** Zeroes both. */
  resetCounters(): void;
  /** Refills every throttle bucket. */
  resetThrottle(): void;
  /** Stops the copy timers (pending copies stay pending). The emulator answers calls afterwards. */
  close(): void;
}

/** The account of callers whose access key is not a 12-digit account id; the other emulators share it. */
export const DEFAULT_ACCOUNT_ID = '123456789012';
/** Unsigned requests (direct calls in tests) act in this region. */
const DEFAULT_REGION = 'us-east-1';

const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  CopyImage: copyImage,
  CreateLaunchTemplate: createLaunchTemplate,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  CreateTags: createTags,
  DeleteLaunchTemplate: deleteLaunchTemplate,
  DeleteSnapshot: deleteSnapshot,
  DeleteTags: deleteTags,
  DeregisterImage: deregisterImage,
  DescribeImageAttribute: describeImageAttribute,
  DescribeImageReferences: describeImageReferences,
  DescribeImages: describeImages,
  DescribeInstances: describeInstances,
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  DescribeRegions: describeRegions,
  DescribeSnapshotAttribute: describeSnapshotAttribute,
  DescribeSnapshots: describeSnapshots,
  DescribeTags: describeTags,
  DisableImage: disableImage,
  DisableImageBlockPublicAccess: disableImageBlockPublicAccess,
  DisableImageDeprecation: disableImageDeprecation,
  DisableImageDeregistrationProtection: disableImageDeregistrationProtection,
  EnableImage: enableImage,
  EnableImageBlockPublicAccess: enableImageBlockPublicAccess,
  EnableImageDeprecation: enableImageDeprecation,
  EnableImageDeregistrationProtection: enableImageDeregistrationProtection,
  GetImageBlockPublicAccessState: getImageBlockPublicAccessState,
  ModifyImageAttribute: modifyImageAttribute,
  ModifyLaunchTemplate: modifyLaunchTemplate,
  ModifySnapshotAttribute: modifySnapshotAttribute,
  RegisterImage: registerImage,
  ResetImageAttribute: resetImageAttribute,
};

/** The actions the emulator implements; any other answers `InvalidAction`. */
export const SUPPORTED_ACTIONS: readonly string[] = Object.keys(ACTIONS).sort();

/**
 * The calling account: the shared rule of `../accounts.ts` (a 12-digit access key id is that
 * account, a key the local STS issued is its role's account, any other key the default account),
 * re-exported here where the other emulators first found it.
 */
export { accountOfAccessKey, callerAccount } from '../accounts.js';
export type { Ec2EmulatorOptions, KmsKeyUsable } from './options.js';

function respond(status: number, body: string, requestId: string): EmulatedResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
    body,
  };
}

export function createEc2Emulator(options: Ec2EmulatorOptions = {}): Ec2Emulator {
  checkOptions(options);
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const registry = new RegionRegistry(
    options.regions ?? DEFAULT_REGIONS,
    options.disabledRegions ?? [],
    options.accountRegions,
  );
  const blockPublicAccess = options.imageBlockPublicAccess;
  const faults = new Faults(options.faults);
  const world = new World({
    accountId,
    regions: registry,
    now: options.now ?? (() => new Date()),
    faults,
    copyDelayMs: options.copyDelayMs ?? 1500,
    maxConcurrentCopiesPerRegion: options.maxConcurrentCopiesPerRegion ?? 100,
    blockPublicAccess: (region) =>
      typeof blockPublicAccess === 'string'
        ? blockPublicAccess
        : (blockPublicAccess?.[region] ?? 'unblocked'),
    ...(options.membershipOf !== undefined ? { membershipOf: options.membershipOf } : {}),
    ...(options.kmsKeyUsable !== undefined ? { kmsKeyUsable: options.kmsKeyUsable } : {}),
  });
  for (const source of options.referenceSources ?? []) world.referenceSources.add(source);
  const throttle = options.throttle === false ? undefined : new Throttle(options.throttle);
  const counters = new Counters();

  /**
   * The request pipeline, in EC2's order as far as it is observable: a known action, a usable
   * region, the rate limit, (injected) server trouble, DryRun, then the action itself. Every
   * refusal is thrown as an `Ec2Error`.
   */
  const dispatch = (
    action: string | undefined,
    params: QueryNode,
    requestId: string,
    region: string,
    caller: string,
  ) => {
    if (action === undefined || action === '') {
      throw new Ec2Error('MissingAction', 'The request must contain the parameter Action');
    }
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (handler === undefined) {
      throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    if (!registry.isEnabled(region, caller)) {
      throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    }
    if (throttle !== undefined && !throttle.tryTake(caller, region, action)) {
      throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
    }
    const injected = faults.serverErrorFor(action);
    if (injected !== undefined) throw injected;
    if (params.boolean('DryRun') === true) {
      throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    }
    const ctx: ActionContext = {
      action,
      requestId,
      region,
      accountId: caller,
      params,
      now: world.now(),
      state: world.region(region),
      world,
    };
    return successXml(action, requestId, handler(ctx));
  };

  const service: EmulatedService = async (request) => {
    const requestId = randomUUID();
    const region = signedRegion(request.headers) ?? DEFAULT_REGION;
    const caller = callerAccount(request.headers, accountId, options.issuedKeyAccount);
    let action: string | undefined;
    let outcome: Outcome;
    let response: EmulatedResponse;
    try {
      const params = parseQueryRequest(request.url, request.body);
      action = params.string('Action');
      response = respond(200, dispatch(action, params, requestId, region, caller), requestId);
      outcome = 'succeeded';
    } catch (error) {
      if (error instanceof Ec2Error) {
        outcome = error.code === 'RequestLimitExceeded' ? 'throttled' : 'failed';
        response = respond(error.status, errorXml(error.code, error.message, requestId), requestId);
      } else {
        // An emulator bug: answer as EC2 does for its own failures, and say so loudly.
        console.error(`ec2 emulator: ${action ?? '(no action)'} failed unexpectedly`, error);
        outcome = 'failed';
        response = respond(
          500,
          errorXml('InternalError', 'An internal error has occurred', requestId),
          requestId,
        );
      }
    }
    if (action !== undefined && action !== '') {
      counters.record(action, region, outcome, caller);
      const latency = faults.latencyFor(action);
      if (latency > 0) await sleep(latency);
    }
    return response;
  };

  /** Views of one kind of record by region and id, or all of a region; none in a region not known. */
  const views = <R, V>(
    recordsOf: (state: RegionState) => ReadonlyMap<string, R>,
    view: (record: R) => V,
  ) => ({
    get: (region: string, id: string): V | undefined => {
      if (!registry.isKnown(region)) return undefined;
      const record = recordsOf(world.region(region)).get(id);
      return record === undefined ? undefined : view(record);
    },
    list: (region: string): V[] =>
      registry.isKnown(region) ? [...recordsOf(world.region(region)).values()].map(view) : [],
  });
  const images = views((state) => state.images, toImageView);
  const snapshots = views((state) => state.snapshots, toSnapshotView);

  return {
    service,
    accountId,
    seedImage: (input) => seedImage(world, input),
    seedSnapshot: (input) => seedSnapshot(world, input).snapshotId,
    seedInstance: (input) => seedInstance(world, input),
    seedLaunchTemplate: (input) => seedLaunchTemplate(world, input),
    seedImageReference: (input) => seedImageReference(world, input),
    addReferenceSource: (source) => {
      // Wrapped so the same function can be added twice and removed independently.
      const entry: ImageReferenceSource = (account, region, imageIds) => source(account, region, imageIds);
      world.referenceSources.add(entry);
      return () => {
        world.referenceSources.delete(entry);
      };
    },
    getImage: images.get,
    canLaunch: (region, imageId, account) => {
      const image = registry.isKnown(region) ? world.region(region).images.get(imageId) : undefined;
      return image !== undefined && world.canLaunch(image, account);
    },
    listImages: images.list,
    getSnapshot: snapshots.get,
    listSnapshots: snapshots.list,
    failNextCopy: (region, message = 'An internal error has occurred during the AMI copy') =>
      faults.failNextCopy(region, message),
    completePendingCopies: (region) => world.completePendingCopies(region),
    onEvent: (listener) => world.events.subscribe(listener),
    counters: () => counters.snapshot(),
    countersByAccount: () => counters.snapshotByAccount(),
    resetCounters: () => counters.reset(),
    resetThrottle: () => throttle?.reset(),
    close: () => world.close(),
  };
}
