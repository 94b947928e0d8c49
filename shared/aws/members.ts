import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { rethrowClassified } from '../core/errors.js';
import type { MemberPorts, MembersFor } from '../core/ports.js';
import { createEc2ForRegion, createKeysForRegion, sharedConnections } from './clients.js';
import { perRegion } from './per-region.js';

/** The session name CloudTrail shows in the member account for everything the hub does there. */
const SESSION_NAME = 'ami-lifecycle-hub';

/** Credentials are renewed this long before they expire, so no call is signed with expiring ones. */
const RENEW_BEFORE_MS = 5 * 60_000;

export interface MemberClientConfig {
  /** The local emulator's endpoint, for tests; AWS's otherwise (or `AWS_ENDPOINT_URL`). */
  readonly endpoint?: string;
  /** The hub's credentials, which assume the member role; the default chain's otherwise. */
  readonly credentials?: AwsCredentialIdentity;
  readonly maxAttempts?: number;
  /** The region of the STS endpoint that answers AssumeRole: the hub's (`AWS_REGION`) by default. */
  readonly stsRegion?: string;
}

/** `aws`, `aws-cn` or `aws-us-gov`: the partition of a region, for the role's ARN. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * A `MembersFor` whose ports act as `roleName` in each account: per account, one credentials
 * provider (one AssumeRole, renewed before it expires) shared by that account's EC2 and KMS
 * clients, one client per region, all built on first use and kept.
 *
 * An AssumeRole STS refuses (the member StackSet is not deployed in the account yet, or does not
 * trust this hub) fails every call of the account with a non-retryable `AwsCallError` whose
 * operation names the role and the account, so the work item is reported, not retried.
 */
export function createMembersFor(roleName: string, config: MemberClientConfig = {}): MembersFor {
  const stsRegion = config.stsRegion ?? process.env.AWS_REGION ?? 'us-east-1';
  const partition = partitionOf(stsRegion);
  // Every account's clients call the same regional endpoints: one set of connections serves them all.
  const connections = sharedConnections();
  return perRegion((account): MemberPorts => {
    const roleArn = `arn:${partition}:iam::${account}:role/${roleName}`;
    const credentials = renewing(
      fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: SESSION_NAME },
        ...(config.credentials === undefined ? {} : { masterCredentials: config.credentials }),
        clientConfig: {
          region: stsRegion,
          ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
        },
      }),
      `AssumeRole of ${roleArn} (account ${account})`,
      stsRegion,
    );
    const shared = {
      ...connections,
      credentials,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
      ...(config.maxAttempts === undefined ? {} : { maxAttempts: config.maxAttempts }),
    };
    return {
      ec2: createEc2ForRegion(shared),
      kms: createKeysForRegion(shared),
    };
  });
}

/**
 * One AssumeRole for every client of the account (each SDK client would otherwise call it for
 * itself), renewed `RENEW_BEFORE_MS` before the credentials expire; a failure is classified here,
 * naming the role and account, and not kept, so the next call asks again.
 */
export function renewing(
  assume: AwsCredentialIdentityProvider,
  operation: string,
  region: string,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined;
  let expiresAt = Number.POSITIVE_INFINITY;
  return () => {
    if (current === undefined || expiresAt - RENEW_BEFORE_MS <= now()) {
      expiresAt = Number.POSITIVE_INFINITY;
      const attempt = assume().then(
        (identity) => {
          expiresAt = identity.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
          return identity;
        },
        (error: unknown) => {
          if (current === attempt) current = undefined;
          return rethrowClassified(operation, region, error);
        },
      );
      current = attempt;
    }
    return current;
  };
}

/**
 * The process's member ports, one `MembersFor` per role name (the deployment's, or a rules
 * file's `accounts.memberRole`), so each account's role is assumed once per process.
 */
export const membersFor: (roleName: string) => MembersFor = perRegion((roleName) =>
  createMembersFor(roleName),
);
