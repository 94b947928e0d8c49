/**
 * A local STS in the AWS Query protocol, which both `@aws-sdk/client-sts` (its `AwsQueryProtocol`)
 * and the AWS CLI (botocore's `query`) speak: `GetCallerIdentity` (who the caller is) and
 * `AssumeRole` (credentials for a role the stack seeded; see `assume-role.ts`). The request is a
 * form-encoded POST (or a GET with a query string) carrying `Action=…&Version=2011-06-15`; the
 * answer is XML in the `https://sts.amazonaws.com/doc/2011-06-15/` namespace:
 *
 * ```xml
 * <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
 *   <GetCallerIdentityResult>
 *     <Arn>…</Arn><UserId>…</UserId><Account>…</Account>
 *   </GetCallerIdentityResult>
 *   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
 * </GetCallerIdentityResponse>
 * ```
 *
 * Errors use the Query error envelope, `ErrorResponse/Error/{Type,Code,Message}` and `RequestId`,
 * HTTP 400 (403 for `AccessDenied`). Every other action is `InvalidAction` (those STS has say they
 * are not emulated); a missing Action is `MissingAction`. A request in a JSON protocol (an
 * `x-amz-target` header or a JSON content type) is refused 501 in JSON: no STS client sends one
 * today, and an XML answer to it would only surface as a parse error in the client.
 *
 * The caller, by the SigV4 access key id (`Principals.identityOf`): a key AssumeRole issued is that
 * role session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`, user id
 * `<role id>:<session>`); a key of exactly 12 digits is the IAM user `local` of that account, any
 * other key (or an unsigned request) the user `local` of `accountId`. STS answers an IAM user's ARN
 * and its `AIDA…` unique id (the `aws:userid` of an IAM user), and a user is what a long-term access
 * key belongs to. No signature is checked; the region changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { ACCOUNT_ID, accessKeyIdOf } from '../accounts.js';
import { DEFAULT_ACCOUNT_ID } from '../ec2/index.js';
import { type EmulatedRequest, type EmulatedResponse, type EmulatedService, headerValue } from '../http.js';
import { type CallerIdentity, Principals, type SeedRoleInput } from '../iam/principals.js';
import { escapeXml } from '../wire.js';
import { assumeRole } from './assume-role.js';
import { StsError } from './errors.js';

export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** The one API version of STS; a request naming another is refused as AWS's Query services do. */
export const STS_API_VERSION = '2011-06-15';

export { type CallerIdentity, LOCAL_USER_NAME } from '../iam/principals.js';

export interface StsEmulatorOptions {
  /** The account of callers whose access key is not 12 digits; default the EC2 emulator's. */
  accountId?: string;
  newRequestId?: () => string;
  /**
   * The roles, sessions and users STS knows; the stack shares one with the other emulators so that
   * an AssumeRole key acts for the role's account everywhere. Default: its own, for `accountId`.
   */
  principals?: Principals;
  /** Roles to seed (into `principals`). */
  roles?: readonly SeedRoleInput[];
  /** The clock for session expirations; default wall time. */
  now?: () => Date;
}

export interface StsEmulator {
  readonly service: EmulatedService;
  readonly accountId: string;
  readonly principals: Principals;
  /** The identity of a caller signing with `accessKeyId` (undefined: an unsigned request). */
  identityOf(accessKeyId: string | undefined): CallerIdentity;
  /** Requests served per action, failed ones included: `{ GetCallerIdentity: 2 }`. */
  calls(): Readonly<Record<string, number>>;
}

/** The STS actions of API version 2011-06-15 that this emulator knows of but does not emulate. */
const NOT_EMULATED = new Set([
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'AssumeRoot',
  'DecodeAuthorizationMessage',
  'GetAccessKeyInfo',
  'GetDelegatedAccessToken',
  'GetFederationToken',
  'GetScopedCredentials',
  'GetSessionToken',
  'GetWebIdentityToken',
]);

