import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Emulator, type Ec2Emulator } from '../src/ec2/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { createStsEmulator, Principals, type StsEmulator } from '../src/sts/index.js';
import { rejectionOf } from './rejection.js';

/**
 * AssumeRole through `@aws-sdk/client-sts`, and the credentials it issues used with STS and EC2:
 * they act for the role's account. One `Principals` is shared by both emulators, as the stack does.
 */

const DEFAULT_ACCOUNT = '123456789012';
const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';
const STRANGER = '999999999999';
const READER_ARN = `arn:aws:iam::${MEMBER}:role/ami-reader`;
const EXTERNAL_ARN = `arn:aws:iam::${MEMBER}:role/vendor`;
const NOW = new Date('2026-06-01T12:00:00Z');

let server: LocalServer;
let sts: StsEmulator;
let ec2: Ec2Emulator;

beforeAll(async () => {
  const principals = new Principals(DEFAULT_ACCOUNT);
  sts = createStsEmulator({
    principals,
    now: () => NOW,
    roles: [
      { accountId: MEMBER, roleName: 'ami-reader', trustedPrincipals: [MANAGEMENT] },
      {
        accountId: MEMBER,
        roleName: 'vendor',
        trustedPrincipals: [`arn:aws:iam::${MANAGEMENT}:root`],
        externalId: 'shared-secret',
        maxSessionDurationSeconds: 7200,
      },
      // Trusts only the reader role's sessions: a chain from the management account.
      { accountId: MANAGEMENT, roleName: 'chained', trustedPrincipals: [READER_ARN] },
    ],
  });
  ec2 = createEc2Emulator({ issuedKeyAccount: principals.issuedKeyAccount, regions: ['us-east-1'] });
  server = await startLocalServer({ ec2: ec2.service, sts: sts.service });
});

afterAll(async () => {
  ec2.close();
  await server.close();
});

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const stsClient = (credentials: Keys) =>
  new STSClient({ region: 'us-east-1', endpoint: server.endpoint, credentials, maxAttempts: 1 });
const as = (accessKeyId: string): Keys => ({ accessKeyId, secretAccessKey: 'local-secret' });

const stsError = (promise: Promise<unknown>) => rejectionOf(promise, STSServiceException);

async function assume(caller: Keys, input: ConstructorParameters<typeof AssumeRoleCommand>[0]) {
  const answer = await stsClient(caller).send(new AssumeRoleCommand(input));
  const { AccessKeyId, SecretAccessKey, SessionToken } = answer.Credentials ?? {};
  if (AccessKeyId === undefined || SecretAccessKey === undefined || SessionToken === undefined)
    throw new Error('no credentials');
  return {
    answer,
    keys: { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken },
  };
}

