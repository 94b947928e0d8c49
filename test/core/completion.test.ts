import { describe, expect, it } from 'vitest';
import {
  announceIfComplete,
  type CompletionDependencies,
  CompletionInProgressError,
  DISTRIBUTED_TAG,
  distributionFingerprint,
} from '../../shared/core/completion.js';
import { AwsCallError } from '../../shared/core/errors.js';
import type { LaunchPermission, ObservedImage } from '../../shared/core/model.js';
import { DetailType, type ToolEvent } from '../../shared/core/notifications.js';
import {
  copyImageTags,
  snapshotTags,
  sourceImageTags,
  wantedLaunchPermissions,
} from '../../shared/core/plan.js';
import type { ClaimOutcome, CompletionClaims, Ec2ForRegion, Ec2Port } from '../../shared/core/ports.js';
import { schemaErrors } from '../support/tool-events.js';
import { ACCOUNT, rule as buildRule, image } from './builders.js';

const RULE = buildRule({ copy: { regions: ['eu-west-1', 'us-west-2'] } });
const SOURCE = image({ imageId: 'ami-0500000000000000a', tags: sourceImageTags(RULE) });

function copyIn(region: string, overrides: Partial<ObservedImage> = {}): ObservedImage {
  return image({
    region,
    imageId: region === 'eu-west-1' ? 'ami-0e00000000000000e' : 'ami-0f00000000000000f',
    sourceImageId: SOURCE.imageId,
    sourceImageRegion: 'us-east-1',
    snapshotIds: [`snap-0${region === 'eu-west-1' ? 'e' : 'f'}00000000000001`],
    tags: copyImageTags(RULE, SOURCE.imageId, 'us-east-1'),
    ...overrides,
  });
}

interface World {
  images: ObservedImage[];
  /** Images whose launch permissions are missing (not shared yet). */
  unshared?: Set<string>;
  /** Regions whose reads fail. */
  unreadable?: Set<string>;
}

/**
 * EC2 where every image is in the state the rule wants (tags on images and snapshots, launch and
 * snapshot permissions), unless the world says otherwise; writes are recorded.
 */
function fakeEc2(world: World): { ec2: Ec2ForRegion; writes: string[]; reads: string[] } {
  const writes: string[] = [];
  const reads: string[] = [];
  const find = (region: string, id: string) =>
    world.images.find((i) => i.region === region && i.imageId === id);
  const owning = (region: string, snapshotId: string) =>
    world.images.find((i) => i.region === region && i.snapshotIds.includes(snapshotId));
  const fail = (region: string, operation: string) => {
    if (world.unreadable?.has(region)) {
      throw new AwsCallError(
        operation,
        region,
        Object.assign(new Error('not enabled'), { name: 'OptInRequired' }),
      );
    }
  };
  const ec2: Ec2ForRegion = (region) => {
    const port: Ec2Port = {
      describeImage: async (id) => {
        reads.push(`${region} DescribeImages ${id}`);
        return find(region, id);
      },
      listImages: async () => world.images.filter((i) => i.region === region),
      imagesExecutableBy: async () => new Set<string>(),
      snapshotsRestorableBy: async () => new Set<string>(),
      findCopies: async (sourceImageId) => {
        reads.push(`${region} DescribeImages copies`);
        fail(region, 'DescribeImages');
        return world.images.filter((i) => i.region === region && i.sourceImageId === sourceImageId);
      },
      describeLaunchPermissions: async (id): Promise<LaunchPermission[]> => {
        reads.push(`${region} DescribeImageAttribute ${id}`);
        return world.unshared?.has(id) ? [] : wantedLaunchPermissions(RULE, ACCOUNT);
      },
      describeSnapshots: async (ids) =>
        ids.map((snapshotId) => {
          const owner = owning(region, snapshotId);
          return { snapshotId, encrypted: false, tags: owner ? snapshotTags(RULE, owner.tags) : {} };
        }),
      describeCreateVolumeUserIds: async () => [...(RULE.share?.accounts ?? [])],
      isPublicSharingBlocked: async () => false,
      copyImage: async () => {
        throw new Error('no copy expected');
      },
      createTags: async (ids, tags) => {
        writes.push(`${region} CreateTags ${ids.join(',')} ${JSON.stringify(tags)}`);
      },
      addLaunchPermissions: async () => {
        throw new Error('no share expected');
      },
      addCreateVolumePermissions: async () => {
        throw new Error('no share expected');
      },
    };
    return port;
  };
  return { ec2, writes, reads };
}

