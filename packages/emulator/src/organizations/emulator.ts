/**
 * A local AWS Organizations, read-only, over one seeded organization (`model.ts`): AWS JSON 1.1 as
 * `@aws-sdk/client-organizations` and the AWS CLI send it (`POST /`,
 * `X-Amz-Target: AWSOrganizationsV20161128.<Operation>`, signing name `organizations`; a global
 * service, whose endpoint is in us-east-1, so the signed region changes nothing here).
 *
 * Operations, as the API Reference documents who may call them:
 * - `DescribeOrganization`: any account in the organization;
 * - `ListRoots`, `ListChildren`, `ListAccountsForParent`, `ListAccounts`, `ListParents`: only the
 *   management account or a member registered as a delegated administrator.
 *
 * An account outside the organization (or any caller when none is seeded) gets
 * `AWSOrganizationsNotInUseException`; a member that may not list gets `AccessDeniedException`.
 * The List operations page with `MaxResults` (1–20) and an opaque `NextToken`; `NextToken` is absent
 * on the last page. Errors are HTTP 400 with `{"__type": "<Code>", "Message": "…"}`; anything else
 * is `UnknownOperationException`. The caller's account is the shared rule of `../accounts.ts`.
 */
import { randomUUID } from 'node:crypto';
import { ACCOUNT_ID, callerAccount, type IssuedKeyAccount } from '../accounts.js';
import { DEFAULT_ACCOUNT_ID } from '../ec2/index.js';
import type { EmulatedService } from '../http.js';
import { jsonService } from '../json-service.js';
import { type AccountNode, loadOrganization, type Organization, type OrganizationSeed } from './model.js';
import { OrganizationsError, page, requiredId } from './requests.js';

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';

export interface OrganizationsEmulatorOptions {
  /** The organization: a seed object or the path of a JSON file; none: no account is in one. */
  organization?: OrganizationSeed | string;
  /** The account of callers whose access key names none; default the EC2 emulator's default. */
  accountId?: string;
  /** The account of access keys the local STS issued (AssumeRole). */
  issuedKeyAccount?: IssuedKeyAccount;
  newRequestId?: () => string;
}

export interface OrganizationsEmulator {
  readonly service: EmulatedService;
  /** The seeded organization, for the other emulators' questions (an account's OUs). */
  readonly organization: Organization | undefined;
}

const PARENT_ID = /^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const CHILD_ID = /^(?:\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;

/** JSON 1.1 timestamps are epoch seconds. */
const epochSeconds = (iso: string | undefined) => new Date(iso ?? '2020-01-01T00:00:00Z').getTime() / 1000;

function accountShape(node: AccountNode) {
  const { seed } = node;
  const status = seed.status ?? 'ACTIVE';
  return {
    Id: seed.id,
    Arn: node.arn,
    Email: seed.email,
    Name: seed.name,
    Status: status,
    State: status,
    JoinedMethod: seed.joinedMethod ?? 'CREATED',
    JoinedTimestamp: epochSeconds(seed.joinedTimestamp),
  };
}

type Input = Record<string, unknown>;
type Handler = (org: Organization, input: Input, operation: string) => unknown;

/** One page of a listing as `{ <key>: [...], NextToken? }`; `listing` names what a token may continue. */
function listed(input: Input, listing: string, items: readonly unknown[], key: string) {
  const { items: pageItems, nextToken } = page(input, listing, items);
  return { [key]: pageItems, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) };
}

