/** The local EC2 emulator: see `createEc2Emulator`. */
export type { ActionContext, ActionHandler } from './context.js';
export type { AccountCounterSnapshot, CallCounts, CounterSnapshot } from './counters.js';
export {
  accountOfAccessKey,
  callerAccount,
  createEc2Emulator,
  DEFAULT_ACCOUNT_ID,
  type Ec2Emulator,
  type Ec2EmulatorOptions,
  type KmsKeyUsable,
  SUPPORTED_ACTIONS,
} from './emulator.js';
export type { AmiEventListener, AmiEventState, AmiStateChangeEvent } from './events.js';
export type { FaultOptions } from './faults.js';
export {
  ACCOUNT_ID_PATTERN,
  type BlockPublicAccessState,
  type ImageState,
  type OrganizationMembership,
  type SnapshotState,
} from './model.js';
export {
  EXTERNAL_REFERENCE_TYPES,
  type ExternalImageReference,
  type ExternalReferenceType,
  type ImageReferenceSource,
} from './reference-sources.js';
export { type AccountRegions, DEFAULT_REGIONS } from './regions.js';
export type {
  SeedDevice,
  SeededImage,
  SeedImageInput,
  SeedImageReferenceInput,
  SeedInstanceInput,
  SeedLaunchTemplateInput,
  SeedSnapshotInput,
} from './seed.js';
export type { BucketConfig, ThrottleOptions } from './throttle.js';
export type { ImageView, SnapshotView } from './views.js';
