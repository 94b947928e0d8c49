import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ACCOUNT_ID } from '../accounts.js';
import { OrganizationsError } from './requests.js';

/**
 * The organization the local stack seeds: one organization, its roots, OUs and accounts, read from
 * a JSON object (or file) of this shape:
 *
 * ```json
 * { "id": "o-a1b2c3d4e5", "managementAccountId": "111111111111",
 *   "roots": [{ "id": "r-ab12", "children": [
 *     { "account": { "id": "111111111111", "name": "management", "email": "m@example.com" } },
 *     { "ou": { "id": "ou-ab12-11111111", "name": "workloads", "children": [
 *       { "account": { "id": "222222222222", "name": "prod", "email": "p@example.com" } } ] } } ] }] }
 * ```
 *
 * Ids follow the Organizations API's patterns (`o-` and 10–32, `r-` and 4–32, `ou-<4–32>-<8–32>`
 * lower-case letters or digits; accounts 12 digits); each id appears once; the management account
 * is one of the accounts. ARNs are the documented forms, all in the management account:
 * `arn:aws:organizations::<mgmt>:organization/<o>`, `…:root/<o>/<r>`, `…:ou/<o>/<ou>`,
 * `…:account/<o>/<account>`.
 */

const ACCOUNT_ID_SCHEMA = z.string().regex(ACCOUNT_ID, 'an account id is 12 digits');

const accountSeed = z.strictObject({
  id: ACCOUNT_ID_SCHEMA,
  name: z.string().min(1).max(50),
  email: z.string().min(6).max(64),
  status: z.enum(['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE']).optional(),
  joinedMethod: z.enum(['INVITED', 'CREATED']).optional(),
  /** ISO 8601; default 2020-01-01T00:00:00Z. */
  joinedTimestamp: z.iso.datetime().optional(),
});

export type AccountSeed = z.infer<typeof accountSeed>;

export interface OuSeed {
  id: string;
  name: string;
  children: ChildSeed[];
}

export type ChildSeed = { account: AccountSeed } | { ou: OuSeed };

const ouSeed: z.ZodType<OuSeed> = z.lazy(() =>
  z.strictObject({
    id: z.string().regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, 'an OU id is ou-<4-32>-<8-32>'),
    name: z.string().min(1).max(128),
    children: z.array(childSeed),
  }),
);
const childSeed: z.ZodType<ChildSeed> = z.lazy(() =>
  z.union([z.strictObject({ account: accountSeed }), z.strictObject({ ou: ouSeed })]),
);

const organizationSeed = z.strictObject({
  id: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an organization id is o- and 10-32 letters or digits'),
  managementAccountId: ACCOUNT_ID_SCHEMA,
  featureSet: z.enum(['ALL', 'CONSOLIDATED_BILLING']).optional(),
  /** Member accounts registered as delegated administrators (they may call the List operations). */
  delegatedAdministrators: z.array(ACCOUNT_ID_SCHEMA).optional(),
  roots: z
    .array(
      z.strictObject({
        id: z.string().regex(/^r-[0-9a-z]{4,32}$/, 'a root id is r- and 4-32 letters or digits'),
        name: z.string().optional(),
        children: z.array(childSeed),
      }),
    )
    .min(1),
});

export type OrganizationSeed = z.infer<typeof organizationSeed>;

export interface AccountNode {
  readonly kind: 'account';
  readonly seed: AccountSeed;
  readonly parentId: string;
  readonly arn: string;
}

export interface OuNode {
  readonly kind: 'ou';
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
  readonly arn: string;
}

export interface RootNode {
  readonly kind: 'root';
  readonly id: string;
  readonly name: string;
  readonly arn: string;
}

/** A parent's children in seed order: accounts and OUs. */
export interface ParentNode {
  readonly node: RootNode | OuNode;
  readonly accounts: string[];
  readonly ous: string[];
}

/** The seeded organization, indexed for the API's questions. */
export class Organization {
  readonly id: string;
  readonly arn: string;
  readonly managementAccountId: string;
  readonly featureSet: 'ALL' | 'CONSOLIDATED_BILLING';
  readonly delegatedAdministrators: ReadonlySet<string>;
  readonly roots: RootNode[] = [];
  /** Every account, in seed order (depth first). */
  readonly accounts = new Map<string, AccountNode>();
  readonly ous = new Map<string, OuNode>();
  readonly parents = new Map<string, ParentNode>();

