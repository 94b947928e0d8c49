import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  claimsForRegion,
  ec2ForRegion,
  eventBridgeClient,
  keysForRegion,
  sqsClient,
  ssmForRegion,
} from '../../shared/aws/clients.js';
import { openDeadLetterQueue } from '../../shared/aws/dead-letter-queue.js';
import { createEventPublisher } from '../../shared/aws/events.js';
import { callerAccount } from '../../shared/aws/identity.js';
import { createMembersFor } from '../../shared/aws/members.js';
import { createOrganizationsFor } from '../../shared/aws/organizations.js';
import { perRegion } from '../../shared/aws/per-region.js';
import { createWorkQueue } from '../../shared/aws/work-queue.js';
import { AwsCallError, InvalidEventError } from '../../shared/core/errors.js';
import { runMemberItem } from '../../shared/core/member-work.js';
import {
  DetailSchemas,
  EVENT_SOURCE,
  isDetailType,
  type ToolEvent,
} from '../../shared/core/notifications.js';
import type { EventPublisher, MemberWorkItem } from '../../shared/core/ports.js';
import { reconcileRegion } from '../../shared/core/reconcile.js';
import { publishReconcileReport } from '../../shared/core/reconcile-report.js';
import { handleAmiStateChange, planForImage } from '../../shared/core/state-change.js';
import { parseAmiStateChangeEvent } from '../../shared/events/ami-state-change.js';
import {
  type DeadLetter,
  MEMBER_WORK_DETAIL_TYPE,
  MEMBER_WORK_SOURCE,
} from '../../shared/events/dead-letter.js';
import { MemberWorkItemSchema } from '../../shared/events/member-work.js';
import { parseOrThrow } from '../../shared/events/parse.js';
import { parseScheduledEvent } from '../../shared/events/scheduled.js';
import { loadRulesFile } from '../../shared/rules/load.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ExitCode } from '../exit-codes.js';
import { count, printJson } from '../output.js';
import { type ReplayEntry, type ReplayHandler, type ReplayRouter, replayDeadLetters } from '../replay.js';
import { CliInputError, DEFAULT_RULES_FILE, quietLogger } from '../run.js';

