import { describe, expect, it } from 'vitest';
import {
  type CompletionDependencies,
  CompletionInProgressError,
  type CompletionResult,
  DISTRIBUTED_TAG,
  type DoneImage,
  distributionFingerprint,
  familyStatus,
  isAnnounced,
  recordDone,
  regionStatus,
  releaseKey,
} from '../../shared/core/completion.js';
import { AwsCallError } from '../../shared/core/errors.js';
import type { ObservedImage } from '../../shared/core/model.js';
import { DetailType, type ToolEvent } from '../../shared/core/notifications.js';
import { sourceImageTags } from '../../shared/core/plan-copy.js';
import type { ClaimOutcome, CompletionClaims, Ec2ForRegion, Ec2Port } from '../../shared/core/ports.js';
import type { Rule } from '../../shared/rules/schema.js';
import { schemaErrors } from '../support/tool-events.js';
import { rule as buildRule, image } from './builders.js';

const RULE = buildRule({ copy: { regions: ['eu-west-1', 'us-west-2'] } });
const SOURCE = image({ imageId: 'ami-0500000000000000a', tags: sourceImageTags(RULE) });
const COPY_IDS: Record<string, string> = {
  'eu-west-1': 'ami-0e00000000000000e',
  'us-west-2': 'ami-0f00000000000000f',
  'ap-southeast-2': 'ami-0a00000000000000a',
};
const FINGERPRINT = distributionFingerprint(RULE, 'us-east-1');
const LEASE_MS = 120_000;

/** What the handler of `region` records once every change to its image is applied. */
function done(region: string, r: Rule = RULE, overrides: Partial<DoneImage> = {}): DoneImage {
  const base = { rule: r, sourceImageId: SOURCE.imageId, sourceRegion: 'us-east-1', region };
  return region === 'us-east-1'
    ? // The source's handler names the source, and saw it without the announcement tag.
      { ...base, imageId: SOURCE.imageId, imageName: SOURCE.name, sourceUntagged: true, ...overrides }
    : { ...base, imageId: COPY_IDS[region] ?? 'ami-0000000000000000b', ...overrides };
}

