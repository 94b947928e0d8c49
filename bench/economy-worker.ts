import { resolve } from 'node:path';
import { startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { SOURCE_NAME, SOURCE_REGION, type WorkerResult } from './economy.js';

/**
 * One API-economy measurement, in a process of its own (spawned by bench/economy.ts): the handlers
 * read RULES_FILE and build their SDK clients once per process, as on a Lambda cold start, so each
 * rules file needs a fresh process.
 *
 * Starts the local stack with the given rules file, seeds a source AMI with `snapshots` EBS
 * snapshots in us-east-1 (as `npm start` does) that the file's rule matches, lets the event path
 * run to the end (the source's `available` event, then each copy's in its region), and prints one
 * JSON line: EC2 calls by action, and what did not converge.
 *
 *   node --import tsx bench/economy-worker.ts RULES_FILE SNAPSHOTS COPY_DELAY_MS
 */

async function main(): Promise<void> {
  const [rulesFile, snapshotsArg, copyDelayArg] = process.argv.slice(2);
  if (rulesFile === undefined) throw new Error('usage: economy-worker.ts RULES_FILE SNAPSHOTS COPY_DELAY_MS');
  const snapshots = Number(snapshotsArg ?? 2);
  const stack = await startLocalStack({
    root: resolve(import.meta.dirname, '..'),
    rulesFile,
    ec2: { copyDelayMs: Number(copyDelayArg ?? 200) },
    logLevel: 'SILENT',
  });
  try {
    const source = stack.emulator.seedImage({
      region: SOURCE_REGION,
      name: SOURCE_NAME,
      blockDeviceMappings: Array.from({ length: snapshots }, (_, i) => ({
        deviceName: i === 0 ? '/dev/xvda' : `/dev/xvd${String.fromCharCode(98 + i - 1)}`,
        volumeSize: 8,
        volumeType: 'gp3',
      })),
    });
    await stack.settle(120_000);

    const problems: string[] = [];
    let invocations = 0;
    for (const entry of stack.timeline) {
      if (entry.kind !== 'delivery') continue;
      invocations += entry.record.attempts;
      if (entry.record.outcome !== 'success') {
        problems.push(
          `${entry.record.functionName} failed after ${entry.record.attempts} attempt(s): ${entry.record.error?.message ?? 'unknown error'}`,
        );
      }
    }
    const { loadRulesFile } = await import('../shared/rules/load.js');
    const targets = loadRulesFile(rulesFile).rules[0]?.copy?.regions ?? [];
    for (const region of targets) {
      const copies = stack.emulator.listImages(region).filter((i) => i.sourceImageId === source.imageId);
      if (copies.length !== 1 || copies[0]?.state !== 'available') {
        problems.push(`${region}: ${copies.length} copies, ${copies.map((c) => c.state).join(', ')}`);
      } else if (copies[0].launchPermissions.userIds.length === 0) {
        problems.push(`${region}: copy not shared`);
      }
    }

    const counters = stack.emulator.counters();
    const calls: Record<string, number> = {};
    let throttled = 0;
    let failed = 0;
    for (const [action, byRegion] of Object.entries(counters)) {
      for (const counts of Object.values(byRegion)) {
        calls[action] = (calls[action] ?? 0) + counts.calls;
        throttled += counts.throttled;
        failed += counts.failed;
      }
    }
    const result: WorkerResult = { calls, throttled, failed, invocations, problems };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