/** An atomic in-memory claim store, like the conditional writes of the DynamoDB adapter. */
function memoryClaims(script: ClaimOutcome[] = []) {
  const items = new Map<string, { status: 'claimed' | 'published'; owner: string }>();
  const log: string[] = [];
  const claims: CompletionClaims = {
    async claim(key, owner) {
      const scripted = script.shift();
      if (scripted !== undefined) {
        log.push(`claim ${scripted} (scripted)`);
        return scripted;
      }
      const item = items.get(key);
      if (item === undefined) {
        items.set(key, { status: 'claimed', owner });
        log.push(`claim claimed by ${owner}`);
        return 'claimed';
      }
      log.push(`claim ${item.status === 'published' ? 'published' : 'in-progress'}`);
      return item.status === 'published' ? 'published' : 'in-progress';
    },
    async published(key, owner) {
      const item = items.get(key);
      if (item?.owner !== owner) return false;
      items.set(key, { status: 'published', owner });
      log.push(`published by ${owner}`);
      return true;
    },
    async release(key, owner) {
      if (items.get(key)?.owner === owner) items.delete(key);
      log.push(`released by ${owner}`);
    },
  };
  return { claims, log, items };
}

function deps(
  ec2: Ec2ForRegion,
  claims: CompletionClaims,
  published: ToolEvent[],
  overrides: Partial<CompletionDependencies> = {},
): CompletionDependencies {
  return {
    ec2,
    claims: () => claims,
    events: {
      async publish(events) {
        published.push(...events);
      },
    },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    owner: 'invocation-1',
    now: () => new Date('2026-11-26T10:00:00.000Z'),
    sleep: async () => {},
    ...overrides,
  };
}

const complete = () => [SOURCE, copyIn('eu-west-1'), copyIn('us-west-2')];

describe('announceIfComplete: when is a family complete', () => {
  const cases: Array<{
    name: string;
    reason: string;
    world: () => World;
    incomplete: RegExp;
    /** Whether the cheap check passed, so the claim was taken for the full check and given back. */
    claimed?: boolean;
  }> = [
    {
      name: 'a copy still pending',
      reason: 'a region without an available copy is not there yet',
      world: () => ({ images: [SOURCE, copyIn('eu-west-1'), copyIn('us-west-2', { state: 'pending' })] }),
      incomplete: /us-west-2 pending/,
    },
    {
      name: 'a region with no copy',
      reason: 'nothing started there yet (the copy cap, or a missed event)',
      world: () => ({ images: [SOURCE, copyIn('eu-west-1')] }),
      incomplete: /us-west-2 missing/,
    },
    {
      name: 'the only copy failed',
      reason: 'a failed copy is not an arrival; the reconcile starts a new one',
      world: () => ({ images: [SOURCE, copyIn('eu-west-1'), copyIn('us-west-2', { state: 'failed' })] }),
      incomplete: /us-west-2 failed/,
    },
    {
      name: 'a region that cannot be read',
      reason: 'completion is never assumed for a region it could not see',
      world: () => ({ images: complete(), unreadable: new Set(['us-west-2']) }),
      incomplete: /us-west-2 unreadable/,
    },
    {
      name: 'a copy available but not shared yet',
      reason: "its own event's handler has not shared it yet: that handler announces when it is done",
      world: () => {
        const images = complete();
        return { images, unshared: new Set([images[2]?.imageId ?? '']) };
      },
      incomplete: /change\(s\) still to make/,
      claimed: true,
    },
    {
      name: 'a copy missing its lineage tags',
      reason: 'tagged is part of complete',
      world: () => ({ images: [SOURCE, copyIn('eu-west-1', { tags: {} }), copyIn('us-west-2')] }),
      incomplete: /change\(s\) still to make/,
      claimed: true,
    },
  ];

  it.each(cases)('$name: not complete ($reason)', async ({ world, incomplete, claimed }) => {
    const w = world();
    const { ec2, writes } = fakeEc2(w);
    const { claims, log } = memoryClaims();
    const published: ToolEvent[] = [];
    const source = w.images[0] ?? SOURCE;

    const result = await announceIfComplete(RULE, source, ACCOUNT, deps(ec2, claims, published));

    expect(result).toEqual({ status: 'incomplete', reason: expect.stringMatching(incomplete) });
    expect(published).toEqual([]);
    // Every copy available: claimed for the full check, then given back for the next observer.
    expect(log).toEqual(claimed ? ['claim claimed by invocation-1', 'released by invocation-1'] : []);
    expect(writes).toEqual([]);
  });
});

