import { describe, expect, it } from 'vitest';
import { RETIRED_TAG } from '../../shared/core/deletion.js';
import { LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import { DetailType, type ToolEvent } from '../../shared/core/notifications.js';
import { reconcileRegion } from '../../shared/core/reconcile.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ACCOUNT, image } from './builders.js';
import {
  awsError,
  type RetirementWorld,
  type RetirementWorldOptions,
  retirementWorld,
  writesOf,
} from './fake-retirement-ec2.js';
import { APPLY, ago, copyOf, NOW, orphan, retireRule, src } from './retire-fixtures.js';

/**
 * Retirement through the whole run of a region (`reconcileRegion`: observe, plan, apply, report)
 * against an object-literal EC2: what the old `retireRegion` did with its own loop, now the one
 * applier's.
 */

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const OLD1_SNAPS = ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'];

interface RunOptions {
  readonly region?: string;
  readonly rules?: readonly Rule[];
  readonly dryRun?: boolean;
  readonly concurrency?: number;
  readonly shouldStop?: () => boolean;
}

async function reconcile(world: RetirementWorld, options: RunOptions = {}) {
  const published: ToolEvent[] = [];
  const report = await reconcileRegion(
    {
      rules: options.rules ?? [APPLY],
      accountId: ACCOUNT,
      ec2: world.ec2,
      logger: quiet,
      events: {
        publish: async (events) => {
          published.push(...events);
        },
      },
      now: () => NOW,
    },
    {
      region: options.region ?? 'us-east-1',
      dryRun: options.dryRun ?? false,
      maxCopiesInFlight: 20,
      concurrency: options.concurrency ?? 1,
      ...(options.shouldStop === undefined ? {} : { shouldStop: options.shouldStop }),
    },
  );
  return { report, published };
}

const deregisteredIds = (published: readonly ToolEvent[]) =>
  published.flatMap((e) => (e.detailType === DetailType.Deregistered ? [e.detail.imageId] : []));
const callsTo = (calls: readonly string[], operation: string) =>
  calls.filter((c) => c.split(' ')[1] === operation);

/**
 * us-east-1, rule APPLY (keep 1, deprecate after 10 days, deregister after 30): `newest` is kept,
 * `young` (5 days) is deprecated, `old1` (40 days, two snapshots) and `old2` (50 days) are
 * deregistered.
 */
function scenario(options: (images: Images) => Omit<RetirementWorldOptions, 'images'> = () => ({})) {
  const images: Images = {
    newest: src(1),
    old1: src(40, { snapshotIds: OLD1_SNAPS }),
    old2: src(50),
    young: src(5),
  };
  const world = retirementWorld({
    images: [images.newest, images.old1, images.old2, images.young],
    ...options(images),
  });
  return { world, ...images };
}

interface Images {
  newest: ObservedImage;
  old1: ObservedImage;
  old2: ObservedImage;
  young: ObservedImage;
}

const intentTag = (img: ObservedImage) =>
  `us-east-1 CreateTags ${[img.imageId, ...img.snapshotIds].join(',')} ${RETIRED_TAG}=${img.imageId}`;

describe('retirement in a reconcile run', () => {
  it('reads references only for pending deregistrations, then deprecates, deregisters and announces', async () => {
    const { world, newest, old1, old2, young } = scenario();
    const { report, published } = await reconcile(world);

    expect(callsTo(world.calls, 'DescribeImageReferences')).toEqual([
      `us-east-1 DescribeImageReferences ${old1.imageId}`,
      `us-east-1 DescribeImageReferences ${old2.imageId}`,
    ]);
    // Everything is read before anything is written.
    const reads = world.calls.filter((c) => writesOf([c]).length === 0);
    expect(world.calls.slice(0, reads.length)).toEqual(reads);
    expect(writesOf(world.calls)).toEqual([
      intentTag(old1),
      intentTag(old2),
      // Created 5 days ago at 12:00:30, deprecated 10 days after creation, rounded up to the minute.
      `us-east-1 EnableImageDeprecation ${young.imageId} 2026-12-06T12:01:00.000Z`,
      `us-east-1 DeregisterImage ${old1.imageId}`,
      `us-east-1 DeregisterImage ${old2.imageId}`,
    ]);
    expect(report.retirement.planned).toEqual({ deprecate: 1, disable: 0, deregister: 2 });
    expect(report.retirement.applied).toEqual({ deprecate: 1, disable: 0, deregister: 2 });
    expect(report.failures).toEqual([]);
    expect(report.retirement.retired).toEqual([
      {
        imageId: old1.imageId,
        rule: 'golden',
        role: 'source',
        sourceImageId: old1.imageId,
        snapshots: OLD1_SNAPS.map((snapshotId) => ({ snapshotId, outcome: 'deleted' })),
      },
      expect.objectContaining({ imageId: old2.imageId }),
    ]);
    expect(published.filter((e) => e.detailType === DetailType.Deprecated)).toEqual([
      {
        detailType: DetailType.Deprecated,
        detail: {
          schemaVersion: 1,
          eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
          rule: 'golden',
          role: 'source',
          sourceImageId: young.imageId,
          sourceRegion: 'us-east-1',
          imageId: young.imageId,
          region: 'us-east-1',
          deprecationTime: '2026-12-06T12:01:00.000Z',
          reason: expect.any(String),
        },
        resources: [`arn:aws:ec2:us-east-1::image/${young.imageId}`],
        busRegion: 'us-east-1',
      },
    ]);
    expect(published.filter((e) => e.detailType === DetailType.Deregistered)).toEqual([
      {
        detailType: DetailType.Deregistered,
        detail: {
          schemaVersion: 1,
          eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
          imageId: old1.imageId,
          region: 'us-east-1',
          rule: 'golden',
          role: 'source',
          sourceImageId: old1.imageId,
          sourceRegion: 'us-east-1',
          snapshotsDeleted: OLD1_SNAPS,
          snapshotsNotDeleted: [],
          reason: expect.stringMatching(/^superseded/),
        },
        resources: [`arn:aws:ec2:us-east-1::image/${old1.imageId}`],
        busRegion: 'us-east-1',
      },
      expect.objectContaining({
        detailType: DetailType.Deregistered,
        detail: expect.objectContaining({ imageId: old2.imageId }),
      }),
    ]);
    expect(report.diff.filter((l) => l.startsWith('-'))).toEqual([
      expect.stringMatching(
        new RegExp(`^- us-east-1 deregister ${old1.imageId} .*snapshots ${OLD1_SNAPS.join(', ')}`),
      ),
      expect.stringMatching(new RegExp(`^- us-east-1 deregister ${old2.imageId} `)),
    ]);
    // What EC2 shows afterwards: the kept and the deprecated image, and no snapshot of the others.
    expect(world.images.map((i) => i.imageId)).toEqual([newest.imageId, young.imageId]);
    expect(world.snapshots.map((s) => s.snapshotId)).toEqual([...newest.snapshotIds, ...young.snapshotIds]);
  });

  it('a second run after a complete one changes nothing', async () => {
    const { world } = scenario();
    await reconcile(world);
    const before = world.calls.length;
    const { report, published } = await reconcile(world);
    expect(writesOf(world.calls.slice(before))).toEqual([]);
    expect(callsTo(world.calls.slice(before), 'DescribeImageReferences')).toEqual([]);
    expect(report.diff).toEqual([]);
    expect(published).toEqual([]);
  });

  it('the intent tag is on the image and its snapshots before DeregisterImage, whatever the concurrency', async () => {
    // CreateTags is slow and recorded when it ends: a DeregisterImage not waiting for it would show first.
    const { world, old1, old2 } = scenario(() => ({ createTagsDelayMs: 15 }));
    await reconcile(world, { concurrency: 8 });
    const writes = writesOf(world.calls);
    for (const img of [old1, old2]) {
      const tagged = writes.indexOf(intentTag(img));
      expect(tagged, `intent tag of ${img.imageId}`).toBeGreaterThanOrEqual(0);
      expect(writes.indexOf(`us-east-1 DeregisterImage ${img.imageId}`)).toBeGreaterThan(tagged);
    }
  });

  it('deletes the snapshots DeregisterImage left, and reports one still in use without failing', async () => {
    const { world, old1 } = scenario(() => ({
      returnCodes: { [OLD1_SNAPS[0] ?? '']: 'skipped', [OLD1_SNAPS[1] ?? '']: 'missing-permissions' },
      errors: { [`DeleteSnapshot ${OLD1_SNAPS[0]}`]: awsError('InvalidSnapshot.InUse', 'DeleteSnapshot') },
    }));
    const { report, published } = await reconcile(world);
    // Only the two DeregisterImage left: the others' snapshots went with their images.
    expect(callsTo(world.calls, 'DeleteSnapshot')).toEqual(
      OLD1_SNAPS.map((s) => `us-east-1 DeleteSnapshot ${s}`),
    );
    expect(report.failures).toEqual([]);
    expect(report.retirement.retired.find((r) => r.imageId === old1.imageId)?.snapshots).toEqual([
      { snapshotId: OLD1_SNAPS[0], outcome: 'in-use', detail: expect.stringContaining('InUse') },
      { snapshotId: OLD1_SNAPS[1], outcome: 'deleted' },
    ]);
    expect(
      published.find((e) => e.detailType === DetailType.Deregistered && e.detail.imageId === old1.imageId)
        ?.detail,
    ).toMatchObject({
      snapshotsDeleted: [OLD1_SNAPS[1]],
      snapshotsNotDeleted: [{ snapshotId: OLD1_SNAPS[0], outcome: 'in-use' }],
    });
  });

  it('a failure on one image does not stop the others, and is reported with its code', async () => {
    const { world, old1, old2 } = scenario(({ old1 }) => ({
      errors: { [`DeregisterImage ${old1.imageId}`]: awsError('UnauthorizedOperation', 'DeregisterImage') },
    }));
    const { report, published } = await reconcile(world);
    expect(callsTo(world.calls, 'DeregisterImage')).toContain(`us-east-1 DeregisterImage ${old2.imageId}`);
    expect(report.retirement.applied).toEqual({ deprecate: 1, disable: 0, deregister: 1 });
    expect(report.retirement.retired.map((r) => r.imageId)).toEqual([old2.imageId]);
    expect(report.failures).toEqual([
      {
        action: expect.stringContaining(`deregister ${old1.imageId}`),
        operation: 'DeregisterImage',
        code: 'UnauthorizedOperation',
        message: expect.stringContaining('UnauthorizedOperation'),
        retryable: false,
      },
    ]);
    // Nothing deleted, nothing announced for the image that was not deregistered.
    expect(callsTo(world.calls, 'DeleteSnapshot')).toEqual([]);
    expect(deregisteredIds(published)).toEqual([old2.imageId]);
  });

  it('a lost DeregisterImage answer, the image gone: applied, snapshots deleted, AMI Deregistered published', async () => {
    // EC2 deregistered old1 but not its snapshots, and the answer was lost.
    const { world, old1 } = scenario(({ old1 }) => ({
      returnCodes: Object.fromEntries(OLD1_SNAPS.map((s) => [s, 'internal-error'])),
      lostAnswers: [`DeregisterImage ${old1.imageId}`],
    }));
    const { report, published } = await reconcile(world);
    expect(report.failures).toEqual([]);
    expect(report.retirement.applied).toEqual({ deprecate: 1, disable: 0, deregister: 2 });
    // Read back: gone. What it did with the snapshots is unknown, so each is deleted.
    expect(world.calls).toContain(`us-east-1 DescribeImages ${old1.imageId}`);
    expect(callsTo(world.calls, 'DeleteSnapshot')).toEqual(
      OLD1_SNAPS.map((s) => `us-east-1 DeleteSnapshot ${s}`),
    );
    expect(
      published.find((e) => e.detailType === DetailType.Deregistered && e.detail.imageId === old1.imageId)
        ?.detail,
    ).toMatchObject({ snapshotsDeleted: OLD1_SNAPS, snapshotsNotDeleted: [] });
    expect(world.snapshots.map((s) => s.snapshotId)).not.toContain(OLD1_SNAPS[0]);
  });

  it('a lost DeregisterImage answer, the image still there: a failure, nothing deleted, nothing announced', async () => {
    const { world, old1, old2 } = scenario(({ old1 }) => ({
      errors: { [`DeregisterImage ${old1.imageId}`]: awsError('RequestLimitExceeded', 'DeregisterImage') },
    }));
    const { report, published } = await reconcile(world);
    expect(world.calls).toContain(`us-east-1 DescribeImages ${old1.imageId}`);
    expect(report.failures).toMatchObject([{ operation: 'DeregisterImage', retryable: true }]);
    expect(report.retirement.retired.map((r) => r.imageId)).toEqual([old2.imageId]);
    expect(callsTo(world.calls, 'DeleteSnapshot')).toEqual([]);
    expect(deregisteredIds(published)).toEqual([old2.imageId]);
    expect(world.images.map((i) => i.imageId)).toContain(old1.imageId);
  });

  it('a referenced image survives, with the reference reported; a failed lookup refuses as well', async () => {
    const { world, old1, old2 } = scenario(({ old1, old2 }) => ({
      references: { [old1.imageId]: ['instance i-0123456789abcdef0'] },
      errors: {
        [`DescribeImageReferences ${old2.imageId}`]: awsError(
          'RequestLimitExceeded',
          'DescribeImageReferences',
        ),
      },
    }));
    const { report } = await reconcile(world);
    expect(callsTo(world.calls, 'DeregisterImage')).toEqual([]);
    // No intent tag either: the tool has not decided to delete them.
    expect(callsTo(world.calls, 'CreateTags')).toEqual([]);
    expect(report.retirement.refused).toEqual([
      { imageId: old1.imageId, reason: 'referenced by instance i-0123456789abcdef0' },
      { imageId: old2.imageId, reason: 'its references were not checked' },
    ]);
    expect(report.failures).toMatchObject([
      { operation: 'DescribeImageReferences', code: 'RequestLimitExceeded', retryable: true },
    ]);
    // Both are still deprecated: that is reversible and independent of references.
    expect(report.retirement.applied).toEqual({ deprecate: 3, disable: 0, deregister: 0 });
  });

  it('dry run: observes and plans, changes nothing, announces nothing', async () => {
    const { world } = scenario();
    const { report, published } = await reconcile(world, { dryRun: true });
    expect(callsTo(world.calls, 'DescribeImageReferences')).toHaveLength(2);
    expect(writesOf(world.calls)).toEqual([]);
    expect(report.retirement.planned).toEqual({ deprecate: 1, disable: 0, deregister: 2 });
    expect(report.retirement.applied).toEqual({ deprecate: 0, disable: 0, deregister: 0 });
    expect(report.diff.filter((l) => l.startsWith('-'))).toHaveLength(2);
    expect(published).toEqual([]);
  });

  it.each([0, 1, 2])(
    'once shouldStop says so, no new unit of work starts, and every unit begun is finished (%i let through)',
    async (allowed) => {
      const { world, old1, old2 } = scenario();
      let asked = 0;
      const { report, published } = await reconcile(world, { shouldStop: () => asked++ >= allowed });
      // Units start with an action that follows no other: an intent tag, or a deprecation.
      const begun = writesOf(world.calls).filter((c) => / (CreateTags|EnableImageDeprecation) /.test(c));
      expect(begun).toHaveLength(allowed);
      // A deregistration whose intent tag went out is carried through: DeregisterImage, its
      // snapshots, and its announcement; no later run would see that it is still to announce.
      const tagged = [old1, old2].filter((img) => world.calls.includes(intentTag(img)));
      expect(callsTo(world.calls, 'DeregisterImage')).toEqual(
        tagged.map((img) => `us-east-1 DeregisterImage ${img.imageId}`),
      );
      expect(deregisteredIds(published).sort()).toEqual(tagged.map((img) => img.imageId).sort());
      expect(report.stoppedEarly).toBe(true);
      expect(report.skipped).toBeGreaterThan(0);
    },
  );

  it('errors that are not AWS call failures propagate, from observing and from applying', async () => {
    const applying = scenario(({ old1 }) => ({
      errors: { [`DeregisterImage ${old1.imageId}`]: new TypeError('bug') },
    }));
    await expect(reconcile(applying.world)).rejects.toThrow(TypeError);
    const observing = scenario(({ old2 }) => ({
      errors: { [`DescribeImageReferences ${old2.imageId}`]: new RangeError('bug') },
    }));
    await expect(reconcile(observing.world)).rejects.toThrow(RangeError);
    expect(writesOf(observing.world.calls)).toEqual([]);
  });
});

describe('an orphan copy is deregistered only once its source is confirmed gone', () => {
  const GONE = 'ami-0dead000000000000';

  /** eu-west-1: the rule's newest source (us-east-1) with its copy here, and a 40-day-old orphan of GONE. */
  function orphanWorld(options: { source?: ObservedImage; errors?: Record<string, unknown> } = {}) {
    const newest = src(1);
    const copy = orphan(40, 'eu-west-1', GONE, 'us-east-1');
    const world = retirementWorld({
      images: [newest, copyOf(newest, 'eu-west-1', 1), copy, ...(options.source ? [options.source] : [])],
      ...(options.errors ? { errors: options.errors } : {}),
    });
    return { world, copy };
  }

  it('looked up by id in its region and not found: deregistered, announced on its family bus', async () => {
    const { world, copy } = orphanWorld();
    const { report, published } = await reconcile(world, { region: 'eu-west-1' });
    expect(callsTo(world.calls, 'DescribeImages').filter((c) => c.includes(GONE))).toEqual([
      `us-east-1 DescribeImages ${GONE}`,
    ]);
    expect(report.retirement.retired.map((r) => r.imageId)).toEqual([copy.imageId]);
    expect(callsTo(world.calls, 'DeregisterImage')).toEqual([`eu-west-1 DeregisterImage ${copy.imageId}`]);
    expect(published.filter((e) => e.detailType === DetailType.Deregistered)).toMatchObject([
      { busRegion: 'us-east-1', detail: { imageId: copy.imageId, region: 'eu-west-1', role: 'copy' } },
    ]);
  });

  it('found deregistered: gone as well', async () => {
    const source = image({ imageId: GONE, name: 'renamed', state: 'deregistered' });
    const { world } = orphanWorld({ source });
    const { report } = await reconcile(world, { region: 'eu-west-1' });
    expect(report.retirement.applied.deregister).toBe(1);
  });

  it('listed by the rule as deregistered: gone, without another read', async () => {
    const source = image({
      imageId: GONE,
      name: 'golden-old',
      state: 'deregistered',
      tags: { [LINEAGE.rule]: 'golden' },
    });
    const { world } = orphanWorld({ source });
    const { report } = await reconcile(world, { region: 'eu-west-1' });
    expect(world.calls).not.toContain(`us-east-1 DescribeImages ${GONE}`);
    expect(report.retirement.applied.deregister).toBe(1);
  });

  it('still there (it only stopped matching the rule): refused, never inferred from the listing', async () => {
    const { world } = orphanWorld({ source: image({ imageId: GONE, name: 'renamed' }) });
    const { report } = await reconcile(world, { region: 'eu-west-1' });
    expect(callsTo(world.calls, 'DeregisterImage')).toEqual([]);
    expect(report.retirement.refused.map((r) => r.reason)).toEqual([
      `its source ${GONE} (us-east-1) was not confirmed gone`,
    ]);
    // Deprecated all the same: that is reversible.
    expect(report.retirement.applied).toEqual({ deprecate: 1, disable: 0, deregister: 0 });
  });

  it('the lookup fails: refused, and the failure reported', async () => {
    const { world } = orphanWorld({
      errors: { [`DescribeImages ${GONE}`]: awsError('RequestLimitExceeded', 'DescribeImages') },
    });
    const { report } = await reconcile(world, { region: 'eu-west-1' });
    expect(report.retirement.applied.deregister).toBe(0);
    expect(report.retirement.refused).toHaveLength(1);
    expect(report.failures).toMatchObject([{ operation: 'DescribeImages', retryable: true }]);
  });
});

describe('launch permissions are read only where they decide', () => {
  /** us-east-1, rule APPLY (no notLaunchedForDays): every image but the newest is due. */
  async function retireImages(images: ObservedImage[], options: Omit<RetirementWorldOptions, 'images'>) {
    const world = retirementWorld({ images: [src(1), ...images], ...options });
    const { report } = await reconcile(world);
    return { report, reads: callsTo(world.calls, 'DescribeImageAttribute') };
  }

  it('for unreferenced images launched within the shared-image window; a shared one is refused', async () => {
    const shared = src(40, { lastLaunchedTime: ago(10) });
    const unshared = src(41, { lastLaunchedTime: ago(10) });
    const idle = src(42, { lastLaunchedTime: ago(60) });
    const never = src(43);
    const referenced = src(44, { lastLaunchedTime: ago(10) });
    const { report, reads } = await retireImages([shared, unshared, idle, never, referenced], {
      launchPermissions: { [shared.imageId]: [{ kind: 'account', id: '444455556666' }] },
      references: { [referenced.imageId]: ['instance i-0123456789abcdef0'] },
    });
    expect(reads).toEqual([
      `us-east-1 DescribeImageAttribute ${shared.imageId}`,
      `us-east-1 DescribeImageAttribute ${unshared.imageId}`,
    ]);
    expect(report.retirement.retired.map((r) => r.imageId)).toEqual([
      unshared.imageId,
      idle.imageId,
      never.imageId,
    ]);
    expect(report.retirement.refused).toEqual([
      {
        imageId: shared.imageId,
        reason: expect.stringMatching(/^launched 10 days ago .* and it is shared with 1 account: /),
      },
      { imageId: referenced.imageId, reason: 'referenced by instance i-0123456789abcdef0' },
    ]);
  });

  it('a failed read refuses the image, and is reported', async () => {
    const img = src(40, { lastLaunchedTime: ago(10) });
    const { report } = await retireImages([img], {
      errors: {
        [`DescribeImageAttribute ${img.imageId}`]: awsError('RequestLimitExceeded', 'DescribeImageAttribute'),
      },
    });
    expect(report.retirement.applied.deregister).toBe(0);
    expect(report.retirement.refused.map((r) => r.imageId)).toEqual([img.imageId]);
    expect(report.failures).toMatchObject([{ operation: 'DescribeImageAttribute', retryable: true }]);
  });
});

describe('the sweep of snapshots a deletion left behind', () => {
  const DRY_RULE = retireRule({ keep: 1, deregisterAfterDays: 30 }, { names: ['dry-*'] }, 'dry');
  const retired = (snapshotId: string, imageId: string, rule: string) => ({
    region: 'us-east-1',
    snapshotId,
    tags: { [LINEAGE.rule]: rule, [RETIRED_TAG]: imageId },
    encrypted: false,
  });

  it('deletes only a retired snapshot of a rule in the file whose image is gone and that nothing registered uses', async () => {
    const newest = src(1, { snapshotIds: ['snap-0000000000000000c'] });
    const stillThere = image({ imageId: 'ami-0b0000000000000b0', name: 'other', snapshotIds: [] });
    const world = retirementWorld({
      images: [newest, stillThere],
      snapshots: [
        retired('snap-0000000000000000a', 'ami-0a0000000000000a0', 'golden'),
        retired('snap-0000000000000000b', stillThere.imageId, 'golden'),
        retired('snap-0000000000000000c', 'ami-0c0000000000000c0', 'golden'),
        retired('snap-0000000000000000d', 'ami-0d0000000000000d0', 'dry'),
        retired('snap-0000000000000000e', 'ami-0e0000000000000e0', 'gone-rule'),
      ],
    });
    const { report, published } = await reconcile(world, { rules: [APPLY, DRY_RULE] });
    // The tag records a deletion already decided (retirement, or a failed copy's clean-up under any
    // rule): a rule still in the file finishes it; one the file no longer has does not.
    expect(writesOf(world.calls)).toEqual([
      'us-east-1 DeleteSnapshot snap-0000000000000000a',
      'us-east-1 DeleteSnapshot snap-0000000000000000d',
    ]);
    expect(report.diff).toEqual([
      '- us-east-1 delete snap-0000000000000000a (of ami-0a0000000000000a0, gone): left behind when ami-0a0000000000000a0 was deregistered',
      '- us-east-1 delete snap-0000000000000000d (of ami-0d0000000000000d0, gone): left behind when ami-0d0000000000000d0 was deregistered',
    ]);
    expect(report.applied).toEqual({ 'delete-snapshot': 2 });
    expect(report.failures).toEqual([]);
    expect(published).toEqual([]);
  });

  it('a swept snapshot still in use is kept, and is no failure', async () => {
    const world = retirementWorld({
      images: [src(1)],
      snapshots: [retired('snap-0000000000000000a', 'ami-0a0000000000000a0', 'golden')],
      errors: {
        'DeleteSnapshot snap-0000000000000000a': awsError('InvalidSnapshot.InUse', 'DeleteSnapshot'),
      },
    });
    const { report } = await reconcile(world);
    expect(callsTo(world.calls, 'DeleteSnapshot')).toHaveLength(1);
    expect(report.failures).toEqual([]);
  });

  it('a snapshot whose deletion failed after its deregistration is swept by the next run', async () => {
    const errors: Record<string, unknown> = {};
    const { world, old1 } = scenario(() => ({ returnCodes: { [OLD1_SNAPS[0] ?? '']: 'skipped' }, errors }));
    errors[`DeleteSnapshot ${OLD1_SNAPS[0]}`] = awsError('UnauthorizedOperation', 'DeleteSnapshot');
    const first = await reconcile(world);
    expect(first.report.failures).toMatchObject([
      { operation: 'DeleteSnapshot', code: 'UnauthorizedOperation' },
    ]);
    expect(first.published.find((e) => e.detailType === DetailType.Deregistered)?.detail).toMatchObject({
      imageId: old1.imageId,
      snapshotsNotDeleted: [{ snapshotId: OLD1_SNAPS[0], outcome: 'failed' }],
    });
    // The snapshot carries the tool's decision: the next run finds it, its image gone.
    expect(world.snapshots.find((s) => s.snapshotId === OLD1_SNAPS[0])?.tags[RETIRED_TAG]).toBe(old1.imageId);

    errors[`DeleteSnapshot ${OLD1_SNAPS[0]}`] = undefined;
    const before = world.calls.length;
    const second = await reconcile(world);
    expect(writesOf(world.calls.slice(before))).toEqual([`us-east-1 DeleteSnapshot ${OLD1_SNAPS[0]}`]);
    expect(second.report.failures).toEqual([]);
    expect(world.snapshots.map((s) => s.snapshotId)).not.toContain(OLD1_SNAPS[0]);
  });
});
