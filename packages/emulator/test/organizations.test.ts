import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutPermissionCommand } from '@aws-sdk/client-eventbridge';
import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  ChildNotFoundException,
  DescribeOrganizationCommand,
  DuplicateAccountException,
  InvalidInputException,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
  OrganizationsServiceException,
  ParentNotFoundException,
  paginateListAccounts,
  SourceParentNotFoundException,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrganization } from '../src/organizations/index.js';
import type { LocalServer } from '../src/server.js';
import { type LocalStack, startLocalStack } from '../src/stack.js';
import { IDS, SEED, serveOrganization } from './organization-seed.js';
import { rejectionOf } from './rejection.js';

/** The local Organizations through `@aws-sdk/client-organizations` (AWS JSON 1.1). */

const { ORG, MANAGEMENT, PROD, DEV, ADMIN, OUTSIDER, ROOT, WORKLOADS, PRODUCTION } = IDS;

let server: LocalServer;

beforeAll(async () => {
  server = await serveOrganization();
});

afterAll(() => server.close());

const client = (accessKeyId: string, endpoint = server.endpoint) =>
  new OrganizationsClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId, secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
const arn = (kind: string, id: string) => `arn:aws:organizations::${MANAGEMENT}:${kind}/${ORG}/${id}`;

describe('DescribeOrganization', () => {
  it('describes the organization to any member account', async () => {
    for (const account of [MANAGEMENT, PROD]) {
      const { Organization } = await client(account).send(new DescribeOrganizationCommand({}));
      expect(Organization).toEqual({
        Id: ORG,
        Arn: `arn:aws:organizations::${MANAGEMENT}:organization/${ORG}`,
        FeatureSet: 'ALL',
        MasterAccountArn: arn('account', MANAGEMENT),
        MasterAccountId: MANAGEMENT,
        MasterAccountEmail: 'management@example.com',
        AvailablePolicyTypes: [],
      });
    }
  });

  it('answers AWSOrganizationsNotInUseException to an account outside it (and to the default account)', async () => {
    for (const key of [OUTSIDER, 'test']) {
      const error = await rejectionOf(
        client(key).send(new DescribeOrganizationCommand({})),
        AWSOrganizationsNotInUseException,
      );
      expect(error.message).toBe('Your account is not a member of an organization.');
      expect(error.$metadata.httpStatusCode).toBe(400);
    }
  });
});