describe('announceIfComplete: announcing', () => {
  it('complete: claims, publishes one valid event on the source region bus, marks it, tags the source', async () => {
    const { ec2, writes } = fakeEc2({ images: complete() });
    const { claims, log } = memoryClaims();
    const published: ToolEvent[] = [];

    const result = await announceIfComplete(RULE, SOURCE, ACCOUNT, deps(ec2, claims, published));

    expect(result.status).toBe('announced');
    expect(log).toEqual(['claim claimed by invocation-1', 'published by invocation-1']);
    expect(published).toHaveLength(1);
    const [event] = published;
    expect(event?.detailType).toBe(DetailType.DistributionCompleted);
    expect(event?.busRegion).toBe('us-east-1');
    expect(schemaErrors(DetailType.DistributionCompleted, event?.detail)).toEqual([]);
    expect(event?.detail).toMatchObject({
      rule: 'golden',
      sourceImageId: SOURCE.imageId,
      regions: [
        { region: 'us-east-1', role: 'source', imageId: SOURCE.imageId, status: 'available' },
        { region: 'eu-west-1', role: 'copy', status: 'available' },
        { region: 'us-west-2', role: 'copy', status: 'available' },
      ],
      sharedWith: {
        accounts: ['444455556666'],
        organizations: ['arn:aws:organizations::111122223333:organization/o-exampleorg1'],
        organizationalUnits: ['arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456'],
        public: false,
      },
      completedAt: '2026-11-26T10:00:00.000Z',
    });
    expect(writes).toEqual([
      `us-east-1 CreateTags ${SOURCE.imageId} {"${DISTRIBUTED_TAG}":"${distributionFingerprint(RULE, 'us-east-1')}"}`,
    ]);
  });

  it('the source already carries this distribution’s tag: nothing is read, claimed or published', async () => {
    const tagged = {
      ...SOURCE,
      tags: { ...SOURCE.tags, [DISTRIBUTED_TAG]: distributionFingerprint(RULE, 'us-east-1') },
    };
    const { ec2, reads, writes } = fakeEc2({ images: complete() });
    const { claims, log } = memoryClaims();
    const published: ToolEvent[] = [];

    expect(await announceIfComplete(RULE, tagged, ACCOUNT, deps(ec2, claims, published))).toEqual({
      status: 'already-announced',
    });
    expect([reads, writes, log, published]).toEqual([[], [], [], []]);
  });

  it('a tag from another distribution (the rule gained a region) does not count: the new one is announced', async () => {
    const wider = buildRule({ copy: { regions: ['eu-west-1', 'us-west-2', 'ap-southeast-2'] } });
    expect(distributionFingerprint(wider, 'us-east-1')).not.toBe(distributionFingerprint(RULE, 'us-east-1'));
    expect(distributionFingerprint(RULE, 'us-east-1')).toBe(
      distributionFingerprint(buildRule({ copy: { regions: ['us-west-2', 'eu-west-1'] } }), 'us-east-1'),
    );
  });

  it('already published (another invocation won, its tag not yet written): no second event; the tag is put', async () => {
    const { ec2, writes, reads } = fakeEc2({ images: complete() });
    const { claims } = memoryClaims(['published']);
    const published: ToolEvent[] = [];

    expect(await announceIfComplete(RULE, SOURCE, ACCOUNT, deps(ec2, claims, published))).toEqual({
      status: 'already-announced',
    });
    expect(published).toEqual([]);
    expect(writes).toHaveLength(1);
    // The winner's work is not repeated: no permission or snapshot is read.
    expect(reads.filter((r) => r.includes('DescribeImageAttribute'))).toEqual([]);
  });

  it('already published and the tag already there: nothing is written', async () => {
    const fingerprint = distributionFingerprint(RULE, 'us-east-1');
    const images = complete();
    const tagged = { ...SOURCE, tags: { ...SOURCE.tags, [DISTRIBUTED_TAG]: fingerprint } };
    const { ec2, writes } = fakeEc2({ images: [tagged, ...images.slice(1)] });
    const { claims } = memoryClaims(['published']);

    // The observer's view of the source predates the tag; EC2's current one has it.
    expect(await announceIfComplete(RULE, SOURCE, ACCOUNT, deps(ec2, claims, []))).toEqual({
      status: 'already-announced',
    });
    expect(writes).toEqual([]);
  });

  it('a live claim of another invocation that gets published while waiting: no second event', async () => {
    const { ec2 } = fakeEc2({ images: complete() });
    const { claims, log } = memoryClaims(['in-progress', 'in-progress', 'published']);
    const waits: number[] = [];
    const published: ToolEvent[] = [];

    const result = await announceIfComplete(
      RULE,
      SOURCE,
      ACCOUNT,
      deps(ec2, claims, published, { sleep: async (ms) => void waits.push(ms) }),
    );

    expect(result.status).toBe('already-announced');
    expect(waits).toEqual([200, 500]);
    expect(log).toHaveLength(3);
    expect(published).toEqual([]);
  });

  it('a claim still held after every wait: a retryable CompletionInProgressError, nothing published', async () => {
    const { ec2 } = fakeEc2({ images: complete() });
    const { claims } = memoryClaims(Array.from({ length: 6 }, () => 'in-progress' as const));
    const published: ToolEvent[] = [];

    const error = await announceIfComplete(RULE, SOURCE, ACCOUNT, deps(ec2, claims, published)).catch(
      (e) => e,
    );

    expect(error).toBeInstanceOf(CompletionInProgressError);
    expect(error.retryable).toBe(true);
    expect(published).toEqual([]);
  });

  it('publishing fails: the claim is given back and the error propagates, so a retry can announce', async () => {
    const { ec2, writes } = fakeEc2({ images: complete() });
    const { claims, log, items } = memoryClaims();
    const failing = new AwsCallError(
      'PutEvents',
      'us-east-1',
      Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
      true,
    );

    const error = await announceIfComplete(RULE, SOURCE, ACCOUNT, {
      ...deps(ec2, claims, []),
      events: {
        async publish() {
          throw failing;
        },
      },
    }).catch((e) => e);

    expect(error).toBe(failing);
    expect(log).toEqual(['claim claimed by invocation-1', 'released by invocation-1']);
    expect(items.size).toBe(0);
    expect(writes).toEqual([]);
  });

  it('twenty observers at once (copies finishing together, repeated events, the schedule): one event', async () => {
    const { ec2 } = fakeEc2({ images: complete() });
    const { claims } = memoryClaims();
    const published: ToolEvent[] = [];

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        announceIfComplete(
          RULE,
          SOURCE,
          ACCOUNT,
          // Real (shortened) waits, so the holder's check and publication happen meanwhile.
          deps(ec2, claims, published, {
            owner: `invocation-${i}`,
            sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 20)),
          }),
        ),
      ),
    );

    expect(published).toHaveLength(1);
    expect(results.filter((r) => r.status === 'announced')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'already-announced')).toHaveLength(19);
  });
});
