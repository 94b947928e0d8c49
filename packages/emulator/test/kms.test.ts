import {
  DescribeKeyCommand,
  InvalidArnException,
  KMSClient,
  KMSServiceException,
  ListKeysCommand,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEbsKmsKeyArn } from '../src/ec2/model.js';
import { createKmsEmulator } from '../src/kms/index.js';
import type { LocalServer } from '../src/server.js';
import {
  aliasArn,
  FRIEND,
  KEYS,
  keyArn,
  OWNER,
  PRIVATE_KEY,
  REGION,
  SHARED_KEY,
  STRANGER,
  serveKms,
} from './kms-seed.js';
import { rejectionOf } from './rejection.js';

/** The local KMS (DescribeKey) through `@aws-sdk/client-kms` (AWS JSON 1.1). */

/** The KMS model declares no AccessDeniedException: the SDK raises its service exception, so named. */
async function accessDenied(call: Promise<unknown>): Promise<KMSServiceException> {
  const error = await rejectionOf(call, KMSServiceException);
  expect(error.name).toBe('AccessDeniedException');
  return error;
}

let server: LocalServer;

beforeAll(async () => {
  server = await serveKms();
});

afterAll(() => server.close());

const client = (accessKeyId: string, region = REGION) =>
  new KMSClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId, secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
const describeKey = (accessKeyId: string, KeyId: string, region = REGION) =>
  client(accessKeyId, region).send(new DescribeKeyCommand({ KeyId }));
const keyIdOf = (arn: string) => arn.slice(arn.indexOf(':key/') + ':key/'.length);

describe('the AWS managed EBS key', () => {
  it('exists in every account and region, under alias/aws/ebs, with the ARN EC2 encrypts with', async () => {
    const arn = defaultEbsKmsKeyArn(REGION, OWNER);
    const { KeyMetadata } = await describeKey(OWNER, 'alias/aws/ebs');
    expect(KeyMetadata).toEqual({
      AWSAccountId: OWNER,
      KeyId: keyIdOf(arn),
      Arn: arn,
      CreationDate: new Date('2020-01-01T00:00:00Z'),
      Enabled: true,
      Description: 'Default key that protects my EBS volumes when no other key is defined',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'AWS',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    });
    for (const keyId of [keyIdOf(arn), arn, aliasArn(OWNER, 'alias/aws/ebs')])
      expect((await describeKey(OWNER, keyId)).KeyMetadata?.Arn).toBe(arn);
    // Another account, another region: its own key.
    const elsewhere = await describeKey(STRANGER, 'alias/aws/ebs', 'ap-southeast-2');
    expect(elsewhere.KeyMetadata?.Arn).toBe(defaultEbsKmsKeyArn('ap-southeast-2', STRANGER));
    // The default key (`test`) acts for the default account.
    expect((await describeKey('test', 'alias/aws/ebs')).KeyMetadata?.AWSAccountId).toBe('123456789012');
  });

  it("is never another account's to use, by key ARN or alias ARN", async () => {
    for (const keyId of [defaultEbsKmsKeyArn(REGION, OWNER), aliasArn(OWNER, 'alias/aws/ebs')]) {
      const error = await accessDenied(describeKey(FRIEND, keyId));
      expect(error.message).toBe(
        `User: arn:aws:iam::${FRIEND}:user/local is not authorized to perform: kms:DescribeKey on resource: ${defaultEbsKmsKeyArn(REGION, OWNER)} because no resource-based policy allows the kms:DescribeKey action`,
      );
      expect(error.$metadata.httpStatusCode).toBe(400);
    }
  });
});

describe('customer managed keys', () => {
  it('are found by key id, key ARN, alias name and alias ARN in their account', async () => {
    const arn = keyArn(OWNER, SHARED_KEY);
    for (const keyId of [
      SHARED_KEY,
      arn,
      'alias/golden-amis',
      'alias/team/shared',
      aliasArn(OWNER, 'alias/golden-amis'),
    ]) {
      const { KeyMetadata } = await describeKey(OWNER, keyId);
      expect(KeyMetadata).toMatchObject({
        AWSAccountId: OWNER,
        KeyId: SHARED_KEY,
        Arn: arn,
        KeyManager: 'CUSTOMER',
        Description: 'AMIs shared with the friend account',
        KeyState: 'Enabled',
      });
    }
    expect((await describeKey(OWNER, 'alias/private')).KeyMetadata?.Description).toBe('');
  });

  it('answer another account by ARN when the key policy allows it (usableBy), else AccessDeniedException', async () => {
    const shared = await describeKey(FRIEND, aliasArn(OWNER, 'alias/golden-amis'));
    expect(shared.KeyMetadata).toMatchObject({ AWSAccountId: OWNER, KeyId: SHARED_KEY });
    expect((await describeKey(FRIEND, keyArn(OWNER, SHARED_KEY))).KeyMetadata?.KeyId).toBe(SHARED_KEY);
    const denied = await accessDenied(describeKey(STRANGER, keyArn(OWNER, SHARED_KEY)));
    expect(denied.message).toContain(
      `on resource: ${keyArn(OWNER, SHARED_KEY)} because no resource-based policy`,
    );
    await accessDenied(describeKey(FRIEND, aliasArn(OWNER, 'alias/private')));
  });

  it("are not found by key id or alias name from another account: those name the caller's own", async () => {
    const byId = await rejectionOf(describeKey(FRIEND, SHARED_KEY), NotFoundException);
    expect(byId.message).toBe(`Key '${keyArn(FRIEND, SHARED_KEY)}' does not exist`);
    const byAlias = await rejectionOf(describeKey(FRIEND, 'alias/golden-amis'), NotFoundException);
    expect(byAlias.message).toBe(`Alias ${aliasArn(FRIEND, 'alias/golden-amis')} is not found.`);
  });

  it('live in one region: the same key id or an ARN of another region is not found', async () => {
    const other = await rejectionOf(describeKey(OWNER, SHARED_KEY, 'us-east-1'), NotFoundException);
    expect(other.message).toBe(`Key '${keyArn(OWNER, SHARED_KEY, 'us-east-1')}' does not exist`);
    const byArn = await rejectionOf(
      describeKey(OWNER, keyArn(OWNER, SHARED_KEY), 'us-east-1'),
      NotFoundException,
    );
    expect(byArn.message).toBe(`Key '${keyArn(OWNER, SHARED_KEY)}' does not exist`);
  });
});

