/** The local KMS (DescribeKey over seeded keys and every account's `aws/ebs` key): see `createKmsEmulator`. */
export {
  createKmsEmulator,
  KMS_OPERATIONS,
  KMS_TARGET_PREFIX,
  type KmsEmulator,
  type KmsEmulatorOptions,
} from './emulator.js';
export { EBS_ALIAS, EBS_KEY_DESCRIPTION, type KmsKeySeed } from './keys.js';
