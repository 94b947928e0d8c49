import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Action,
  type ActionOf,
  type AnnounceAction,
  actionId,
  type CopyAction,
  type Plan,
} from '../../shared/core/actions.js';
import { type ActionOutcome, type ApplyPorts, applyPlan } from '../../shared/core/apply.js';
import { deregistration } from '../../shared/core/deletion.js';
import { AwsCallError, InvariantError } from '../../shared/core/errors.js';
import { execute, MAX_COPY_GENERATIONS } from '../../shared/core/execute.js';
import type { ObservedImage } from '../../shared/core/model.js';
import { copyAction, copyRequest, sourceImageTags } from '../../shared/core/plan-copy.js';
import type { CopyImageRequest, Ec2ForRegion, Ec2Port } from '../../shared/core/ports.js';
import { ec2Error } from '../support/aws-errors.js';
import { image, rule } from './builders.js';

const RULE = rule();
const SOURCE = image({ tags: sourceImageTags(RULE) });

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
async function settle(times = 10) {
  for (let i = 0; i < times; i++) await tick();
}

function awsError(code: string, operation = 'CreateTags', region = 'us-east-1'): AwsCallError {
  return new AwsCallError(operation, region, ec2Error(code));
}

/**
 * An EC2 double for the applier: every call is logged when it starts and ends, counted while in
 * flight (per region), and answers after a tick unless the test holds it (`hold`) or scripted a
 * failure (`fail`). Calls are named `<region> <Operation> <resource>`.
 */
function controlledEc2(
  options: {
    copyImage?: (region: string, request: CopyImageRequest) => string;
    describeImage?: (region: string, imageId: string) => ObservedImage | undefined;
    /** Answer within the same turn (microtasks only): for tests on fake timers. */
    instant?: boolean;
  } = {},
) {
  const log: string[] = [];
  const gates = new Map<string, PromiseWithResolvers<void>>();
  const failures = new Map<string, unknown>();
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  let total = 0;
  let maxTotal = 0;

  const call = async <T>(region: string, name: string, answer: () => T): Promise<T> => {
    const key = `${region} ${name}`;
    log.push(`start ${key}`);
    const now = (inFlight.get(region) ?? 0) + 1;
    inFlight.set(region, now);
    maxInFlight.set(region, Math.max(maxInFlight.get(region) ?? 0, now));
    total++;
    maxTotal = Math.max(maxTotal, total);
    try {
      const gate = gates.get(key);
      await (gate !== undefined ? gate.promise : options.instant === true ? Promise.resolve() : tick());
      if (failures.has(key)) throw failures.get(key);
      return answer();
    } finally {
      inFlight.set(region, (inFlight.get(region) ?? 1) - 1);
      total--;
      log.push(`end ${key}`);
    }
  };

  const ec2: Ec2ForRegion = (region) => {
    const port: Ec2Port = {
      describeImage: (id) => call(region, `DescribeImages ${id}`, () => options.describeImage?.(region, id)),
      describeImagesById: (ids) =>
        call(region, `DescribeImages ${ids.join(',')}`, () =>
          ids.flatMap((id) => {
            const found = options.describeImage?.(region, id);
            return found === undefined ? [] : [found];
          }),
        ),
      listImages: () => call(region, 'DescribeImages', () => []),
      imagesExecutableBy: () => call(region, 'DescribeImages ExecutableBy', () => new Set<string>()),
      snapshotsRestorableBy: () => call(region, 'DescribeSnapshots RestorableBy', () => new Set<string>()),
      findCopies: () => call(region, 'DescribeImages copies', () => []),
      describeLaunchPermissions: (id) => call(region, `DescribeImageAttribute ${id}`, () => []),
      describeSnapshots: () => call(region, 'DescribeSnapshots', () => []),
      listTaggedSnapshots: () => call(region, 'DescribeSnapshots tagged', () => []),
      describeCreateVolumeUserIds: (id) => call(region, `DescribeSnapshotAttribute ${id}`, () => []),
      isPublicSharingBlocked: () => call(region, 'GetImageBlockPublicAccessState', () => false),
      findReferences: (id) => call(region, `references ${id}`, () => []),
      copyImage: (request) =>
        call(region, `CopyImage ${request.sourceImageId}`, () =>
          options.copyImage === undefined ? 'ami-0c0000000000000c1' : options.copyImage(region, request),
        ),
      createTags: (ids) => call(region, `CreateTags ${ids.join(',')}`, () => undefined),
      addLaunchPermissions: (id) => call(region, `ModifyImageAttribute ${id}`, () => undefined),
      removeLaunchPermissions: (id) => call(region, `ModifyImageAttribute remove ${id}`, () => undefined),
      addCreateVolumePermissions: (id) => call(region, `ModifySnapshotAttribute ${id}`, () => undefined),
      enableDeprecation: (id) => call(region, `EnableImageDeprecation ${id}`, () => undefined),
      disableDeprecation: (id) => call(region, `DisableImageDeprecation ${id}`, () => undefined),
      disableImage: (id) => call(region, `DisableImage ${id}`, () => undefined),
      enableImage: (id) => call(region, `EnableImage ${id}`, () => undefined),
      deregister: (id) =>
        call(region, `DeregisterImage ${id}`, () => ({
          snapshotResults: [] as { snapshotId: string; returnCode: string }[],
        })),
      deleteSnapshot: (id) => call(region, `DeleteSnapshot ${id}`, () => undefined),
      describeLaunchTemplate: (t) =>
        call(region, `DescribeLaunchTemplateVersions ${t.id ?? t.name}`, () => undefined),
      createLaunchTemplateVersion: (r) =>
        call(
          region,
          `CreateLaunchTemplateVersion ${r.templateId} ${r.imageId} from v${r.sourceVersion}`,
          () => 7,
        ),
      setDefaultLaunchTemplateVersion: (id, version) =>
        call(region, `ModifyLaunchTemplate ${id} default v${version}`, () => undefined),
    };
    return port;
  };

  return {
    ec2,
    log,
    starts: () => log.filter((l) => l.startsWith('start ')).map((l) => l.slice('start '.length)),
    /** Holds the call until the test releases it. */
    hold: (key: string) => {
      const gate = Promise.withResolvers<void>();
      gates.set(key, gate);
      return gate;
    },
    fail: (key: string, error: unknown) => failures.set(key, error),
    maxInFlight,
    maxTotal: () => maxTotal,
  };
}

