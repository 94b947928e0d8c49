import { createOrganizationsEmulator, type OrganizationSeed } from '../src/organizations/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';

/** The seeded organization the Organizations and cross-account tests share. */

const ORG = 'o-a1b2c3d4e5';
const MANAGEMENT = '111111111111';
const PROD = '222222222222';
const DEV = '333333333333';
const ADMIN = '444444444444';
const OUTSIDER = '999999999999';
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-11111111';
const PRODUCTION = 'ou-ab12-22222222';

export const IDS = { ORG, MANAGEMENT, PROD, DEV, ADMIN, OUTSIDER, ROOT, WORKLOADS, PRODUCTION } as const;

/** A small organization: the management account and a tooling account (a delegated administrator) in the
 * root, dev in the workloads OU, prod in production under workloads. */
export const SEED: OrganizationSeed = {
  id: ORG,
  managementAccountId: MANAGEMENT,
  delegatedAdministrators: [ADMIN],
  roots: [
    {
      id: ROOT,
      children: [
        { account: { id: MANAGEMENT, name: 'management', email: 'management@example.com' } },
        { account: { id: ADMIN, name: 'tooling', email: 'tooling@example.com' } },
        {
          ou: {
            id: WORKLOADS,
            name: 'workloads',
            children: [
              { account: { id: DEV, name: 'dev', email: 'dev@example.com' } },
              {
                ou: {
                  id: PRODUCTION,
                  name: 'production',
                  children: [{ account: { id: PROD, name: 'prod', email: 'prod@example.com' } }],
                },
              },
            ],
          },
        },
      ],
    },
  ],
};

/** A local server with only Organizations (over `SEED`) behind it. */
export function serveOrganization(): Promise<LocalServer> {
  const organizations = createOrganizationsEmulator({ organization: SEED });
  return startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    organizations: organizations.service,
  });
}
