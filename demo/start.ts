import type { CounterSnapshot } from '@ami-lifecycle/emulator/ec2/index.js';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { parameterNamesFor } from '../shared/rules/publish.js';
import type { Rule } from '../shared/rules/schema.js';
import { wrap } from './events.js';
import { captureEmf, type EmfMetric, metricLines, summarize } from './metrics.js';
import { npmKeptMessage, optionsNpmKept, parseDemoOptions, portErrorMessage, USAGE_EXIT } from './options.js';
import { runOrganizationPart } from './organization-part.js';
import { timelineJsonLines, timelineLines } from './timeline.js';

/**
 * `npm start`: the main job, locally. Starts the emulator and the local bus, seeds a source AMI
 * with two snapshots in us-east-1 (a source region of config/ami-rules.yaml), makes it available,
 * and lets the real handlers do the rest: copies start, their own `available` events arrive in the
 * target regions, and each copy is shared and tagged there. Prints a timeline, the image × region
 * matrix and the EC2 calls made, then the organization part's output (demo/organization.ts, run
 * alongside in a process of its own), and exits 0 when every target region has an available copy
 * shared like the source and the organization part converged. `--serve` then keeps the endpoint up for the AWS CLI, the SDK or the
 * tool's own commands, on a free port unless `--port` names one.
 */

// Before parsing: options npm took for itself would otherwise vanish without a word (see options.ts).
const kept = optionsNpmKept(process.env, process.argv.slice(2));
if (kept.length > 0) {
  console.error(npmKeptMessage(kept));
  process.exit(USAGE_EXIT);
}
const opts = parseDemoOptions(process.argv.slice(2));

const SOURCE_REGION = 'us-east-1';
/** The widest line the default output prints (a piece with no separator to wrap at may be longer). */
const WIDTH = 160;