describe('the List operations', () => {
  it('lists the roots, children, parents and accounts to the management account', async () => {
    const management = client(MANAGEMENT);
    const { Roots } = await management.send(new ListRootsCommand({}));
    expect(Roots).toEqual([{ Id: ROOT, Arn: arn('root', ROOT), Name: 'Root', PolicyTypes: [] }]);
    const ous = await management.send(
      new ListChildrenCommand({ ParentId: ROOT, ChildType: 'ORGANIZATIONAL_UNIT' }),
    );
    expect(ous.Children).toEqual([{ Id: WORKLOADS, Type: 'ORGANIZATIONAL_UNIT' }]);
    expect(ous.NextToken).toBeUndefined();
    const accounts = await management.send(
      new ListChildrenCommand({ ParentId: WORKLOADS, ChildType: 'ACCOUNT' }),
    );
    expect(accounts.Children).toEqual([{ Id: DEV, Type: 'ACCOUNT' }]);
    const inProduction = await management.send(new ListAccountsForParentCommand({ ParentId: PRODUCTION }));
    expect(inProduction.Accounts).toEqual([
      {
        Id: PROD,
        Arn: arn('account', PROD),
        Email: 'prod@example.com',
        Name: 'prod',
        Status: 'ACTIVE',
        State: 'ACTIVE',
        JoinedMethod: 'CREATED',
        JoinedTimestamp: new Date('2020-01-01T00:00:00Z'),
      },
    ]);
    const parents = await management.send(new ListParentsCommand({ ChildId: PROD }));
    expect(parents.Parents).toEqual([{ Id: PRODUCTION, Type: 'ORGANIZATIONAL_UNIT' }]);
    const top = await management.send(new ListParentsCommand({ ChildId: WORKLOADS }));
    expect(top.Parents).toEqual([{ Id: ROOT, Type: 'ROOT' }]);
  });

  it('pages ListAccounts with MaxResults and NextToken, the SDK paginator following them', async () => {
    const first = await client(MANAGEMENT).send(new ListAccountsCommand({ MaxResults: 3 }));
    expect(first.Accounts?.map((a) => a.Id)).toEqual([MANAGEMENT, ADMIN, DEV]);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await client(MANAGEMENT).send(
      new ListAccountsCommand({ MaxResults: 3, NextToken: first.NextToken }),
    );
    expect(second.Accounts?.map((a) => a.Id)).toEqual([PROD]);
    expect(second.NextToken).toBeUndefined();
    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client: client(ADMIN), pageSize: 1 }, {}))
      ids.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
    expect(ids).toEqual([MANAGEMENT, ADMIN, DEV, PROD]);
  });

  it('refuses a member that is neither the management account nor a delegated administrator', async () => {
    const error = await rejectionOf(client(PROD).send(new ListAccountsCommand({})), AccessDeniedException);
    expect(error.message).toBe("You don't have permissions to access this resource.");
    await rejectionOf(client(OUTSIDER).send(new ListRootsCommand({})), AWSOrganizationsNotInUseException);
  });

  it('answers ParentNotFound, ChildNotFound and InvalidInput as the API Reference names them', async () => {
    const management = client(MANAGEMENT);
    const parent = await rejectionOf(
      management.send(new ListAccountsForParentCommand({ ParentId: 'ou-ab12-99999999' })),
      ParentNotFoundException,
    );
    expect(parent.message).toBe("We can't find a root or OU with the ParentId that you specified.");
    const child = await rejectionOf(
      management.send(new ListParentsCommand({ ChildId: OUTSIDER })),
      ChildNotFoundException,
    );
    expect(child.message).toContain('ChildId that you specified');
    const cases: Array<[Promise<unknown>, string]> = [
      [management.send(new ListChildrenCommand({ ParentId: PROD, ChildType: 'ACCOUNT' })), 'INVALID_PATTERN'],
      [management.send(new ListAccountsCommand({ MaxResults: 21 })), 'MAX_VALUE_EXCEEDED'],
      [management.send(new ListAccountsCommand({ NextToken: 'garbage' })), 'INVALID_NEXT_TOKEN'],
    ];
    for (const [call, reason] of cases) {
      const error = await rejectionOf(call, InvalidInputException);
      expect(error.Reason).toBe(reason);
    }
  });

  it('answers an operation it does not emulate UnknownOperationException', async () => {
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AWSOrganizationsV20161128.CreateAccount',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('MoveAccount', () => {
  const accountsUnder = async (parentId: string) =>
    (await client(MANAGEMENT).send(new ListAccountsForParentCommand({ ParentId: parentId }))).Accounts?.map(
      (a) => a.Id,
    );

  it('moves an account between OUs for the management account, and the listings and EC2 follow', async () => {
    const own = await serveOrganization();
    try {
      const local = (key: string) =>
        new OrganizationsClient({
          region: 'us-east-1',
          endpoint: own.endpoint,
          credentials: { accessKeyId: key, secretAccessKey: 'local-secret' },
          maxAttempts: 1,
        });
      await local(MANAGEMENT).send(
        new MoveAccountCommand({ AccountId: ADMIN, SourceParentId: ROOT, DestinationParentId: WORKLOADS }),
      );
      const under = async (parentId: string) =>
        (
          await local(MANAGEMENT).send(new ListAccountsForParentCommand({ ParentId: parentId }))
        ).Accounts?.map((a) => a.Id);
      expect(await under(WORKLOADS)).toEqual([DEV, ADMIN]);
      expect(await under(ROOT)).toEqual([MANAGEMENT]);
      const { Parents } = await local(MANAGEMENT).send(new ListParentsCommand({ ChildId: ADMIN }));
      expect(Parents).toEqual([{ Id: WORKLOADS, Type: 'ORGANIZATIONAL_UNIT' }]);
    } finally {
      await own.close();
    }
  });

  it('refuses a wrong source parent, a move to where the account is, and callers other than the management account', async () => {
    const wrongSource = await rejectionOf(
      client(MANAGEMENT).send(
        new MoveAccountCommand({ AccountId: DEV, SourceParentId: ROOT, DestinationParentId: PRODUCTION }),
      ),
      SourceParentNotFoundException,
    );
    expect(wrongSource.message).toContain('source root or OU');
    await rejectionOf(
      client(MANAGEMENT).send(
        new MoveAccountCommand({ AccountId: DEV, SourceParentId: WORKLOADS, DestinationParentId: WORKLOADS }),
      ),
      DuplicateAccountException,
    );
    await rejectionOf(
      client(ADMIN).send(
        new MoveAccountCommand({ AccountId: DEV, SourceParentId: WORKLOADS, DestinationParentId: ROOT }),
      ),
      AccessDeniedException,
    );
    expect(await accountsUnder(WORKLOADS)).toEqual([DEV]);
  });
});

