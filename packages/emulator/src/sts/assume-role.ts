import type { Principals } from '../iam/principals.js';
import { escapeXml } from '../wire.js';
import { StsError } from './errors.js';

/**
 * STS AssumeRole, as the API Reference documents it: `RoleArn` and `RoleSessionName` required,
 * `DurationSeconds` 900–43200 and at most the role's maximum session duration (1 hour when the
 * caller is itself a role session: role chaining), `ExternalId` when the role's trust policy asks
 * for one. The caller must be trusted by the role; otherwise, and for a role that does not exist
 * (AWS does not tell the two apart), `AccessDenied` 403 with STS's message
 * `User: <caller ARN> is not authorized to perform: sts:AssumeRole on resource: <role ARN>`.
 *
 * Order of the checks: the members' shapes (the model's constraints, answered `ValidationError`
 * with the coral-style message), then trust and external id (`AccessDenied`), then the duration
 * against the role's maximum. `Policy`, `PolicyArns`, `Tags`, MFA and `SourceIdentity` are accepted
 * and ignored. Returns the `AssumeRoleResult` body.
 */
export interface AssumeRoleRequest {
  principals: Principals;
  params: ReadonlyMap<string, string>;
  /** The caller's access key id (undefined: unsigned, the default account's user). */
  callerKey: string | undefined;
  now: Date;
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** One hour: the longest session of a role assumed with a role session's credentials. */
const CHAINED_MAX_SECONDS = 3600;

function duration(params: ReadonlyMap<string, string>): number {
  const raw = params.get('DurationSeconds');
  if (raw === undefined) return 3600;
  const value = Number(raw);
  if (!Number.isInteger(value))
    throw StsError.validation('durationSeconds', raw, 'Member must be an integer');
  if (value < 900)
    throw StsError.validation('durationSeconds', raw, 'Member must have value greater than or equal to 900');
  if (value > 43200)
    throw StsError.validation('durationSeconds', raw, 'Member must have value less than or equal to 43200');
  return value;
}

/** The time format of STS credentials: `2019-11-09T13:34:41Z`. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function assumeRole({ principals, params, callerKey, now }: AssumeRoleRequest): string {
  const roleArn = params.get('RoleArn');
  if (roleArn === undefined) throw StsError.validation('roleArn', undefined, 'Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048)
    throw StsError.validation(
      'roleArn',
      roleArn,
      `Member must have length ${roleArn.length < 20 ? 'greater than or equal to 20' : 'less than or equal to 2048'}`,
    );
  const sessionName = params.get('RoleSessionName');
  if (sessionName === undefined)
    throw StsError.validation('roleSessionName', undefined, 'Member must not be null');
  if (!SESSION_NAME.test(sessionName))
    throw StsError.validation(
      'roleSessionName',
      sessionName,
      sessionName.length < 2 || sessionName.length > 64
        ? `Member must have length ${sessionName.length < 2 ? 'greater than or equal to 2' : 'less than or equal to 64'}`
        : 'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  const seconds = duration(params);
  const externalId = params.get('ExternalId');
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId))
    throw StsError.validation(
      'externalId',
      externalId,
      'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*',
    );

  const caller = principals.identityOf(callerKey);
  const role = principals.role(roleArn);
  if (
    role === undefined ||
    !principals.trusts(role, callerKey) ||
    (role.externalId !== undefined && role.externalId !== externalId)
  )
    throw new StsError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  const chained = callerKey !== undefined && principals.session(callerKey) !== undefined;
  if (chained && seconds > CHAINED_MAX_SECONDS)
    throw new StsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  if (seconds > role.maxSessionDurationSeconds)
    throw new StsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );

  const session = principals.issue(role, sessionName, new Date(now.getTime() + seconds * 1000));
  return (
    `<AssumedRoleUser><AssumedRoleId>${escapeXml(session.assumedRoleId)}</AssumedRoleId>` +
    `<Arn>${escapeXml(session.arn)}</Arn></AssumedRoleUser>` +
    `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId>` +
    `<SecretAccessKey>${escapeXml(session.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${escapeXml(session.sessionToken)}</SessionToken>` +
    `<Expiration>${isoSeconds(session.expiration)}</Expiration></Credentials>`
  );
}