/** EC2 where only CreateTags is expected: every call is recorded, any other one fails the test. */
function recordingEc2(): { ec2: Ec2ForRegion; calls: string[] } {
  const calls: string[] = [];
  const ec2: Ec2ForRegion = (region) => {
    const unexpected = (name: string) => async (): Promise<never> => {
      calls.push(`${region} ${name}`);
      throw new Error(`unexpected EC2 call ${name} in ${region}`);
    };
    const port: Ec2Port = {
      describeImage: unexpected('DescribeImages'),
      describeImagesById: unexpected('DescribeImages by id'),
      listImages: unexpected('DescribeImages'),
      imagesExecutableBy: unexpected('DescribeImages ExecutableBy'),
      snapshotsRestorableBy: unexpected('DescribeSnapshots RestorableBy'),
      findCopies: unexpected('DescribeImages copies'),
      describeLaunchPermissions: unexpected('DescribeImageAttribute'),
      describeSnapshots: unexpected('DescribeSnapshots'),
      listTaggedSnapshots: unexpected('DescribeSnapshots tagged'),
      describeCreateVolumeUserIds: unexpected('DescribeSnapshotAttribute'),
      isPublicSharingBlocked: unexpected('GetImageBlockPublicAccessState'),
      findReferences: unexpected('references'),
      copyImage: unexpected('CopyImage'),
      createTags: async (ids, tags) => {
        calls.push(`${region} CreateTags ${ids.join(',')} ${JSON.stringify(tags)}`);
      },
      addLaunchPermissions: unexpected('ModifyImageAttribute add'),
      removeLaunchPermissions: unexpected('ModifyImageAttribute remove'),
      addCreateVolumePermissions: unexpected('ModifySnapshotAttribute'),
      enableDeprecation: unexpected('EnableImageDeprecation'),
      disableDeprecation: unexpected('DisableImageDeprecation'),
      disableImage: unexpected('DisableImage'),
      enableImage: unexpected('EnableImage'),
      deregister: unexpected('DeregisterImage'),
      deleteSnapshot: unexpected('DeleteSnapshot'),
      describeLaunchTemplate: unexpected('DescribeLaunchTemplateVersions'),
      createLaunchTemplateVersion: unexpected('CreateLaunchTemplateVersion'),
      setDefaultLaunchTemplateVersion: unexpected('ModifyLaunchTemplate'),
    };
    return port;
  };
  return { ec2, calls };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * An in-memory `CompletionClaims` honouring the DynamoDB adapter's contract: a claim is a
 * conditional write (absent, or claimed with its lease run out) with a lease; `published` and
 * `release` hold only for the owner; `markDone` adds a region and returns every region done so
 * far in one step. Each call yields first, so concurrent callers interleave.
 */
function memoryClaims(clock: () => number = () => 0) {
  const items = new Map<string, { status: 'claimed' | 'published'; owner: string; leaseUntil: number }>();
  const releases = new Map<string, { regions: Map<string, string>; imageName?: string }>();
  const log: string[] = [];
  const claims: CompletionClaims = {
    async claim(key, owner): Promise<ClaimOutcome> {
      await tick();
      const item = items.get(key);
      const now = clock();
      if (item === undefined || (item.status === 'claimed' && item.leaseUntil < now)) {
        items.set(key, { status: 'claimed', owner, leaseUntil: now + LEASE_MS });
        log.push(`claim ${owner}: claimed`);
        return 'claimed';
      }
      const outcome = item.status === 'published' ? 'published' : 'in-progress';
      log.push(`claim ${owner}: ${outcome}`);
      return outcome;
    },
    async published(key, owner) {
      await tick();
      const item = items.get(key);
      if (item?.owner !== owner) return false;
      items.set(key, { ...item, status: 'published' });
      log.push(`published ${owner}`);
      return true;
    },
    async release(key, owner) {
      await tick();
      const item = items.get(key);
      if (item?.owner === owner && item.status === 'claimed') items.delete(key);
      log.push(`release ${owner}`);
    },
    async markDone(key, region, imageId, imageName) {
      await tick();
      const release = releases.get(key) ?? { regions: new Map<string, string>() };
      release.regions.set(region, imageId);
      if (imageName !== undefined) release.imageName = imageName;
      releases.set(key, release);
      log.push(`done ${region}`);
      const regions = new Map(release.regions);
      return release.imageName === undefined ? { regions } : { regions, imageName: release.imageName };
    },
  };
  return { claims, log, items };
}

interface World {
  ec2: Ec2ForRegion;
  calls: string[];
  claims: CompletionClaims;
  log: string[];
  items: ReturnType<typeof memoryClaims>['items'];
  published: ToolEvent[];
  warnings: string[];
  deps: (overrides?: Partial<CompletionDependencies>) => CompletionDependencies;
}

function world(clock?: () => number): World {
  const { ec2, calls } = recordingEc2();
  const { claims, log, items } = memoryClaims(clock);
  const published: ToolEvent[] = [];
  const warnings: string[] = [];
  const deps = (overrides: Partial<CompletionDependencies> = {}): CompletionDependencies => ({
    ec2,
    claims: (region) => {
      // A family's claims live in its source region.
      expect(region).toBe('us-east-1');
      return claims;
    },
    events: {
      async publish(events) {
        await tick();
        published.push(...events);
      },
    },
    logger: { debug() {}, info() {}, warn: (message) => void warnings.push(message), error() {} },
    owner: 'invocation-1',
    now: () => new Date('2026-11-26T10:00:00.000Z'),
    sleep: async () => {},
    ...overrides,
  });
  return { ec2, calls, claims, log, items, published, warnings, deps };
}

const tagWrite = (fingerprint = FINGERPRINT) =>
  `us-east-1 CreateTags ${SOURCE.imageId} {"${DISTRIBUTED_TAG}":"${fingerprint}"}`;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('recordDone: the last handler announces', () => {
  const orders = permutations(['us-east-1', 'eu-west-1', 'us-west-2']);

  it.each(orders)(
    'handlers finishing in the order %s, %s, %s: the last one announces, exactly once',
    async (...order) => {
      const w = world();
      const results: CompletionResult[] = [];
      for (const region of order) results.push(await recordDone(done(region), w.deps()));

      expect(results.slice(0, 2).map((r) => r.status)).toEqual(['incomplete', 'incomplete']);
      expect(results[2]?.status).toBe('announced');
      expect(w.published).toHaveLength(1);
      const [event] = w.published;
      expect(event?.detailType).toBe(DetailType.DistributionCompleted);
      expect(event?.busRegion).toBe('us-east-1');
      expect(schemaErrors(DetailType.DistributionCompleted, event?.detail)).toEqual([]);
      expect(event?.detail).toMatchObject({
        rule: 'golden',
        sourceImageId: SOURCE.imageId,
        sourceRegion: 'us-east-1',
        // Named by the source's handler, whichever handler announces.
        imageName: SOURCE.name,
        // The source first, then the targets, each with the image its handler recorded.
        regions: [
          { region: 'us-east-1', role: 'source', imageId: SOURCE.imageId, status: 'available' },
          { region: 'eu-west-1', role: 'copy', imageId: COPY_IDS['eu-west-1'], status: 'available' },
          { region: 'us-west-2', role: 'copy', imageId: COPY_IDS['us-west-2'], status: 'available' },
        ],
        sharedWith: {
          accounts: ['444455556666'],
          organizations: ['arn:aws:organizations::111122223333:organization/o-exampleorg1'],
          organizationalUnits: ['arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456'],
          public: false,
        },
        completedAt: '2026-11-26T10:00:00.000Z',
      });
      expect(event?.resources).toEqual([
        `arn:aws:ec2:us-east-1::image/${SOURCE.imageId}`,
        `arn:aws:ec2:eu-west-1::image/${COPY_IDS['eu-west-1']}`,
        `arn:aws:ec2:us-west-2::image/${COPY_IDS['us-west-2']}`,
      ]);
      const announced = results[2];
      expect(announced?.status === 'announced' ? announced.detail.eventId : undefined).toBe(
        event?.detail.eventId,
      );
      // The only EC2 call of the whole release: the source's announcement tag.
      expect(w.calls).toEqual([tagWrite()]);
      expect(w.log.filter((l) => l.startsWith('claim') || l.startsWith('published'))).toEqual([
        'claim invocation-1: claimed',
        'published invocation-1',
      ]);
    },
  );

  it('the same release announced in any order has the same eventId, so consumers can drop a repeat', async () => {
    const ids = new Set<string>();
    for (const order of orders) {
      const w = world();
      for (const region of order) await recordDone(done(region), w.deps());
      const [event] = w.published;
      if (event !== undefined) ids.add(event.detail.eventId);
    }
    expect(ids.size).toBe(1);
  });

  it('while a region is missing: incomplete, naming it, with no EC2 call and no claim at all', async () => {
    const w = world();
    expect(await recordDone(done('eu-west-1'), w.deps())).toEqual({
      status: 'incomplete',
      reason: 'waiting for us-east-1, us-west-2',
    });
    expect(await recordDone(done('us-east-1'), w.deps())).toEqual({
      status: 'incomplete',
      reason: 'waiting for us-west-2',
    });
    // A repeated event for a region already done changes nothing.
    expect(await recordDone(done('eu-west-1'), w.deps())).toEqual({
      status: 'incomplete',
      reason: 'waiting for us-west-2',
    });
    expect(w.calls).toEqual([]);
    expect(w.log).toEqual(['done eu-west-1', 'done us-east-1', 'done eu-west-1']);
    expect(w.published).toEqual([]);
  });

  it('twenty concurrent handlers for the last region (repeated events, retries): one announcement', async () => {
    const w = world();
    await recordDone(done('us-east-1'), w.deps());
    await recordDone(done('eu-west-1'), w.deps());

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        recordDone(
          done('us-west-2'),
          // Real (shortened) waits, so the holder publishes meanwhile.
          w.deps({
            owner: `invocation-${i}`,
            sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 20)),
          }),
        ),
      ),
    );

    expect(w.published).toHaveLength(1);
    expect(results.filter((r) => r.status === 'announced')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'already-announced')).toHaveLength(19);
    expect(w.calls).toEqual([tagWrite()]);
  });

  it('every region finishing at once, each twice: one announcement', async () => {
    const w = world();
    const regions = ['us-east-1', 'eu-west-1', 'us-west-2', 'us-west-2', 'eu-west-1', 'us-east-1'];
    const results = await Promise.all(
      regions.map((region, i) =>
        recordDone(
          done(region),
          w.deps({
            owner: `invocation-${i}`,
            sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 20)),
          }),
        ),
      ),
    );
    expect(w.published).toHaveLength(1);
    expect(results.filter((r) => r.status === 'announced')).toHaveLength(1);
  });
});

