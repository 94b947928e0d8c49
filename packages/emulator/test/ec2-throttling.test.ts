import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeRegionsCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Emulator } from '../src/ec2/index.js';
import {
  ACCOUNT,
  authorization,
  expectEc2Error,
  type Harness,
  OTHER_ACCOUNT,
  startHarness,
} from './ec2-harness.js';

describe('throttling', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('has default buckets of 100 non-mutating and 50 mutating calls per account and region', async () => {
    const clock = 0;
    h = await startHarness({ throttle: { clock: () => clock } });
    const { imageId } = h.emulator.seedImage({ region: 'us-east-1', name: 'throttled', emitEvent: false });
    const client = h.client();
    for (let i = 0; i < 100; i += 1) await client.send(new DescribeRegionsCommand({}));
    const throttled = await expectEc2Error(
      client.send(new DescribeImagesCommand({})),
      'RequestLimitExceeded',
      503,
    );
    expect(throttled.$fault).toBe('server');
    // The mutating bucket is separate.
    for (let i = 0; i < 50; i += 1) {
      await client.send(
        new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: 'n', Value: String(i) }] }),
      );
    }
    await expectEc2Error(
      client.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: 'n', Value: 'x' }] })),
      'RequestLimitExceeded',
      503,
    );
    // Other regions and other accounts have their own buckets.
    await h.client('eu-west-1').send(new DescribeRegionsCommand({}));
    await h.client('us-east-1', OTHER_ACCOUNT).send(new DescribeRegionsCommand({}));
  });

  it('refills at the configured rate', async () => {
    let clock = 0;
    h = await startHarness({
      throttle: { nonMutating: { capacity: 2, refillPerSecond: 1 }, clock: () => clock },
    });
    const client = h.client();
    await client.send(new DescribeRegionsCommand({}));
    await client.send(new DescribeRegionsCommand({}));
    await expectEc2Error(client.send(new DescribeRegionsCommand({})), 'RequestLimitExceeded', 503);
    clock += 999;
    await expectEc2Error(client.send(new DescribeRegionsCommand({})), 'RequestLimitExceeded', 503);
    clock += 1;
    await client.send(new DescribeRegionsCommand({}));
    await expectEc2Error(client.send(new DescribeRegionsCommand({})), 'RequestLimitExceeded', 503);
    clock += 60_000;
    await client.send(new DescribeRegionsCommand({}));
    await client.send(new DescribeRegionsCommand({}));
    await expectEc2Error(client.send(new DescribeRegionsCommand({})), 'RequestLimitExceeded', 503);
    h.emulator.resetThrottle();
    await client.send(new DescribeRegionsCommand({}));
  });

  it('lets the SDK retry throttled calls (RequestLimitExceeded is a throttling error to it)', async () => {
    let clock = 0;
    // Every read of the clock advances it by a second, so a retried call finds a token.
    h = await startHarness({
      throttle: { nonMutating: { capacity: 1, refillPerSecond: 0.5 }, clock: () => (clock += 1000) },
    });
    await h.client().send(new DescribeRegionsCommand({}));
    const retrying = new EC2Client({
      region: 'us-east-1',
      endpoint: h.server.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 3,
    });
    try {
      const out = await retrying.send(new DescribeRegionsCommand({}));
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      retrying.destroy();
    }
    expect(h.emulator.counters().DescribeRegions?.['us-east-1']).toEqual({
      calls: 3,
      succeeded: 2,
      failed: 0,
      throttled: 1,
    });
  });
});

