import { createHash, randomBytes } from 'node:crypto';
import { ACCOUNT_ID, accountOfAccessKey } from '../accounts.js';

/**
 * The principals the local STS knows: the IAM user `local` of every account (what a long-term key
 * stands for), the roles the stack seeds, and the role sessions AssumeRole issues. Only what
 * AssumeRole and GetCallerIdentity need: a role is its account, its name and its trust policy
 * reduced to the principals it trusts (and the external id it may require); permission policies
 * are not modelled, so a trusted caller is taken to be allowed `sts:AssumeRole`.
 */

/** The IAM user every local caller with a long-term key is (`arn:aws:iam::<account>:user/local`). */
export const LOCAL_USER_NAME = 'local';

export interface SeedRoleInput {
  accountId: string;
  roleName: string;
  /**
   * Who may assume it, as a trust policy's `Principal: { AWS: … }` names them: an account id or
   * `arn:aws:iam::<account>:root` (any principal of that account), a role ARN
   * (`arn:aws:iam::<account>:role/<name>`: that role's sessions) or a user ARN.
   */
  trustedPrincipals: readonly string[];
  /** The trust policy's `sts:ExternalId` condition: AssumeRole must send this `ExternalId`. */
  externalId?: string;
  /** The role's maximum session duration, 3600 to 43200 seconds; default 3600, as IAM's. */
  maxSessionDurationSeconds?: number;
}

export interface RoleRecord {
  readonly accountId: string;
  readonly roleName: string;
  readonly arn: string;
  /** IAM's unique id of a role: `AROA` and 17 characters, stable per role ARN. */
  readonly roleId: string;
  readonly trustedPrincipals: readonly string[];
  readonly externalId?: string;
  readonly maxSessionDurationSeconds: number;
}

/** Who is calling, as GetCallerIdentity answers it. */
export interface CallerIdentity {
  /** `AIDA…` for the local user; `AROA…:<session>` for a role session. */
  userId: string;
  account: string;
  arn: string;
}

/** Credentials AssumeRole issued, and the session they stand for. */
export interface RoleSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly role: RoleRecord;
  readonly sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  /** `<roleId>:<session>`. */
  readonly assumedRoleId: string;
}

/** IAM unique ids are upper-case letters and digits; base32's alphabet is a subset. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE32[(bytes[i] ?? 0) % BASE32.length];
  return out;
}

/** A stable IAM-style unique id: `prefix` and 17 characters derived from `seed`. */
function uniqueId(prefix: 'AIDA' | 'AROA', seed: string): string {
  return prefix + base32(createHash('sha256').update(seed).digest(), 17);
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** The account and name of a role ARN (paths allowed), or undefined when it is not one. */
export function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const match = ROLE_ARN.exec(arn);
  if (match === null) return undefined;
  const [, accountId = '', roleName = ''] = match;
  return { accountId, roleName };
}

export class Principals {
  private readonly roles = new Map<string, RoleRecord>();
  private readonly sessions = new Map<string, RoleSession>();

  constructor(readonly defaultAccountId: string) {}

  seedRole(input: SeedRoleInput): RoleRecord {
    if (!ACCOUNT_ID.test(input.accountId))
      throw new RangeError(`role accountId must be 12 digits, got ${input.accountId}`);
    if (!/^[\w+=,.@-]{1,64}$/.test(input.roleName))
      throw new RangeError(`roleName must be 1-64 of letters, digits and +=,.@_-, got ${input.roleName}`);
    const max = input.maxSessionDurationSeconds ?? 3600;
    if (!(Number.isInteger(max) && max >= 3600 && max <= 43200))
      throw new RangeError(`maxSessionDurationSeconds must be 3600-43200, got ${max}`);
    for (const principal of input.trustedPrincipals) {
      if (!ACCOUNT_ID.test(principal) && !/^arn:aws:iam::\d{12}:(?:root|role\/.+|user\/.+)$/.test(principal))
        throw new RangeError(`trusted principal must be an account id or an IAM ARN, got ${principal}`);
    }
    const arn = `arn:aws:iam::${input.accountId}:role/${input.roleName}`;
    const role: RoleRecord = {
      accountId: input.accountId,
      roleName: input.roleName,
      arn,
      roleId: uniqueId('AROA', `local-iam:${arn}`),
      trustedPrincipals: [...input.trustedPrincipals],
      ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
      maxSessionDurationSeconds: max,
    };
    this.roles.set(arn, role);
    return role;
  }

  /** The role an ARN names (a path in the ARN is ignored: role names are unique per account). */
  role(arn: string): RoleRecord | undefined {
    const parsed = parseRoleArn(arn);
    if (parsed === undefined) return undefined;
    return this.roles.get(`arn:aws:iam::${parsed.accountId}:role/${parsed.roleName}`);
  }

  /** The session of an access key AssumeRole issued. */
  session(accessKeyId: string): RoleSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** The account of a key AssumeRole issued; undefined for any other key (see `IssuedKeyAccount`). */
  readonly issuedKeyAccount = (accessKeyId: string): string | undefined =>
    this.sessions.get(accessKeyId)?.role.accountId;

  /** Who signs with `accessKeyId` (undefined: an unsigned request). */
  identityOf(accessKeyId: string | undefined): CallerIdentity {
    const session = accessKeyId === undefined ? undefined : this.sessions.get(accessKeyId);
    if (session !== undefined)
      return { userId: session.assumedRoleId, account: session.role.accountId, arn: session.arn };
    const account = accountOfAccessKey(accessKeyId, this.defaultAccountId);
    return {
      // The seed the local STS has always used, so a user's id is the one earlier runs saw.
      userId: uniqueId('AIDA', `local-sts:${LOCAL_USER_NAME}:${account}`),
      account,
      arn: `arn:aws:iam::${account}:user/${LOCAL_USER_NAME}`,
    };
  }

  /**
   * Whether the role's trust policy names the caller: its account (id or `:root`), or its own ARN
   * (a user's, or for a role session the role's ARN, as trust policies name roles).
   */
  trusts(role: RoleRecord, accessKeyId: string | undefined): boolean {
    const session = accessKeyId === undefined ? undefined : this.sessions.get(accessKeyId);
    const identity = this.identityOf(accessKeyId);
    const own = session !== undefined ? session.role.arn : identity.arn;
    return role.trustedPrincipals.some(
      (principal) =>
        principal === identity.account ||
        principal === `arn:aws:iam::${identity.account}:root` ||
        principal === own,
    );
  }

  /** Issues credentials for a session of `role` (the caller has been checked). */
  issue(role: RoleRecord, sessionName: string, expiration: Date): RoleSession {
    const accessKeyId = `ASIA${base32(randomBytes(16), 16)}`;
    const session: RoleSession = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `local-session/${randomBytes(48).toString('base64')}`,
      expiration,
      role,
      sessionName,
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`,
      assumedRoleId: `${role.roleId}:${sessionName}`,
    };
    this.sessions.set(accessKeyId, session);
    return session;
  }
}