describe('the seed', () => {
  it('refuses ids out of pattern, an id twice, and a management account not among the accounts', () => {
    expect(() => loadOrganization({ ...SEED, id: 'o-short' })).toThrow(/not valid/);
    expect(() =>
      loadOrganization({
        ...SEED,
        roots: [
          {
            id: ROOT,
            children: [
              { account: { id: MANAGEMENT, name: 'm', email: 'm@example.com' } },
              { account: { id: MANAGEMENT, name: 'm', email: 'm@example.com' } },
            ],
          },
        ],
      }),
    ).toThrow(/appears twice/);
    expect(() => loadOrganization({ ...SEED, managementAccountId: OUTSIDER })).toThrow(/management account/);
    expect(loadOrganization(SEED).ouArnsAbove(PROD)).toEqual([arn('ou', PRODUCTION), arn('ou', WORKLOADS)]);
  });
});

const STACK_ACCOUNT = '123456789012';

describe('the local stack seeds the organization from a file', () => {
  let stack: LocalStack;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'orgs-stack-'));
    await writeFile(
      join(root, 'serverless.yml'),
      'service: orgs-test\nprovider:\n  name: aws\n  region: us-east-1\n',
    );
    await writeFile(join(root, 'organization.json'), JSON.stringify(SEED));
    stack = await startLocalStack({
      root,
      organization: 'organization.json',
      ec2: { regions: ['us-east-1'] },
      // The member's forwarding rule, to the stack account's default bus.
      forwardingRules: [
        {
          accountId: PROD,
          region: 'us-east-1',
          name: 'to-stack',
          eventPattern: { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'] },
          targets: [`arn:aws:events:us-east-1:${STACK_ACCOUNT}:event-bus/default`],
        },
      ],
    });
  });
  afterAll(async () => {
    await stack.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers Organizations on the stack endpoint, with the same account rule', async () => {
    const { Organization } = await client(PROD, stack.endpoint).send(new DescribeOrganizationCommand({}));
    expect(Organization?.Id).toBe(ORG);
    const error = await rejectionOf(
      client('test', stack.endpoint).send(new DescribeOrganizationCommand({})),
      OrganizationsServiceException,
    );
    expect(error.name).toBe('AWSOrganizationsNotInUseException');
  });

  it("lets EC2 share images with the seeded organization's OUs", async () => {
    const image = stack.emulator.seedImage({
      region: 'us-east-1',
      ownerId: MANAGEMENT,
      name: 'for-workloads',
      launchPermissions: {
        organizationalUnitArns: [`arn:aws:organizations::${MANAGEMENT}:ou/${ORG}/${WORKLOADS}`],
      },
      emitEvent: false,
    });
    const ec2 = (account: string) =>
      new EC2Client({
        region: 'us-east-1',
        endpoint: stack.endpoint,
        credentials: { accessKeyId: account, secretAccessKey: 'x' },
        maxAttempts: 1,
      });
    const seen = await ec2(PROD).send(new DescribeImagesCommand({ ExecutableUsers: ['self'] }));
    expect(seen.Images?.map((i) => i.ImageId)).toEqual([image.imageId]);
    const byAdmin = await ec2(ADMIN).send(new DescribeImagesCommand({ ExecutableUsers: ['self'] }));
    expect(byAdmin.Images).toEqual([]);
  });

  it("sends a member's EC2 events to its own default bus, forwarded to the stack's once its policy allows", async () => {
    const seedFor = (name: string) =>
      stack.emulator.seedImage({ region: 'us-east-1', ownerId: PROD, name }).imageId;
    const arrived = () =>
      stack.bus
        .events()
        .filter((record) => record.event.account === PROD)
        .map((record) => (record.event.detail as { ImageId?: string }).ImageId);
    const before = seedFor('before-permission');
    expect(stack.buses.events().map((r) => r.bus)).toContain(
      `arn:aws:events:us-east-1:${PROD}:event-bus/default`,
    );
    expect(arrived()).toEqual([]);
    await new EventBridgeClient({
      region: 'us-east-1',
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'x' },
      maxAttempts: 1,
    }).send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: PROD, StatementId: 'prod' }));
    const after = seedFor('after-permission');
    expect(arrived()).toEqual([after]);
    expect(arrived()).not.toContain(before);
  });
});