function parentOf(org: Organization, input: Input) {
  const parentId = requiredId(input, 'ParentId', PARENT_ID);
  const parent = org.parents.get(parentId);
  if (parent === undefined)
    throw new OrganizationsError(
      'ParentNotFoundException',
      "We can't find a root or OU with the ParentId that you specified.",
    );
  return parent;
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  DescribeOrganization: (org) => ({
    Organization: {
      Id: org.id,
      Arn: org.arn,
      FeatureSet: org.featureSet,
      MasterAccountArn: org.accounts.get(org.managementAccountId)?.arn,
      MasterAccountId: org.managementAccountId,
      MasterAccountEmail: org.accounts.get(org.managementAccountId)?.seed.email,
      AvailablePolicyTypes: [],
    },
  }),
  ListRoots: (org, input, operation) =>
    listed(
      input,
      operation,
      org.roots.map((root) => ({ Id: root.id, Arn: root.arn, Name: root.name, PolicyTypes: [] })),
      'Roots',
    ),
  ListAccounts: (org, input, operation) =>
    listed(input, operation, [...org.accounts.values()].map(accountShape), 'Accounts'),
  ListAccountsForParent: (org, input, operation) => {
    const parent = parentOf(org, input);
    const accounts = parent.accounts.flatMap((id) => {
      const node = org.accounts.get(id);
      return node === undefined ? [] : [accountShape(node)];
    });
    return listed(input, `${operation}:${parent.node.id}`, accounts, 'Accounts');
  },
  ListChildren: (org, input, operation) => {
    const childType = input.ChildType;
    if (childType === undefined || childType === null)
      throw OrganizationsError.invalidInput(
        'INPUT_REQUIRED',
        'You must include a value for all required parameters.',
      );
    if (childType !== 'ACCOUNT' && childType !== 'ORGANIZATIONAL_UNIT')
      throw OrganizationsError.invalidInput('INVALID_ENUM', 'You specified an invalid value.');
    const parent = parentOf(org, input);
    const ids = childType === 'ACCOUNT' ? parent.accounts : parent.ous;
    return listed(
      input,
      `${operation}:${parent.node.id}:${childType}`,
      ids.map((id) => ({ Id: id, Type: childType })),
      'Children',
    );
  },
  MoveAccount: (org, input) => {
    org.moveAccount(
      requiredId(input, 'AccountId', /^\d{12}$/),
      requiredId(input, 'SourceParentId', PARENT_ID),
      requiredId(input, 'DestinationParentId', PARENT_ID),
    );
    return {};
  },
  ListParents: (org, input, operation) => {
    const childId = requiredId(input, 'ChildId', CHILD_ID);
    const parentId = org.accounts.get(childId)?.parentId ?? org.ous.get(childId)?.parentId;
    if (parentId === undefined)
      throw new OrganizationsError(
        'ChildNotFoundException',
        "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
      );
    const type = org.ous.has(parentId) ? 'ORGANIZATIONAL_UNIT' : 'ROOT';
    return listed(input, `${operation}:${childId}`, [{ Id: parentId, Type: type }], 'Parents');
  },
};

/** The operations emulated; any other answers `UnknownOperationException`. */
export const ORGANIZATIONS_OPERATIONS: readonly string[] = Object.keys(HANDLERS).sort();

export function createOrganizationsEmulator(
  options: OrganizationsEmulatorOptions = {},
): OrganizationsEmulator {
  const organization =
    options.organization === undefined ? undefined : loadOrganization(options.organization);
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!ACCOUNT_ID.test(accountId)) throw new RangeError(`accountId must be 12 digits, got ${accountId}`);

  const service = jsonService({
    targetPrefix: ORGANIZATIONS_TARGET_PREFIX,
    name: 'Organizations',
    messageMember: 'Message',
    operations: ORGANIZATIONS_OPERATIONS,
    newRequestId: options.newRequestId ?? randomUUID,
    handle: (operation, input, request) => {
      const caller = callerAccount(request.headers, accountId, options.issuedKeyAccount);
      if (organization === undefined || !organization.isMember(caller))
        throw new OrganizationsError(
          'AWSOrganizationsNotInUseException',
          'Your account is not a member of an organization.',
        );
      if (operation !== 'DescribeOrganization' && !organization.canList(caller))
        throw new OrganizationsError(
          'AccessDeniedException',
          "You don't have permissions to access this resource.",
        );
      // MoveAccount changes the organization: the management account only (the operations-by-account
      // page allows a delegated administrator only through a delegation policy, not modelled).
      if (operation === 'MoveAccount' && caller !== organization.managementAccountId)
        throw new OrganizationsError(
          'AccessDeniedException',
          "You don't have permissions to access this resource.",
        );
      return HANDLERS[operation]?.(organization, input, operation);
    },
  });

  return { service, organization };
}
