import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyImageCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../src/stack.js';
import { FRIEND, KEYS, keyArn, OWNER, PRIVATE_KEY, REGION, SHARED_KEY, STRANGER } from './kms-seed.js';

/**
 * The stack's `kmsKeys`: KMS on the stack's endpoint, and EC2's cross-account CopyImage asking it
 * whether the copier may use the source snapshots' customer managed keys.
 */

describe('the local stack with kmsKeys', () => {
  let stack: LocalStack;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kms-stack-'));
    await writeFile(
      join(root, 'serverless.yml'),
      `service: kms-test\nprovider:\n  name: aws\n  region: ${REGION}\n`,
    );
    stack = await startLocalStack({ root, kmsKeys: KEYS, ec2: { regions: [REGION] } });
  });
  afterAll(async () => {
    await stack.close();
    await rm(root, { recursive: true, force: true });
  });

  const credentials = (account: string) => ({ accessKeyId: account, secretAccessKey: 'x' });
  const copy = (account: string, imageId: string) =>
    new EC2Client({
      region: REGION,
      endpoint: stack.endpoint,
      credentials: credentials(account),
      maxAttempts: 1,
    })
      .send(
        new CopyImageCommand({ Name: `copy-of-${imageId}`, SourceImageId: imageId, SourceRegion: REGION }),
      )
      .then(({ ImageId }) => ImageId ?? '');
  const seed = (name: string, keyId: string) =>
    stack.emulator.seedImage({
      region: REGION,
      ownerId: OWNER,
      name,
      launchPermissions: { userIds: [FRIEND, STRANGER] },
      blockDeviceMappings: [{ encrypted: true, kmsKeyId: keyArn(OWNER, keyId) }],
      snapshotPermissions: { sharedWith: [FRIEND, STRANGER] },
      emitEvent: false,
    }).imageId;

  it('answers DescribeKey on the stack endpoint', async () => {
    const kms = new KMSClient({
      region: REGION,
      endpoint: stack.endpoint,
      credentials: credentials(FRIEND),
      maxAttempts: 1,
    });
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyArn(OWNER, SHARED_KEY) }));
    expect(KeyMetadata).toMatchObject({ AWSAccountId: OWNER, KeyManager: 'CUSTOMER' });
  });

  it("copies another account's snapshots only under a key its policy lets the copier use; else the copy fails", async () => {
    const shared = seed('under-shared-key', SHARED_KEY);
    const privately = seed('under-private-key', PRIVATE_KEY);
    const byFriend = await copy(FRIEND, shared);
    const byStranger = await copy(STRANGER, shared);
    const ofPrivate = await copy(FRIEND, privately);
    stack.emulator.completePendingCopies();
    expect(stack.emulator.getImage(REGION, byFriend)?.state).toBe('available');
    for (const imageId of [byStranger, ofPrivate]) {
      expect(stack.emulator.getImage(REGION, imageId)).toMatchObject({
        state: 'failed',
        stateReason: { code: 'Client.InvalidKMSKey.InvalidState' },
      });
    }
    expect(stack.emulator.getImage(REGION, byStranger)?.stateReason?.message).toMatch(
      new RegExp(
        `encrypted with the KMS key ${keyArn(OWNER, SHARED_KEY)}, which account ${STRANGER} is not allowed to use`,
      ),
    );
  });

  it('fails the copy of a snapshot under a key KMS does not know, once keys are seeded', async () => {
    const unknown = seed('under-unknown-key', '0a1b2c3d-9999-4999-8999-000000000009');
    const imageId = await copy(FRIEND, unknown);
    stack.emulator.completePendingCopies();
    expect(stack.emulator.getImage(REGION, imageId)?.state).toBe('failed');
  });
});
