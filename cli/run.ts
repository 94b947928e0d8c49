import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { AwsCallError, RulesValidationError } from '../shared/core/errors.js';
import type {
  Ec2ForRegion,
  EventPublisher,
  KeysForRegion,
  LoggerPort,
  MembersFor,
  OrganizationsFor,
  SsmForRegion,
} from '../shared/core/ports.js';
import type { ReconcileDependencies, ReconcileProgress, RegionResult } from '../shared/core/reconcile.js';
import { KNOWN_REGIONS } from '../shared/rules/regions.js';
import type { Rule } from '../shared/rules/schema.js';
import { ExitCode } from './exit-codes.js';
import { describeAwsError, printJson, regionErrorJson } from './output.js';
import { ProgressPrinter } from './progress.js';

/**
 * What `plan`, `apply` and `status` share: their options, the run context (rules, regions,
 * account), one `reconcileRegion` per region in parallel, progress on stderr, error reporting and
 * aligned tables. Each command turns the per-region reports into its own output.
 */

export const DEFAULT_RULES_FILE = 'config/ami-rules.yaml';
const DEFAULT_CONCURRENCY = 8;
const DEFAULT_MAX_COPIES_IN_FLIGHT = 20;
const ACCOUNT_ID = /^\d{12}$/;

/** Bad arguments or environment: the command exits 2 with this message. */
export class CliInputError extends Error {}

export interface RunContext {
  readonly rulesFile: string;
  readonly rules: readonly Rule[];
  /** The regions of the run, in order: `--region`s, or every source and target region of the rules. */
  readonly regions: readonly string[];
  /** Whether the regions came from `--region`. */
  readonly regionsGiven: boolean;
  /** The account of the caller's credentials (STS GetCallerIdentity). */
  readonly accountId: string;
  readonly json: boolean;
  readonly progress: boolean;
  readonly concurrency: number;
  readonly maxCopiesInFlight: number;
  readonly ec2: Ec2ForRegion;
  /** SSM, for the rules' pointers (`publish`). */
  readonly ssm: SsmForRegion;
  /** Where deletions (and completions) are announced: `--event-bus`, or stderr without one. */
  readonly events: EventPublisher;
  /**
   * Retirement for rules with `retire` (off with `--no-retire`). Deregistration still needs the
   * rule's `retire.apply: true`.
   */
  readonly retire: boolean;
  /**
   * Announcing completed distributions (`AMI Distribution Completed`, once), when the run has the
   * tool's bus: the claims are the stack's (`--distributions-table`, default `<bus>-distributions`).
   */
  readonly completion?: NonNullable<ReconcileDependencies['completion']>;
  /** For rules with target accounts (`accounts`): Organizations, the member roles, and KMS here. */
  readonly members?: {
    readonly organizations: OrganizationsFor;
    /** The member ports of a role name. */
    readonly membersFor: (roleName: string) => MembersFor;
    /** `--member-role`, `$MEMBER_ROLE_NAME`: for the rules that name no `accounts.memberRole`. */
    readonly defaultRole: string | undefined;
    readonly kms: KeysForRegion;
  };
  /** `--target-account`: only these of the rules' target accounts (none: all of them). */
  readonly targetAccounts: readonly string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The options every reconciling command takes. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('--rules <file>', `the rules file (default: $RULES_FILE, or ${DEFAULT_RULES_FILE})`)
    .option(
      '--region <region>',
      'a region to work in; repeat it (or separate with commas) for several (default: every source and target region of the rules)',
      collect,
      [],
    )
    .option(
      '--account <id>',
      "the account the run must act for (default: $AWS_ACCOUNT_ID): refused when the credentials' account (STS GetCallerIdentity) is another",
    )
    .option('--concurrency <n>', 'EC2 calls in flight at once, per region', String(DEFAULT_CONCURRENCY))
    .option(
      '--max-copies-in-flight <n>',
      'copies pending per region at most, counting those already pending; the rest wait for a later run',
      String(DEFAULT_MAX_COPIES_IN_FLIGHT),
    )
    .option('--no-retire', 'skip retirement (deprecation and deregistration of old images)')
    .option(
      '--target-account <id>',
      "only this one of the rules' target accounts (accounts); repeat it for several (default: all)",
      collect,
      [],
    )
    .option(
      '--member-role <name>',
      'the role assumed in target accounts, where a rule names none (default: $MEMBER_ROLE_NAME, or ami-lifecycle-member)',
    )
    .option(
      '--event-bus <name>',
      "the tool's event bus, where deletions and completed distributions are announced (default: $EVENT_BUS_NAME; without one, deletions on stderr)",
    )
    .option(
      '--distributions-table <name>',
      'the completion claims table, with --event-bus (default: $DISTRIBUTIONS_TABLE, or BUS-distributions)',
    )
    .option('--json', 'print one JSON document on stdout')
    .option('--progress', 'print progress to stderr (default: when stderr is a terminal)')
    .option('--no-progress', 'never print progress');
}

