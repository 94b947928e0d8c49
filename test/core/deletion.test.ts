import { describe, expect, it } from 'vitest';
import { type Action, type ActionOf, type AnnounceAction, isKind } from '../../shared/core/actions.js';
import { announcementEvent } from '../../shared/core/announcements.js';
import { type ActionOutcome, applyPlan } from '../../shared/core/apply.js';
import { deregistration, planSnapshotSweep, RETIRED_TAG } from '../../shared/core/deletion.js';
import { execute } from '../../shared/core/execute.js';
import { LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import { DetailType, type ToolEvent } from '../../shared/core/notifications.js';
import { isChange, renderPlan } from '../../shared/core/render.js';
import { schemaErrors } from '../support/tool-events.js';
import { snapshot } from './builders.js';
import { awsError, retirementWorld, writesOf } from './fake-retirement-ec2.js';
import { APPLY, asCopy, asSource, copyOf, NEXT_MINUTE, src } from './retire-fixtures.js';

/** The one delete path: planned by `deregistration` and `planSnapshotSweep`, carried out by the applier. */

const SNAPS = ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'];

function single<K extends Action['kind']>(actions: readonly Action[], kind: K): ActionOf<K> {
  const [first, ...rest] = actions.filter(isKind(kind));
  if (first === undefined || rest.length > 0) throw new Error(`expected exactly one ${kind} action`);
  return first;
}

/** Applies `actions` against `world`, collecting what the announcements would publish. */
async function apply(actions: readonly Action[], world: ReturnType<typeof retirementWorld>) {
  const published: ToolEvent[] = [];
  const outcomes = await applyPlan(
    { actions, notes: [] },
    {
      ec2: world.ec2,
      announce: async (action, prerequisites) => {
        const event = announcementEvent(action, prerequisites);
        if (event !== undefined) published.push(event);
      },
    },
    { concurrency: 4 },
  );
  const status = (id: string) => {
    const outcome = outcomes.find((o) => o.action.id === id);
    return outcome?.status === 'skipped' ? `skipped:${outcome.reason}` : outcome?.status;
  };
  return { outcomes, published, status };
}

describe('deregistration: the sequence every deletion takes', () => {
  it('a copy: intent tag, DeregisterImage, each snapshot, the announcement on the source region bus', () => {
    const source = src(40);
    const copy = copyOf(source, 'eu-west-1', 39, { snapshotIds: SNAPS });
    const actions = deregistration(asCopy(copy, APPLY, source.imageId, source.region), 'superseded');
    const lineage = {
      rule: 'golden',
      role: 'copy',
      sourceImageId: source.imageId,
      sourceRegion: 'us-east-1',
    };
    expect(actions.map((a) => a.id)).toEqual([
      `tag:eu-west-1:retired/${copy.imageId}`,
      `deregister:eu-west-1:${copy.imageId}`,
      `delete-snapshot:eu-west-1:${SNAPS[0]}`,
      `delete-snapshot:eu-west-1:${SNAPS[1]}`,
      `announce:eu-west-1:deregistered/${copy.imageId}`,
    ]);
    expect(single(actions, 'tag')).toMatchObject({
      region: 'eu-west-1',
      resourceIds: [copy.imageId, ...SNAPS],
      changes: [{ key: RETIRED_TAG, value: copy.imageId }],
    });
    expect(single(actions, 'deregister')).toMatchObject({
      region: 'eu-west-1',
      after: [`tag:eu-west-1:retired/${copy.imageId}`],
      snapshotIds: SNAPS,
      ...lineage,
      reason: 'superseded',
    });
    for (const deletion of actions.filter(isKind('delete-snapshot'))) {
      expect(deletion).toMatchObject({
        region: 'eu-west-1',
        after: [`deregister:eu-west-1:${copy.imageId}`],
        imageId: copy.imageId,
        reason: `deleted with ${copy.imageId}`,
      });
    }
    expect(single(actions, 'announce')).toEqual({
      kind: 'announce',
      id: `announce:eu-west-1:deregistered/${copy.imageId}`,
      region: 'us-east-1',
      after: [`deregister:eu-west-1:${copy.imageId}`],
      waitsFor: SNAPS.map((s) => `delete-snapshot:eu-west-1:${s}`),
      announcement: {
        kind: 'deregistered',
        imageId: copy.imageId,
        region: 'eu-west-1',
        ...lineage,
        reason: 'superseded',
        snapshotIds: SNAPS,
      },
    });
  });

  it('an image already tagged with its own retirement is not tagged again', () => {
    const old = src(40, { snapshotIds: SNAPS });
    const marked = { ...old, tags: { ...old.tags, [RETIRED_TAG]: old.imageId } };
    const actions = deregistration(asSource(marked, APPLY), 'superseded');
    expect(actions.map((a) => a.kind)).toEqual([
      'deregister',
      'delete-snapshot',
      'delete-snapshot',
      'announce',
    ]);
    expect(single(actions, 'deregister').after).toBeUndefined();
  });

  it('an instance-store image has no snapshots: nothing to tag or delete', () => {
    const old = src(40, { rootDeviceType: 'instance-store', snapshotIds: [] });
    const actions = deregistration(asSource(old, APPLY), 'superseded');
    expect(actions.map((a) => a.kind)).toEqual(['deregister', 'announce']);
    expect(single(actions, 'announce')).toMatchObject({ waitsFor: [], announcement: { snapshotIds: [] } });
  });

  it('renders as two lines: the tag and the deregistration, which names the snapshots', () => {
    const old = src(40, { snapshotIds: SNAPS });
    const actions = deregistration(asSource(old, APPLY), 'superseded');
    expect(renderPlan({ actions, notes: [] })).toEqual([
      `~ us-east-1 tag ${old.imageId}, ${SNAPS.join(', ')}: +${RETIRED_TAG}=${old.imageId}`,
      `- us-east-1 deregister ${old.imageId} (source of rule golden) and delete snapshots ${SNAPS.join(', ')}: superseded`,
    ]);
    expect(actions.filter(isChange).map((a) => a.kind)).toEqual(['tag', 'deregister']);
  });
});

describe('planSnapshotSweep: snapshots a deletion left behind', () => {
  const gone = 'ami-0dead000000000000';
  const retired = (snapshotId: string, imageId = gone) =>
    snapshot(snapshotId, { tags: { [RETIRED_TAG]: imageId } });

  it('deletes a snapshot tagged retired whose image is gone, on its own', () => {
    const sweep = planSnapshotSweep('us-east-1', [retired(SNAPS[0] ?? '')], [src(1)]);
    expect(sweep).toEqual([
      {
        kind: 'delete-snapshot',
        id: `delete-snapshot:us-east-1:${SNAPS[0]}`,
        region: 'us-east-1',
        imageId: gone,
        snapshotId: SNAPS[0],
        reason: `left behind when ${gone} was deregistered`,
      },
    ]);
    // A change of its own, with its line in the diff.
    expect(renderPlan({ actions: sweep, notes: [] })).toEqual([
      `- us-east-1 delete ${SNAPS[0]} (of ${gone}, gone): left behind when ${gone} was deregistered`,
    ]);
  });

  it('an image EC2 lists as deregistered is gone too', () => {
    const listed = src(1, { imageId: gone, state: 'deregistered', snapshotIds: SNAPS });
    expect(planSnapshotSweep('us-east-1', [retired(SNAPS[0] ?? '')], [listed])).toHaveLength(1);
  });

  const leftAlone: Array<{
    name: string;
    snapshots: ReturnType<typeof snapshot>[];
    registered: ObservedImage[];
  }> = [
    {
      // Even when it is not among the image's snapshots: the image's deregistration is retried first.
      name: 'its image is still registered',
      snapshots: [retired(SNAPS[0] ?? '')],
      registered: [src(40, { imageId: gone, snapshotIds: [SNAPS[1] ?? ''] })],
    },
    {
      name: 'another registered image uses it',
      snapshots: [retired(SNAPS[0] ?? '')],
      registered: [src(1, { snapshotIds: [SNAPS[0] ?? ''] })],
    },
    {
      name: 'it carries no retired tag (the tool never decided to delete it)',
      snapshots: [snapshot(SNAPS[0] ?? '', { tags: { [LINEAGE.rule]: 'golden' } })],
      registered: [],
    },
  ];

  it.each(leftAlone)('leaves a snapshot alone when $name', ({ snapshots, registered }) => {
    expect(planSnapshotSweep('us-east-1', snapshots, registered)).toEqual([]);
  });
});

describe('execute: DeregisterImage', () => {
  const old = src(40, { snapshotIds: SNAPS });
  const action = single(deregistration(asSource(old, APPLY), 'superseded'), 'deregister');

  it('returns what EC2 said about each snapshot', async () => {
    const world = retirementWorld({ images: [old], returnCodes: { [SNAPS[1] ?? '']: 'skipped' } });
    expect(await execute(action, world.ec2('us-east-1'), [])).toEqual({
      kind: 'deregister',
      snapshotResults: [
        { snapshotId: SNAPS[0], returnCode: 'success' },
        { snapshotId: SNAPS[1], returnCode: 'skipped' },
      ],
      confirmedByReading: false,
    });
    expect(world.calls).toEqual([`us-east-1 DeregisterImage ${old.imageId}`]);
  });

  it('a lost answer, and the image is gone when read: deregistered, confirmed by reading', async () => {
    const world = retirementWorld({ images: [old], lostAnswers: [`DeregisterImage ${old.imageId}`] });
    expect(await execute(action, world.ec2('us-east-1'), [])).toEqual({
      kind: 'deregister',
      snapshotResults: [],
      confirmedByReading: true,
    });
    expect(world.calls).toEqual([
      `us-east-1 DeregisterImage ${old.imageId}`,
      `us-east-1 DescribeImages ${old.imageId}`,
    ]);
  });

  it('a lost answer, and the image is still there: the failure stands', async () => {
    const error = awsError('RequestLimitExceeded', 'DeregisterImage');
    const world = retirementWorld({ images: [old], errors: { [`DeregisterImage ${old.imageId}`]: error } });
    await expect(execute(action, world.ec2('us-east-1'), [])).rejects.toBe(error);
    expect(world.calls).toEqual([
      `us-east-1 DeregisterImage ${old.imageId}`,
      `us-east-1 DescribeImages ${old.imageId}`,
    ]);
  });

  it.each(['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'])(
    '%s on a repeat, and the image is gone: deregistered',
    async (code) => {
      const world = retirementWorld({
        images: [],
        errors: { [`DeregisterImage ${old.imageId}`]: awsError(code, 'DeregisterImage') },
      });
      expect(await execute(action, world.ec2('us-east-1'), [])).toMatchObject({ confirmedByReading: true });
    },
  );

  it('an image read back as deregistered counts as gone', async () => {
    const world = retirementWorld({
      images: [{ ...old, state: 'deregistered' }],
      errors: { [`DeregisterImage ${old.imageId}`]: awsError('InternalError', 'DeregisterImage') },
    });
    expect(await execute(action, world.ec2('us-east-1'), [])).toMatchObject({ confirmedByReading: true });
  });

  it('a refusal that says nothing about the image is a failure, and nothing is read', async () => {
    const error = awsError('UnauthorizedOperation', 'DeregisterImage');
    const world = retirementWorld({ images: [old], errors: { [`DeregisterImage ${old.imageId}`]: error } });
    await expect(execute(action, world.ec2('us-east-1'), [])).rejects.toBe(error);
    expect(world.calls).toEqual([`us-east-1 DeregisterImage ${old.imageId}`]);
  });

  it('an error that is not an AWS failure propagates as it is', async () => {
    const bug = new TypeError('bug');
    const world = retirementWorld({ images: [old], errors: { [`DeregisterImage ${old.imageId}`]: bug } });
    await expect(execute(action, world.ec2('us-east-1'), [])).rejects.toBe(bug);
    expect(world.calls).toEqual([`us-east-1 DeregisterImage ${old.imageId}`]);
  });
});

describe('execute: DeleteSnapshot', () => {
  const old = src(40, { snapshotIds: SNAPS });
  const actions = deregistration(asSource(old, APPLY), 'superseded');
  const deletion = actions.filter(isKind('delete-snapshot'))[0];
  const deregistered = (returnCode: string): ActionOutcome => ({
    action: single(actions, 'deregister'),
    status: 'applied',
    result: {
      kind: 'deregister',
      snapshotResults: [{ snapshotId: SNAPS[0] ?? '', returnCode }],
      confirmedByReading: false,
    },
  });
  const run = (prerequisites: ActionOutcome[], error?: unknown) => {
    if (deletion === undefined) throw new Error('no deletion planned');
    const world = retirementWorld({
      images: [],
      snapshots: [{ region: 'us-east-1', ...snapshot(SNAPS[0] ?? '') }],
      ...(error === undefined ? {} : { errors: { [`DeleteSnapshot ${SNAPS[0]}`]: error } }),
    });
    const result = execute(deletion, world.ec2('us-east-1'), prerequisites);
    return { result, calls: world.calls };
  };

  it('deleted with its image already: no call', async () => {
    const { result, calls } = run([deregistered('success')]);
    expect(await result).toEqual({ kind: 'delete-snapshot', outcome: 'with-image' });
    expect(calls).toEqual([]);
  });

  it.each(['skipped', 'missing-permissions', 'client-error'])(
    'DeregisterImage answered %s for it: DeleteSnapshot',
    async (code) => {
      const { result, calls } = run([deregistered(code)]);
      expect(await result).toEqual({ kind: 'delete-snapshot', outcome: 'deleted' });
      expect(calls).toEqual([`us-east-1 DeleteSnapshot ${SNAPS[0]}`]);
    },
  );

  it('the deregistration was confirmed by reading (no per-snapshot answer): DeleteSnapshot', async () => {
    const { result, calls } = run([
      {
        action: single(actions, 'deregister'),
        status: 'applied',
        result: { kind: 'deregister', snapshotResults: [], confirmedByReading: true },
      },
    ]);
    expect(await result).toEqual({ kind: 'delete-snapshot', outcome: 'deleted' });
    expect(calls).toEqual([`us-east-1 DeleteSnapshot ${SNAPS[0]}`]);
  });

  it('already gone: not-found, not a failure', async () => {
    const { result } = run([], awsError('InvalidSnapshot.NotFound', 'DeleteSnapshot'));
    expect(await result).toEqual({ kind: 'delete-snapshot', outcome: 'not-found' });
  });

  it('used by another image: kept (in-use), not a failure, never forced', async () => {
    const { result, calls } = run([], awsError('InvalidSnapshot.InUse', 'DeleteSnapshot'));
    expect(await result).toEqual({
      kind: 'delete-snapshot',
      outcome: 'in-use',
      detail: expect.stringContaining('InvalidSnapshot.InUse'),
    });
    expect(calls).toHaveLength(1);
  });

  it('any other AWS failure fails the deletion; a bug propagates', async () => {
    const error = awsError('UnauthorizedOperation', 'DeleteSnapshot');
    await expect(run([], error).result).rejects.toBe(error);
    const bug = new RangeError('bug');
    await expect(run([], bug).result).rejects.toBe(bug);
  });
});

describe('announcementEvent', () => {
  const old = src(40, { snapshotIds: [...SNAPS, 'snap-0aaaaaaaaaaaaaaa3', 'snap-0aaaaaaaaaaaaaaa4'] });
  const actions = deregistration(asSource(old, APPLY), 'superseded: number 2 of 2');
  const announce = single(actions, 'announce');
  const deletions = actions.filter(isKind('delete-snapshot'));

  it('AMI Deregistered: each snapshot as its deletion went, valid against the published schema', () => {
    const [withImage, deleted, inUse, failed] = deletions;
    if (withImage === undefined || deleted === undefined || inUse === undefined || failed === undefined) {
      throw new Error('four deletions expected');
    }
    const outcomes: ActionOutcome[] = [
      { action: single(actions, 'deregister'), status: 'applied' },
      { action: withImage, status: 'applied', result: { kind: 'delete-snapshot', outcome: 'with-image' } },
      { action: deleted, status: 'applied', result: { kind: 'delete-snapshot', outcome: 'deleted' } },
      {
        action: inUse,
        status: 'applied',
        result: { kind: 'delete-snapshot', outcome: 'in-use', detail: 'used by ami-0ffffffffffffffff' },
      },
      { action: failed, status: 'failed', error: awsError('UnauthorizedOperation', 'DeleteSnapshot') },
    ];
    const event = announcementEvent(announce, outcomes);
    expect(event).toEqual({
      detailType: DetailType.Deregistered,
      detail: {
        schemaVersion: 1,
        eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
        rule: 'golden',
        role: 'source',
        sourceImageId: old.imageId,
        sourceRegion: 'us-east-1',
        imageId: old.imageId,
        region: 'us-east-1',
        reason: 'superseded: number 2 of 2',
        snapshotsDeleted: [withImage.snapshotId, deleted.snapshotId],
        snapshotsNotDeleted: [
          { snapshotId: inUse.snapshotId, outcome: 'in-use', detail: 'used by ami-0ffffffffffffffff' },
          {
            snapshotId: failed.snapshotId,
            outcome: 'failed',
            detail: expect.stringContaining('UnauthorizedOperation'),
          },
        ],
      },
      resources: [`arn:aws:ec2:us-east-1::image/${old.imageId}`],
      busRegion: 'us-east-1',
    });
    expect(schemaErrors(DetailType.Deregistered, event?.detail)).toEqual([]);
    // The same deregistration announced again is the same event for consumers.
    expect(announcementEvent(announce, [])?.detail.eventId).toBe(event?.detail.eventId);
  });

  it('a deletion not attempted is reported as such, never as deleted', () => {
    const [first] = deletions;
    if (first === undefined) throw new Error('no deletion');
    const event = announcementEvent(announce, [{ action: first, status: 'skipped', reason: 'stopped' }]);
    expect(event?.detail).toMatchObject({
      snapshotsDeleted: [],
      snapshotsNotDeleted: deletions.map((d) => ({
        snapshotId: d.snapshotId,
        outcome: 'failed',
        detail: 'deletion not attempted',
      })),
    });
  });

  it('AMI Deprecated: the time, the image and its family, on the source region bus', () => {
    const copy = copyOf(old, 'eu-west-1', 39);
    const action: AnnounceAction = {
      kind: 'announce',
      id: `announce:eu-west-1:deprecated/${copy.imageId}`,
      region: 'us-east-1',
      announcement: {
        kind: 'deprecated',
        imageId: copy.imageId,
        region: 'eu-west-1',
        rule: 'golden',
        role: 'copy',
        sourceImageId: old.imageId,
        sourceRegion: 'us-east-1',
        deprecationTime: NEXT_MINUTE.toISOString(),
        reason: 'superseded',
      },
    };
    const event = announcementEvent(action, []);
    expect(event).toEqual({
      detailType: DetailType.Deprecated,
      detail: {
        schemaVersion: 1,
        eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
        rule: 'golden',
        role: 'copy',
        sourceImageId: old.imageId,
        sourceRegion: 'us-east-1',
        imageId: copy.imageId,
        region: 'eu-west-1',
        deprecationTime: NEXT_MINUTE.toISOString(),
        reason: 'superseded',
      },
      resources: [`arn:aws:ec2:eu-west-1::image/${copy.imageId}`],
      busRegion: 'us-east-1',
    });
    expect(schemaErrors(DetailType.Deprecated, event?.detail)).toEqual([]);
  });
});

describe('applying a deregistration', () => {
  const old = src(40, { snapshotIds: SNAPS });
  const actions = deregistration(asSource(old, APPLY), 'superseded');
  const ids = {
    tag: `tag:us-east-1:retired/${old.imageId}`,
    deregister: `deregister:us-east-1:${old.imageId}`,
    announce: `announce:us-east-1:deregistered/${old.imageId}`,
  };
  const tagCall = `us-east-1 CreateTags ${[old.imageId, ...SNAPS].join(',')} ${RETIRED_TAG}=${old.imageId}`;

  it('the intent tag is written before DeregisterImage starts', async () => {
    // CreateTags is slow and recorded when it ends: a DeregisterImage not waiting for it would come first.
    const world = retirementWorld({ images: [old], createTagsDelayMs: 20 });
    await apply(actions, world);
    expect(writesOf(world.calls)).toEqual([tagCall, `us-east-1 DeregisterImage ${old.imageId}`]);
  });

  it('the intent tag fails: nothing is deregistered, deleted or announced', async () => {
    const world = retirementWorld({
      images: [old],
      errors: { [tagCall.replace('us-east-1 ', '')]: awsError('UnauthorizedOperation', 'CreateTags') },
    });
    const { status, published } = await apply(actions, world);
    expect(status(ids.tag)).toBe('failed');
    expect(status(ids.deregister)).toBe('skipped:blocked');
    expect(status(ids.announce)).toBe('skipped:blocked');
    expect(writesOf(world.calls)).toEqual([tagCall]);
    expect(published).toEqual([]);
  });

  it('a lost DeregisterImage answer, the image gone: deregistered, snapshots deleted one by one, announced', async () => {
    // EC2 deregistered the image but could not delete its snapshots, and the answer saying so was lost.
    const world = retirementWorld({
      images: [old],
      returnCodes: Object.fromEntries(SNAPS.map((s) => [s, 'internal-error'])),
      lostAnswers: [`DeregisterImage ${old.imageId}`],
    });
    const { outcomes, published, status } = await apply(actions, world);
    expect(outcomes.find((o) => o.action.id === ids.deregister)).toMatchObject({
      status: 'applied',
      result: { kind: 'deregister', confirmedByReading: true },
    });
    expect(writesOf(world.calls)).toEqual([
      tagCall,
      `us-east-1 DeregisterImage ${old.imageId}`,
      ...SNAPS.map((s) => `us-east-1 DeleteSnapshot ${s}`),
    ]);
    expect(world.snapshots).toEqual([]);
    expect(status(ids.announce)).toBe('applied');
    expect(published.map((e) => [e.detailType, e.detail])).toEqual([
      [
        DetailType.Deregistered,
        expect.objectContaining({ snapshotsDeleted: SNAPS, snapshotsNotDeleted: [] }),
      ],
    ]);
  });

  it('a lost DeregisterImage answer after EC2 deleted the snapshots too: each found gone, counted deleted, nothing fails', async () => {
    const world = retirementWorld({ images: [old], lostAnswers: [`DeregisterImage ${old.imageId}`] });
    const { outcomes, published } = await apply(actions, world);
    expect(outcomes.filter((o) => o.status !== 'applied')).toEqual([]);
    expect(writesOf(world.calls)).toEqual([
      tagCall,
      `us-east-1 DeregisterImage ${old.imageId}`,
      ...SNAPS.map((s) => `us-east-1 DeleteSnapshot ${s}`),
    ]);
    // The image was confirmed gone by reading: EC2 deleted its snapshots with it.
    expect(published.map((e) => e.detail)).toMatchObject([
      { snapshotsDeleted: SNAPS, snapshotsNotDeleted: [] },
    ]);
  });

  it('a lost DeregisterImage answer, the image still there: a failure, nothing deleted or announced', async () => {
    const world = retirementWorld({
      images: [old],
      errors: { [`DeregisterImage ${old.imageId}`]: awsError('RequestLimitExceeded', 'DeregisterImage') },
    });
    const { outcomes, published, status } = await apply(actions, world);
    expect(outcomes.find((o) => o.action.id === ids.deregister)).toMatchObject({
      status: 'failed',
      error: { operation: 'DeregisterImage', code: 'RequestLimitExceeded', retryable: true },
    });
    expect(writesOf(world.calls)).toEqual([tagCall, `us-east-1 DeregisterImage ${old.imageId}`]);
    expect(world.calls).toContain(`us-east-1 DescribeImages ${old.imageId}`);
    expect(status(ids.announce)).toBe('skipped:blocked');
    expect(published).toEqual([]);
  });
});
