/** The local SNS recorder: see `createSnsEmulator`. */
export {
  bodyFor,
  createSnsEmulator,
  type PublishedMessage,
  type PublishListener,
  SNS_XML_NAMESPACE,
  type SnsEmulator,
  type SnsEmulatorOptions,
  type SnsMessageAttribute,
  type TopicInfo,
} from './emulator.js';
