import { afterAll, beforeAll, describe, it } from 'vitest';
import type { LocalServer } from '../../src/server.js';
import { IDS, serveOrganization } from '../organization-seed.js';
import { aws as awsCli } from './aws.js';

/** The AWS CLI's `organizations` commands (botocore, AWS JSON 1.1) against the local Organizations. */

let server: LocalServer;

beforeAll(async () => {
  server = await serveOrganization();
});

afterAll(() => server.close());

const aws = (args: string[], accessKeyId: string) =>
  awsCli(['organizations', ...args], { endpoint: server.endpoint, region: 'us-east-1', accessKeyId });

describe.concurrent('Organizations with the AWS CLI', () => {
  it('describes the organization, and lists every account across the CLI pages', async ({ expect }) => {
    const [described, listed] = await Promise.all([
      aws(['describe-organization'], IDS.PROD),
      // --page-size makes the CLI follow NextToken itself, one account a page.
      aws(['list-accounts', '--page-size', '1'], IDS.MANAGEMENT),
    ]);
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout).Organization).toMatchObject({
      Id: IDS.ORG,
      MasterAccountId: IDS.MANAGEMENT,
    });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).Accounts.map((a: { Id: string }) => a.Id)).toEqual([
      IDS.MANAGEMENT,
      IDS.ADMIN,
      IDS.DEV,
      IDS.PROD,
    ]);
  });

  it('walks the tree with list-roots, list-children and list-parents, and reports the errors', async ({
    expect,
  }) => {
    const [roots, children, parents, denied, outside] = await Promise.all([
      aws(['list-roots'], IDS.ADMIN),
      aws(
        ['list-children', '--parent-id', IDS.WORKLOADS, '--child-type', 'ORGANIZATIONAL_UNIT'],
        IDS.MANAGEMENT,
      ),
      aws(['list-parents', '--child-id', IDS.DEV], IDS.MANAGEMENT),
      aws(['list-accounts-for-parent', '--parent-id', IDS.ROOT], IDS.PROD),
      aws(['describe-organization'], IDS.OUTSIDER),
    ]);
    expect(JSON.parse(roots.stdout).Roots.map((r: { Id: string }) => r.Id)).toEqual([IDS.ROOT]);
    expect(JSON.parse(children.stdout).Children).toEqual([
      { Id: IDS.PRODUCTION, Type: 'ORGANIZATIONAL_UNIT' },
    ]);
    expect(JSON.parse(parents.stdout).Parents).toEqual([{ Id: IDS.WORKLOADS, Type: 'ORGANIZATIONAL_UNIT' }]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      '(AccessDeniedException) when calling the ListAccountsForParent operation',
    );
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain(
      '(AWSOrganizationsNotInUseException) when calling the DescribeOrganization operation: Your account is not a member of an organization.',
    );
  });
});