/** A command that reconciles: `plan`, `apply`, `status`. */
export interface ReconcilingCommand {
  readonly name: string;
  readonly description: string;
  /** Options of this command alone, after the common ones. */
  readonly options?: (command: Command) => Command;
  /** The command's body, given the run context and the parsed options. */
  readonly run: (ctx: RunContext, options: Record<string, unknown>) => Promise<ExitCode>;
}

/**
 * Registers a reconciling command: the common options, then its own, and an action that loads the
 * run context and runs the body, with `guard` turning the errors into the exit code.
 */
export function registerReconcilingCommand(program: Command, spec: ReconcilingCommand): void {
  const command = addCommonOptions(program.command(spec.name).description(spec.description));
  (spec.options?.(command) ?? command).action(async (options: Record<string, unknown>) => {
    process.exitCode = await guard(jsonOption(options), async () =>
      spec.run(await loadContext(options), options),
    );
  });
}

function stringOption(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function positiveInteger(raw: Record<string, unknown>, key: string, flag: string, fallback: number): number {
  const value = stringOption(raw, key);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new CliInputError(`${flag} must be a whole number of at least 1, got "${value}"`);
  }
  return Number(value);
}

/** Every source and target region the rules name, in the order they first appear. */
export function rulesRegions(rules: readonly Rule[]): string[] {
  return [...new Set(rules.flatMap((rule) => [...rule.match.regions, ...(rule.copy?.regions ?? [])]))];
}

function regionsOption(raw: Record<string, unknown>): string[] {
  const given = Array.isArray(raw.region) ? raw.region : [];
  const regions = given
    .flatMap((value) => (typeof value === 'string' ? value.split(',') : []))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  for (const region of regions) {
    if (!KNOWN_REGIONS.has(region)) throw new CliInputError(`--region: unknown region "${region}"`);
  }
  return [...new Set(regions)];
}

function targetAccountsOption(raw: Record<string, unknown>): string[] {
  const given = (Array.isArray(raw.targetAccount) ? raw.targetAccount : [])
    .flatMap((value) => (typeof value === 'string' ? value.split(',') : []))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  for (const id of given) {
    if (!ACCOUNT_ID.test(id))
      throw new CliInputError(`--target-account must be a 12-digit AWS account id, got "${id}"`);
  }
  return [...new Set(given)];
}

export function jsonOption(raw: Record<string, unknown>): boolean {
  return raw.json === true;
}

/**
 * Where the run announces what it did: the tool's bus when one is named (`--event-bus`, or
 * `$EVENT_BUS_NAME`), else stderr.
 */
