import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { awsErrorCode, InvariantError, rethrowClassified } from '../core/errors.js';
import type { KeyReader } from '../core/ports.js';

/**
 * What KMS answers when the caller cannot use the key at all: it does not exist in this account
 * and region (an alias the account never created, a deleted key), or its key policy does not let
 * the caller describe it (another account's key not shared with it). Either way no copy can be
 * encrypted with it, which is what the caller wants to know before starting one.
 */
const UNUSABLE = new Set(['NotFoundException', 'AccessDeniedException']);

/** The KMS reader over an SDK client for one region. */
export function createKeyReader(client: KMSClient, region: string): KeyReader {
  return {
    async describeKey(keyId) {
      const output = await client.send(new DescribeKeyCommand({ KeyId: keyId })).catch((error: unknown) => {
        if (UNUSABLE.has(awsErrorCode(error))) return undefined;
        return rethrowClassified('DescribeKey', region, error);
      });
      if (output === undefined) return undefined;
      const metadata = output.KeyMetadata;
      if (metadata === undefined || metadata.Arn === undefined) {
        throw new InvariantError(`DescribeKey of ${keyId} in ${region} answered without the key's ARN`);
      }
      return {
        arn: metadata.Arn,
        manager: metadata.KeyManager === 'AWS' ? 'AWS' : 'CUSTOMER',
        enabled: metadata.Enabled === true,
      };
    },
  };
}
