import {
  OrganizationsClient,
  type OrganizationsClientConfig,
  paginateListAccountsForParent,
  paginateListChildren,
  paginateListRoots,
} from '@aws-sdk/client-organizations';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { awsCall } from '../core/errors.js';
import type { OrganizationAccount, OrganizationsFor, OrganizationsReader } from '../core/ports.js';
import { traced } from '../lambda/tracing.js';
import { perRegion } from './per-region.js';
import { observeRetries } from './sdk-retries.js';

/**
 * Organizations is a global service whose one endpoint is in us-east-1 (aws partition): every
 * call is signed for that region, wherever the function runs.
 */
const ORGANIZATIONS_REGION = 'us-east-1';

/** The session name CloudTrail shows for the tool's reads through `accounts.organizationsRole`. */
const SESSION_NAME = 'ami-lifecycle';

/** The reader over one SDK client: paginated lists, failures classified by `awsCall`. */
export function createOrganizationsReader(client: OrganizationsClient): OrganizationsReader {
  const call = <T>(operation: string, send: () => Promise<T>): Promise<T> =>
    awsCall(operation, ORGANIZATIONS_REGION, send);
  return {
    listRoots() {
      return call('ListRoots', async () => {
        const ids: string[] = [];
        for await (const page of paginateListRoots({ client }, {})) {
          for (const root of page.Roots ?? []) if (root.Id !== undefined) ids.push(root.Id);
        }
        return ids;
      });
    },
    listChildOus(parentId) {
      return call('ListChildren', async () => {
        const ids: string[] = [];
        const pages = paginateListChildren(
          { client },
          { ParentId: parentId, ChildType: 'ORGANIZATIONAL_UNIT' },
        );
        for await (const page of pages) {
          for (const child of page.Children ?? []) if (child.Id !== undefined) ids.push(child.Id);
        }
        return ids;
      });
    },
    listAccountsForParent(parentId) {
      return call('ListAccountsForParent', async () => {
        const accounts: OrganizationAccount[] = [];
        for await (const page of paginateListAccountsForParent({ client }, { ParentId: parentId })) {
          for (const account of page.Accounts ?? []) {
            if (account.Id === undefined) continue;
            // `State` replaces `Status` (deprecated in 2025); either says whether it is active.
            accounts.push({ id: account.Id, status: account.State ?? account.Status ?? 'UNKNOWN' });
          }
        }
        return accounts;
      });
    },
  };
}

/**
 * An `OrganizationsFor` with its own clients: one per role ARN (and one for the tool's own
 * credentials), built on first use and kept, so a role is assumed once per process and its
 * credentials refreshed by the SDK. `config` adds to the defaults (an `endpoint` and dummy
 * `credentials` for the local emulator; with a role they sign the AssumeRole).
 */
export function createOrganizationsFor(
  config: Omit<OrganizationsClientConfig, 'region'> = {},
): OrganizationsFor {
  const readers = perRegion((roleArn: string) => {
    const credentials =
      roleArn === ''
        ? config.credentials
        : fromTemporaryCredentials({
            params: { RoleArn: roleArn, RoleSessionName: SESSION_NAME },
            ...(config.credentials === undefined ? {} : { masterCredentials: config.credentials }),
            clientConfig: {
              region: ORGANIZATIONS_REGION,
              ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
            },
          });
    const client = new OrganizationsClient({
      maxAttempts: 5,
      ...config,
      ...(credentials === undefined ? {} : { credentials }),
      region: ORGANIZATIONS_REGION,
    });
    observeRetries(client.middlewareStack, 'organizations', ORGANIZATIONS_REGION);
    return createOrganizationsReader(traced(client));
  });
  return (roleArn) => readers(roleArn ?? '');
}

/** The process's Organizations readers (the scheduled reconcile's fan-out). */
export const organizationsFor: OrganizationsFor = createOrganizationsFor();