describe('recordDone: the claim', () => {
  async function completeBut(w: World, last: string) {
    for (const region of ['us-east-1', 'eu-west-1', 'us-west-2'].filter((r) => r !== last)) {
      await recordDone(done(region), w.deps());
    }
  }
  const key = releaseKey(RULE, 'us-east-1', SOURCE.imageId);

  it('announced already: a repeated event of any region changes nothing, and reads nothing', async () => {
    const w = world();
    await completeBut(w, 'us-west-2');
    await recordDone(done('us-west-2'), w.deps());
    w.calls.length = 0;

    expect(await recordDone(done('eu-west-1'), w.deps())).toEqual({ status: 'already-announced' });
    expect(w.published).toHaveLength(1);
    expect(w.calls).toEqual([]);
  });

  it('announced already, the source seen without its tag (a crash before tagging): only the tag is written', async () => {
    const w = world();
    await completeBut(w, 'us-west-2');
    await recordDone(done('us-west-2'), w.deps());
    w.calls.length = 0;

    expect(await recordDone(done('us-east-1', RULE, { sourceUntagged: true }), w.deps())).toEqual({
      status: 'already-announced',
    });
    expect(w.published).toHaveLength(1);
    expect(w.calls).toEqual([tagWrite()]);
  });

  it('another invocation holds the claim and publishes while this one waits: no second event', async () => {
    const w = world();
    await completeBut(w, 'us-west-2');
    expect(await w.claims.claim(key, 'other-invocation')).toBe('claimed');
    const waits: number[] = [];

    const result = await recordDone(
      done('us-west-2'),
      w.deps({
        sleep: async (ms) => {
          waits.push(ms);
          if (waits.length === 2) await w.claims.published(key, 'other-invocation');
        },
      }),
    );

    expect(result).toEqual({ status: 'already-announced' });
    expect(waits).toEqual([200, 500]);
    expect(w.published).toEqual([]);
    // The holder tags the source; this handler did not see it untagged.
    expect(w.calls).toEqual([]);
  });

  it('a claim still held after every wait: a retryable CompletionInProgressError, nothing published or tagged', async () => {
    const w = world();
    await completeBut(w, 'us-west-2');
    await w.claims.claim(key, 'other-invocation');
    const waits: number[] = [];

    const error = await recordDone(
      done('us-west-2'),
      w.deps({ sleep: async (ms) => void waits.push(ms) }),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CompletionInProgressError);
    expect(error instanceof CompletionInProgressError && error.retryable).toBe(true);
    expect(waits).toEqual([200, 500, 1000, 2000, 4000]);
    expect(w.log.filter((l) => l.startsWith('claim invocation-1'))).toHaveLength(6);
    expect(w.published).toEqual([]);
    expect(w.calls).toEqual([]);
  });

  it('a claim whose holder died (its lease ran out) is taken over, and the release announced', async () => {
    let now = 0;
    const w = world(() => now);
    await completeBut(w, 'us-west-2');
    await w.claims.claim(key, 'dead-invocation');
    now = LEASE_MS + 1;

    const result = await recordDone(done('us-west-2'), w.deps());

    expect(result.status).toBe('announced');
    expect(w.published).toHaveLength(1);
    expect(w.calls).toEqual([tagWrite()]);
  });

  it('publishing fails: the claim is given back, the error propagates, and the retry announces', async () => {
    const w = world();
    await completeBut(w, 'us-west-2');
    const failing = new AwsCallError(
      'PutEvents',
      'us-east-1',
      Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
      true,
    );

    const error = await recordDone(
      done('us-west-2'),
      w.deps({
        events: {
          async publish() {
            throw failing;
          },
        },
      }),
    ).catch((e: unknown) => e);

    expect(error).toBe(failing);
    expect(w.log.slice(-2)).toEqual(['claim invocation-1: claimed', 'release invocation-1']);
    expect(w.items.has(key)).toBe(false);
    expect(w.calls).toEqual([]);

    // The retry of the same handler, without waiting for any lease.
    const retried = await recordDone(done('us-west-2'), w.deps({ owner: 'invocation-2' }));
    expect(retried.status).toBe('announced');
    expect(w.published).toHaveLength(1);
    expect(w.calls).toEqual([tagWrite()]);
  });

  it('a claim taken over while publishing (the lease ran out): a warning, the announcement stands', async () => {
    let now = 0;
    const w = world(() => now);
    await completeBut(w, 'us-west-2');

    const result = await recordDone(
      done('us-west-2'),
      w.deps({
        events: {
          async publish(events) {
            w.published.push(...events);
            now = LEASE_MS + 1;
            expect(await w.claims.claim(key, 'late-invocation')).toBe('claimed');
          },
        },
      }),
    );

    expect(result.status).toBe('announced');
    expect(w.warnings).toEqual([expect.stringContaining('taken over after its lease ran out')]);
    expect(w.calls).toEqual([tagWrite()]);
  });
});