async function announcements(busName: string | undefined): Promise<EventPublisher> {
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  if (busName === undefined) {
    return {
      publish: async (entries) => {
        for (const e of entries) console.error(`${e.detailType}: ${JSON.stringify(e.detail)}`);
      },
    };
  }
  const [{ createEventPublisher }, { eventBridgeClient }] = await Promise.all([
    import('../shared/aws/events.js'),
    import('../shared/aws/clients.js'),
  ]);
  return createEventPublisher({ clientFor: eventBridgeClient, busName, region });
}

/**
 * Reads the options and the rules, and finds the account: everything a run needs before its
 * first mutating call. Input problems throw `CliInputError` or `RulesValidationError` (exit 2)
 * before any AWS call; account discovery can throw `AwsCallError` (exit 1).
 */
export async function loadContext(
  raw: Record<string, unknown>,
  ec2?: Ec2ForRegion,
  identity?: (region: string) => Promise<string>,
): Promise<RunContext> {
  const json = jsonOption(raw);
  const given = regionsOption(raw);
  const concurrency = positiveInteger(raw, 'concurrency', '--concurrency', DEFAULT_CONCURRENCY);
  const maxCopiesInFlight = positiveInteger(
    raw,
    'maxCopiesInFlight',
    '--max-copies-in-flight',
    DEFAULT_MAX_COPIES_IN_FLIGHT,
  );
  const account = stringOption(raw, 'account');
  const envAccount = process.env.AWS_ACCOUNT_ID || undefined;
  if (account !== undefined && !ACCOUNT_ID.test(account)) {
    throw new CliInputError(`--account must be a 12-digit AWS account id, got "${account}"`);
  }
  if (account === undefined && envAccount !== undefined && !ACCOUNT_ID.test(envAccount)) {
    throw new CliInputError(`AWS_ACCOUNT_ID must be a 12-digit AWS account id, got "${envAccount}"`);
  }

  const rulesFile = stringOption(raw, 'rules') ?? (process.env.RULES_FILE || DEFAULT_RULES_FILE);
  // The rules, the SDK and the core are loaded by the commands that run, not to list them (--help).
  const { loadRulesFile } = await import('../shared/rules/load.js');
  const { rules } = loadRulesFile(rulesFile);
  const regions = given.length > 0 ? given : rulesRegions(rules);
  if (regions.length === 0) throw new CliInputError(`${rulesFile} names no region; pass --region`);

  const progress = typeof raw.progress === 'boolean' ? raw.progress : process.stderr.isTTY === true;
  const common = { rulesFile, rules, regions, regionsGiven: given.length > 0, json, progress };
  const busName = stringOption(raw, 'eventBus') ?? (process.env.EVENT_BUS_NAME || undefined);
  const events = await announcements(busName);
  // Completion is announced exactly once through the stack's claims table, so only with a bus.
  const table =
    stringOption(raw, 'distributionsTable') ??
    (process.env.DISTRIBUTIONS_TABLE || (busName === undefined ? undefined : `${busName}-distributions`));
  const aws = await import('../shared/aws/clients.js');
  const completion =
    busName === undefined || table === undefined
      ? {}
      : {
          completion: { claims: aws.claimsForRegion(table), owner: `cli-${randomUUID()}` },
        };
  const tuning = {
    concurrency,
    maxCopiesInFlight,
    ec2: ec2 ?? aws.ec2ForRegion,
    ssm: aws.ssmForRegion,
    events,
    retire: raw.retire !== false,
    ...completion,
  };
  const callerAccount = identity ?? (await import('../shared/aws/identity.js')).callerAccount;
  const accountId = await callerAccount(regions[0] ?? 'us-east-1');
  const expected = account ?? envAccount;
  if (expected !== undefined && expected !== accountId) {
    throw new CliInputError(
      `the credentials act for account ${accountId}, not ${expected} (${account !== undefined ? '--account' : 'AWS_ACCOUNT_ID'}); use credentials of ${expected}, or drop the option`,
    );
  }
  return {
    ...common,
    ...tuning,
    accountId,
    targetAccounts: targetAccountsOption(raw),
    ...(await memberPorts(rules, raw)),
  };
}