describe('counters', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('counts calls per action and region, with failed and throttled calls apart, and resets', async () => {
    h = await startHarness({
      throttle: { nonMutating: { capacity: 3, refillPerSecond: 0 }, clock: () => 0 },
    });
    await h.client('eu-west-1').send(new DescribeImagesCommand({}));
    await expectEc2Error(
      h.client('eu-west-1').send(new DescribeImagesCommand({ ImageIds: ['ami-12345678'] })),
      'InvalidAMIID.NotFound',
    );
    await h.client('eu-west-1').send(new DescribeImagesCommand({}));
    await expectEc2Error(
      h.client('eu-west-1').send(new DescribeImagesCommand({})),
      'RequestLimitExceeded',
      503,
    );
    await h.client('us-west-2').send(new DescribeRegionsCommand({}));
    const unknown = await fetch(`${h.server.endpoint}/`, {
      method: 'POST',
      headers: {
        authorization: authorization('us-west-2'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=MakeCoffee&Version=2016-11-15',
    });
    expect(unknown.status).toBe(400);

    expect(h.emulator.counters()).toEqual({
      DescribeImages: { 'eu-west-1': { calls: 4, succeeded: 2, failed: 1, throttled: 1 } },
      DescribeRegions: { 'us-west-2': { calls: 1, succeeded: 1, failed: 0, throttled: 0 } },
      MakeCoffee: { 'us-west-2': { calls: 1, succeeded: 0, failed: 1, throttled: 0 } },
    });
    h.emulator.resetCounters();
    expect(h.emulator.counters()).toEqual({});
  });

  it('counts calls per calling account too, each throttled on its own buckets', async () => {
    h = await startHarness({
      throttle: { nonMutating: { capacity: 2, refillPerSecond: 0 }, clock: () => 0 },
    });
    const mine = h.client('eu-west-1');
    const theirs = h.client('eu-west-1', OTHER_ACCOUNT);
    await mine.send(new DescribeImagesCommand({}));
    await mine.send(new DescribeImagesCommand({}));
    await expectEc2Error(mine.send(new DescribeImagesCommand({})), 'RequestLimitExceeded', 503);
    // The other account's bucket is full: its calls go through.
    await theirs.send(new DescribeImagesCommand({}));
    await h.client('us-west-2', OTHER_ACCOUNT).send(new DescribeRegionsCommand({}));

    expect(h.emulator.countersByAccount()).toEqual({
      [ACCOUNT]: { DescribeImages: { 'eu-west-1': { calls: 3, succeeded: 2, failed: 0, throttled: 1 } } },
      [OTHER_ACCOUNT]: {
        DescribeImages: { 'eu-west-1': { calls: 1, succeeded: 1, failed: 0, throttled: 0 } },
        DescribeRegions: { 'us-west-2': { calls: 1, succeeded: 1, failed: 0, throttled: 0 } },
      },
    });
    // The totals are the sum over accounts.
    expect(h.emulator.counters().DescribeImages?.['eu-west-1']).toEqual({
      calls: 4,
      succeeded: 3,
      failed: 0,
      throttled: 1,
    });
    h.emulator.resetCounters();
    expect(h.emulator.countersByAccount()).toEqual({});
  });
});

describe('fault injection', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('answers server errors (500 InternalError / 503 Unavailable) at the configured rate', async () => {
    h = await startHarness({ faults: { seed: 42, serverErrorRate: 1 } });
    const codes = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      try {
        await h.client().send(new DescribeRegionsCommand({}));
        codes.add('success');
      } catch (error) {
        if (!(error instanceof EC2ServiceException)) throw error;
        codes.add(`${error.name} ${error.$metadata.httpStatusCode}`);
      }
    }
    expect([...codes].sort()).toEqual(['InternalError 500', 'Unavailable 503']);
    expect(h.emulator.counters().DescribeRegions?.['us-east-1']?.failed).toBe(20);
  });

  it('is reproducible from the seed, and can be limited to some actions', async () => {
    const outcomes = async (seed: number) => {
      const emulator = createEc2Emulator({
        throttle: false,
        faults: { seed, serverErrorRate: 0.5, actions: ['DescribeImages'] },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) {
        const response = await emulator.service({
          method: 'POST',
          url: '/',
          headers: {},
          body: 'Action=DescribeImages',
        });
        statuses.push(response.status);
      }
      const regions = await emulator.service({
        method: 'POST',
        url: '/',
        headers: {},
        body: 'Action=DescribeRegions',
      });
      emulator.close();
      return { statuses, regionsStatus: regions.status };
    };
    const a = await outcomes(1234);
    const b = await outcomes(1234);
    const c = await outcomes(99);
    expect(a).toEqual(b);
    expect(a.statuses).not.toEqual(c.statuses);
    expect(a.statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(a.statuses.filter((status) => status !== 200).length).toBeGreaterThan(0);
    expect(a.regionsStatus).toBe(200);
    h = await startHarness({ faults: { latencyMs: [1, 3] } });
    const out = await h.client().send(new DescribeRegionsCommand({ RegionNames: ['us-east-1'] }));
    expect(out.Regions?.map((region) => region.RegionName)).toEqual(['us-east-1']);
  });

  it('validates its options', () => {
    expect(() => createEc2Emulator({ accountId: '42' })).toThrow(/accountId/);
    expect(() => createEc2Emulator(JSON.parse('{"copyDelay": 5}'))).toThrow(
      /Unknown EC2 emulator option: copyDelay/,
    );
    expect(() => createEc2Emulator({ copyDelayMs: -1 })).toThrow(/copyDelayMs/);
    expect(() => createEc2Emulator({ faults: { serverErrorRate: 2 } })).toThrow(/serverErrorRate/);
    expect(() => createEc2Emulator({ faults: { latencyMs: { min: 5, max: 1 } } })).toThrow(/latencyMs/);
  });
});
