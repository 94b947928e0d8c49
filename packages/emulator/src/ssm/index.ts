/** The local SSM Parameter Store: see `createSsmEmulator`. */
export {
  createSsmEmulator,
  type ImageUsable,
  SSM_ACTIONS,
  type SsmEmulator,
  type SsmEmulatorOptions,
} from './emulator.js';
export { SsmError } from './errors.js';
export type { ParameterEventListener, ParameterOperation, ParameterStoreChangeEvent } from './events.js';
export type { ParameterView } from './store.js';
