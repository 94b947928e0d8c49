import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterHistoryCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Emulator } from '../src/ec2/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { type LocalStack, startLocalStack } from '../src/stack.js';
import { createStsEmulator, STS_XML_NAMESPACE, type StsEmulator } from '../src/sts/index.js';

/**
 * The local STS over HTTP, driven by `@aws-sdk/client-sts` (AWS Query), a client nobody here
 * wrote, and by plain HTTP for what it cannot send. The AWS CLI's turn is in awscli/sts.test.ts.
 */

/** The EC2 emulator's default account: the one any non-numeric access key acts as. */
const DEFAULT_ACCOUNT = (() => {
  const ec2 = createEc2Emulator();
  ec2.close();
  return ec2.accountId;
})();
const OTHER_ACCOUNT = '111122223333';
const USER_ID = /^AIDA[A-Z2-7]{17}$/;

let server: LocalServer;
let sts: StsEmulator;
let requestIds = 0;

beforeAll(async () => {
  sts = createStsEmulator({ newRequestId: () => `req-${++requestIds}` });
  server = await startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    sts: (request) => sts.service(request),
  });
});

afterAll(() => server.close());

function client(region: string, accessKeyId = 'AKIDLOCAL') {
  return new STSClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId, secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
}

/** What `promise` rejects with, which must be an STS service error. */
async function stsError(promise: Promise<unknown>): Promise<STSServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof STSServiceException) return error;
    throw error;
  }
  throw new Error('the call succeeded but should have failed');
}

/** A request signed (in form only: no signature is checked) for STS with `accessKeyId`. */
function post(body: string, headers: Record<string, string> = {}, accessKeyId = 'AKIDLOCAL') {
  return fetch(server.endpoint, {
    method: 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=x`,
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      ...headers,
    },
    body,
  });
}

describe('GetCallerIdentity with @aws-sdk/client-sts', () => {
  it("answers the EC2 emulator's default account for a non-numeric access key", async () => {
    const identity = await client('eu-west-1').send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(DEFAULT_ACCOUNT);
    expect(identity.Arn).toBe(`arn:aws:iam::${DEFAULT_ACCOUNT}:user/local`);
    expect(identity.UserId).toMatch(USER_ID);
    expect(identity.$metadata.httpStatusCode).toBe(200);
    expect(identity.$metadata.requestId).toMatch(/^req-\d+$/);
    expect(sts.identityOf('AKIDLOCAL')).toEqual({
      userId: identity.UserId,
      account: identity.Account,
      arn: identity.Arn,
    });
  });

  it('takes a 12-digit access key id as the account, with a user id of its own', async () => {
    const other = await client('eu-west-1', OTHER_ACCOUNT).send(new GetCallerIdentityCommand({}));
    const mine = await client('eu-west-1').send(new GetCallerIdentityCommand({}));
    expect(other.Account).toBe(OTHER_ACCOUNT);
    expect(other.Arn).toBe(`arn:aws:iam::${OTHER_ACCOUNT}:user/local`);
    expect(other.UserId).toMatch(USER_ID);
    expect(other.UserId).not.toBe(mine.UserId);
    // Eleven or thirteen digits are not an account id: the default account answers.
    for (const key of ['11112222333', '1111222233334']) {
      const identity = await client('eu-west-1', key).send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe(DEFAULT_ACCOUNT);
    }
  });

  it('gives the same answer whatever region the client signs for (identities are global)', async () => {
    const strip = ({ UserId, Account, Arn }: { UserId?: string; Account?: string; Arn?: string }) => ({
      UserId,
      Account,
      Arn,
    });
    const [a, b] = await Promise.all(
      ['us-east-1', 'ap-southeast-2'].map(async (region) =>
        strip(await client(region, OTHER_ACCOUNT).send(new GetCallerIdentityCommand({}))),
      ),
    );
    expect(a).toEqual(b);
    expect(a?.Account).toBe(OTHER_ACCOUNT);
  });

  it('follows AWS_ENDPOINT_URL_STS when the client names no endpoint', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = server.endpoint;
    try {
      const before = sts.calls().GetCallerIdentity ?? 0;
      const identity = await new STSClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: OTHER_ACCOUNT, secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      }).send(new GetCallerIdentityCommand({}));
      expect(identity.Account).toBe(OTHER_ACCOUNT);
      expect(sts.calls().GetCallerIdentity).toBe(before + 1);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
      else process.env.AWS_ENDPOINT_URL_STS = saved;
    }
  });

  it('refuses the STS actions it does not emulate with InvalidAction, HTTP 400', async () => {
    const error = await stsError(client('eu-west-1').send(new GetSessionTokenCommand({})));
    expect(error.name).toBe('InvalidAction');
    expect(error.$fault).toBe('client');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      'GetSessionToken is not emulated by the local STS (only GetCallerIdentity and AssumeRole).',
    );
  });
});

describe('the wire (plain HTTP)', () => {
  it('answers the Query XML in the STS namespace, with the request id in the body and the header', async () => {
    const response = await post('Action=GetCallerIdentity&Version=2011-06-15', {}, OTHER_ACCOUNT);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml');
    const requestId = response.headers.get('x-amzn-requestid');
    const { userId } = sts.identityOf(OTHER_ACCOUNT);
    expect(await response.text()).toBe(
      `<GetCallerIdentityResponse xmlns="${STS_XML_NAMESPACE}"><GetCallerIdentityResult>` +
        `<Arn>arn:aws:iam::${OTHER_ACCOUNT}:user/local</Arn><UserId>${userId}</UserId>` +
        `<Account>${OTHER_ACCOUNT}</Account></GetCallerIdentityResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
    expect(STS_XML_NAMESPACE).toBe('https://sts.amazonaws.com/doc/2011-06-15/');
  });

  it('answers an unknown action InvalidAction in the Query error envelope, HTTP 400', async () => {
    const response = await post('Action=Frobnicate&Version=2011-06-15');
    expect(response.status).toBe(400);
    const requestId = response.headers.get('x-amzn-requestid');
    expect(await response.text()).toBe(
      `<ErrorResponse xmlns="${STS_XML_NAMESPACE}"><Error><Type>Sender</Type><Code>InvalidAction</Code>` +
        '<Message>Could not find operation Frobnicate for version 2011-06-15</Message></Error>' +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    );
  });

  it('refuses another API version, and a request without an Action', async () => {
    const versioned = await post('Action=GetCallerIdentity&Version=2010-05-08');
    expect(versioned.status).toBe(400);
    expect(await versioned.text()).toContain(
      '<Code>InvalidAction</Code><Message>Could not find operation GetCallerIdentity for version 2010-05-08</Message>',
    );
    const bare = await post('Version=2011-06-15');
    expect(bare.status).toBe(400);
    expect(await bare.text()).toContain('<Code>MissingAction</Code>');
  });

  it('routes an unsigned Query request by its Version, and reads a GET query string', async () => {
    const unsigned = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(unsigned.status).toBe(200);
    expect(await unsigned.text()).toContain(`<Account>${DEFAULT_ACCOUNT}</Account>`);
    const get = await fetch(`${server.endpoint}/?Action=GetCallerIdentity&Version=2011-06-15`);
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('<GetCallerIdentityResult>');
  });

  it('refuses a JSON-protocol request 501 in JSON, not with XML the client cannot read', async () => {
    const response = await post('{}', {
      'x-amz-target': 'AWSSecurityTokenServiceV20110615.GetCallerIdentity',
      'content-type': 'application/x-amz-json-1.0',
    });
    expect(response.status).toBe(501);
    expect(response.headers.get('x-amzn-errortype')).toBe('NotImplemented');
    expect(await response.json()).toMatchObject({ __type: 'NotImplemented' });
  });

  it('refuses an account id that is not 12 digits', () => {
    expect(() => createStsEmulator({ accountId: '1234' })).toThrow(RangeError);
    expect(createStsEmulator({ accountId: OTHER_ACCOUNT }).identityOf('AKIDLOCAL').account).toBe(
      OTHER_ACCOUNT,
    );
  });
});