type Fake = ReturnType<typeof controlledEc2>;

function ports(
  fake: Fake,
  announced: Array<{ action: AnnounceAction; prerequisites: readonly ActionOutcome[] }> = [],
) {
  const result: ApplyPorts = {
    ec2: fake.ec2,
    announce: async (action, prerequisites) => {
      fake.log.push(`announce ${action.id}`);
      announced.push({ action, prerequisites });
    },
  };
  return result;
}

function tag(region: string, resource: string, after?: string[]): ActionOf<'tag'> {
  return {
    kind: 'tag',
    id: actionId('tag', region, resource),
    region,
    ...(after === undefined ? {} : { after }),
    imageIds: [resource],
    resourceIds: [resource],
    changes: [{ key: 'owner', value: 'platform' }],
  };
}

function share(
  region: string,
  imageId: string,
  edges: { after?: string[]; waitsFor?: string[] } = {},
): ActionOf<'share-image'> {
  return {
    kind: 'share-image',
    id: actionId('share-image', region, imageId),
    region,
    ...edges,
    imageId,
    add: [{ kind: 'account', id: '444455556666' }],
  };
}

function copy(
  region: string,
  options: Partial<Parameters<typeof copyAction>[3]> = {},
  source: ObservedImage = SOURCE,
): CopyAction {
  const action = copyAction(RULE, source, region, {
    generation: 0,
    spentImageIds: [],
    verify: false,
    ...options,
  });
  if (action === undefined) throw new Error('the rule copies');
  return action;
}

function announce(id: string, edges: { after?: string[]; waitsFor?: string[] }): AnnounceAction {
  return {
    kind: 'announce',
    id,
    region: 'us-east-1',
    ...edges,
    announcement: {
      kind: 'distribution-started',
      rule: RULE.name,
      sourceImageId: SOURCE.imageId,
      sourceRegion: SOURCE.region,
      imageName: SOURCE.name,
      targetRegions: ['eu-west-1', 'us-west-2'],
    },
  };
}

const plan = (...actions: Action[]): Plan => ({ actions, notes: [] });
const byId = (outcomes: readonly ActionOutcome[]) => new Map(outcomes.map((o) => [o.action.id, o]));

