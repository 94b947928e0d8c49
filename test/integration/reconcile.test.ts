import { join } from 'node:path';
import {
  createEc2Emulator,
  type Ec2Emulator,
  type SeedImageInput,
} from '@ami-lifecycle/emulator/ec2/index.js';
import { type LocalServer, startLocalServer } from '@ami-lifecycle/emulator/server.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ToolEvent } from '../../shared/core/notifications.js';
import type { Ec2ForRegion } from '../../shared/core/ports.js';
import { type ReconcileReport, reconcileRegion } from '../../shared/core/reconcile.js';
import { loadRulesFile } from '../../shared/rules/load.js';
import { callCount, emulatorEc2, expectDistributed, MUTATING, quietLogger } from './helpers.js';

/**
 * The scheduled reconcile, through the real adapter and SDK against the emulator: from every
 * partial state events can leave behind, runs over all regions converge, and a run after
 * convergence makes no mutating call.
 */

const { rules } = loadRulesFile(join(import.meta.dirname, '../fixtures/rules/integration.yaml'));
const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];
const REGIONS = ['us-east-1', ...TARGETS];
const ACCOUNTS = ['444455556666'];
const ORG = 'arn:aws:organizations::111122223333:organization/o-exampleorg1';
const OU = 'arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456';
const SHARED = { userIds: ACCOUNTS, organizationArns: [ORG], organizationalUnitArns: [OU] };
const EXPECTED = { targets: TARGETS, ...SHARED };

let emulator: Ec2Emulator;
let server: LocalServer;
let ec2: Ec2ForRegion;

beforeAll(async () => {
  // The endpoint forwards to whichever emulator the current test made.
  server = await startLocalServer({ ec2: (request) => emulator.service(request) });
  ec2 = emulatorEc2(server.endpoint);
});
afterAll(async () => {
  emulator?.close();
  await server?.close();
});
beforeEach(() => {
  emulator?.close();
  emulator = createEc2Emulator({ copyDelayMs: 60_000 });
});

/** What every run here is given: the real adapter, a quiet logger, announcements kept for the tests. */
const announced: ToolEvent[] = [];
function deps() {
  return {
    rules,
    accountId: emulator.accountId,
    ec2,
    logger: quietLogger,
    events: { publish: async (events: readonly ToolEvent[]) => void announced.push(...events) },
    now: () => new Date(),
  };
}

async function reconcileAll(dryRun = false): Promise<ReconcileReport[]> {
  return Promise.all(
    REGIONS.map((region) =>
      reconcileRegion(deps(), { region, dryRun, maxCopiesInFlight: 20, concurrency: 4 }),
    ),
  );
}

/** Runs until a run plans nothing (finishing copies between runs, as time would); returns the number of runs that changed something. */
async function converge(maxRuns = 4): Promise<number> {
  for (let run = 1; run <= maxRuns; run++) {
    const reports = await reconcileAll();
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    emulator.completePendingCopies();
    if (reports.every((r) => Object.keys(r.planned).length === 0 && r.deferredCopies === 0)) return run - 1;
  }
  throw new Error(`not converged after ${maxRuns} runs`);
}

/** A source the tool has tagged already (its event was handled): target regions copy it at once. */
const TAGGED = { 'ami-lifecycle:rule': 'golden', owner: 'platform' };

const lineage = (sourceImageId: string) => ({
  'ami-lifecycle:rule': 'golden',
  'ami-lifecycle:source-image-id': sourceImageId,
  'ami-lifecycle:source-region': 'us-east-1',
});

function seedSource(overrides: Partial<SeedImageInput> = {}) {
  return emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-7', emitEvent: false, ...overrides });
}

function seedCopy(region: string, sourceImageId: string, overrides: Partial<SeedImageInput> = {}) {
  return emulator.seedImage({
    region,
    name: 'golden-linux-7',
    emitEvent: false,
    sourceImageId,
    sourceImageRegion: 'us-east-1',
    tags: lineage(sourceImageId),
    launchPermissions: { userIds: ACCOUNTS, organizationArns: [ORG], organizationalUnitArns: [OU] },
    ...overrides,
  });
}

interface StartingState {
  name: string;
  reason: string;
  seed: () => string | Promise<string>;
  /** How many runs may change something before convergence (copies need one run, then their sharing another). */
  runs: number;
  check?: (sourceImageId: string) => void;
}