/** What a run needs for the rules' target accounts: loaded only when a rule has some. */
async function memberPorts(
  rules: readonly Rule[],
  raw: Record<string, unknown>,
): Promise<Pick<RunContext, 'members'>> {
  if (!rules.some((rule) => rule.accounts !== undefined)) return {};
  const [{ createOrganizationsFor }, { membersFor }, { keysForRegion }] = await Promise.all([
    import('../shared/aws/organizations.js'),
    import('../shared/aws/members.js'),
    import('../shared/aws/clients.js'),
  ]);
  return {
    members: {
      organizations: createOrganizationsFor(),
      membersFor,
      defaultRole: stringOption(raw, 'memberRole') ?? (process.env.MEMBER_ROLE_NAME || undefined),
      kms: keysForRegion,
    },
  };
}

export const quietLogger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {} };

export type { RegionResult } from '../shared/core/reconcile.js';

/**
 * Every region of the run, observed in parallel, planned, and applied as one plan
 * (`reconcileRegions`): a copy that waits for its source's tags in another region is made in the
 * same run. A region that cannot be read is a result, not a failure of the run.
 */
export async function reconcileAll(
  ctx: RunContext,
  options: {
    readonly dryRun: boolean;
    readonly shouldStop?: () => boolean;
    /** The rules' target accounts, resolved for this run: the sources are shared with them. */
    readonly targets?: ReadonlyMap<string, readonly string[]>;
  },
): Promise<RegionResult[]> {
  const progress = ctx.progress ? new ProgressPrinter(ctx.regions) : undefined;
  const { reconcileRegions } = await import('../shared/core/reconcile.js');
  const results = await reconcileRegions(
    {
      rules: ctx.rules,
      accountId: ctx.accountId,
      ec2: ctx.ec2,
      ssm: ctx.ssm,
      logger: quietLogger,
      events: ctx.events,
      now: () => new Date(),
      retire: ctx.retire,
      ...(ctx.completion ? { completion: ctx.completion } : {}),
      ...(options.targets ? { targets: options.targets } : {}),
      ...(ctx.members ? { kms: ctx.members.kms } : {}),
    },
    {
      regions: ctx.regions,
      dryRun: options.dryRun,
      concurrency: ctx.concurrency,
      maxCopiesInFlight: ctx.maxCopiesInFlight,
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(progress ? { onProgress: (p: ReconcileProgress) => progress.update(p) } : {}),
    },
  );
  for (const result of results) {
    if ('error' in result) progress?.finished(result.region, `failed: ${result.error.code}`);
    else progress?.finished(result.region, `done in ${(result.report.durationMs / 1000).toFixed(1)} s`);
  }
  return results;
}

/**
 * Runs a command body and maps the errors every command can meet to one clear message and an
 * exit code: invalid rules or arguments → 2, an AWS call that failed (no credentials, endpoint
 * down) → 1. With `--json`, the error is also the one JSON document on stdout.
 */
export async function guard(json: boolean, body: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof RulesValidationError) {
      console.error(error.message);
      if (json) printJson({ error: { kind: 'invalid-rules', source: error.source, issues: error.issues } });
      return ExitCode.InvalidInput;
    }
    if (error instanceof CliInputError) {
      console.error(`error: ${error.message}`);
      if (json) printJson({ error: { kind: 'invalid-input', message: error.message } });
      return ExitCode.InvalidInput;
    }
    if (error instanceof AwsCallError) {
      console.error(`error: ${describeAwsError(error)}`);
      if (json) printJson({ error: { kind: 'aws', region: error.region, ...regionErrorJson(error) } });
      return ExitCode.Failure;
    }
    throw error;
  }
}

/** The account, for the header line. */
export function accountLabel(ctx: RunContext): string {
  return `account ${ctx.accountId}`;
}