describe('applyPlan: order', () => {
  it('an action starts only once its prerequisites are applied, across regions (a copy in eu-west-1 after a tag in us-east-1)', async () => {
    const fake = controlledEc2();
    const sourceTag = tag('us-east-1', SOURCE.imageId);
    const sourceShare = share('us-east-1', SOURCE.imageId);
    const euCopy = copy('eu-west-1', { after: [sourceTag.id] });
    const tagGate = fake.hold(`us-east-1 CreateTags ${SOURCE.imageId}`);

    // The copy comes first in the plan: only its edge holds it back.
    const running = applyPlan(plan(euCopy, sourceTag, sourceShare), ports(fake));
    await settle();
    expect(fake.starts()).toEqual([
      `us-east-1 CreateTags ${SOURCE.imageId}`,
      `us-east-1 ModifyImageAttribute ${SOURCE.imageId}`,
    ]);

    tagGate.resolve();
    const outcomes = await running;

    expect(fake.log.indexOf(`start eu-west-1 CopyImage ${SOURCE.imageId}`)).toBeGreaterThan(
      fake.log.indexOf(`end us-east-1 CreateTags ${SOURCE.imageId}`),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    expect(byId(outcomes).get(euCopy.id)).toEqual({
      action: euCopy,
      status: 'applied',
      result: { kind: 'copy', imageId: 'ami-0c0000000000000c1', generation: 0 },
    });
  });

  it('within a region, actions start in plan order', async () => {
    const fake = controlledEc2();
    const actions = ['ami-01', 'ami-02', 'ami-03', 'ami-04'].map((id) => share('us-east-1', id));
    await applyPlan(plan(...actions), ports(fake), { concurrency: 1 });
    expect(fake.starts()).toEqual(actions.map((a) => `us-east-1 ModifyImageAttribute ${a.imageId}`));
  });

  it('a prerequisite that failed blocks its dependents, and theirs; the rest goes on', async () => {
    const fake = controlledEc2();
    const failing = awsError('UnauthorizedOperation');
    fake.fail(`us-east-1 CreateTags ${SOURCE.imageId}`, failing);
    const sourceTag = tag('us-east-1', SOURCE.imageId);
    const euCopy = copy('eu-west-1', { after: [sourceTag.id] });
    const started = announce('announce:us-east-1:started', { after: [euCopy.id] });
    const unrelated = share('us-east-1', SOURCE.imageId);
    const announced: Array<{ action: AnnounceAction; prerequisites: readonly ActionOutcome[] }> = [];

    const outcomes = byId(
      await applyPlan(plan(sourceTag, unrelated, euCopy, started), ports(fake, announced)),
    );

    expect(outcomes.get(sourceTag.id)).toEqual({ action: sourceTag, status: 'failed', error: failing });
    expect(outcomes.get(euCopy.id)).toEqual({
      action: euCopy,
      status: 'skipped',
      reason: 'blocked',
      blockedBy: sourceTag.id,
    });
    expect(outcomes.get(started.id)).toMatchObject({
      status: 'skipped',
      reason: 'blocked',
      blockedBy: euCopy.id,
    });
    expect(outcomes.get(unrelated.id)?.status).toBe('applied');
    expect(fake.starts().filter((s) => s.includes('CopyImage'))).toEqual([]);
    expect(announced).toEqual([]);
  });

  it('a failed deregistration blocks its snapshots’ deletion and its announcement', async () => {
    const fake = controlledEc2();
    const target = image({ tags: { ...sourceImageTags(RULE), 'ami-lifecycle:retired': SOURCE.imageId } });
    const actions = deregistration(
      {
        image: target,
        rule: RULE,
        role: 'source',
        sourceImageId: target.imageId,
        sourceRegion: target.region,
      },
      'superseded',
    );
    fake.fail(
      `us-east-1 DeregisterImage ${target.imageId}`,
      awsError('UnauthorizedOperation', 'DeregisterImage'),
    );
    const announced: Array<{ action: AnnounceAction; prerequisites: readonly ActionOutcome[] }> = [];

    const outcomes = await applyPlan(plan(...actions), ports(fake, announced));

    expect(outcomes.map((o) => [o.action.kind, o.status])).toEqual([
      ['deregister', 'failed'],
      ['delete-snapshot', 'skipped'],
      ['delete-snapshot', 'skipped'],
      ['announce', 'skipped'],
    ]);
    expect(fake.starts().filter((s) => s.includes('DeleteSnapshot'))).toEqual([]);
    expect(announced).toEqual([]);
  });

  it('waitsFor orders without blocking: the announcement follows every copy, failed or not, and gets their outcomes', async () => {
    const fake = controlledEc2();
    const failing = awsError('InvalidParameterValue', 'CopyImage', 'eu-west-1');
    fake.fail(`eu-west-1 CopyImage ${SOURCE.imageId}`, failing);
    const slow = fake.hold(`us-west-2 CopyImage ${SOURCE.imageId}`);
    const eu = copy('eu-west-1');
    const us = copy('us-west-2');
    const started = announce('announce:us-east-1:started', { waitsFor: [eu.id, us.id] });
    const announced: Array<{ action: AnnounceAction; prerequisites: readonly ActionOutcome[] }> = [];

    const running = applyPlan(plan(started, eu, us), ports(fake, announced));
    await settle();
    expect(announced).toEqual([]);
    slow.resolve();
    const outcomes = byId(await running);

    expect(fake.log.indexOf(`announce ${started.id}`)).toBeGreaterThan(
      fake.log.indexOf(`end us-west-2 CopyImage ${SOURCE.imageId}`),
    );
    expect(outcomes.get(started.id)?.status).toBe('applied');
    expect(announced).toHaveLength(1);
    expect(announced[0]?.prerequisites.map((o) => [o.action.id, o.status])).toEqual([
      [eu.id, 'failed'],
      [us.id, 'applied'],
    ]);
  });
});

describe('applyPlan: concurrency and stopping', () => {
  const many = (region: string, n: number) =>
    Array.from({ length: n }, (_, i) => share(region, `ami-0${region.length}${String(i).padStart(15, '0')}`));

  it('at most `concurrency` calls in flight per region, regions side by side', async () => {
    const fake = controlledEc2();
    await applyPlan(plan(...many('us-east-1', 10), ...many('eu-west-1', 10)), ports(fake), {
      concurrency: 3,
    });
    expect(fake.maxInFlight.get('us-east-1')).toBe(3);
    expect(fake.maxInFlight.get('eu-west-1')).toBe(3);
    expect(fake.maxTotal()).toBe(6);
    expect(fake.starts()).toHaveLength(20);
  });

  it('four per region by default', async () => {
    const fake = controlledEc2();
    await applyPlan(plan(...many('us-east-1', 9)), ports(fake));
    expect(fake.maxInFlight.get('us-east-1')).toBe(4);
  });

  it('shouldStop: once it says so, the remaining actions are skipped as stopped (and their dependents blocked)', async () => {
    const fake = controlledEc2();
    const [a, b, c] = many('us-east-1', 3);
    if (a === undefined || b === undefined || c === undefined) throw new Error('three actions');
    const dependent = tag('eu-west-1', 'ami-0dddddddddddddddd', [b.id]);

    const outcomes = byId(
      await applyPlan(plan(a, b, c, dependent), ports(fake), {
        concurrency: 1,
        shouldStop: () => fake.starts().length >= 1,
      }),
    );

    expect(outcomes.get(a.id)?.status).toBe('applied');
    expect(outcomes.get(b.id)).toEqual({ action: b, status: 'skipped', reason: 'stopped' });
    expect(outcomes.get(c.id)).toEqual({ action: c, status: 'skipped', reason: 'stopped' });
    expect(outcomes.get(dependent.id)).toMatchObject({
      status: 'skipped',
      reason: 'blocked',
      blockedBy: b.id,
    });
    expect(fake.starts()).toHaveLength(1);
  });
});

describe('applyPlan: failures and bugs', () => {
  it('an AwsCallError is a failed outcome; the others are applied', async () => {
    const fake = controlledEc2();
    const throttled = awsError('RequestLimitExceeded', 'ModifyImageAttribute');
    fake.fail('us-east-1 ModifyImageAttribute ami-01', throttled);
    const outcomes = await applyPlan(
      plan(share('us-east-1', 'ami-01'), share('us-east-1', 'ami-02')),
      ports(fake),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'applied']);
    expect(outcomes[0]).toMatchObject({ status: 'failed', error: throttled });
  });

  it.each([
    { name: 'a TypeError', error: new TypeError("Cannot read properties of undefined (reading 'ImageId')") },
    { name: 'an InvariantError', error: new InvariantError('CopyImage answered without an image id') },
    { name: 'a plain Error', error: new Error('boom') },
  ])(
    '$name thrown by the port is rethrown, not a failure: a bug in an adapter is not retried; it waits for what is in flight',
    async ({ error }) => {
      const fake = controlledEc2();
      fake.fail('us-east-1 ModifyImageAttribute ami-01', error);
      const other = fake.hold('eu-west-1 ModifyImageAttribute ami-02');
      let settled = false;

      const running = applyPlan(
        plan(share('us-east-1', 'ami-01'), share('eu-west-1', 'ami-02')),
        ports(fake),
      ).then(
        () => {
          settled = true;
          return undefined;
        },
        (e: unknown) => {
          settled = true;
          return e;
        },
      );
      await settle();
      // The bug is known, but the call in flight elsewhere has not settled yet.
      expect(settled).toBe(false);
      other.resolve();

      expect(await running).toBe(error);
      expect(fake.starts().filter((s) => s === 'us-east-1 ModifyImageAttribute ami-01')).toHaveLength(1);
      expect(fake.log).toContain('end eu-west-1 ModifyImageAttribute ami-02');
    },
  );

  it.each([
    {
      name: 'two actions with one id',
      actions: () => [share('us-east-1', 'ami-01'), share('us-east-1', 'ami-01')],
      message: /two actions with id/,
    },
    {
      name: 'a prerequisite not in the plan',
      actions: () => [share('us-east-1', 'ami-01', { after: ['tag:us-east-1:ami-missing'] })],
      message: /not in the plan/,
    },
    {
      name: 'an awaited action not in the plan',
      actions: () => [share('us-east-1', 'ami-01', { waitsFor: ['copy:eu-west-1:missing'] })],
      message: /not in the plan/,
    },
    {
      name: 'a cycle',
      actions: () => [
        share('us-east-1', 'ami-01', { after: [actionId('share-image', 'eu-west-1', 'ami-02')] }),
        share('eu-west-1', 'ami-02', { waitsFor: [actionId('share-image', 'us-east-1', 'ami-01')] }),
      ],
      message: /cycle/,
    },
    {
      name: 'an action waiting for itself',
      actions: () => [
        share('us-east-1', 'ami-01', { after: [actionId('share-image', 'us-east-1', 'ami-01')] }),
      ],
      message: /cycle/,
    },
  ])('$name is a planner bug: InvariantError, and nothing is called', async ({ actions, message }) => {
    const fake = controlledEc2();
    const error = await applyPlan(plan(...actions()), ports(fake)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvariantError);
    expect(error instanceof Error ? error.message : '').toMatch(message);
    expect(fake.log).toEqual([]);
  });
});

