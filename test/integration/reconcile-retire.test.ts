import { join } from 'node:path';
import { createEc2Emulator, type Ec2Emulator } from '@ami-lifecycle/emulator/ec2/index.js';
import { type LocalServer, startLocalServer } from '@ami-lifecycle/emulator/server.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventPublisher } from '../../shared/core/ports.js';
import { reconcileRegion } from '../../shared/core/reconcile.js';
import { loadRulesFile } from '../../shared/rules/load.js';
import { emulatorEc2, quietLogger } from './helpers.js';

/**
 * Retirement as the scheduled reconcile runs it, against the emulator: old images leave with their
 * copies and snapshots, the newest stays, and an image an instance still uses is never deregistered.
 */

const { rules } = loadRulesFile(join(import.meta.dirname, '../fixtures/rules/retire.yaml'));
const DAY = 24 * 60 * 60 * 1000;
let emulator: Ec2Emulator;
let server: LocalServer;

beforeAll(async () => {
  emulator = createEc2Emulator({ copyDelayMs: 60_000 });
  server = await startLocalServer({ ec2: emulator.service });
});
afterAll(async () => {
  emulator.close();
  await server.close();
});

/** One scheduled run of `region` with the retire.yaml rules against the shared emulator. */
function run(region: string, now: Date, events: EventPublisher = { publish: async () => {} }) {
  return reconcileRegion(
    {
      rules,
      accountId: emulator.accountId,
      ec2: emulatorEc2(server.endpoint),
      logger: quietLogger,
      events,
      now: () => now,
    },
    { region, dryRun: false, maxCopiesInFlight: 20, concurrency: 4 },
  );
}

it('deregisters superseded images and their copies, keeps the newest and anything in use, and announces each deletion', async () => {
  const now = Date.now();
  const seed = (name: string, ageDays: number) => {
    const source = emulator.seedImage({
      region: 'us-east-1',
      name,
      emitEvent: false,
      creationDate: new Date(now - ageDays * DAY),
      tags: { 'ami-lifecycle:rule': 'golden' },
    });
    const copy = emulator.seedImage({
      region: 'eu-west-1',
      name,
      emitEvent: false,
      creationDate: new Date(now - ageDays * DAY),
      sourceImageId: source.imageId,
      sourceImageRegion: 'us-east-1',
      tags: {
        'ami-lifecycle:rule': 'golden',
        'ami-lifecycle:source-image-id': source.imageId,
        'ami-lifecycle:source-region': 'us-east-1',
      },
    });
    return { source, copy };
  };
  const oldest = seed('golden-1', 100);
  const inUse = seed('golden-2', 60);
  const newest = seed('golden-3', 1);
  const unmanaged = emulator.seedImage({
    region: 'us-east-1',
    name: 'handmade-1',
    emitEvent: false,
    creationDate: new Date(now - 400 * DAY),
  });
  emulator.seedInstance({ region: 'us-east-1', imageId: inUse.source.imageId });

  const published: { detailType: string; detail: Record<string, unknown> }[] = [];
  const events: EventPublisher = {
    publish: async (entries) => {
      published.push(...entries);
    },
  };
  const runBoth = () =>
    Promise.all(['us-east-1', 'eu-west-1'].map((region) => run(region, new Date(now), events)));
  const reports = await runBoth();

  const state = (region: string, imageId: string) => emulator.getImage(region, imageId)?.state ?? 'gone';
  expect(state('us-east-1', oldest.source.imageId)).toBe('deregistered');
  expect(state('eu-west-1', oldest.copy.imageId)).toBe('deregistered');
  for (const snapshotId of oldest.source.snapshotIds)
    expect(emulator.getSnapshot('us-east-1', snapshotId)).toBeUndefined();
  // Referenced by a running instance: refused, whatever its age.
  expect(state('us-east-1', inUse.source.imageId)).toBe('available');
  expect(reports[0]?.retirement?.refused.map((r) => r.imageId)).toContain(inUse.source.imageId);
  expect(state('us-east-1', newest.source.imageId)).toBe('available');
  expect(state('eu-west-1', newest.copy.imageId)).toBe('available');
  expect(emulator.getImage('us-east-1', newest.source.imageId)?.deprecationTime).toBeUndefined();
  // Superseded and kept (in use) images are deprecated at once (deprecateAfterDays: 0 is long past).
  expect(emulator.getImage('us-east-1', inUse.source.imageId)?.deprecationTime).toBeDefined();
  expect(state('us-east-1', unmanaged.imageId)).toBe('available');

  const retired = published.filter((e) => e.detailType === 'AMI Deregistered').map((e) => e.detail.imageId);
  expect(retired.sort()).toEqual([oldest.source.imageId, oldest.copy.imageId, inUse.copy.imageId].sort());

  // Converged: the next run plans nothing, and the snapshots the deletions took are not looked for again.
  const again = await runBoth();
  expect(again.map((r) => r.planned)).toEqual([{}, {}]);
});

