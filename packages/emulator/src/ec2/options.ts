import type { IssuedKeyAccount } from '../accounts.js';
import type { FaultOptions } from './faults.js';
import { ACCOUNT_ID_PATTERN, type BlockPublicAccessState, type OrganizationMembership } from './model.js';
import type { ImageReferenceSource } from './reference-sources.js';
import type { AccountRegions } from './regions.js';
import type { ThrottleOptions } from './throttle.js';

/** The EC2 emulator's options (`createEc2Emulator`), and the check that refuses a bad one at once. */

/**
 * Whether an account can use a KMS key (by its key ARN), as KMS's key policy would answer it; the
 * stack answers from the seeded KMS keys (`kmsKeys`).
 */
export type KmsKeyUsable = (input: { accountId: string; keyArn: string }) => boolean;

export interface Ec2EmulatorOptions {
  /** The account callers act as; default `123456789012`. See `callerAccount` for other accounts. */
  accountId?: string;
  /** Known, enabled regions; default the 17 commercial regions enabled on every account. */
  regions?: readonly string[];
  /** Regions no account has opted in to: calls signed for them fail with `AuthFailure` 401. */
  disabledRegions?: readonly string[];
  /**
   * Per account, the opt-in regions (of `regions`) it has not enabled: its calls signed for them
   * fail as for `disabledRegions`, and DescribeRegions answers it `not-opted-in` there. A default
   * region (launched before March 20, 2019) cannot be disabled, and is refused here.
   */
  accountRegions?: AccountRegions;
  /** How long a CopyImage stays `pending` before it ends; default 1500 ms, 0 allowed. */
  copyDelayMs?: number;
  /** Concurrent copies per destination region and account before `ResourceLimitExceeded`; default 100. */
  maxConcurrentCopiesPerRegion?: number;
  /** Token-bucket throttling per account, region and API class; `false` disables it. */
  throttle?: ThrottleOptions | false;
  faults?: FaultOptions;
  /** The clock for creation dates, deprecation and deregistration-protection cooldowns; default wall time. */
  now?: () => Date;
  /** Block public access for AMIs, for every region or per region (others `unblocked`); default `unblocked`. */
  imageBlockPublicAccess?: BlockPublicAccessState | Readonly<Record<string, BlockPublicAccessState>>;
  /** DescribeImageReferences contributors from the start (see `ImageReferenceSource`); more with `addReferenceSource`. */
  referenceSources?: readonly ImageReferenceSource[];
  /** The account of access keys the local STS issued (AssumeRole); see `../accounts.ts`. */
  issuedKeyAccount?: IssuedKeyAccount;
  /**
   * Where an account sits in an organization (its ARN and the OU ARNs above it), for launch
   * permissions granted to organizations and OUs; the stack answers from the seeded organization.
   * Without it no account is in an organization.
   */
  membershipOf?: (accountId: string) => OrganizationMembership | undefined;
  /**
   * Asked when CopyImage copies another account's snapshot encrypted under a customer managed
   * key. Without it such keys are taken as shared with every account (key policies unknown); the
   * owner's AWS managed `aws/ebs` key is never usable by another account either way.
   */
  kmsKeyUsable?: KmsKeyUsable;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'accountId',
  'regions',
  'disabledRegions',
  'accountRegions',
  'copyDelayMs',
  'maxConcurrentCopiesPerRegion',
  'throttle',
  'faults',
  'now',
  'imageBlockPublicAccess',
  'referenceSources',
  'issuedKeyAccount',
  'membershipOf',
  'kmsKeyUsable',
]);

/** Fails fast on a bad option, including a misspelt one from an untyped caller. */
export function checkOptions(options: Ec2EmulatorOptions): void {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new RangeError(`Unknown EC2 emulator option: ${key}`);
  }
  if (options.accountId !== undefined && !ACCOUNT_ID_PATTERN.test(options.accountId)) {
    throw new RangeError(`accountId must be 12 digits, got ${options.accountId}`);
  }
  if (options.regions !== undefined && options.regions.length === 0)
    throw new RangeError('regions must not be empty');
  const delay = options.copyDelayMs;
  if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
    throw new RangeError(`copyDelayMs must be >= 0, got ${delay}`);
  }
  const limit = options.maxConcurrentCopiesPerRegion;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`maxConcurrentCopiesPerRegion must be an integer >= 0, got ${limit}`);
  }
}
