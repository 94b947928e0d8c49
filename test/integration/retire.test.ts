import { createEc2Emulator, type Ec2Emulator } from '@ami-lifecycle/emulator/ec2/index.js';
import { createEventBridgeService } from '@ami-lifecycle/emulator/eventbridge/api.js';
import { createLocalEventBus, type LocalEventBus } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import type { EmulatedService } from '@ami-lifecycle/emulator/http.js';
import { type LocalServer, startLocalServer } from '@ami-lifecycle/emulator/server.js';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createEventPublisher } from '../../shared/aws/events.js';
import { LINEAGE } from '../../shared/core/model.js';
import { DetailType } from '../../shared/core/notifications.js';
import type { Ec2ForRegion, Ec2Port, LoggerPort } from '../../shared/core/ports.js';
import { reconcileRegion } from '../../shared/core/reconcile.js';
import { type Rule, RuleSchema } from '../../shared/rules/schema.js';
import { expectValidToolEvents } from '../support/tool-events.js';
import { callCount } from './helpers.js';

/**
 * Retirement end to end, locally: the scheduled run of a region (`reconcileRegion`) with the real
 * EC2 port through the SDK over HTTP against the EC2 emulator, and the real publisher putting
 * `AMI Deregistered` on the local bus. Run twice: with DescribeImageReferences,
 * and with the emulator answering it `InvalidAction` so the fallback scan is what protects.
 */

const NOW = new Date('2026-12-01T12:00:30.000Z');
const DAY = 86_400_000;
const SOURCE = 'us-east-1';
const TARGET = 'eu-west-1';
const BUS = 'ami-lifecycle-test';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const RULE = RuleSchema.parse({
  name: 'golden',
  match: { regions: [SOURCE], names: ['golden-*'] },
  copy: { regions: [TARGET] },
  retire: { keep: 1, deprecateAfterDays: 7, deregisterAfterDays: 30, apply: true },
});

const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const ruleTag = { [LINEAGE.rule]: 'golden' };

/** The EC2 service, optionally without DescribeImageReferences (as in a region that lacks it). */
function ec2Service(emulator: Ec2Emulator, withReferencesApi: boolean): EmulatedService {
  return async (request) => {
    if (!withReferencesApi && /(^|&)Action=DescribeImageReferences(&|$)/.test(request.body)) {
      return {
        status: 400,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body:
          '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidAction</Code>' +
          '<Message>The action DescribeImageReferences is not valid for this web service.</Message>' +
          '</Error></Errors><RequestID>r-1</RequestID></Response>',
      };
    }
    return emulator.service(request);
  };
}