it('a snapshot whose deletion failed is swept by the next run once its image is gone', async () => {
  const now = Date.now();
  const source = emulator.seedImage({
    region: 'us-east-1',
    name: 'golden-sweep',
    emitEvent: false,
    creationDate: new Date(now - 200 * DAY),
    tags: { 'ami-lifecycle:rule': 'golden' },
  });
  emulator.seedImage({
    region: 'us-east-1',
    name: 'golden-sweep-newer',
    emitEvent: false,
    creationDate: new Date(now - 2 * DAY),
    tags: { 'ami-lifecycle:rule': 'golden' },
  });
  await run('us-east-1', new Date(now));
  expect(emulator.getImage('us-east-1', source.imageId)?.state ?? 'gone').not.toBe('available');
  // What a deletion that failed leaves behind: a snapshot the tool marked retired with the image.
  const left = emulator.seedSnapshot({
    region: 'us-east-1',
    tags: { 'ami-lifecycle:rule': 'golden', 'ami-lifecycle:retired': source.imageId },
  });
  expect(emulator.getSnapshot('us-east-1', left)).toBeDefined();
  const swept = await run('us-east-1', new Date(now));
  expect(swept.failures).toEqual([]);
  expect(swept.planned['delete-snapshot']).toBe(1);
  expect(emulator.getSnapshot('us-east-1', left)).toBeUndefined();
});

it('retires nothing for a rule when one of its source regions cannot be read', async () => {
  const { parseRules } = await import('../../shared/rules/load.js');
  const { rules: twoRegions } = parseRules(`
version: 1
rules:
  - name: golden
    match: { regions: [us-east-1, ap-southeast-2], names: ['golden-*'] }
    copy: { regions: [eu-west-1], name: '{name}-{sourceRegion}' }
    retire: { keep: 1, deregisterAfterDays: 30, apply: true }
`);
  const partial = createEc2Emulator({ copyDelayMs: 60_000, disabledRegions: ['ap-southeast-2'] });
  const partialServer = await startLocalServer({ ec2: partial.service });
  try {
    const now = Date.now();
    const copies: string[] = [];
    for (const [region, name, ageDays] of [
      ['us-east-1', 'golden-old', 100],
      ['us-east-1', 'golden-new', 1],
      ['ap-southeast-2', 'golden-apse', 100],
    ] as const) {
      const source = partial.seedImage({
        region,
        name,
        emitEvent: false,
        creationDate: new Date(now - ageDays * DAY),
        tags: { 'ami-lifecycle:rule': 'golden' },
      });
      copies.push(
        partial.seedImage({
          region: 'eu-west-1',
          name,
          emitEvent: false,
          creationDate: new Date(now - ageDays * DAY),
          sourceImageId: source.imageId,
          sourceImageRegion: region,
          tags: {
            'ami-lifecycle:rule': 'golden',
            'ami-lifecycle:source-image-id': source.imageId,
            'ami-lifecycle:source-region': region,
          },
        }).imageId,
      );
    }
    const report = await reconcileRegion(
      {
        rules: twoRegions,
        accountId: partial.accountId,
        ec2: emulatorEc2(partialServer.endpoint),
        logger: quietLogger,
        events: { publish: async () => {} },
        now: () => new Date(now),
      },
      { region: 'eu-west-1', dryRun: false, maxCopiesInFlight: 20, concurrency: 4 },
    );
    expect(report.notes.join('\n')).toContain('sources in ap-southeast-2 not read');
    expect(report.retirement?.applied.deregister).toBe(0);
    for (const imageId of copies) expect(partial.getImage('eu-west-1', imageId)?.state).toBe('available');
  } finally {
    partial.close();
    await partialServer.close();
  }
});
