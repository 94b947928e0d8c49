import { afterAll, beforeAll, describe, it } from 'vitest';
import { defaultEbsKmsKeyArn } from '../../src/ec2/model.js';
import type { LocalServer } from '../../src/server.js';
import { aliasArn, FRIEND, keyArn, OWNER, REGION, SHARED_KEY, STRANGER, serveKms } from '../kms-seed.js';
import { aws as awsCli } from './aws.js';

/** The AWS CLI's `kms describe-key` (botocore, AWS JSON 1.1) against the local KMS. */

let server: LocalServer;

beforeAll(async () => {
  server = await serveKms();
});

afterAll(() => server.close());

const describeKey = (keyId: string, accessKeyId: string) =>
  awsCli(['kms', 'describe-key', '--key-id', keyId], {
    endpoint: server.endpoint,
    region: REGION,
    accessKeyId,
  });

describe.concurrent('KMS with the AWS CLI', () => {
  it("describes the account's aws/ebs key and a customer key shared with the caller", async ({ expect }) => {
    const [managed, shared] = await Promise.all([
      describeKey('alias/aws/ebs', OWNER),
      describeKey(aliasArn(OWNER, 'alias/golden-amis'), FRIEND),
    ]);
    expect(managed.code).toBe(0);
    expect(JSON.parse(managed.stdout).KeyMetadata).toMatchObject({
      AWSAccountId: OWNER,
      Arn: defaultEbsKmsKeyArn(REGION, OWNER),
      KeyManager: 'AWS',
      KeyState: 'Enabled',
      MultiRegion: false,
    });
    expect(shared.code).toBe(0);
    expect(JSON.parse(shared.stdout).KeyMetadata).toMatchObject({
      AWSAccountId: OWNER,
      KeyId: SHARED_KEY,
      KeyManager: 'CUSTOMER',
    });
  });

  it('reports NotFoundException and AccessDeniedException as AWS words them', async ({ expect }) => {
    const [missing, denied] = await Promise.all([
      describeKey('alias/nope', OWNER),
      describeKey(keyArn(OWNER, SHARED_KEY), STRANGER),
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      `(NotFoundException) when calling the DescribeKey operation: Alias ${aliasArn(OWNER, 'alias/nope')} is not found.`,
    );
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      `(AccessDeniedException) when calling the DescribeKey operation: User: arn:aws:iam::${STRANGER}:user/local is not authorized to perform: kms:DescribeKey on resource: ${keyArn(OWNER, SHARED_KEY)}`,
    );
  });
});
