import type { ParameterRecord, RegionStore, VersionRecord } from './store.js';

/**
 * The response shapes of the API model (`Parameter`, `ParameterHistory`, `ParameterMetadata`), built
 * from the stored records. Timestamps are epoch seconds, as the JSON protocols send them.
 */

const seconds = (date: Date): number => date.getTime() / 1000;

/**
 * A SecureString's value as a read without `WithDecryption` shows it. AWS returns the KMS
 * ciphertext; the emulator keeps no keys, so it returns a stand-in that is plainly not the value
 * (base64 of a marker and the value) and the value itself only with `WithDecryption`.
 */
export function shownValue(version: VersionRecord, withDecryption: boolean): string {
  if (version.type !== 'SecureString' || withDecryption) return version.value;
  return Buffer.from(`local-kms-ciphertext:${version.value}`).toString('base64');
}

/** The `Parameter` shape of GetParameter(s) and GetParametersByPath. */
export function parameterShape(
  store: RegionStore,
  record: ParameterRecord,
  version: VersionRecord,
  options: { withDecryption: boolean; selector?: string },
): Record<string, unknown> {
  return {
    Name: record.name,
    Type: version.type,
    Value: shownValue(version, options.withDecryption),
    Version: version.version,
    ...(options.selector !== undefined ? { Selector: options.selector } : {}),
    LastModifiedDate: seconds(version.lastModifiedDate),
    ARN: store.arnOf(record.name),
    DataType: version.dataType,
  };
}

/** The members `ParameterHistory` and `ParameterMetadata` share: one version's metadata. */
function versionMetadata(version: VersionRecord): Record<string, unknown> {
  return {
    Type: version.type,
    ...(version.keyId !== undefined ? { KeyId: version.keyId } : {}),
    LastModifiedDate: seconds(version.lastModifiedDate),
    LastModifiedUser: version.lastModifiedUser,
    ...(version.description !== undefined ? { Description: version.description } : {}),
    ...(version.allowedPattern !== undefined ? { AllowedPattern: version.allowedPattern } : {}),
    Version: version.version,
    Tier: version.tier,
    Policies: [],
    DataType: version.dataType,
  };
}

/** The `ParameterHistory` shape: one version with its value and labels. */
export function historyShape(
  record: ParameterRecord,
  version: VersionRecord,
  withDecryption: boolean,
): Record<string, unknown> {
  return {
    Name: record.name,
    ...versionMetadata(version),
    Value: shownValue(version, withDecryption),
    Labels: [...version.labels],
  };
}

/** The `ParameterMetadata` shape of DescribeParameters: the latest version, without its value. */
export function metadataShape(
  store: RegionStore,
  record: ParameterRecord,
  version: VersionRecord,
): Record<string, unknown> {
  return { Name: record.name, ARN: store.arnOf(record.name), ...versionMetadata(version) };
}
