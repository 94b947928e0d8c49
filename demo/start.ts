import type { CounterSnapshot } from '@ami-lifecycle/emulator/ec2/index.js';
import { type LocalStack, startLocalStack, type TimelineEntry } from '@ami-lifecycle/emulator/stack.js';
import { Command } from 'commander';
import { deadLetterLine, notificationLines } from './timeline.js';

/**
 * `npm start`: the main job, locally. Starts the emulator and the local bus, seeds a source AMI
 * with two snapshots in us-east-1 (a source region of config/ami-rules.yaml), makes it available,
 * and lets the real handlers do the rest: copies start, their own `available` events arrive in the
 * target regions, and each copy is shared and tagged there. Prints a timeline, the image × region
 * matrix and the EC2 calls made, and exits 0 when every target region has an available copy
 * shared like the source. `--serve` then keeps the endpoint up for the AWS CLI, the SDK or the
 * tool's own commands.
 */

const program = new Command()
  .name('npm start --')
  .description('Run ami-lifecycle end to end against the local EC2/EventBridge/DynamoDB/SQS/SNS emulators.')
  .option('--serve', 'keep the emulator running after the demo, and print how to point clients at it')
  .option('--port <port>', 'loopback port (default: a free one; 4566 with --serve)')
  .option('--copy-delay-ms <ms>', 'how long an emulated copy stays pending', '800')
  .option('--rules <file>', 'rules file the handlers load', 'config/ami-rules.yaml')
  .option('--verbose', "show the handlers' own logs (Powertools, JSON)")
  .parse();

const opts = program.opts<{
  serve?: boolean;
  port?: string;
  copyDelayMs: string;
  rules: string;
  verbose?: boolean;
}>();

const SOURCE_REGION = 'us-east-1';