describe('AssumeRole', () => {
  it('issues credentials that act for the role account, as the assumed-role session', async () => {
    const { answer, keys } = await assume(as(MANAGEMENT), {
      RoleArn: READER_ARN,
      RoleSessionName: 'lifecycle',
      DurationSeconds: 900,
    });
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/ami-reader/lifecycle`);
    expect(answer.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:lifecycle$/);
    expect(keys.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(answer.Credentials?.Expiration).toEqual(new Date('2026-06-01T12:15:00Z'));

    const identity = await stsClient(keys).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/ami-reader/lifecycle`,
      UserId: answer.AssumedRoleUser?.AssumedRoleId,
    });

    // EC2 takes the same key as the member account: it sees the member's private image.
    const image = ec2.seedImage({ region: 'us-east-1', ownerId: MEMBER, name: 'member-private' });
    const ec2Client = new EC2Client({ region: 'us-east-1', endpoint: server.endpoint, credentials: keys });
    const mine = await ec2Client.send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(mine.Images?.map((i) => i.ImageId)).toEqual([image.imageId]);
  });

  it('refuses a role that does not trust the caller, or does not exist, AccessDenied 403', async () => {
    const untrusted = await stsError(
      stsClient(as(STRANGER)).send(new AssumeRoleCommand({ RoleArn: READER_ARN, RoleSessionName: 's1' })),
    );
    expect(untrusted.name).toBe('AccessDenied');
    expect(untrusted.$metadata.httpStatusCode).toBe(403);
    expect(untrusted.message).toBe(
      `User: arn:aws:iam::${STRANGER}:user/local is not authorized to perform: sts:AssumeRole on resource: ${READER_ARN}`,
    );
    const missing = `arn:aws:iam::${MEMBER}:role/nobody`;
    const absent = await stsError(
      stsClient(as(MANAGEMENT)).send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: 's1' })),
    );
    expect(absent.name).toBe('AccessDenied');
    expect(absent.message).toBe(
      `User: arn:aws:iam::${MANAGEMENT}:user/local is not authorized to perform: sts:AssumeRole on resource: ${missing}`,
    );
    // The default account (a non-numeric key) is not trusted either.
    const byDefault = await stsError(
      stsClient(as('test')).send(new AssumeRoleCommand({ RoleArn: READER_ARN, RoleSessionName: 's1' })),
    );
    expect(byDefault.message).toContain(`User: arn:aws:iam::${DEFAULT_ACCOUNT}:user/local `);
  });

  it('requires the external id the role asks for, and honours its longer maximum duration', async () => {
    const without = await stsError(
      stsClient(as(MANAGEMENT)).send(
        new AssumeRoleCommand({ RoleArn: EXTERNAL_ARN, RoleSessionName: 'vendor' }),
      ),
    );
    expect(without.name).toBe('AccessDenied');
    const wrong = await stsError(
      stsClient(as(MANAGEMENT)).send(
        new AssumeRoleCommand({ RoleArn: EXTERNAL_ARN, RoleSessionName: 'vendor', ExternalId: 'guess' }),
      ),
    );
    expect(wrong.name).toBe('AccessDenied');
    const { answer } = await assume(as(MANAGEMENT), {
      RoleArn: EXTERNAL_ARN,
      RoleSessionName: 'vendor',
      ExternalId: 'shared-secret',
      DurationSeconds: 7200,
    });
    expect(answer.Credentials?.Expiration).toEqual(new Date('2026-06-01T14:00:00Z'));
    const tooLong = await stsError(
      stsClient(as(MANAGEMENT)).send(
        new AssumeRoleCommand({
          RoleArn: EXTERNAL_ARN,
          RoleSessionName: 'vendor',
          ExternalId: 'shared-secret',
          DurationSeconds: 7201,
        }),
      ),
    );
    expect(tooLong.name).toBe('ValidationError');
    expect(tooLong.message).toBe(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  });

  it('lets a role session assume a role that trusts its role, for at most an hour', async () => {
    const { keys } = await assume(as(MANAGEMENT), { RoleArn: READER_ARN, RoleSessionName: 'first' });
    const chainedArn = `arn:aws:iam::${MANAGEMENT}:role/chained`;
    const { answer } = await assume(keys, { RoleArn: chainedArn, RoleSessionName: 'second' });
    expect(answer.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MANAGEMENT}:assumed-role/chained/second`);
    const long = await stsError(
      stsClient(keys).send(
        new AssumeRoleCommand({ RoleArn: chainedArn, RoleSessionName: 'second', DurationSeconds: 3601 }),
      ),
    );
    expect(long.name).toBe('ValidationError');
    // The management account's user is not the reader role: refused, named as the user.
    const direct = await stsError(
      stsClient(as(MANAGEMENT)).send(
        new AssumeRoleCommand({ RoleArn: chainedArn, RoleSessionName: 'other' }),
      ),
    );
    expect(direct.name).toBe('AccessDenied');
    // A refused session names itself by its assumed-role ARN.
    const refused = await stsError(
      stsClient(keys).send(new AssumeRoleCommand({ RoleArn: EXTERNAL_ARN, RoleSessionName: 'other' })),
    );
    expect(refused.message).toContain(`User: arn:aws:sts::${MEMBER}:assumed-role/ami-reader/first is not`);
  });

  it('validates the members as the model constrains them', async () => {
    const cases: Array<[ConstructorParameters<typeof AssumeRoleCommand>[0], string]> = [
      [
        { RoleArn: READER_ARN, RoleSessionName: 'a' },
        "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
      ],
      [
        { RoleArn: READER_ARN, RoleSessionName: 'has space' },
        "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      ],
      [
        { RoleArn: READER_ARN, RoleSessionName: 'ok', DurationSeconds: 899 },
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      ],
      [
        { RoleArn: 'arn:aws:iam::1:role', RoleSessionName: 'ok' },
        "1 validation error detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
      ],
    ];
    for (const [input, message] of cases) {
      const error = await stsError(stsClient(as(MANAGEMENT)).send(new AssumeRoleCommand(input)));
      expect(error.name).toBe('ValidationError');
      expect(error.$metadata.httpStatusCode).toBe(400);
      expect(error.message).toBe(message);
    }
  });

  it('refuses to seed a role it could not represent', () => {
    const principals = new Principals(DEFAULT_ACCOUNT);
    expect(() => principals.seedRole({ accountId: '1', roleName: 'r', trustedPrincipals: [] })).toThrow(
      RangeError,
    );
    expect(() =>
      principals.seedRole({ accountId: MEMBER, roleName: 'r', trustedPrincipals: ['someone'] }),
    ).toThrow(RangeError);
    expect(() =>
      principals.seedRole({
        accountId: MEMBER,
        roleName: 'r',
        trustedPrincipals: [],
        maxSessionDurationSeconds: 60,
      }),
    ).toThrow(RangeError);
  });
});
