import { afterAll, beforeAll, describe, it } from 'vitest';
import { createEc2Emulator } from '../../src/ec2/index.js';
import { type LocalServer, startLocalServer } from '../../src/server.js';
import { createStsEmulator, type StsEmulator } from '../../src/sts/index.js';
import { aws as awsCli, spawnAws } from './aws.js';

/** The AWS CLI's `sts get-caller-identity` (botocore, AWS Query) against the local STS. */

/** The EC2 emulator's default account: the one any non-numeric access key acts as. */
const DEFAULT_ACCOUNT = (() => {
  const ec2 = createEc2Emulator();
  ec2.close();
  return ec2.accountId;
})();
const OTHER_ACCOUNT = '111122223333';
const ROLE_ACCOUNT = '444455556666';
const ROLE_ARN = `arn:aws:iam::${ROLE_ACCOUNT}:role/ami-reader`;

let server: LocalServer;
let sts: StsEmulator;

beforeAll(async () => {
  sts = createStsEmulator({
    roles: [{ accountId: ROLE_ACCOUNT, roleName: 'ami-reader', trustedPrincipals: [OTHER_ACCOUNT] }],
  });
  server = await startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    sts: (request) => sts.service(request),
  });
});

afterAll(() => server.close());

const options = (accessKeyId: string) => ({ endpoint: server.endpoint, region: 'eu-west-1', accessKeyId });
const aws = (args: string[], accessKeyId = 'test') => awsCli(['sts', ...args], options(accessKeyId));

describe.concurrent('GetCallerIdentity with the AWS CLI', () => {
  it('prints the default account for a non-numeric key, and a 12-digit key as its account', async ({
    expect,
  }) => {
    const [mine, other] = await Promise.all([
      aws(['get-caller-identity']),
      aws(['get-caller-identity'], OTHER_ACCOUNT),
    ]);
    expect(mine.code).toBe(0);
    expect(JSON.parse(mine.stdout)).toEqual({
      UserId: sts.identityOf('test').userId,
      Account: DEFAULT_ACCOUNT,
      Arn: `arn:aws:iam::${DEFAULT_ACCOUNT}:user/local`,
    });
    expect(other.code).toBe(0);
    expect(JSON.parse(other.stdout)).toMatchObject({ Account: OTHER_ACCOUNT });
  });

  it('answers the installed aws command, run as a process of its own, as the forked one', async ({
    expect,
  }) => {
    const args = ['sts', 'get-caller-identity'];
    const [spawned, forked] = await Promise.all([
      spawnAws(args, options(OTHER_ACCOUNT)),
      awsCli(args, options(OTHER_ACCOUNT)),
    ]);
    expect(spawned.code).toBe(0);
    expect(spawned).toEqual(forked);
  });

  it('reports InvalidAction for an action the local STS does not emulate', async ({ expect }) => {
    const refused = await aws(['get-session-token']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('(InvalidAction)');
    expect(refused.stderr).toContain('GetSessionToken is not emulated by the local STS');
  });

  it('assumes a role that trusts the caller, and is refused AccessDenied by one that does not', async ({
    expect,
  }) => {
    const args = ['assume-role', '--role-arn', ROLE_ARN, '--role-session-name', 'cli-session'];
    const [granted, refused] = await Promise.all([aws(args, OTHER_ACCOUNT), aws(args, '999999999999')]);
    expect(granted.code).toBe(0);
    const answer = JSON.parse(granted.stdout);
    expect(answer.AssumedRoleUser).toEqual({
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}:cli-session$/),
      Arn: `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/ami-reader/cli-session`,
    });
    expect(sts.identityOf(answer.Credentials.AccessKeyId).account).toBe(ROLE_ACCOUNT);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `(AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::999999999999:user/local is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
    );
  });
});