const quiet: LoggerPort = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe.each([
  { api: 'DescribeImageReferences', withReferencesApi: true },
  { api: 'the fallback scan (DescribeInstances, DescribeLaunchTemplateVersions)', withReferencesApi: false },
])('retirement against the emulator, references found by $api', ({ withReferencesApi }) => {
  let emulator: Ec2Emulator;
  let bus: LocalEventBus;
  let server: LocalServer;
  const clients: Array<{ destroy(): void }> = [];
  /** The time of the emulator and of the runs: NOW unless a test moves it on. */
  let clock = NOW;

  beforeEach(async () => {
    clock = NOW;
    emulator = createEc2Emulator({ throttle: false, copyDelayMs: 3_600_000, now: () => clock });
    bus = createLocalEventBus({
      rules: [],
      customBusName: BUS,
      region: SOURCE,
      invoke: async () => undefined,
    });
    server = await startLocalServer({
      ec2: ec2Service(emulator, withReferencesApi),
      eventbridge: createEventBridgeService({ bus }),
    });
  });

  afterEach(async () => {
    // Every event the run published matches its published schema.
    expectValidToolEvents(bus.events().map((r) => r.event));
    for (const client of clients.splice(0)) client.destroy();
    emulator.close();
    await server.close();
  });

  function ec2Client(region: string): EC2Client {
    const client = new EC2Client({
      region,
      endpoint: server.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  }

  /**
   * A scheduled run of one region (observe, plan, apply, report) with this rule alone, fresh
   * clients each time, announcing on the local bus; its retirement summary and diff.
   */
  async function retire(region: string, rule: Rule = RULE) {
    const ports = new Map<string, Ec2Port>();
    const ec2: Ec2ForRegion = (where) => {
      let port = ports.get(where);
      if (port === undefined) {
        port = createEc2Port(ec2Client(where), where);
        ports.set(where, port);
      }
      return port;
    };
    const events = new EventBridgeClient({ region, endpoint: server.endpoint, credentials: CREDENTIALS });
    clients.push(events);
    const report = await reconcileRegion(
      {
        rules: [rule],
        accountId: emulator.accountId,
        ec2,
        logger: quiet,
        events: createEventPublisher({ clientFor: () => events, busName: BUS, region }),
        now: () => clock,
      },
      { region, dryRun: false, maxCopiesInFlight: 20, concurrency: 4 },
    );
    return { ...report.retirement, failures: report.failures, lines: report.diff };
  }

  it('deregisters the unreferenced superseded images with their snapshots and announces them; the rest survives', async () => {
    const seed = (
      name: string,
      days: number,
      extra: Parameters<Ec2Emulator['seedImage']>[0] extends infer T ? Partial<T> : never = {},
    ) =>
      emulator.seedImage({
        region: SOURCE,
        name,
        creationDate: ago(days),
        tags: ruleTag,
        emitEvent: false,
        ...extra,
      });

    const newest = seed('golden-9', 1);
    const young = seed('golden-8', 3);
    const free = seed('golden-1', 40, { blockDeviceMappings: [{}, { volumeSize: 20 }] });
    const pinned = seed('golden-2', 60);
    const running = seed('golden-3', 50);
    const protectedImage = seed('golden-4', 70, { deregistrationProtection: { enabled: true } });
    const untagged = seed('golden-5', 100, { tags: {} });
    const sharing = seed('golden-6', 45);
    // Another (unmanaged) image built on the same snapshot: that snapshot must survive.
    const other = seed('other-image', 45, {
      tags: {},
      blockDeviceMappings: [{ snapshotId: sharing.snapshotIds[0] }],
    });

    // Version 1 of a 12-version template pins `pinned` (an Auto Scaling group can use any version);
    // $Latest and $Default name the newest image. DescribeImageReferences looks 10 versions deep by default.
    emulator.seedLaunchTemplate({
      region: SOURCE,
      name: 'web',
      versions: [
        { imageId: pinned.imageId },
        ...Array.from({ length: 11 }, () => ({ imageId: newest.imageId })),
      ],
      defaultVersion: 12,
    });
    emulator.seedInstance({ region: SOURCE, imageId: running.imageId, state: 'stopped' });
    // A terminated instance does not keep an image alive.
    emulator.seedInstance({ region: SOURCE, imageId: free.imageId, state: 'terminated' });

    const report = await retire(SOURCE);

    // Deregistered, with every snapshot gone, and announced.
    expect(emulator.getImage(SOURCE, free.imageId)?.state).toBe('deregistered');
    for (const snapshotId of free.snapshotIds)
      expect(emulator.getSnapshot(SOURCE, snapshotId)).toBeUndefined();
    // Deregistered; its snapshot is another image's too, so it stays, reported as in use.
    expect(emulator.getImage(SOURCE, sharing.imageId)?.state).toBe('deregistered');
    expect(emulator.getSnapshot(SOURCE, sharing.snapshotIds[0] ?? '')).toBeDefined();
    expect(report.retired.find((r) => r.imageId === sharing.imageId)?.snapshots).toEqual([
      {
        snapshotId: sharing.snapshotIds[0],
        outcome: 'in-use',
        detail: expect.stringContaining('InvalidSnapshot.InUse'),
      },
    ]);

    // Survivors: referenced (pinned template version, stopped instance), protected, untagged, kept, unmanaged.
    for (const survivor of [pinned, running, protectedImage, untagged, newest, young, other]) {
      expect(emulator.getImage(SOURCE, survivor.imageId)?.state, survivor.imageId).toBe('available');
      for (const snapshotId of survivor.snapshotIds)
        expect(emulator.getSnapshot(SOURCE, snapshotId)).toBeDefined();
    }
    expect(report.refused).toEqual(
      expect.arrayContaining([
        { imageId: pinned.imageId, reason: expect.stringMatching(/^referenced by launch-template lt-/) },
        { imageId: running.imageId, reason: expect.stringMatching(/^referenced by instance i-/) },
        {
          imageId: protectedImage.imageId,
          reason: expect.stringMatching(/^deregistration protection is enabled/),
        },
      ]),
    );
    expect(report.lines.join('\n')).toContain(`${untagged.imageId} not retired: no ami-lifecycle:rule tag`);

    // Deprecated, relative to creation: young at creation + 7 days; the referenced ones now.
    expect(emulator.getImage(SOURCE, young.imageId)?.deprecationTime).toBe('2026-12-05T12:01:00.000Z');
    expect(emulator.getImage(SOURCE, pinned.imageId)?.deprecationTime).toBe('2026-12-01T12:01:00.000Z');
    expect(emulator.getImage(SOURCE, newest.imageId)?.deprecationTime).toBeUndefined();

    const announced = bus.events().filter((r) => r.event['detail-type'] === DetailType.Deregistered);
    expect(announced.map((r) => r.bus)).toEqual([BUS, BUS]);
    expect(announced.map((r) => r.event.detail)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          imageId: free.imageId,
          region: SOURCE,
          rule: 'golden',
          role: 'source',
          snapshotsDeleted: free.snapshotIds,
          snapshotsNotDeleted: [],
        }),
        expect.objectContaining({ imageId: sharing.imageId, snapshotsDeleted: [] }),
      ]),
    );
    expect(report.failures).toEqual([]);
    expect(report.applied).toEqual({ deprecate: report.planned.deprecate, disable: 0, deregister: 2 });

    // The first run tagged the untagged one as the rule's source (it matches the rule): from now on
    // the tool manages it, and the second run retires it. A third run changes nothing.
    const again = await retire(SOURCE);
    expect(again.retired.map((r) => r.imageId)).toEqual([untagged.imageId]);
    const third = await retire(SOURCE);
    expect(third.planned).toEqual({ deprecate: 0, disable: 0, deregister: 0 });
  });

  it('copies follow their source in their own region, orphans go by their own age, referenced copies survive', async () => {
    const newest = emulator.seedImage({
      region: SOURCE,
      name: 'golden-9',
      creationDate: ago(1),
      tags: ruleTag,
      emitEvent: false,
    });
    const old = emulator.seedImage({
      region: SOURCE,
      name: 'golden-1',
      creationDate: ago(40),
      tags: ruleTag,
      emitEvent: false,
    });
    const copy = (sourceImageId: string, days: number) =>
      emulator.seedImage({
        region: TARGET,
        name: `copy-of-${sourceImageId}`,
        creationDate: ago(days),
        sourceImageId,
        sourceImageRegion: SOURCE,
        tags: { ...ruleTag, [LINEAGE.sourceImageId]: sourceImageId, [LINEAGE.sourceRegion]: SOURCE },
        emitEvent: false,
      });
    const oldCopy = copy(old.imageId, 2);
    const newestCopy = copy(newest.imageId, 1);
    const orphan = copy('ami-0dead00000000000d', 35);
    const youngOrphan = copy('ami-0dead00000000000e', 5);
    const usedOrphan = copy('ami-0dead00000000000f', 90);
    // Its source still exists but no longer matches the rule (renamed out of golden-*): the
    // listing does not show it, the lookup by id does, so the copy is not an orphan to delete.
    const stray = emulator.seedImage({
      region: SOURCE,
      name: 'legacy-1',
      creationDate: ago(90),
      tags: ruleTag,
      emitEvent: false,
    });
    const strayCopy = copy(stray.imageId, 60);
    emulator.seedInstance({ region: TARGET, imageId: usedOrphan.imageId });

    const report = await retire(TARGET);

    expect(emulator.getImage(TARGET, oldCopy.imageId)?.state).toBe('deregistered');
    expect(emulator.getImage(TARGET, orphan.imageId)?.state).toBe('deregistered');
    for (const snapshotId of [...oldCopy.snapshotIds, ...orphan.snapshotIds]) {
      expect(emulator.getSnapshot(TARGET, snapshotId)).toBeUndefined();
    }
    expect(emulator.getImage(TARGET, newestCopy.imageId)?.state).toBe('available');
    expect(emulator.getImage(TARGET, usedOrphan.imageId)?.state).toBe('available');
    expect(emulator.getImage(TARGET, strayCopy.imageId)?.state).toBe('available');
    expect(report.refused).toContainEqual({
      imageId: strayCopy.imageId,
      reason: `its source ${stray.imageId} (${SOURCE}) was not confirmed gone`,
    });
    expect(emulator.getImage(TARGET, youngOrphan.imageId)).toMatchObject({
      state: 'available',
      deprecationTime: '2026-12-01T12:01:00.000Z',
    });
    // The source region is not touched by a run of the target region.
    expect(emulator.getImage(SOURCE, old.imageId)?.state).toBe('available');

    const announced = bus.events().filter((r) => r.event['detail-type'] === DetailType.Deregistered);
    expect(announced.map((r) => r.event.detail)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          imageId: oldCopy.imageId,
          role: 'copy',
          sourceImageId: old.imageId,
          region: TARGET,
        }),
        expect.objectContaining({
          imageId: orphan.imageId,
          role: 'copy',
          reason: expect.stringMatching(/^orphan copy/),
        }),
      ]),
    );
    expect(announced).toHaveLength(2);
    expect(report.failures).toEqual([]);
  });

  it('an image launched recently, by an instance terminated since, is held back by its lastLaunchedTime', async () => {
    const seed = (name: string, days: number, shared: boolean) =>
      emulator.seedImage({
        region: SOURCE,
        name,
        creationDate: ago(days),
        tags: ruleTag,
        emitEvent: false,
        ...(shared ? { launchPermissions: { userIds: ['444455556666'] } } : {}),
      });
    const launched = (imageId: string, days: number) =>
      emulator.seedInstance({ region: SOURCE, imageId, state: 'terminated', launchTime: ago(days) });
    seed('golden-9', 1, false);
    // Shared with another account, where it may run: no reference in this account shows that.
    const shared = seed('golden-1', 40, true);
    const sharedIdle = seed('golden-2', 45, true);
    const unshared = seed('golden-3', 50, false);
    // Each launched an instance that is terminated since: nothing references them any more.
    launched(shared.imageId, 3);
    launched(unshared.imageId, 3);
    launched(sharedIdle.imageId, 40);
    const state = (imageId: string) => emulator.getImage(SOURCE, imageId)?.state;
    const launchReason = (imageId: string, why: string) => ({
      imageId,
      reason:
        `launched 3 days ago (lastLaunchedTime ${ago(3).toISOString()}; ` +
        `launches by accounts it is shared with count too)${why}, plus 1 day for EC2's reporting delay`,
    });

    // retire.notLaunchedForDays 7: every image launched within 8 days is held back, shared or not.
    const strict = RuleSchema.parse({
      ...RULE,
      retire: { ...RULE.retire, notLaunchedForDays: 7 },
    });
    emulator.resetCounters();
    const first = await retire(SOURCE, strict);
    expect(callCount(emulator, ['DescribeImageAttribute'])).toBe(0);
    expect(state(sharedIdle.imageId)).toBe('deregistered');
    expect(state(shared.imageId)).toBe('available');
    expect(state(unshared.imageId)).toBe('available');
    // In listing order, which follows the (random) image ids.
    expect(first.refused).toHaveLength(2);
    expect(first.refused).toEqual(
      expect.arrayContaining([
        launchReason(shared.imageId, ': retire.notLaunchedForDays is 7'),
        launchReason(unshared.imageId, ': retire.notLaunchedForDays is 7'),
      ]),
    );

    // Without the setting: 30 days for the shared image; the unshared one goes (only this account
    // can launch it, and nothing here uses it). Launch permissions are read for those two only.
    emulator.resetCounters();
    const second = await retire(SOURCE);
    expect(callCount(emulator, ['DescribeImageAttribute'])).toBe(2);
    expect(state(shared.imageId)).toBe('available');
    for (const snapshotId of shared.snapshotIds)
      expect(emulator.getSnapshot(SOURCE, snapshotId)).toBeDefined();
    expect(state(unshared.imageId)).toBe('deregistered');
    expect(second.refused).toEqual([
      launchReason(
        shared.imageId,
        ' and it is shared with 1 account: a shared image is deregistered only once not launched for 30 days (the default without retire.notLaunchedForDays)',
      ),
    ]);
    expect(second.failures).toEqual([]);
  });

  it('disables a superseded image on schedule, still sees it disabled, and deregisters it later', async () => {
    const staged = RuleSchema.parse({
      ...RULE,
      copy: undefined,
      retire: { keep: 1, deprecateAfterDays: 7, disableAfterDays: 14, deregisterAfterDays: 30, apply: true },
    });
    const seed = (name: string, days: number) =>
      emulator.seedImage({ region: SOURCE, name, creationDate: ago(days), tags: ruleTag, emitEvent: false });
    const newest = seed('golden-2', 1);
    const old = seed('golden-1', 20);
    const image = (id: string) => emulator.getImage(SOURCE, id);

    // Day 20 of the old image: deprecated, then disabled (it loses its launch permissions), announced.
    const first = await retire(SOURCE, staged);
    expect(first.failures).toEqual([]);
    expect(first.applied).toEqual({ deprecate: 1, disable: 1, deregister: 0 });
    expect(image(old.imageId)?.state).toBe('disabled');
    expect(image(old.imageId)?.deprecationTime).toBeDefined();
    expect(image(newest.imageId)?.state).toBe('available');
    const disabled = bus.events().filter((r) => r.event['detail-type'] === DetailType.Disabled);
    expect(disabled.map((r) => r.event.detail)).toEqual([
      expect.objectContaining({ imageId: old.imageId, region: SOURCE, role: 'source', rule: 'golden' }),
    ]);

    // A day later: DescribeImages leaves disabled images out unless asked; the run asks, so the
    // image is still known as the rule's, and nothing is due.
    clock = new Date(NOW.getTime() + DAY);
    const second = await retire(SOURCE, staged);
    expect(second.planned).toEqual({ deprecate: 0, disable: 0, deregister: 0 });
    expect(second.failures).toEqual([]);

    // Day 31: deregistered with its snapshots, disabled as it is.
    clock = new Date(NOW.getTime() + 11 * DAY);
    const third = await retire(SOURCE, staged);
    expect(third.failures).toEqual([]);
    expect(third.applied).toEqual({ deprecate: 0, disable: 0, deregister: 1 });
    expect(image(old.imageId)?.state).toBe('deregistered');
    for (const snapshotId of old.snapshotIds)
      expect(emulator.getSnapshot(SOURCE, snapshotId)).toBeUndefined();
    expect(image(newest.imageId)?.state).toBe('available');
  });

  it('without retire.apply, disabling is a dry run: "would disable", nothing changed', async () => {
    const dry = RuleSchema.parse({ ...RULE, copy: undefined, retire: { keep: 1, disableAfterDays: 14 } });
    emulator.seedImage({
      region: SOURCE,
      name: 'golden-2',
      creationDate: ago(1),
      tags: ruleTag,
      emitEvent: false,
    });
    const old = emulator.seedImage({
      region: SOURCE,
      name: 'golden-1',
      creationDate: ago(20),
      tags: ruleTag,
      emitEvent: false,
    });
    const report = await retire(SOURCE, dry);
    expect(report.wouldDisable.map((w) => w.imageId)).toEqual([old.imageId]);
    expect(report.applied).toEqual({ deprecate: 0, disable: 0, deregister: 0 });
    expect(emulator.getImage(SOURCE, old.imageId)?.state).toBe('available');
    expect(report.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^! ${SOURCE} ${old.imageId} would disable, but retire.apply is not true`),
      ),
    );
    expect(report.lines.filter((l) => l.includes(' disable '))).toEqual([]);
  });
});
