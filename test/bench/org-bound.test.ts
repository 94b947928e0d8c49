import { describe, expect, it } from 'vitest';
import { bucketSeconds, type OrgBoundInput, orgBound, orgNeeds } from '../../bench/org-bound.js';

/** The organization bench's bound (`bench/org-bound.ts`), as bench/README.md states it. */

const EC2 = {
  reads: { capacity: 100, refillPerSecond: 20 },
  writes: { capacity: 50, refillPerSecond: 5 },
};
const base: OrgBoundInput = {
  accounts: 50,
  regions: 4,
  images: 20,
  snapshotsPerImage: 1,
  concurrency: 10,
  buckets: EC2,
  itemSeconds: 0.1,
};

describe('bucketSeconds', () => {
  it.each([
    { calls: 50, capacity: 50, refill: 5, seconds: 0 },
    { calls: 60, capacity: 50, refill: 5, seconds: 2 },
    { calls: 60, capacity: 50, refill: 20, seconds: 0.5 },
    { calls: 51, capacity: 50, refill: 0, seconds: Number.POSITIVE_INFINITY },
    { calls: 0, capacity: 0, refill: 0, seconds: 0 },
  ])('$calls calls, $capacity + $refill/s: $seconds s', ({ calls, capacity, refill, seconds }) => {
    expect(bucketSeconds(calls, { capacity, refillPerSecond: refill })).toBe(seconds);
  });
});

describe('orgNeeds', () => {
  it.each([
    // One ModifyImageAttribute per source for every account; one ModifySnapshotAttribute per 500.
    { accounts: 50, regions: 4, images: 20, hubWrites: 40, hubReads: 1, sourceReads: 5 },
    { accounts: 1000, regions: 16, images: 20, hubWrites: 60, hubReads: 1, sourceReads: 17 },
    { accounts: 501, regions: 1, images: 1, hubWrites: 3, hubReads: 1, sourceReads: 2 },
    // A page of DescribeImages per 1,000 sources, for the hub and for each item's listing.
    { accounts: 2, regions: 3, images: 2500, hubWrites: 5000, hubReads: 3, sourceReads: 10 },
    { accounts: 0, regions: 3, images: 20, hubWrites: 0, hubReads: 1, sourceReads: 4 },
  ])(
    'A $accounts, R $regions, N $images',
    ({ accounts, regions, images, hubWrites, hubReads, sourceReads }) => {
      const needs = orgNeeds({ accounts, regions, images, snapshotsPerImage: 1 });
      expect(needs.hub).toEqual({ reads: hubReads, writes: hubWrites });
      expect(needs.memberSourceRegion).toEqual({ reads: sourceReads, writes: images });
      expect(needs.memberOtherRegion).toEqual({ reads: 1, writes: images });
    },
  );
});

describe('orgBound', () => {
  it.each([
    {
      what: 'everything within the bursts: the waves of items decide',
      input: base,
      hub: 0,
      member: 0,
      waves: 20,
      bound: 2,
    },
    {
      what: '1,000 accounts: two snapshot batches push the hub past its burst',
      input: { ...base, accounts: 1000, regions: 16, concurrency: 1000, itemSeconds: 2 },
      hub: 2,
      member: 0,
      waves: 16,
      bound: 34,
    },
    {
      what: '100 images: each member region waits for its write bucket',
      input: { ...base, accounts: 2, regions: 2, images: 100 },
      hub: 30,
      member: 10,
      waves: 1,
      bound: 40,
    },
    {
      what: 'one process: the items one after another on the event loop',
      input: {
        ...base,
        accounts: 10,
        itemSeconds: 0.07,
        itemLoopSeconds: 0.05,
        itemCpuSeconds: 0.12,
        cores: 2,
      },
      hub: 0,
      member: 0,
      waves: 4,
      bound: 2.4,
    },
    {
      what: 'the hub alone is slower than its bucket',
      input: { ...base, hubRunSeconds: 0.5 },
      hub: 0.5,
      member: 0,
      waves: 20,
      bound: 2.5,
    },
    {
      what: 'the targets are resolved before the hub shares: their time adds to the rest',
      input: { ...base, hubRunSeconds: 0.5, resolveSeconds: 0.25 },
      hub: 0.5,
      member: 0,
      waves: 20,
      bound: 2.75,
    },
    {
      what: 'speed 4 refills four times faster',
      input: {
        ...base,
        accounts: 2,
        regions: 2,
        images: 100,
        buckets: {
          reads: { capacity: 100, refillPerSecond: 80 },
          writes: { capacity: 50, refillPerSecond: 20 },
        },
      },
      hub: 7.5,
      member: 2.5,
      waves: 1,
      bound: 10,
    },
    {
      what: 'no account: nothing to wait for',
      input: { ...base, accounts: 0 },
      hub: 0,
      member: 0,
      waves: 0,
      bound: 0,
    },
  ])('$what', ({ input, hub, member, waves, bound }) => {
    const result = orgBound(input);
    expect(result.hubSeconds).toBeCloseTo(hub, 9);
    expect(result.memberBucketSeconds).toBeCloseTo(member, 9);
    expect(result.waves).toBe(waves);
    expect(result.boundSeconds).toBeCloseTo(bound, 9);
  });
});
