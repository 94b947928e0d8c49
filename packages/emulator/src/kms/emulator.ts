/**
 * A local AWS KMS, DescribeKey only: AWS JSON 1.1 as `@aws-sdk/client-kms` and the AWS CLI send it
 * (`POST /`, `X-Amz-Target: TrentService.DescribeKey`, signing name `kms`). Keys live per account
 * (the caller's, by the shared rule of `../accounts.ts`) and region (the credential scope's); see
 * `keys.ts` for which exist.
 *
 * `KeyId` is, as the API Reference lists, a key id, a key ARN, an alias name (`alias/<name>`) or an
 * alias ARN. A key id or alias name is looked up in the caller's account; another account's key is
 * reached only by its ARN (key or alias), and answered only when its key policy allows the caller
 * (`usableBy`), else `AccessDeniedException`. An ARN of another region names a key this region's
 * KMS does not have. Errors are HTTP 400 with `{"__type": "<Code>", "message": "…"}`; any other
 * operation is `UnknownOperationException`.
 */
import { randomUUID } from 'node:crypto';
import { ACCOUNT_ID, accessKeyIdOf, callerAccount, type IssuedKeyAccount } from '../accounts.js';
import { DEFAULT_ACCOUNT_ID } from '../ec2/index.js';
import { type EmulatedRequest, type EmulatedService, signedRegion } from '../http.js';
import { JsonServiceError, jsonService } from '../json-service.js';
import { isKeyId, type KmsKey, type KmsKeySeed, KmsKeys, kmsArn, parseKmsArn } from './keys.js';

export const KMS_TARGET_PREFIX = 'TrentService.';

/** The operations emulated; any other answers `UnknownOperationException`. */
export const KMS_OPERATIONS: readonly string[] = ['DescribeKey'];

export interface KmsEmulatorOptions {
  /** Customer managed keys; every account also has its AWS managed `alias/aws/ebs` key everywhere. */
  keys?: readonly KmsKeySeed[];
  /** The account of callers whose access key names none; default the EC2 emulator's default. */
  accountId?: string;
  /** The account of access keys the local STS issued (AssumeRole). */
  issuedKeyAccount?: IssuedKeyAccount;
  /** The caller's ARN in AccessDeniedException messages; default the account's user `local`. */
  callerArnOf?: (accessKeyId: string | undefined) => string | undefined;
  /** The region of unsigned requests; default `us-east-1`. */
  defaultRegion?: string;
  newRequestId?: () => string;
}

export interface KmsEmulator {
  readonly service: EmulatedService;
  /**
   * Whether `accountId` can use the key a key ARN (or alias ARN) names, as its key policy allows:
   * false for a key KMS does not know. The EC2 emulator asks it for other accounts' snapshots.
   */
  keyUsable(input: { accountId: string; keyArn: string }): boolean;
}

/** KeyMetadata's creation date for every key [unverified: a managed key is created on first use]. */
const CREATION_DATE = Date.parse('2020-01-01T00:00:00Z') / 1000;

const MAX_KEY_ID = 2048;

function keyMetadata(key: KmsKey) {
  return {
    AWSAccountId: key.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: CREATION_DATE,
    Enabled: true,
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: key.manager,
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
  };
}

/** `KeyId` as the API model constrains it (1 to 2048 characters), in the coral validation wording. */
function requiredKeyId(input: Record<string, unknown>): string {
  const value = input.KeyId;
  const fail = (constraint: string) =>
    new JsonServiceError(
      'ValidationException',
      `1 validation error detected: Value ${typeof value === 'string' ? `'${value}'` : 'null'} at 'keyId' failed to satisfy constraint: ${constraint}`,
    );
  if (value === undefined || value === null) throw fail('Member must not be null');
  if (typeof value !== 'string')
    throw new JsonServiceError('SerializationException', 'KeyId must be a string.');
  if (value.length < 1) throw fail('Member must have length greater than or equal to 1');
  if (value.length > MAX_KEY_ID) throw fail(`Member must have length less than or equal to ${MAX_KEY_ID}`);
  return value;
}

export function createKmsEmulator(options: KmsEmulatorOptions = {}): KmsEmulator {
  const keys = new KmsKeys(options.keys);
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!ACCOUNT_ID.test(accountId)) throw new RangeError(`accountId must be 12 digits, got ${accountId}`);
  const defaultRegion = options.defaultRegion ?? 'us-east-1';

  /**
   * The key `keyId` names for a caller in `region`, or the error AWS answers: `NotFoundException`
   * in AWS's wording for a key ("Key '<key ARN>' does not exist") and an alias ("Alias <alias
   * ARN> is not found."), "Invalid keyId <id>" for what is not a key id; `InvalidArnException` for
   * an ARN that is not a KMS key or alias ARN.
   */
  const resolve = (keyId: string, caller: string, region: string): KmsKey => {
    const arn = parseKmsArn(keyId);
    if (keyId.startsWith('arn:') && arn === undefined)
      throw new JsonServiceError('InvalidArnException', `Invalid arn ${keyId}`);
    const owner = arn?.accountId ?? caller;
    const inRegion = arn === undefined || arn.region === region;
    if (arn?.kind === 'alias' || keyId.startsWith('alias/')) {
      const alias = arn?.name ?? keyId;
      const found = inRegion ? keys.byAlias(region, owner, alias) : undefined;
      if (found === undefined)
        throw new JsonServiceError(
          'NotFoundException',
          `Alias ${kmsArn(arn?.region ?? region, owner, alias)} is not found.`,
        );
      return found;
    }
    const id = arn?.name ?? keyId;
    if (!isKeyId(id)) throw new JsonServiceError('NotFoundException', `Invalid keyId ${keyId}`);
    const found = inRegion ? keys.byKeyId(region, owner, id) : undefined;
    if (found === undefined)
      throw new JsonServiceError(
        'NotFoundException',
        `Key '${kmsArn(arn?.region ?? region, owner, `key/${id}`)}' does not exist`,
      );
    return found;
  };

  const describeKey = (input: Record<string, unknown>, request: EmulatedRequest) => {
    const keyId = requiredKeyId(input);
    const caller = callerAccount(request.headers, accountId, options.issuedKeyAccount);
    const key = resolve(keyId, caller, signedRegion(request.headers) ?? defaultRegion);
    if (!keys.usableBy(key, caller)) {
      const user =
        options.callerArnOf?.(accessKeyIdOf(request.headers)) ?? `arn:aws:iam::${caller}:user/local`;
      throw new JsonServiceError(
        'AccessDeniedException',
        `User: ${user} is not authorized to perform: kms:DescribeKey on resource: ${key.arn} because no resource-based policy allows the kms:DescribeKey action`,
      );
    }
    return { KeyMetadata: keyMetadata(key) };
  };

  const service = jsonService({
    targetPrefix: KMS_TARGET_PREFIX,
    name: 'KMS',
    messageMember: 'message',
    operations: KMS_OPERATIONS,
    newRequestId: options.newRequestId ?? randomUUID,
    handle: (_operation, input, request) => describeKey(input, request),
  });

  return {
    service,
    keyUsable: ({ accountId: account, keyArn }) => {
      const key = keys.byArn(keyArn);
      return key !== undefined && keys.usableBy(key, account);
    },
  };
}