describe('recordDone: what makes a release', () => {
  const WIDER = buildRule({ copy: { regions: ['eu-west-1', 'us-west-2', 'ap-southeast-2'] } });

  it('a rule gaining a region is a new release: a new fingerprint, every region recorded again, announced again', async () => {
    const w = world();
    for (const region of ['us-east-1', 'eu-west-1', 'us-west-2']) await recordDone(done(region), w.deps());
    expect(w.published).toHaveLength(1);

    const wider = distributionFingerprint(WIDER, 'us-east-1');
    expect(wider).not.toBe(FINGERPRINT);
    expect(releaseKey(WIDER, 'us-east-1', SOURCE.imageId)).not.toBe(
      releaseKey(RULE, 'us-east-1', SOURCE.imageId),
    );
    // Regions done for the old release do not count for the new one.
    expect(await recordDone(done('us-east-1', WIDER), w.deps())).toEqual({
      status: 'incomplete',
      reason: 'waiting for eu-west-1, us-west-2, ap-southeast-2',
    });
    for (const region of ['eu-west-1', 'us-west-2']) await recordDone(done(region, WIDER), w.deps());
    const last = await recordDone(done('ap-southeast-2', WIDER), w.deps());

    expect(last.status).toBe('announced');
    expect(w.published).toHaveLength(2);
    expect(w.published[1]?.detail.eventId).not.toBe(w.published[0]?.detail.eventId);
    expect(w.calls).toEqual([tagWrite(), tagWrite(wider)]);
  });

  it('the fingerprint: target regions and grantees in any order; sharing changes make a new release', () => {
    expect(
      distributionFingerprint(buildRule({ copy: { regions: ['us-west-2', 'eu-west-1'] } }), 'us-east-1'),
    ).toBe(FINGERPRINT);
    // The source region among the targets is no target.
    expect(
      distributionFingerprint(
        buildRule({ copy: { regions: ['us-east-1', 'eu-west-1', 'us-west-2'] } }),
        'us-east-1',
      ),
    ).toBe(FINGERPRINT);
    const sharedMore = buildRule({
      copy: { regions: ['eu-west-1', 'us-west-2'] },
      share: { accounts: ['444455556666', '777788889999'] },
    });
    expect(distributionFingerprint(sharedMore, 'us-east-1')).not.toBe(FINGERPRINT);
  });

  it('isAnnounced: the source carries this release’s tag, not another’s', () => {
    const tagged = { ...SOURCE, tags: { ...SOURCE.tags, [DISTRIBUTED_TAG]: FINGERPRINT } };
    expect(isAnnounced(RULE, tagged)).toBe(true);
    expect(isAnnounced(WIDER, tagged)).toBe(false);
    expect(isAnnounced(RULE, SOURCE)).toBe(false);
  });
});

