/** The local SQS: see `createSqsEmulator`. */
export {
  createSqsEmulator,
  type QueueInfo,
  type SendOptions,
  type SqsEmulator,
  type SqsEmulatorOptions,
  type SqsMessageView,
} from './emulator.js';
export { SqsError } from './errors.js';
export { type MessageAttributeValue, md5OfMessageAttributes } from './md5.js';