describe('DescribeKey errors', () => {
  it('answers NotFoundException for an unknown key, an unknown alias and what is not a key id', async () => {
    const unknown = '0a1b2c3d-9999-4999-8999-000000000009';
    expect((await rejectionOf(describeKey(OWNER, unknown), NotFoundException)).message).toBe(
      `Key '${keyArn(OWNER, unknown)}' does not exist`,
    );
    expect((await rejectionOf(describeKey(OWNER, 'alias/nope'), NotFoundException)).message).toBe(
      `Alias ${aliasArn(OWNER, 'alias/nope')} is not found.`,
    );
    expect((await rejectionOf(describeKey(OWNER, 'alias/aws/ssm'), NotFoundException)).name).toBe(
      'NotFoundException',
    );
    expect((await rejectionOf(describeKey(OWNER, 'my-key'), NotFoundException)).message).toBe(
      'Invalid keyId my-key',
    );
    expect((await rejectionOf(describeKey(FRIEND, keyArn(OWNER, unknown)), NotFoundException)).message).toBe(
      `Key '${keyArn(OWNER, unknown)}' does not exist`,
    );
  });

  it('answers InvalidArnException, ValidationException and UnknownOperationException', async () => {
    await rejectionOf(describeKey(OWNER, 'arn:aws:s3:::bucket'), InvalidArnException);
    const empty = await rejectionOf(describeKey(OWNER, ''), KMSServiceException);
    expect(empty.name).toBe('ValidationException');
    expect(empty.message).toBe(
      "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    const missing = await rejectionOf(
      client(OWNER).send(new DescribeKeyCommand({} as unknown as { KeyId: string })),
      KMSServiceException,
    );
    expect(missing.message).toContain(
      "Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    );
    const other = await rejectionOf(client(OWNER).send(new ListKeysCommand({})), KMSServiceException);
    expect(other.name).toBe('UnknownOperationException');
  });
});

describe('kmsKeys seeds', () => {
  const seed = KEYS[0];
  if (seed === undefined) throw new Error('no seed');

  it('refuses a reserved alias, a key id that is not a UUID, a key or alias seeded twice', () => {
    expect(() => createKmsEmulator({ keys: [{ ...seed, aliases: ['alias/aws/mine'] }] })).toThrow(
      /the alias\/aws\/ prefix is reserved/,
    );
    expect(() => createKmsEmulator({ keys: [{ ...seed, keyId: 'key-1' }] })).toThrow(/keyId must be a UUID/);
    expect(() => createKmsEmulator({ keys: [seed, seed] })).toThrow(/seeded twice/);
    expect(() =>
      createKmsEmulator({ keys: [seed, { ...seed, keyId: PRIVATE_KEY, aliases: ['alias/golden-amis'] }] }),
    ).toThrow(/alias\/golden-amis names two keys/);
    expect(() => createKmsEmulator({ keys: [{ ...seed, usableBy: ['everyone'] }] })).toThrow(
      /usableBy everyone/,
    );
  });

  it('answers keyUsable as DescribeKey would, false for a key KMS does not know', () => {
    const kms = createKmsEmulator({ keys: KEYS });
    const usable = (accountId: string, arn: string) => kms.keyUsable({ accountId, keyArn: arn });
    expect(usable(FRIEND, keyArn(OWNER, SHARED_KEY))).toBe(true);
    expect(usable(STRANGER, keyArn(OWNER, SHARED_KEY))).toBe(false);
    expect(usable(OWNER, keyArn(OWNER, PRIVATE_KEY))).toBe(true);
    expect(usable(FRIEND, defaultEbsKmsKeyArn(REGION, OWNER))).toBe(false);
    expect(usable(OWNER, keyArn(OWNER, '0a1b2c3d-9999-4999-8999-000000000009'))).toBe(false);
  });
});