function seconds(ms: number): string {
  return `+${(ms / 1000).toFixed(2)}s`.padStart(8);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One or more lines for a handler's result: what it decided and the diff it applied. */
function describeResult(result: unknown): string[] {
  if (!isRecord(result)) return [];
  const diff = Array.isArray(result.diff)
    ? result.diff.filter((l): l is string => typeof l === 'string')
    : [];
  switch (result.status) {
    case 'applied':
    case 'planned': {
      const outcomes = Array.isArray(result.outcomes) ? result.outcomes : [];
      const failed = outcomes.filter((o) => isRecord(o) && o.status === 'failed').length;
      const head = `${String(result.role)}: ${diff.length === 0 ? 'already in its desired state' : `${outcomes.length - failed} action(s) applied${failed ? `, ${failed} failed` : ''}`}`;
      return [head, ...diff.map((l) => `    ${l}`)];
    }
    case 'ignored':
      return [`ignored: ${String(result.reason)}`];
    case 'reported':
      return [`published ${String(result.detailType)}`];
    default:
      return [
        result.message === undefined
          ? String(result.status)
          : `${String(result.status)}: ${String(result.message)}`,
      ];
  }
}

function printTimeline(timeline: readonly TimelineEntry[]): void {
  console.log('\nTimeline');
  const regionOfEvent = new Map<string, string>();
  for (const entry of timeline) {
    if (entry.kind === 'event') {
      const { event, bus, matchedRules } = entry.record;
      regionOfEvent.set(event.id, event.region);
      const detail = isRecord(event.detail) ? event.detail : {};
      const what =
        event['detail-type'] === 'EC2 AMI State Change'
          ? `${String(detail.ImageId)} is ${String(detail.State)}`
          : JSON.stringify(detail);
      const to = matchedRules.length > 0 ? ` -> ${matchedRules.join(', ')}` : '';
      console.log(
        `${seconds(entry.at)}  ${event.region.padEnd(15)} [${bus}] ${event['detail-type']}: ${what}${to}`,
      );
    } else if (entry.kind === 'notification') {
      const [first, ...body] = notificationLines(entry.record);
      console.log(`${seconds(entry.at)}  ${entry.record.region.padEnd(15)} ${first}`);
      for (const line of body) console.log(`${' '.repeat(30)}${line}`);
    } else if (entry.kind === 'dead-letter') {
      console.log(`${seconds(entry.at)}  ${entry.record.region.padEnd(15)} ${deadLetterLine(entry.record)}`);
    } else {
      const { record } = entry;
      const region = regionOfEvent.get(record.eventId) ?? '';
      const lines =
        record.outcome === 'success'
          ? describeResult(record.result)
          : [`FAILED after ${record.attempts} attempt(s): ${record.error?.name}: ${record.error?.message}`];
      const [first, ...rest] = lines;
      console.log(`${seconds(entry.at)}  ${region.padEnd(15)} ${record.functionName}: ${first ?? 'done'}`);
      for (const line of rest) console.log(`${' '.repeat(26)}${line}`);
    }
  }
}

function formatTags(tags: Record<string, string>): string {
  const entries = Object.entries(tags);
  return entries.length === 0 ? '(none)' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** Every image of the account in the regions of the run, with state, sharing and tags. Returns problems found. */
function printMatrix(stack: LocalStack, sourceImageId: string, targetRegions: readonly string[]): string[] {
  const { emulator } = stack;
  const regions = [SOURCE_REGION, ...targetRegions];
  const rows: string[][] = [
    ['region', 'image', 'role', 'state', 'shared with (launch)', 'snapshots (create-volume)'],
  ];
  const tagLines: string[] = [];
  const problems: string[] = [];
  const source = emulator.getImage(SOURCE_REGION, sourceImageId);
  const shareOf = (img: NonNullable<typeof source>) =>
    [
      ...img.launchPermissions.userIds,
      ...img.launchPermissions.organizationArns.map((a) => a.replace(/^.*organization\//, 'org:')),
      ...img.launchPermissions.organizationalUnitArns.map((a) => a.replace(/^.*\//, 'ou:')),
      ...(img.launchPermissions.public ? ['public'] : []),
    ].sort();
  for (const region of regions) {
    const images = emulator
      .listImages(region)
      .filter((i) => i.imageId === sourceImageId || i.sourceImageId === sourceImageId);
    if (images.length === 0) {
      rows.push([region, '-', 'copy', 'missing', '', '']);
      problems.push(`no copy in ${region}`);
    }
    for (const img of images) {
      const role = img.imageId === sourceImageId ? 'source' : 'copy';
      const snapshots = img.snapshotIds.map((id) => emulator.getSnapshot(region, id));
      const snapshotShares = [
        ...new Set(snapshots.flatMap((s) => s?.createVolumePermissions.userIds ?? [])),
      ].sort();
      rows.push([
        region,
        img.imageId,
        role,
        img.state,
        shareOf(img).join(', ') || '(private)',
        `${snapshots.length}: ${snapshotShares.join(', ') || '(private)'}`,
      ]);
      tagLines.push(`  ${region} ${img.imageId} (${role}): ${formatTags(img.tags)}`);
      for (const snapshot of snapshots) {
        if (snapshot) tagLines.push(`      ${snapshot.snapshotId}: ${formatTags(snapshot.tags)}`);
      }
      if (role === 'copy') {
        if (img.state !== 'available') problems.push(`copy ${img.imageId} in ${region} is ${img.state}`);
        if (source && shareOf(img).join() !== shareOf(source).join()) {
          problems.push(`copy ${img.imageId} in ${region} is not shared like the source`);
        }
        if (
          snapshots.some((s) => s === undefined || s.tags['ami-lifecycle:source-image-id'] !== sourceImageId)
        ) {
          problems.push(`a snapshot of copy ${img.imageId} in ${region} lacks its lineage tags`);
        }
      }
    }
  }
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  console.log('\nImage x region matrix');
  for (const row of rows)
    console.log(`  ${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ')}`);
  console.log('\nTags (image, then its snapshots)');
  for (const line of tagLines) console.log(line);
  return problems;
}

function printCounters(counters: CounterSnapshot): void {
  console.log('\nEC2 calls (as counted by the emulator)');
  let total = 0;
  for (const [action, byRegion] of Object.entries(counters).sort()) {
    const counts = Object.values(byRegion);
    const calls = counts.reduce((n, c) => n + c.calls, 0);
    const throttled = counts.reduce((n, c) => n + c.throttled, 0);
    const failed = counts.reduce((n, c) => n + c.failed, 0);
    total += calls;
    const regions = Object.entries(byRegion)
      .map(([r, c]) => `${r} ${c.calls}`)
      .join(', ');
    const extra = [throttled ? `${throttled} throttled` : '', failed ? `${failed} failed` : '']
      .filter(Boolean)
      .join(', ');
    console.log(
      `  ${action.padEnd(26)} ${String(calls).padStart(3)}  (${regions})${extra ? ` ${extra}` : ''}`,
    );
  }
  console.log(`  ${'total'.padEnd(26)} ${String(total).padStart(3)}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  const stack = await startLocalStack({
    port: opts.port === undefined ? (opts.serve ? 4566 : 0) : Number(opts.port),
    rulesFile: opts.rules,
    ec2: { copyDelayMs: Number(opts.copyDelayMs) },
    logLevel: opts.verbose ? 'INFO' : 'SILENT',
  });
  const { loadRulesFile } = await import('../shared/rules/load.js');
  const rule = loadRulesFile(process.env.RULES_FILE ?? opts.rules).rules.find((r) =>
    r.match.regions.includes(SOURCE_REGION),
  );
  if (rule === undefined) throw new Error(`no rule in ${opts.rules} has ${SOURCE_REGION} as a source region`);
  const name = (rule.match.names?.[0] ?? 'image-*').replace(/\*/g, '2026.11.26').replace(/\?/g, '1');
  console.log(
    `ami-lifecycle, locally: EC2, EventBridge, DynamoDB, SQS and SNS emulated at ${stack.endpoint}`,
  );
  console.log(`rules: ${opts.rules}; seeding "${name}" in ${SOURCE_REGION} for rule "${rule.name}"`);

  // A realistic source: root and data volumes, with the tags the rule matches on.
  const tags: Record<string, string> = { ...rule.match.tags };
  for (const key of rule.match.tagKeys ?? []) tags[key] = '2026.11.26';
  const seeded = stack.emulator.seedImage({
    region: SOURCE_REGION,
    name,
    description: 'Hardened base image built by the golden pipeline',
    tags,
    blockDeviceMappings: [
      { deviceName: '/dev/xvda', volumeSize: 8, volumeType: 'gp3' },
      { deviceName: '/dev/xvdb', volumeSize: 20, volumeType: 'gp3' },
    ],
  });
  await stack.settle(120_000);

  printTimeline(stack.timeline);
  const targets = (rule.copy?.regions ?? []).filter((r) => r !== SOURCE_REGION);
  const problems = printMatrix(stack, seeded.imageId, targets);
  printCounters(stack.emulator.counters());
  console.log(
    `\nWall time: ${((Date.now() - started) / 1000).toFixed(2)} s (copies pending ${opts.copyDelayMs} ms each)`,
  );
  if (problems.length > 0) {
    console.log(`\nNot converged:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  } else {
    console.log(
      `\nConverged: ${seeded.imageId} is available, shared and tagged in ${targets.length + 1} regions.`,
    );
  }

  if (opts.serve) {
    console.log(`
The emulator keeps running (Ctrl-C to stop). Point clients at it:
  export AWS_ENDPOINT_URL=${stack.endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${SOURCE_REGION}
  npx ami-lifecycle status                                   # the tool's own commands honour AWS_ENDPOINT_URL
  aws --endpoint-url ${stack.endpoint} ec2 describe-images --owners self --region eu-west-1
  aws --endpoint-url ${stack.endpoint} sqs list-queues --region ${SOURCE_REGION}     # failed invocations land here
  aws --endpoint-url ${stack.endpoint} sts get-caller-identity                        # the account the emulator acts as
Handlers stay subscribed: images that become available (register-image, copy-image) are handled as in AWS.`);
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    });
  }
  await stack.close();
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