function printTimeline(stack: LocalStack): void {
  console.log(
    '\nTimeline (a handler at the time it started, with how long it ran; what it caused follows it)',
  );
  if (opts.json) {
    for (const line of timelineJsonLines(stack.timeline)) console.log(line);
    return;
  }
  const functionOfRule = new Map(stack.config.eventRules.map((r) => [r.ruleName, r.functionName]));
  for (const line of timelineLines(stack.timeline, {
    verbose: opts.verbose === true,
    functionOfRule,
    width: WIDTH,
  })) {
    console.log(line);
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
      tagLines.push(...wrap(`  ${region} ${img.imageId} (${role}): ${formatTags(img.tags)}`, WIDTH, 8));
      for (const snapshot of snapshots) {
        if (snapshot)
          tagLines.push(...wrap(`      ${snapshot.snapshotId}: ${formatTags(snapshot.tags)}`, WIDTH, 10));
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

/**
 * The SSM parameters the rule publishes (`publish.parameters`), read from the emulator in every
 * region: each must name the release's image there. Returns what does not.
 */
function printParameters(
  stack: LocalStack,
  rule: Rule,
  sourceImageId: string,
  regions: readonly string[],
): string[] {
  const rows = regions.flatMap((region) =>
    parameterNamesFor(rule, region, SOURCE_REGION).map((name) => ({ region, name })),
  );
  if (rows.length === 0) return [];
  const problems: string[] = [];
  console.log('\nSSM parameters (publish.parameters, data type aws:ec2:image)');
  for (const { region, name } of rows) {
    const value = stack.ssm.getParameter(region, name)?.value;
    const image =
      region === SOURCE_REGION
        ? sourceImageId
        : stack.emulator.listImages(region).find((i) => i.sourceImageId === sourceImageId)?.imageId;
    console.log(`  ${region.padEnd(15)} ${name} = ${value ?? '(missing)'}`);
    if (value === undefined || value !== image)
      problems.push(`${name} in ${region} names ${value ?? 'nothing'}, not ${image ?? 'a copy'}`);
  }
  return problems;
}

/** What the handlers reported as CloudWatch metrics: the EMF lines they printed, summed as CloudWatch would. */
function printMetrics(metrics: readonly EmfMetric[]): void {
  const rows = summarize(metrics);
  console.log(`\nMetrics (namespace ami-lifecycle, summed from the EMF lines the handlers printed)`);
  if (opts.json) {
    for (const row of rows) console.log(JSON.stringify({ kind: 'metric', ...row }));
    return;
  }
  for (const line of metricLines(rows)) console.log(line);
}

async function main(): Promise<number> {
  const started = Date.now();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port: opts.port ?? 0,
      rulesFile: opts.rules,
      ec2: { copyDelayMs: Number(opts.copyDelayMs) },
      logLevel: opts.verbose ? 'INFO' : 'SILENT',
      metrics: true,
    });
  } catch (error) {
    const message = portErrorMessage(error, opts.port);
    if (message === undefined) throw error;
    console.error(message);
    return USAGE_EXIT;
  }
  // The organization part runs alongside, in a process of its own (started once this part's stack
  // is up, so a run that stops at its port starts nothing); its output follows this part's.
  const organization = runOrganizationPart(['--copy-delay-ms', opts.copyDelayMs]);
  const { loadRulesFile } = await import('../shared/rules/load.js');
  const rule = loadRulesFile(process.env.RULES_FILE ?? opts.rules).rules.find((r) =>
    r.match.regions.includes(SOURCE_REGION),
  );
  if (rule === undefined) throw new Error(`no rule in ${opts.rules} has ${SOURCE_REGION} as a source region`);
  const name = (rule.match.names?.[0] ?? 'image-*').replace(/\*/g, '2026.11.26').replace(/\?/g, '1');
  console.log(
    `ami-lifecycle, locally: EC2, EventBridge, DynamoDB, SQS, SNS and STS emulated at ${stack.endpoint}`,
  );
  console.log(`rules: ${opts.rules}; seeding "${name}" in ${SOURCE_REGION} for rule "${rule.name}"`);

  // A realistic source: root and data volumes, with the tags the rule matches on.
  const tags: Record<string, string> = { ...rule.match.tags };
  for (const key of rule.match.tagKeys ?? []) tags[key] = '2026.11.26';
  // The handlers run in this process: their EMF lines come off stdout here, for the Metrics section.
  const emf = captureEmf();
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
  try {
    await stack.settle(120_000);
  } finally {
    emf.restore();
  }

  printTimeline(stack);
  const targets = (rule.copy?.regions ?? []).filter((r) => r !== SOURCE_REGION);
  const problems = [
    ...printMatrix(stack, seeded.imageId, targets),
    ...printParameters(stack, rule, seeded.imageId, [SOURCE_REGION, ...targets]),
  ];
  printCounters(stack.emulator.counters());
  printMetrics(emf.metrics);
  const orgPart = await organization;
  process.stdout.write(orgPart.stdout);
  if (orgPart.code !== 0) problems.push('the organization part did not converge (see above)');
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
    const { endpoint } = stack;
    // Without --port the system picks the port, so a second demo or another local AWS on 4566 never
    // collides; the lines below carry whichever it is, ready to paste.
    const portNote =
      opts.port === undefined ? 'a free port, new each run; --port N keeps one' : `--port ${opts.port}`;
    console.log(`
The emulator keeps running at ${endpoint} (${portNote}). Ctrl-C stops it. Point clients at it:
  export AWS_ENDPOINT_URL=${endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${SOURCE_REGION}
  npx ami-lifecycle status                         # the tool's own commands honour AWS_ENDPOINT_URL
  aws --endpoint-url ${endpoint} ec2 describe-images --owners self --region eu-west-1
  aws --endpoint-url ${endpoint} sqs list-queues --region ${SOURCE_REGION}   # failed invocations land here
  aws --endpoint-url ${endpoint} sts get-caller-identity   # the account the emulator acts as${parameterHint(endpoint, rule)}
Handlers stay subscribed: images that become available (register-image, copy-image) are handled as in AWS.`);
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    });
  }
  await stack.close();
  return problems.length === 0 ? 0 : 1;
}

/** The AWS CLI line that reads the rule's first published parameter in a target region, if it publishes one. */
function parameterHint(endpoint: string, rule: Rule): string {
  const region = rule.copy?.regions.find((r) => r !== SOURCE_REGION) ?? SOURCE_REGION;
  const [name] = parameterNamesFor(rule, region, SOURCE_REGION);
  return name === undefined
    ? ''
    : `\n  aws --endpoint-url ${endpoint} ssm get-parameter --name ${name} --region ${region}   # the release, as consumers read it`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
