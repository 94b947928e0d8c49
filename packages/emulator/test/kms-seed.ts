import { createKmsEmulator, type KmsKeySeed } from '../src/kms/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';

/** The KMS keys the KMS tests (SDK and AWS CLI) share: two accounts' customer keys in one region. */

export const REGION = 'eu-west-1';
export const OWNER = '111111111111';
export const FRIEND = '222222222222';
export const STRANGER = '333333333333';

/** OWNER's key, which FRIEND may use. */
export const SHARED_KEY = '0a1b2c3d-1111-4111-8111-000000000001';
/** OWNER's key for itself alone. */
export const PRIVATE_KEY = '0a1b2c3d-2222-4222-8222-000000000002';

export const KEYS: readonly KmsKeySeed[] = [
  {
    accountId: OWNER,
    region: REGION,
    keyId: SHARED_KEY,
    aliases: ['alias/golden-amis', 'alias/team/shared'],
    usableBy: [FRIEND],
    description: 'AMIs shared with the friend account',
  },
  { accountId: OWNER, region: REGION, keyId: PRIVATE_KEY, aliases: ['alias/private'] },
];

export const keyArn = (account: string, keyId: string, region = REGION) =>
  `arn:aws:kms:${region}:${account}:key/${keyId}`;
export const aliasArn = (account: string, alias: string, region = REGION) =>
  `arn:aws:kms:${region}:${account}:${alias}`;

/** A local server with only KMS (over `KEYS`) behind it. */
export function serveKms(): Promise<LocalServer> {
  const kms = createKmsEmulator({ keys: KEYS });
  return startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    kms: kms.service,
  });
}