describe('copy generations (execute)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** CopyImage answering per generation (by the token it was sent), recording the tokens. */
  function byGeneration(action: CopyAction, answers: Record<number, string>) {
    const tokens: string[] = [];
    const generationOf = (token: string) => {
      for (let g = 0; g < 20; g++) if (copyRequest(action, g).clientToken === token) return g;
      throw new Error(`unknown token ${token}`);
    };
    const copyImage = (_region: string, request: CopyImageRequest) => {
      tokens.push(request.clientToken);
      return answers[generationOf(request.clientToken)] ?? 'ami-0ffffffffffffffff';
    };
    return { tokens, copyImage };
  }

  it('an answer among the spent ids: the next generation’s token is tried, and its copy returned as generation + 1', async () => {
    const action = copy('eu-west-1', { generation: 1, spentImageIds: ['ami-0deaddeaddeaddead'] });
    const { tokens, copyImage } = byGeneration(action, {
      1: 'ami-0deaddeaddeaddead',
      2: 'ami-0a1a1a1a1a1a1a1a1',
    });
    const fake = controlledEc2({ copyImage });

    const outcomes = await applyPlan(plan(action), ports(fake));

    expect(outcomes[0]).toMatchObject({
      status: 'applied',
      result: { kind: 'copy', imageId: 'ami-0a1a1a1a1a1a1a1a1', generation: 2 },
    });
    expect(tokens).toEqual([action.clientToken, copyRequest(action, 2).clientToken]);
    expect(tokens[0]).not.toBe(tokens[1]);
    // Without `verify`, nothing is read.
    expect(fake.starts().filter((s) => s.includes('DescribeImages'))).toEqual([]);
  });

  it('with verify, an answer DescribeImages never shows (after 0.5 s and 1.5 s more) is spent: the next generation is tried', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const action = copy('eu-west-1', { verify: true });
    const { tokens, copyImage } = byGeneration(action, {
      0: 'ami-0907090709070907a',
      1: 'ami-0b1b1b1b1b1b1b1b1',
    });
    const fake = controlledEc2({
      instant: true,
      copyImage,
      describeImage: (region, id) =>
        id === 'ami-0b1b1b1b1b1b1b1b1' ? image({ region, imageId: id, state: 'pending' }) : undefined,
    });
    let result: unknown;
    const running = execute(action, fake.ec2('eu-west-1'), []).then((r) => {
      result = r;
    });

    await vi.advanceTimersByTimeAsync(1999);
    expect(result).toBeUndefined();
    expect(tokens).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await running;

    expect(result).toEqual({ kind: 'copy', imageId: 'ami-0b1b1b1b1b1b1b1b1', generation: 1 });
    expect(fake.starts().filter((s) => s === 'eu-west-1 DescribeImages ami-0907090709070907a')).toHaveLength(
      3,
    );
    expect(fake.starts().filter((s) => s === 'eu-west-1 DescribeImages ami-0b1b1b1b1b1b1b1b1')).toHaveLength(
      1,
    );
  });

  it('with verify, a new copy DescribeImages shows only on the second read (eventual consistency) is the copy', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const action = copy('eu-west-1', { verify: true });
    let reads = 0;
    const fake = controlledEc2({
      instant: true,
      copyImage: () => 'ami-0c2c2c2c2c2c2c2c2',
      describeImage: (region, id) => {
        reads++;
        return reads === 1 ? undefined : image({ region, imageId: id, state: 'pending' });
      },
    });
    let result: unknown;
    const running = execute(action, fake.ec2('eu-west-1'), []).then((r) => {
      result = r;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await running;
    expect(result).toEqual({ kind: 'copy', imageId: 'ami-0c2c2c2c2c2c2c2c2', generation: 0 });
    expect(reads).toBe(2);
  });

  it('with verify, an answer DescribeImages shows failed is spent at once', async () => {
    const action = copy('eu-west-1', { verify: true });
    const { tokens, copyImage } = byGeneration(action, {
      0: 'ami-0d3d3d3d3d3d3d3d3',
      1: 'ami-0e4e4e4e4e4e4e4e4',
    });
    const fake = controlledEc2({
      copyImage,
      describeImage: (region, id) =>
        image({ region, imageId: id, state: id === 'ami-0d3d3d3d3d3d3d3d3' ? 'failed' : 'available' }),
    });
    expect(await execute(action, fake.ec2('eu-west-1'), [])).toEqual({
      kind: 'copy',
      imageId: 'ami-0e4e4e4e4e4e4e4e4',
      generation: 1,
    });
    expect(tokens).toHaveLength(2);
  });

  describe("with verify, through the applier: a region's answers are checked with one read", () => {
    const sourceN = (n: number) =>
      image({ imageId: `ami-0${String(n).padStart(16, '0')}`, tags: SOURCE.tags });
    const copyOf = (region: string, n: number, options: Partial<Parameters<typeof copyAction>[3]> = {}) =>
      copy(region, { verify: true, ...options }, sourceN(n));
    const answerOf = (request: CopyImageRequest, generation = 0) =>
      `ami-0${request.sourceImageId.slice(-8)}${String(generation).padStart(8, '0')}`;
    const pending = (region: string, imageId: string) => image({ region, imageId, state: 'pending' });
    const reads = (fake: Fake) => fake.starts().filter((s) => s.includes('DescribeImages'));

    it('more copies than call slots, in two regions: one DescribeImages a region, naming every answer; all applied', async () => {
      const actions = [
        ...Array.from({ length: 7 }, (_, n) => copyOf('eu-west-1', n)),
        ...Array.from({ length: 2 }, (_, n) => copyOf('us-west-2', n)),
      ];
      const fake = controlledEc2({
        copyImage: (_region, request) => answerOf(request),
        describeImage: pending,
      });

      const outcomes = await applyPlan(plan(...actions), ports(fake), { concurrency: 3 });

      expect(outcomes.map((o) => o.status)).toEqual(actions.map(() => 'applied'));
      const euAnswers = actions.slice(0, 7).map((a) => answerOf(a));
      expect(reads(fake)).toEqual([
        `us-west-2 DescribeImages ${actions
          .slice(7)
          .map((a) => answerOf(a))
          .join(',')}`,
        `eu-west-1 DescribeImages ${euAnswers.join(',')}`,
      ]);
      // The copies waiting for the read gave their slots back: the limit still held.
      expect(fake.maxInFlight.get('eu-west-1')).toBeLessThanOrEqual(3);
    });

    it('one answer is a gone copy (a spent token): only that copy tries its next generation, checked in a second read', async () => {
      const actions = [copyOf('eu-west-1', 1), copyOf('eu-west-1', 2), copyOf('eu-west-1', 3)];
      const gone = answerOf(actions[1] as CopyAction);
      const tokens: string[] = [];
      const fake = controlledEc2({
        copyImage: (_region, request) => {
          tokens.push(request.clientToken);
          const action = actions.find((a) => a.sourceImageId === request.sourceImageId) as CopyAction;
          return answerOf(request, request.clientToken === action.clientToken ? 0 : 1);
        },
        describeImage: (region, id) =>
          id === gone ? image({ region, imageId: id, state: 'failed' }) : pending(region, id),
      });

      const outcomes = await applyPlan(plan(...actions), ports(fake));

      expect(outcomes.map((o) => (o.status === 'applied' ? o.result : o.status))).toEqual([
        { kind: 'copy', imageId: answerOf(actions[0] as CopyAction), generation: 0 },
        { kind: 'copy', imageId: answerOf(actions[1] as CopyAction, 1), generation: 1 },
        { kind: 'copy', imageId: answerOf(actions[2] as CopyAction), generation: 0 },
      ]);
      expect(tokens).toHaveLength(4);
      expect(reads(fake)).toEqual([
        `eu-west-1 DescribeImages ${actions.map((a) => answerOf(a)).join(',')}`,
        `eu-west-1 DescribeImages ${answerOf(actions[1] as CopyAction, 1)}`,
      ]);
    });

    it("a copy blocked by a failed prerequisite, and one whose CopyImage failed, do not hold back the others' read", async () => {
      const failedTag = tag('us-east-1', SOURCE.imageId);
      const blocked = copyOf('eu-west-1', 1, { after: [failedTag.id] });
      const refused = copyOf('eu-west-1', 2);
      const fine = copyOf('eu-west-1', 3);
      const fake = controlledEc2({
        copyImage: (_region, request) => answerOf(request),
        describeImage: pending,
      });
      fake.fail(`us-east-1 CreateTags ${SOURCE.imageId}`, awsError('UnauthorizedOperation'));
      fake.fail(
        `eu-west-1 CopyImage ${refused.sourceImageId}`,
        awsError('InvalidAMIID.NotFound', 'CopyImage', 'eu-west-1'),
      );

      const outcomes = byId(await applyPlan(plan(failedTag, blocked, refused, fine), ports(fake)));

      expect(outcomes.get(blocked.id)).toMatchObject({ status: 'skipped', reason: 'blocked' });
      expect(outcomes.get(refused.id)).toMatchObject({ status: 'failed' });
      expect(outcomes.get(fine.id)).toMatchObject({ status: 'applied', result: { imageId: answerOf(fine) } });
      expect(reads(fake)).toEqual([`eu-west-1 DescribeImages ${answerOf(fine)}`]);
    });

    it('a failed read fails every copy that waited for it (each is safe to repeat), and nothing else', async () => {
      const actions = [copyOf('eu-west-1', 1), copyOf('eu-west-1', 2)];
      const fake = controlledEc2({
        copyImage: (_region, request) => answerOf(request),
        describeImage: pending,
      });
      const throttled = awsError('RequestLimitExceeded', 'DescribeImages', 'eu-west-1');
      fake.fail(`eu-west-1 DescribeImages ${actions.map((a) => answerOf(a)).join(',')}`, throttled);

      const outcomes = await applyPlan(plan(...actions), ports(fake));

      expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed']);
      expect(outcomes[0]).toMatchObject({ error: throttled });
    });

    it('a copy that waits for another checked copy of its region is a planner bug: refused before any call', async () => {
      const first = copyOf('eu-west-1', 1);
      const second = copyOf('eu-west-1', 2, { after: [first.id] });
      const fake = controlledEc2();
      await expect(applyPlan(plan(first, second), ports(fake))).rejects.toBeInstanceOf(InvariantError);
      expect(fake.starts()).toEqual([]);
    });
  });

  it(`after ${MAX_COPY_GENERATIONS} spent generations: InvariantError, no endless copying`, async () => {
    const action = copy('eu-west-1', { generation: 2, spentImageIds: ['ami-0deaddeaddeaddead'] });
    const { tokens, copyImage } = byGeneration(
      action,
      Object.fromEntries(Array.from({ length: 20 }, (_, g) => [g, 'ami-0deaddeaddeaddead'])),
    );
    const fake = controlledEc2({ copyImage });

    const error = await execute(action, fake.ec2('eu-west-1'), []).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvariantError);
    expect(tokens).toEqual([2, 3, 4, 5, 6].map((g) => copyRequest(action, g).clientToken));
    expect(new Set(tokens).size).toBe(MAX_COPY_GENERATIONS);
    // Through the applier it is a bug, not a failure to retry.
    await expect(applyPlan(plan(action), ports(controlledEc2({ copyImage })))).rejects.toBeInstanceOf(
      InvariantError,
    );
  });
});