describe('the local stack serves STS', () => {
  let stack: LocalStack;
  const STACK_ACCOUNT = '444455556666';
  let root: string;

  beforeAll(async () => {
    // A service with no functions: the stack's endpoint and accounts are all this test needs.
    root = await mkdtemp(join(tmpdir(), 'sts-stack-'));
    await writeFile(
      join(root, 'serverless.yml'),
      'service: sts-test\nprovider:\n  name: aws\n  region: us-east-1\n',
    );
    stack = await startLocalStack({
      root,
      ec2: { accountId: STACK_ACCOUNT, regions: ['us-east-1'] },
      roles: [{ accountId: OTHER_ACCOUNT, roleName: 'reader', trustedPrincipals: [STACK_ACCOUNT] }],
    });
  });
  afterAll(async () => {
    await stack.close();
    await rm(root, { recursive: true, force: true });
  });

  it("answers the stack's account to a client following AWS_ENDPOINT_URL, also after reset()", async () => {
    expect(process.env.AWS_ENDPOINT_URL).toBe(stack.endpoint);
    const ask = () =>
      new STSClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      }).send(new GetCallerIdentityCommand({}));
    expect((await ask()).Account).toBe(STACK_ACCOUNT);
    expect(stack.sts.accountId).toBe(STACK_ACCOUNT);
    stack.reset({ accountId: '777788889999' });
    expect((await ask()).Account).toBe('777788889999');
  });

  it('seeds the roles AssumeRole assumes, their keys acting for the role account', async () => {
    const base = { region: 'us-east-1', maxAttempts: 1 };
    const assumed = await new STSClient({
      ...base,
      // The account the role trusts (the stack's default changed with the reset above).
      credentials: { accessKeyId: STACK_ACCOUNT, secretAccessKey: 'test' },
    }).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/reader`,
        RoleSessionName: 'stack',
      }),
    );
    const { AccessKeyId = '', SecretAccessKey = '', SessionToken } = assumed.Credentials ?? {};
    const identity = await new STSClient({
      ...base,
      credentials: { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken },
    }).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/reader/stack`);
    // Parameter Store records the session as the parameter's LastModifiedUser, in the role's account.
    const ssm = new SSMClient({
      ...base,
      credentials: { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken },
    });
    await ssm.send(new PutParameterCommand({ Name: '/assumed/probe', Value: 'x', Type: 'String' }));
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: '/assumed/probe' }));
    expect(history.Parameters?.[0]?.LastModifiedUser).toBe(identity.Arn);
    // It lives in the role's account, not the stack's.
    expect(stack.ssm.getParameter('us-east-1', '/assumed/probe')).toBeUndefined();
    expect(stack.ssm.getParameter('us-east-1', '/assumed/probe', OTHER_ACCOUNT)?.value).toBe('x');
  });
});
