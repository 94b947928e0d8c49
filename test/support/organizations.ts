import { DescribeKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import {
  OrganizationsClient,
  paginateListAccountsForParent,
  paginateListChildren,
  paginateListRoots,
} from '@aws-sdk/client-organizations';
import type { KeysForRegion, OrganizationsFor } from '../../shared/core/ports.js';

/** Organizations over the real SDK at a local endpoint, as the hub account (the default key). */
export function testOrganizationsFor(endpoint: string): OrganizationsFor {
  const client = new OrganizationsClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const all = async <T>(pages: AsyncIterable<T>): Promise<T[]> => {
    const out: T[] = [];
    for await (const page of pages) out.push(page);
    return out;
  };
  return () => ({
    listRoots: async () =>
      (await all(paginateListRoots({ client }, {})))
        .flatMap((p) => p.Roots ?? [])
        .flatMap((r) => (r.Id ? [r.Id] : [])),
    listChildOus: async (ParentId) =>
      (await all(paginateListChildren({ client }, { ParentId, ChildType: 'ORGANIZATIONAL_UNIT' })))
        .flatMap((p) => p.Children ?? [])
        .flatMap((c) => (c.Id ? [c.Id] : [])),
    listAccountsForParent: async (ParentId) =>
      (await all(paginateListAccountsForParent({ client }, { ParentId })))
        .flatMap((p) => p.Accounts ?? [])
        .flatMap((a) => (a.Id ? [{ id: a.Id, status: a.Status ?? 'ACTIVE' }] : [])),
  });
}

/** KMS DescribeKey over the real SDK at a local endpoint, as the hub account. */
export function testKeysFor(endpoint: string): KeysForRegion {
  return (region) => {
    const client = new KMSClient({
      region,
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    return {
      describeKey: async (KeyId) => {
        try {
          const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId }));
          return {
            arn: KeyMetadata?.Arn ?? KeyId,
            manager: KeyMetadata?.KeyManager === 'AWS' ? 'AWS' : 'CUSTOMER',
            enabled: KeyMetadata?.Enabled === true,
          };
        } catch (error) {
          if (error instanceof NotFoundException) return undefined;
          throw error;
        }
      },
    };
  };
}
