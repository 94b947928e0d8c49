import type { CounterSnapshot } from '@ami-lifecycle/emulator/ec2/index.js';
import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DetailType } from '../shared/core/notifications.js';
import { wrap } from './events.js';
import { drainMemberWork, type MemberWorkBatch } from './member-work.js';
import { parseDemoOptions } from './options.js';
import {
  HUB,
  MEMBER_REGIONS,
  MEMBER_WORK_QUEUE,
  NAMED,
  ORG,
  OU,
  startOrganizationStack,
  UNDER_OU,
} from './organization-stack.js';
import { notificationLines, timelineLines } from './timeline.js';

/**
 * `npm start`'s organization part, in a process of its own (the handlers' SDK clients keep the
 * endpoint of the first stack they meet): a stack whose account is the management account of an
 * organization, a rule with target accounts (demo/organization.yaml), a source seeded in the hub.
 * The hub shares it with the two members and queues their work; the member-work function (invoked
 * as Lambda's SQS event source would) makes each member's copies through the member role; each
 * copy's `available` event is forwarded from the member's default bus to the hub's, and the last
 * one announces `AMI Account Copies Completed`, which notify sends. Prints the accounts, what ran,
 * the member copies, the notification and the EC2 calls per account; exits 1 unless converged.
 */
const SOURCE_REGION = 'us-east-1';
const REGIONS: readonly string[] = MEMBER_REGIONS;
const RULES = 'demo/organization.yaml';
const WIDTH = 160;

const ACCOUNTS: ReadonlyArray<readonly [id: string, name: string, why: string]> = [
  [HUB, 'build', 'hub: the management account, where the tool runs and the source is built'],
  [NAMED, 'prod', 'member: named in the rule (accounts.ids)'],
  [UNDER_OU, 'dev', `member: found under the OU ${OU.id} (${OU.name}, accounts.organizationalUnits)`],
];

function printBatches(batches: readonly MemberWorkBatch[]): void {
  console.log('\nmemberWork, invoked with the member-work queue as Lambda would (a batch a line)');
  for (const b of batches) {
    const failed = b.failed > 0 ? `, ${b.failed} failed` : '';
    const line = `  +${(b.at / 1000).toFixed(2)}s (${(b.ms / 1000).toFixed(2)} s): ${b.items.join('; ')}${failed}`;
    for (const l of wrap(line, WIDTH, 20)) console.log(l);
  }
}

/** The copies each member owns, account × region. Returns the pairs with no available copy. */
function printMemberCopies(stack: LocalStack, sourceImageId: string): string[] {
  console.log('\nMember copies (account x region: the image the account owns, its state)');
  const problems: string[] = [];
  const rows = [['account', ...REGIONS]];
  for (const account of [NAMED, UNDER_OU]) {
    const cells = REGIONS.map((region) => {
      const copy = stack.emulator
        .listImages(region)
        .find((i) => i.ownerId === account && i.sourceImageId === sourceImageId);
      if (copy?.state !== 'available') problems.push(`no available copy owned by ${account} in ${region}`);
      return copy === undefined ? '(none)' : `${copy.imageId} ${copy.state}`;
    });
    rows.push([account, ...cells]);
  }
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  for (const row of rows) {
    console.log(`  ${row.map((c, col) => c.padEnd(widths[col] ?? 0)).join('  ')}`.trimEnd());
  }
  return problems;
}

/** The `AMI Account Copies Completed` notifications as notify sent them. Returns a problem unless exactly one. */
function printNotification(stack: LocalStack): string[] {
  const completed = stack.bus
    .events()
    .filter((r) => r.event['detail-type'] === DetailType.AccountCopiesCompleted);
  // What notify sent after the Account Copies Completed event (the release's own notification comes before it).
  const announced = stack.timeline.findIndex(
    (e) => e.kind === 'event' && e.record.event['detail-type'] === DetailType.AccountCopiesCompleted,
  );
  const sent = stack.timeline
    .slice(announced < 0 ? stack.timeline.length : announced)
    .flatMap((e) => (e.kind === 'notification' ? [e.record] : []));
  console.log(
    `\nNotification (${completed.length} ${DetailType.AccountCopiesCompleted} event, as notify sent it)`,
  );
  for (const message of sent.filter((m) => !m.topicName.endsWith('-chat'))) {
    for (const line of notificationLines(message))
      for (const l of wrap(`  ${line}`, WIDTH, 4)) console.log(l);
  }
  return completed.length === 1
    ? []
    : [`${completed.length} ${DetailType.AccountCopiesCompleted} events, not 1`];
}

function printCallsPerAccount(byAccount: Record<string, CounterSnapshot>): void {
  console.log('\nEC2 calls per account (as counted by the emulator)');
  for (const [account, name] of ACCOUNTS.map(([id, n]) => [id, n] as const)) {
    const counters = byAccount[account] ?? {};
    const actions = Object.entries(counters)
      .map(
        ([action, byRegion]) => [action, Object.values(byRegion).reduce((n, c) => n + c.calls, 0)] as const,
      )
      .sort(([a], [b]) => a.localeCompare(b));
    const total = actions.reduce((n, [, calls]) => n + calls, 0);
    console.log(
      `  ${account} ${name.padEnd(5)} ${String(total).padStart(3)}  ${actions.map(([a, c]) => `${a} ${c}`).join(', ')}`,
    );
  }
}

async function main(): Promise<number> {
  const opts = parseDemoOptions(process.argv.slice(2));
  const stack = await startOrganizationStack({ rulesFile: RULES, copyDelayMs: Number(opts.copyDelayMs) });
  try {
    console.log(`\nOrganization ${ORG}: a hub and two member accounts (rules: ${RULES})`);
    for (const [id, name, why] of ACCOUNTS) console.log(`  ${id} ${name.padEnd(5)} ${why}`);
    const source = stack.emulator.seedImage({ region: SOURCE_REGION, name: 'golden-linux-2026.11.26' });
    console.log(
      `seeding ${source.imageId} in ${SOURCE_REGION} of the hub; each member copies it into ${REGIONS.join(', ')}`,
    );
    const batches = await drainMemberWork(stack, {
      account: HUB,
      region: SOURCE_REGION,
      queue: MEMBER_WORK_QUEUE,
      // The batches' times count from where the timeline's do.
      origin: stack.startedAt,
    });

    console.log(
      "\nTimeline (the hub's bus: its events, handlers and notifications; forwarded events included)",
    );
    const functionOfRule = new Map(stack.config.eventRules.map((r) => [r.ruleName, r.functionName]));
    for (const line of timelineLines(stack.timeline, { verbose: false, functionOfRule, width: WIDTH }))
      console.log(line);
    printBatches(batches);
    const problems = [...printMemberCopies(stack, source.imageId), ...printNotification(stack)];
    printCallsPerAccount(stack.emulator.countersByAccount());
    console.log(
      problems.length === 0
        ? `\nConverged: ${source.imageId} is copied by ${NAMED} and ${UNDER_OU} into ${REGIONS.length} regions each, announced once.`
        : `\nNot converged:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    return problems.length === 0 ? 0 : 1;
  } finally {
    await stack.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