/** The request's parameters: the query string merged with a form-encoded body, the body winning. */
function parameters(request: EmulatedRequest): Map<string, string> {
  const out = new Map<string, string>();
  const queryStart = request.url.indexOf('?');
  if (queryStart >= 0)
    for (const [k, v] of new URLSearchParams(request.url.slice(queryStart + 1))) out.set(k, v);
  for (const [k, v] of new URLSearchParams(request.body)) out.set(k, v);
  return out;
}

function isJsonProtocol(request: EmulatedRequest): boolean {
  return (
    headerValue(request, 'x-amz-target') !== undefined ||
    (headerValue(request, 'content-type') ?? '').includes('json')
  );
}

export function createStsEmulator(options: StsEmulatorOptions = {}): StsEmulator {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!ACCOUNT_ID.test(accountId)) throw new RangeError(`accountId must be 12 digits, got ${accountId}`);
  const newRequestId = options.newRequestId ?? randomUUID;
  const now = options.now ?? (() => new Date());
  const counts: Record<string, number> = {};
  const principals = options.principals ?? new Principals(accountId);
  for (const role of options.roles ?? []) principals.seedRole(role);

  const xml = (status: number, requestId: string, body: string): EmulatedResponse => ({
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body,
  });

  const getCallerIdentity = (request: EmulatedRequest, requestId: string): EmulatedResponse => {
    const identity: CallerIdentity = principals.identityOf(accessKeyIdOf(request.headers));
    return xml(
      200,
      requestId,
      `<GetCallerIdentityResponse xmlns="${STS_XML_NAMESPACE}"><GetCallerIdentityResult>` +
        `<Arn>${escapeXml(identity.arn)}</Arn><UserId>${escapeXml(identity.userId)}</UserId>` +
        `<Account>${escapeXml(identity.account)}</Account></GetCallerIdentityResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  };

  /** Throws the Query error for a request that is not an emulated action of version 2011-06-15. */
  const checkAction = (params: Map<string, string>): void => {
    const action = params.get('Action');
    if (action === undefined || action === '')
      throw new StsError('MissingAction', 'The request must contain the parameter Action.');
    // No Version is taken as 2011-06-15: lenient, as what STS answers to that is unverified.
    const version = params.get('Version') ?? STS_API_VERSION;
    if (version !== STS_API_VERSION || (action !== 'GetCallerIdentity' && action !== 'AssumeRole')) {
      if (version === STS_API_VERSION && NOT_EMULATED.has(action))
        throw new StsError(
          'InvalidAction',
          `${action} is not emulated by the local STS (only GetCallerIdentity and AssumeRole).`,
        );
      throw new StsError('InvalidAction', `Could not find operation ${action} for version ${version}`);
    }
  };

  const service: EmulatedService = async (request) => {
    const requestId = newRequestId();
    if (isJsonProtocol(request)) {
      counts['(json)'] = (counts['(json)'] ?? 0) + 1;
      return {
        status: 501,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': 'NotImplemented',
        },
        body: JSON.stringify({
          __type: 'NotImplemented',
          message: 'The local STS speaks the Query protocol only (Action=…&Version=2011-06-15).',
        }),
      };
    }
    const params = parameters(request);
    const named = params.get('Action') ?? '';
    counts[named] = (counts[named] ?? 0) + 1;
    try {
      checkAction(params);
      if (params.get('Action') === 'AssumeRole') {
        const body = assumeRole({
          principals,
          params,
          callerKey: accessKeyIdOf(request.headers),
          now: now(),
        });
        return xml(
          200,
          requestId,
          `<AssumeRoleResponse xmlns="${STS_XML_NAMESPACE}"><AssumeRoleResult>${body}</AssumeRoleResult>` +
            `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
        );
      }
      return getCallerIdentity(request, requestId);
    } catch (error) {
      if (!(error instanceof StsError)) throw error;
      return xml(
        error.status,
        requestId,
        `<ErrorResponse xmlns="${STS_XML_NAMESPACE}"><Error><Type>Sender</Type>` +
          `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
          `<RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  };

  return {
    service,
    accountId,
    principals,
    identityOf: (accessKeyId) => principals.identityOf(accessKeyId),
    calls: () => ({ ...counts }),
  };
}
