/** The local STS (GetCallerIdentity, AssumeRole): see `createStsEmulator`. */

export {
  Principals,
  parseRoleArn,
  type RoleRecord,
  type RoleSession,
  type SeedRoleInput,
} from '../iam/principals.js';
export {
  type CallerIdentity,
  createStsEmulator,
  LOCAL_USER_NAME,
  STS_API_VERSION,
  STS_XML_NAMESPACE,
  type StsEmulator,
  type StsEmulatorOptions,
} from './emulator.js';
