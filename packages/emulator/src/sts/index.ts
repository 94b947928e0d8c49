/** The local STS (GetCallerIdentity): see `createStsEmulator`. */
export {
  type CallerIdentity,
  createStsEmulator,
  LOCAL_USER_NAME,
  STS_API_VERSION,
  STS_XML_NAMESPACE,
  type StsEmulator,
  type StsEmulatorOptions,
} from './emulator.js';
