import { describe, expect, it } from 'vitest';
import type { Ec2ForRegion } from '../../shared/core/ports.js';
import { reconcileRegion } from '../../shared/core/reconcile.js';
import { ACCOUNT, image, rule } from './builders.js';
import { fakeEc2 } from './fake-ec2.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('reconcileRegion, with an object-literal EC2', () => {
  it('describes an unlisted source at most once a run, however many copies point at it', async () => {
    // Two hand-made copies (no lineage tags) of an image in another region that no rule manages.
    const handmade = (n: number) =>
      image({
        region: 'eu-west-1',
        imageId: `ami-0aaaaaaaaaaaaaaa${n}`,
        name: `private-${n}`,
        sourceImageId: 'ami-0fffffffffffffff0',
        sourceImageRegion: 'us-east-2',
      });
    const { ec2: base } = fakeEc2([handmade(1), handmade(2)]);
    const described: string[] = [];
    const ec2: Ec2ForRegion = (region) => ({
      ...base(region),
      describeImage: async (id) => {
        described.push(`${region}/${id}`);
        return base(region).describeImage(id);
      },
    });

    const report = await reconcileRegion(
      {
        rules: [rule()],
        accountId: ACCOUNT,
        ec2,
        logger: quiet,
        events: { publish: async () => {} },
        now: () => new Date('2026-12-01T00:00:00Z'),
      },
      { region: 'eu-west-1', dryRun: true, maxCopiesInFlight: 20, concurrency: 2 },
    );

    expect(described).toEqual(['us-east-2/ami-0fffffffffffffff0']);
    expect(report.managed).toEqual({ sources: 0, copies: 0 });
  });
});