describe('deregistration (execute): a lost answer is confirmed by reading', () => {
  const TARGET = image({
    imageId: 'ami-0777777777777777a',
    tags: { 'ami-lifecycle:retired': 'ami-0777777777777777a' },
  });
  const actions = () =>
    deregistration(
      {
        image: TARGET,
        rule: RULE,
        role: 'source',
        sourceImageId: TARGET.imageId,
        sourceRegion: TARGET.region,
      },
      'superseded',
    );
  const deregisterOf = () => {
    const action = actions().find((a): a is ActionOf<'deregister'> => a.kind === 'deregister');
    if (action === undefined) throw new Error('a deregistration');
    return action;
  };
  const lost = () =>
    new AwsCallError(
      'DeregisterImage',
      'us-east-1',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    );

  it.each([
    { name: 'the answer was lost and the image is gone', error: lost(), seen: undefined },
    {
      name: 'the answer was lost and the image shows deregistered',
      error: lost(),
      seen: { ...TARGET, state: 'deregistered' as const },
    },
    {
      name: 'a repeat answered "not found"',
      error: new AwsCallError('DeregisterImage', 'us-east-1', ec2Error('InvalidAMIID.NotFound')),
      seen: undefined,
    },
  ])('$name: applied, confirmed by reading', async ({ error, seen }) => {
    const fake = controlledEc2({ describeImage: () => seen });
    fake.fail(`us-east-1 DeregisterImage ${TARGET.imageId}`, error);
    const action = deregisterOf();

    const [outcome] = await applyPlan(plan(action), ports(fake));

    expect(outcome).toEqual({
      action,
      status: 'applied',
      result: { kind: 'deregister', snapshotResults: [], confirmedByReading: true },
    });
    expect(fake.starts()).toContain(`us-east-1 DescribeImages ${TARGET.imageId}`);
  });

  it('the answer was lost and the image is still there: failed, with the original error', async () => {
    const error = lost();
    const fake = controlledEc2({ describeImage: () => TARGET });
    fake.fail(`us-east-1 DeregisterImage ${TARGET.imageId}`, error);
    const [outcome] = await applyPlan(plan(deregisterOf()), ports(fake));
    expect(outcome).toMatchObject({ status: 'failed', error });
  });

  it('a refusal (not a lost answer) is failed without reading', async () => {
    const error = new AwsCallError('DeregisterImage', 'us-east-1', ec2Error('UnauthorizedOperation', 403));
    const fake = controlledEc2({ describeImage: () => undefined });
    fake.fail(`us-east-1 DeregisterImage ${TARGET.imageId}`, error);
    const [outcome] = await applyPlan(plan(deregisterOf()), ports(fake));
    expect(outcome).toMatchObject({ status: 'failed', error });
    expect(fake.starts().filter((s) => s.includes('DescribeImages'))).toEqual([]);
  });

  it('snapshots DeregisterImage deleted are not deleted again; one in use is kept, not a failure', async () => {
    const [first, second] = TARGET.snapshotIds;
    const fake = controlledEc2();
    const base = fake.ec2;
    fake.fail(
      `us-east-1 DeleteSnapshot ${second}`,
      new AwsCallError('DeleteSnapshot', 'us-east-1', ec2Error('InvalidSnapshot.InUse')),
    );
    const ec2: Ec2ForRegion = (region) => ({
      ...base(region),
      deregister: async () => ({
        snapshotResults: [
          { snapshotId: first ?? '', returnCode: 'success' },
          { snapshotId: second ?? '', returnCode: 'skipped' },
        ],
      }),
    });

    const outcomes = await applyPlan(plan(...actions()), { ...ports(fake), ec2 });

    expect(
      outcomes.map((o) => [o.action.kind, o.status, o.status === 'applied' ? o.result?.kind : undefined]),
    ).toEqual([
      ['deregister', 'applied', 'deregister'],
      ['delete-snapshot', 'applied', 'delete-snapshot'],
      ['delete-snapshot', 'applied', 'delete-snapshot'],
      ['announce', 'applied', undefined],
    ]);
    expect(
      outcomes.map((o) =>
        o.status === 'applied' && o.result?.kind === 'delete-snapshot' ? o.result.outcome : '-',
      ),
    ).toEqual(['-', 'with-image', 'in-use', '-']);
    expect(fake.starts()).toEqual([`us-east-1 DeleteSnapshot ${second}`]);
  });
});