describe('regionStatus and familyStatus (the copy-failed report)', () => {
  const copy = (state: ObservedImage['state'], n: number, overrides: Partial<ObservedImage> = {}) =>
    image({ region: 'eu-west-1', imageId: `ami-0e0000000000000${n}`, state, ...overrides });

  it.each([
    { name: 'no copy', copies: [], expected: { status: 'missing', reason: 'no copy started' } },
    {
      name: 'an available copy beside a failed one counts',
      copies: [copy('failed', 1), copy('available', 2)],
      expected: { status: 'available', imageId: 'ami-0e00000000000002' },
    },
    {
      name: 'a pending copy beats a failed one',
      copies: [copy('failed', 1), copy('pending', 2)],
      expected: { status: 'pending', imageId: 'ami-0e00000000000002' },
    },
    {
      name: 'a failed copy, with EC2’s reason',
      copies: [copy('failed', 1, { stateReason: 'snapshot copy failed' })],
      expected: { status: 'failed', imageId: 'ami-0e00000000000001', reason: 'snapshot copy failed' },
    },
    {
      name: 'a deregistered copy is no copy: failed, saying so',
      copies: [copy('deregistered', 1)],
      expected: { status: 'failed', imageId: 'ami-0e00000000000001', reason: 'copy is deregistered' },
    },
  ])('$name', ({ copies, expected }) => {
    expect(regionStatus('eu-west-1', copies)).toEqual({ region: 'eu-west-1', role: 'copy', ...expected });
  });

  it('the source first, a region that cannot be read is unreadable (never a thrown error)', async () => {
    const statuses = await familyStatus(RULE, SOURCE, async (region) => {
      if (region === 'us-west-2') {
        throw new AwsCallError(
          'DescribeImages',
          region,
          Object.assign(new Error('not enabled'), { name: 'OptInRequired' }),
        );
      }
      return [copy('available', 1)];
    });
    expect(statuses).toEqual([
      { region: 'us-east-1', role: 'source', imageId: SOURCE.imageId, status: 'available' },
      { region: 'eu-west-1', role: 'copy', imageId: 'ami-0e00000000000001', status: 'available' },
      {
        region: 'us-west-2',
        role: 'copy',
        status: 'unreadable',
        reason: expect.stringMatching(/^OptInRequired: /),
      },
    ]);
  });

  it('a source not available says so', async () => {
    const [own] = await familyStatus(RULE, { ...SOURCE, state: 'pending' }, async () => []);
    expect(own).toEqual({
      region: 'us-east-1',
      role: 'source',
      imageId: SOURCE.imageId,
      status: 'pending',
      reason: 'source is pending',
    });
  });

  it('a bug while reading is not turned into an unreadable region', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    await expect(
      familyStatus(RULE, SOURCE, async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
  });
});