const states: StartingState[] = [
  {
    name: 'every event missed',
    reason:
      'an untagged, unshared source with no copies: the schedule does all the work the events would have: the source tagged, then copied (so every copy takes its tags at creation), then the copies shared',
    seed: () => seedSource().imageId,
    runs: 3,
  },
  {
    name: 'the source done, no copies',
    reason: 'the source event was handled but every CopyImage failed',
    seed: () =>
      seedSource({
        tags: { 'ami-lifecycle:rule': 'golden', owner: 'platform' },
        launchPermissions: { userIds: ACCOUNTS, organizationArns: [ORG], organizationalUnitArns: [OU] },
      }).imageId,
    runs: 2,
  },
  {
    name: 'one region missing',
    reason: 'two copies exist and are done; only the third region needs a copy',
    seed: () => {
      const { imageId } = seedSource({ tags: TAGGED });
      seedCopy('eu-west-1', imageId);
      seedCopy('us-west-2', imageId);
      return imageId;
    },
    runs: 2,
    check: () => expect(emulator.listImages('eu-west-1')).toHaveLength(1),
  },
  {
    name: 'a failed copy',
    reason:
      'a failed copy is retried under a new token generation; once the new one is available the failed image is deregistered',
    seed: () => {
      const { imageId } = seedSource({ tags: TAGGED });
      seedCopy('ap-southeast-2', imageId, {
        state: 'failed',
        stateReason: { code: 'Client.Error', message: 'boom' },
      });
      return imageId;
    },
    runs: 3,
    check: () =>
      expect(
        emulator
          .listImages('ap-southeast-2')
          .map((i) => i.state)
          .sort(),
      ).toEqual(['available', 'deregistered']),
  },
  {
    name: 'copies made outside the tool',
    reason:
      'copies with no lineage tags and no sharing are recognised by SourceImageId, tagged and shared, not copied again',
    seed: () => {
      const { imageId } = seedSource();
      for (const region of TARGETS) seedCopy(region, imageId, { tags: {}, launchPermissions: {} });
      return imageId;
    },
    runs: 1,
  },
  {
    name: 'drifted tags and a missing permission',
    reason: 'a changed tag on the source and a permission removed from one copy are put back',
    seed: () => {
      const { imageId } = seedSource({ tags: { 'ami-lifecycle:rule': 'golden', owner: 'someone-else' } });
      for (const region of TARGETS) {
        seedCopy(region, imageId, region === 'us-west-2' ? { launchPermissions: { userIds: ACCOUNTS } } : {});
      }
      return imageId;
    },
    runs: 1,
    check: (id) => expect(emulator.getImage('us-east-1', id)?.tags.owner).toBe('platform'),
  },
  {
    name: 'a copy in progress',
    reason: 'a pending copy counts as the copy: it is finished, then shared, never duplicated',
    seed: async () => {
      const { imageId } = seedSource({ tags: TAGGED });
      // A real CopyImage, still pending (the emulator's copies take a minute here), untagged and unshared.
      await ec2('eu-west-1').copyImage({
        name: 'golden-linux-7',
        description: 'started by hand',
        sourceImageId: imageId,
        sourceRegion: 'us-east-1',
        clientToken: 'by-hand',
        encrypted: false,
        copyImageTags: false,
        imageTags: { started: 'by-hand' },
      });
      expect(emulator.listImages('eu-west-1').map((i) => i.state)).toEqual(['pending']);
      return imageId;
    },
    runs: 2,
    check: () => expect(emulator.listImages('eu-west-1')).toHaveLength(1),
  },
];

describe('reconcile converges from every partial state', () => {
  it.each(states)('$name: $reason', async ({ seed, runs, check }) => {
    const sourceImageId = await seed();
    const changed = await converge();
    expect(changed).toBeLessThanOrEqual(runs);
    expectDistributed(emulator, sourceImageId, EXPECTED);
    check?.(sourceImageId);

    // After convergence: a full run reads, and writes nothing.
    emulator.resetCounters();
    const reports = await reconcileAll();
    expect(callCount(emulator, MUTATING)).toBe(0);
    expect(reports.every((r) => r.diff.length === 0 || r.diff.every((l) => l.startsWith('!')))).toBe(true);
  });
});