  constructor(seed: OrganizationSeed) {
    this.id = seed.id;
    this.managementAccountId = seed.managementAccountId;
    this.featureSet = seed.featureSet ?? 'ALL';
    this.delegatedAdministrators = new Set(seed.delegatedAdministrators ?? []);
    const arnBase = `arn:aws:organizations::${seed.managementAccountId}`;
    this.arn = `${arnBase}:organization/${seed.id}`;
    const claim = (id: string) => {
      if (this.accounts.has(id) || this.ous.has(id) || this.parents.has(id))
        throw new RangeError(`organization seed: ${id} appears twice`);
    };
    const addChildren = (parent: ParentNode, children: readonly ChildSeed[]) => {
      for (const child of children) {
        if ('account' in child) {
          claim(child.account.id);
          this.accounts.set(child.account.id, {
            kind: 'account',
            seed: child.account,
            parentId: parent.node.id,
            arn: `${arnBase}:account/${seed.id}/${child.account.id}`,
          });
          parent.accounts.push(child.account.id);
        } else {
          claim(child.ou.id);
          const node: OuNode = {
            kind: 'ou',
            id: child.ou.id,
            name: child.ou.name,
            parentId: parent.node.id,
            arn: `${arnBase}:ou/${seed.id}/${child.ou.id}`,
          };
          this.ous.set(node.id, node);
          parent.ous.push(node.id);
          const entry: ParentNode = { node, accounts: [], ous: [] };
          this.parents.set(node.id, entry);
          addChildren(entry, child.ou.children);
        }
      }
    };
    for (const root of seed.roots) {
      claim(root.id);
      const node: RootNode = {
        kind: 'root',
        id: root.id,
        name: root.name ?? 'Root',
        arn: `${arnBase}:root/${seed.id}/${root.id}`,
      };
      this.roots.push(node);
      const entry: ParentNode = { node, accounts: [], ous: [] };
      this.parents.set(node.id, entry);
      addChildren(entry, root.children);
    }
    if (!this.accounts.has(seed.managementAccountId))
      throw new RangeError(
        `organization seed: the management account ${seed.managementAccountId} must be one of its accounts`,
      );
    for (const admin of this.delegatedAdministrators)
      if (!this.accounts.has(admin))
        throw new RangeError(
          `organization seed: delegated administrator ${admin} is not in the organization`,
        );
  }

  /**
   * MoveAccount: the account leaves `sourceParentId` for `destinationParentId`. The errors are the
   * API Reference's, checked in its order of parameters; an account already under the destination
   * is `DuplicateAccountException`.
   */
  moveAccount(accountId: string, sourceParentId: string, destinationParentId: string): void {
    const account = this.accounts.get(accountId);
    if (account === undefined)
      throw new OrganizationsError(
        'AccountNotFoundException',
        "We can't find an AWS account with the AccountId that you specified, or the account whose credentials you used to make this request isn't a member of an organization.",
      );
    const source = this.parents.get(sourceParentId);
    if (source === undefined || account.parentId !== sourceParentId)
      throw new OrganizationsError(
        'SourceParentNotFoundException',
        "We can't find a source root or OU with the ParentId that you specified.",
      );
    const destination = this.parents.get(destinationParentId);
    if (destination === undefined)
      throw new OrganizationsError(
        'DestinationParentNotFoundException',
        "We can't find the destination container (a root or OU) with the ParentId that you specified.",
      );
    if (sourceParentId === destinationParentId)
      throw new OrganizationsError(
        'DuplicateAccountException',
        'That account is already present in the specified destination.',
      );
    source.accounts.splice(source.accounts.indexOf(accountId), 1);
    destination.accounts.push(accountId);
    this.accounts.set(accountId, { ...account, parentId: destinationParentId });
  }

  isMember(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  /** Management account or a delegated administrator: who may call the List operations. */
  canList(accountId: string): boolean {
    return accountId === this.managementAccountId || this.delegatedAdministrators.has(accountId);
  }

  /** An account's organization ARN and OU ARNs (EC2's `OrganizationMembership`); undefined: not a member. */
  membership(accountId: string): { organizationArn: string; ouArns: string[] } | undefined {
    return this.isMember(accountId)
      ? { organizationArn: this.arn, ouArns: this.ouArnsAbove(accountId) }
      : undefined;
  }

  /** The OU ARNs an account is under, nearest first (none for an account directly in a root). */
  ouArnsAbove(accountId: string): string[] {
    const arns: string[] = [];
    const parentId = this.accounts.get(accountId)?.parentId;
    let ou = parentId === undefined ? undefined : this.ous.get(parentId);
    while (ou !== undefined) {
      arns.push(ou.arn);
      ou = this.ous.get(ou.parentId);
    }
    return arns;
  }
}

/** Validates a seed (an object, or the path of a JSON file holding one) and indexes it. */
export function loadOrganization(seed: OrganizationSeed | string): Organization {
  const raw: unknown = typeof seed === 'string' ? JSON.parse(readFileSync(seed, 'utf8')) : seed;
  const parsed = organizationSeed.safeParse(raw);
  if (!parsed.success)
    throw new RangeError(
      `organization seed${typeof seed === 'string' ? ` ${seed}` : ''} is not valid: ${z.prettifyError(parsed.error)}`,
    );
  return new Organization(parsed.data);
}
