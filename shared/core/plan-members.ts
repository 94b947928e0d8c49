import type { PlanNote } from './actions.js';
import type { ImageDetail } from './model.js';

/**
 * The pre-flight of sharing a source with the rule's target accounts: none of its snapshots may be
 * encrypted with the AWS managed key (`aws/ebs`), which no other account can ever use, nor with a
 * key KMS could not describe. Otherwise nothing is shared (so no target starts a copy that could
 * only fail) and one note says why and how to fix it.
 */
export function memberGrants(
  source: ImageDetail,
  members: readonly string[],
  notes: PlanNote[],
): readonly string[] {
  if (members.length === 0) return [];
  const { region, imageId } = source.image;
  const encrypted = source.snapshots.filter((s) => s.encrypted);
  const awsManaged = encrypted.filter((s) => s.kmsKeyManager === 'AWS');
  if (awsManaged.length > 0) {
    notes.push({
      region,
      imageId,
      message: `not shared with the ${members.length} target account(s), and no copy for them: snapshot ${awsManaged.map((s) => s.snapshotId).join(', ')} is encrypted with the AWS managed key (aws/ebs), which other accounts can never use. Build the image with a customer managed key (or copy it with CopyImage Encrypted and a customer managed KmsKeyId), and let the target accounts use that key`,
    });
    return [];
  }
  const unknown = encrypted.filter((s) => s.kmsKeyManager === undefined);
  if (unknown.length > 0) {
    notes.push({
      region,
      imageId,
      message: `not shared with the target accounts yet: the KMS key of snapshot ${unknown.map((s) => s.snapshotId).join(', ')} (${unknown.map((s) => s.kmsKeyId ?? 'unknown').join(', ')}) could not be described; the next run tries again`,
    });
    return [];
  }
  return members;
}