describe('reconcile', () => {
  it('a copy deregistered by hand is replaced: its spent token is not reused, and what CopyImage answered is checked', async () => {
    const { imageId } = seedSource({ tags: TAGGED });
    await converge();
    const [gone] = emulator.listImages('eu-west-1').filter((i) => i.state === 'available');
    expect(gone).toBeDefined();
    await ec2('eu-west-1').deregister(gone?.imageId ?? '');

    const report = await reconcileRegion(deps(), {
      region: 'eu-west-1',
      dryRun: false,
      maxCopiesInFlight: 20,
      concurrency: 4,
    });
    expect(report.failures).toEqual([]);
    expect(report.applied).toEqual({ copy: 1 });
    const live = emulator
      .listImages('eu-west-1')
      .filter((i) => i.sourceImageId === imageId && i.state !== 'deregistered');
    expect(live.map((i) => i.state)).toEqual(['pending']);
    expect(live[0]?.imageId).not.toBe(gone?.imageId);
    emulator.completePendingCopies();
    await converge();
    expectDistributed(emulator, imageId, EXPECTED);
  });

  it('a public source under a rule without allowPublic: its public permission is removed', async () => {
    const { imageId } = seedSource({ tags: TAGGED, public: true });
    await converge();
    expect(emulator.getImage('us-east-1', imageId)?.launchPermissions.public).toBe(false);
    expectDistributed(emulator, imageId, EXPECTED);
  });

  it('forged lineage tags on a private image: it is never shared, tagged or deregistered as a copy', async () => {
    const { imageId: sourceId } = seedSource({ tags: TAGGED });
    // Anyone who may tag an image can write the three lineage tags; EC2 records no source for it.
    const forged = emulator.seedImage({
      region: 'eu-west-1',
      name: 'private-build',
      emitEvent: false,
      tags: lineage(sourceId),
    });
    await converge();
    const after = emulator.getImage('eu-west-1', forged.imageId);
    expect(after?.state).toBe('available');
    expect(after?.launchPermissions.userIds).toEqual([]);
    expect(after?.tags).toEqual(lineage(sourceId));
    // The real copy was still made: the forged image does not stand in for it.
    expectDistributed(emulator, sourceId, EXPECTED);
    const [report] = await Promise.all([
      reconcileRegion(deps(), { region: 'eu-west-1', dryRun: true, maxCopiesInFlight: 20, concurrency: 4 }),
    ]);
    expect(report.notes.join('\n')).toContain(
      `${forged.imageId}: left alone: its lineage tags say it is a copy of ${sourceId}`,
    );
  });

  it('dry run plans and changes nothing', async () => {
    seedSource({ tags: TAGGED });
    const reports = await reconcileAll(true);
    expect(reports.find((r) => r.region === 'eu-west-1')?.planned).toEqual({ copy: 1 });
    expect(callCount(emulator, MUTATING)).toBe(0);
    expect(emulator.listImages('eu-west-1')).toEqual([]);
  });

  it('never has more copies in flight in a region than the cap; the rest wait for the next run', async () => {
    for (let i = 0; i < 7; i++) seedSource({ name: `golden-linux-${i}`, tags: TAGGED });
    seedCopy('eu-west-1', 'ami-0000000000000dead', { name: 'other-in-flight', state: 'pending', tags: {} });
    const report = await reconcileRegion(deps(), {
      region: 'eu-west-1',
      dryRun: false,
      maxCopiesInFlight: 5,
      concurrency: 4,
    });
    expect(report.copiesInFlight).toBe(1);
    expect(report.applied).toEqual({ copy: 4 });
    expect(report.deferredCopies).toBe(3);
    expect(emulator.listImages('eu-west-1').filter((i) => i.state === 'pending')).toHaveLength(5);
  });

  it('stops starting work when told to, and the next run carries on', async () => {
    for (let i = 0; i < 6; i++) seedSource({ name: `golden-linux-${i}`, tags: TAGGED });
    let budget = 2;
    const report = await reconcileRegion(deps(), {
      region: 'eu-west-1',
      dryRun: false,
      maxCopiesInFlight: 20,
      concurrency: 1,
      shouldStop: () => budget-- <= 0,
    });
    expect(report.stoppedEarly).toBe(true);
    expect(report.skipped).toBeGreaterThan(0);
    const next = await reconcileRegion(deps(), {
      region: 'eu-west-1',
      dryRun: false,
      maxCopiesInFlight: 20,
      concurrency: 4,
    });
    expect(next.failures).toEqual([]);
    expect(emulator.listImages('eu-west-1')).toHaveLength(6);
  });

  it('a region that is not enabled fails alone', async () => {
    emulator.close();
    emulator = createEc2Emulator({ copyDelayMs: 60_000, disabledRegions: ['ap-southeast-2'] });
    seedSource({ tags: TAGGED });
    const results = await Promise.allSettled(
      REGIONS.map((region) =>
        reconcileRegion(deps(), { region, dryRun: false, maxCopiesInFlight: 20, concurrency: 4 }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(emulator.listImages('eu-west-1')).toHaveLength(1);
    expect(emulator.listImages('us-west-2')).toHaveLength(1);
  });
});