/** What `ami-lifecycle replay` does (`replay.ts` defines the command and loads this when it runs). */
function text(options: Record<string, unknown>, key: string): string | undefined {
  const value = options[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export async function replay(options: Record<string, unknown>): Promise<ExitCode> {
  const stage = text(options, 'stage') ?? 'dev';
  const region = text(options, 'region') ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
  if (region === undefined) throw new CliInputError('--region is required (or set AWS_REGION)');
  const maxText = text(options, 'max') ?? '50';
  if (!/^\d+$/.test(maxText) || Number(maxText) < 1) {
    throw new CliInputError(`--max must be a whole number of at least 1, got "${maxText}"`);
  }
  const given = Array.isArray(options.queue)
    ? options.queue.filter((q): q is string => typeof q === 'string')
    : [];
  const names =
    given.length > 0
      ? given
      : [
          `ami-lifecycle-failed-${stage}`,
          `ami-lifecycle-rule-dlq-${stage}`,
          `ami-lifecycle-member-work-dlq-${stage}`,
        ];
  const apply = options.apply === true;

  const sqs = new SQSClient({ region, maxAttempts: 5 });
  const queues = [];
  const memberWorkDlq = `ami-lifecycle-member-work-dlq-${stage}`;
  for (const name of names) {
    try {
      queues.push(await openDeadLetterQueue(sqs, region, name));
    } catch (error) {
      // A stack deployed before the organization fan-out has no member-work queue: nothing to replay.
      const absent = error instanceof AwsCallError && /QueueDoesNotExist|NonExistentQueue/.test(error.code);
      if (!(absent && given.length === 0 && name === memberWorkDlq)) throw error;
    }
  }

  const route = router({
    rulesFile: text(options, 'rules') ?? (process.env.RULES_FILE || DEFAULT_RULES_FILE),
    busName: text(options, 'eventBus') ?? (process.env.EVENT_BUS_NAME || `ami-lifecycle-${stage}`),
    table:
      text(options, 'distributionsTable') ??
      (process.env.DISTRIBUTIONS_TABLE || `ami-lifecycle-${stage}-distributions`),
    memberRole:
      text(options, 'memberRole') ?? (process.env.MEMBER_ROLE_NAME || `ami-lifecycle-${stage}-member`),
    region,
    memberWorkQueue: `ami-lifecycle-member-work-${stage}`,
  });
  const entries = await replayDeadLetters(queues, route, {
    apply,
    max: Number(maxText),
    // Long enough for a reconcile replay; a message not replayed is released at once anyway.
    visibilitySeconds: 900,
  });

  const failed = entries.filter((e) => e.outcome.status === 'failed').length;
  const pending = entries.filter((e) => e.outcome.status === 'would-replay').length;
  const code = failed > 0 ? ExitCode.Failure : pending > 0 ? ExitCode.ChangesPlanned : ExitCode.Ok;
  if (options.json === true) printJson({ apply, queues: queues.map((q) => q.url), entries, exitCode: code });
  else print(entries, apply, queues.length);
  return code;
}

interface RouterConfig {
  readonly rulesFile: string;
  readonly busName: string;
  readonly table: string;
  /** The role assumed in target accounts for rules that name no `accounts.memberRole`. */
  readonly memberRole: string;
  /** The region of the queues: where the caller's account is asked for. */
  readonly region: string;
  /** The stack's member-work queue (by name), where a replayed release queues its target accounts' work. */
  readonly memberWorkQueue: string;
}

/** Which code replays which event: the same core the deployed handlers call. */
function router(config: RouterConfig): ReplayRouter {
  let rules: readonly Rule[] | undefined;
  // Loaded on first use: replaying only the tool's own events needs no rules file.
  const loadRules = () => {
    rules ??= loadRulesFile(config.rulesFile).rules;
    return rules;
  };
  const publisherFor = (region: string): EventPublisher =>
    createEventPublisher({ clientFor: eventBridgeClient, busName: config.busName, region });
  const claims = claimsForRegion(config.table);
  // The account the replay acts for is the caller's, asked once; events of others are ignored.
  let account: Promise<string> | undefined;
  const accountId = () => {
    account ??= callerAccount(config.region);
    return account;
  };

  const amiStateChange: ReplayHandler = {
    async describe(letter) {
      const event = parseAmiStateChangeEvent(letter.event);
      const { ImageId: imageId, State: state } = event.detail;
      if (state !== 'available')
        return [`${imageId} is ${state}: the handler would report it (AMI Copy Failed)`];
      const result = await planForImage(event.region, imageId, await accountId(), {
        rules: loadRules(),
        ec2: ec2ForRegion,
        logger: quietLogger,
        ...(loadRules().some((r) => r.accounts !== undefined) ? { members: releaseMembers() } : {}),
      });
      if (result.status === 'ignored') return [`nothing to do: ${result.reason}`];
      return result.diff.length > 0 ? result.diff : [`${imageId} is already as its rule wants`];
    },
    async replay(letter) {
      const event = parseAmiStateChangeEvent(letter.event);
      const result = await handleAmiStateChange(event, {
        rules: loadRules(),
        accountId: await accountId(),
        ec2: ec2ForRegion,
        ssm: ssmForRegion,
        events: publisherFor(event.region),
        claims,
        logger: quietLogger,
        dryRun: false,
        invocationId: `replay-${randomUUID()}`,
        now: () => new Date(),
        ...(loadRules().some((r) => r.accounts !== undefined) ? { members: releaseMembers() } : {}),
      });
      switch (result.status) {
        case 'applied':
          return [
            ...(result.diff.length > 0 ? result.diff : ['nothing left to do']),
            ...(result.completion?.status === 'announced' ? ['announced AMI Distribution Completed'] : []),
          ];
        case 'reported':
          return [`published ${result.detailType}`];
        case 'queued':
          return [`queued ${result.item.account} ${result.item.region} for the member-work function`];
        case 'ignored':
          return [`nothing to do: ${result.reason}`];
        case 'planned':
          return result.diff;
      }
    },
  };

  const reconcile = (dryRun: boolean) => async (letter: DeadLetter) => {
    const event = parseScheduledEvent(letter.event);
    const events = publisherFor(event.region);
    const report = await reconcileRegion(
      {
        rules: loadRules(),
        accountId: await accountId(),
        ec2: ec2ForRegion,
        ssm: ssmForRegion,
        logger: quietLogger,
        events,
        now: () => new Date(),
        completion: { claims, owner: `replay-${randomUUID()}` },
      },
      { region: event.region, dryRun, maxCopiesInFlight: 20, concurrency: 8 },
    );
    if (!dryRun) await publishReconcileReport(report, events, quietLogger);
    const lines = report.diff.length > 0 ? [...report.diff] : [`${event.region} is as the rules want`];
    return [
      `reconcile ${event.region}${dryRun ? ' (dry run)' : ''}: ${count(report.diff.length, 'change')}, ${count(report.failures.length, 'failure')}`,
      ...lines.slice(0, 20),
      ...(lines.length > 20 ? [`... and ${lines.length - 20} more`] : []),
    ];
  };

  // What a replayed release needs for its target accounts: Organizations, KMS, and the stack's
  // member-work queue (its URL asked for at the first send).
  const releaseMembers = () => ({
    organizations: createOrganizationsFor(),
    kms: keysForRegion,
    workQueue: {
      async send(items: readonly MemberWorkItem[]) {
        const sqs = sqsClient(config.region);
        const queue = await openDeadLetterQueue(sqs, config.region, config.memberWorkQueue);
        await createWorkQueue(sqs, queue.url, config.region).send(items);
      },
    },
  });

  // The member ports of each role, built once: an account's role is assumed once per replay.
  const membersFor = perRegion((role: string) => createMembersFor(role, { stsRegion: config.region }));
  const memberWork = (dryRun: boolean) => async (letter: DeadLetter) => {
    const item = parseOrThrow(MemberWorkItemSchema, letter.event.detail, 'member work item');
    const events = publisherFor(item.region);
    const results = await runMemberItem(
      {
        rules: loadRules(),
        hubAccountId: await accountId(),
        membersFor,
        defaultRole: config.memberRole,
        logger: quietLogger,
        events,
        now: () => new Date(),
        // A replayed item of a release records its pairs as the function would have.
        ...(dryRun ? {} : { completion: { claims, owner: `replay-${randomUUID()}` } }),
      },
      item,
      { dryRun, maxCopiesInFlight: 20, concurrency: 8 },
    );
    const lines: string[] = [];
    for (const result of results) {
      const where = `account ${result.account} in ${result.region}${dryRun ? ' (dry run)' : ''}`;
      if (result.status === 'skipped') {
        lines.push(`${where}: skipped: ${result.reason}`);
        continue;
      }
      const { report } = result;
      if (!dryRun) await publishReconcileReport({ ...report, account: result.account }, events, quietLogger);
      lines.push(
        `${where}: ${count(report.diff.length, 'change')}, ${count(report.failures.length, 'failure')}`,
        ...report.diff.slice(0, 20),
        ...result.skipped.map((s) => `skipped: ${s.reason}`),
      );
    }
    return lines;
  };

  const toolEvents: ReplayHandler = {
    async describe(letter) {
      const event = toolEvent(letter);
      return [
        `put ${event.detailType} (${event.detail.eventId}) back on ${config.busName} in ${letter.event.region}`,
      ];
    },
    async replay(letter) {
      const event = toolEvent(letter);
      await publisherFor(letter.event.region).publish([event]);
      return [
        `put ${event.detailType} (${event.detail.eventId}) back on ${config.busName} in ${letter.event.region}`,
      ];
    },
  };

  return (letter) => {
    const { source } = letter.event;
    const type = letter.event['detail-type'];
    if (source === 'aws.ec2' && type === 'EC2 AMI State Change')
      return { name: 'amiStateChange', handler: amiStateChange };
    if (source === 'aws.events' && type === 'Scheduled Event') {
      return { name: 'reconcile', handler: { describe: reconcile(true), replay: reconcile(false) } };
    }
    if (source === MEMBER_WORK_SOURCE && type === MEMBER_WORK_DETAIL_TYPE) {
      return { name: 'memberWork', handler: { describe: memberWork(true), replay: memberWork(false) } };
    }
    if (source === EVENT_SOURCE && isDetailType(type)) return { name: 'notify', handler: toolEvents };
    return undefined;
  };
}

/** A tool event read back from a queue, validated against its schema before it is published again. */
function toolEvent(letter: DeadLetter): ToolEvent {
  const type = letter.event['detail-type'];
  if (!isDetailType(type)) throw new InvalidEventError(`${type} is not an event of the tool`);
  const parsed = DetailSchemas[type].safeParse(letter.event.detail);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidEventError(
      `${type} ${letter.event.id}: the detail does not match its schema (${issue?.path.join('.') || '(detail)'}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return { detailType: type, detail: parsed.data, resources: letter.event.resources } as ToolEvent;
}

function print(entries: readonly ReplayEntry[], apply: boolean, queues: number): void {
  if (entries.length === 0) {
    console.log(`nothing to replay: ${count(queues, 'queue')} empty`);
    return;
  }
  for (const entry of entries) {
    const what = entry.letter
      ? `${entry.letter.detailType} ${entry.letter.eventId} (${entry.letter.region})`
      : `message ${entry.messageId}`;
    const why = entry.letter ? `  failed: ${entry.letter.reason}` : '';
    const { outcome } = entry;
    const head =
      outcome.status === 'would-replay'
        ? `would replay through ${entry.handler}:`
        : outcome.status === 'replayed'
          ? `replayed through ${entry.handler}, removed from the queue:`
          : outcome.status === 'failed'
            ? `replay FAILED (${outcome.retryable ? 'retryable' : 'terminal'}), kept in the queue: ${outcome.error}`
            : `not replayable, kept in the queue: ${outcome.reason}`;
    console.log(`${what}${why}`);
    console.log(`  ${head}`);
    if (outcome.status === 'would-replay' || outcome.status === 'replayed') {
      for (const line of outcome.lines) console.log(`    ${line}`);
    }
  }
  const by = (status: string) => entries.filter((e) => e.outcome.status === status).length;
  console.log(
    apply
      ? `${count(by('replayed'), 'message')} replayed, ${by('failed')} failed, ${by('not-replayable')} not replayable`
      : `${count(by('would-replay'), 'message')} to replay, ${by('not-replayable')} not replayable; run again with --apply`,
  );
}
