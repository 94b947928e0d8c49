import { describe, expect, it } from 'vitest';
import { identifyImage } from '../../shared/core/identify.js';
import { LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import { ACCOUNT, image, rule } from './builders.js';
import { fakeEc2 } from './fake-ec2.js';

const golden = rule();
const other = rule({ name: 'other', match: { regions: ['us-east-1'], names: ['other-*'] } });
const source = image();
const lineage = {
  [LINEAGE.rule]: 'golden',
  [LINEAGE.sourceImageId]: source.imageId,
  [LINEAGE.sourceRegion]: source.region,
};

const cases: Array<{
  name: string;
  reason: string;
  image: ObservedImage;
  known?: ObservedImage[];
  expected: string;
}> = [
  {
    name: 'a source a rule matches',
    reason: 'region, owner and name glob all match exactly one rule',
    image: source,
    expected: 'source:golden',
  },
  {
    name: 'an unmatched image',
    reason: 'no rule names it: the tool leaves it alone',
    image: image({ name: 'someone-elses-image' }),
    expected: 'unmanaged',
  },
  {
    name: 'an image owned by another account',
    reason: 'owners default to self',
    image: image({ ownerId: '999999999999' }),
    expected: 'unmanaged',
  },
  {
    name: 'a copy, by its lineage tags',
    reason:
      'a copy in a target region carries the tags CopyImage put on it, so it is never taken for a new source (which would copy it again)',
    image: image({ region: 'eu-west-1', imageId: 'ami-0c0c0c0c0c0c0c0c1', tags: lineage }),
    expected: `copy:golden:${source.imageId}`,
  },
  {
    name: 'a copy in a region the rule also uses as a source',
    reason: 'lineage wins over matching, or the copy would match the rule as a source and be copied back',
    image: image({ imageId: 'ami-0c0c0c0c0c0c0c0c2', tags: lineage, sourceImageId: source.imageId }),
    expected: `copy:golden:${source.imageId}`,
  },
  {
    name: 'a copy without its tags',
    reason: "EC2's SourceImageId leads to a source the rule manages and copies to this region",
    image: image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c3',
      sourceImageId: source.imageId,
      sourceImageRegion: source.region,
    }),
    known: [source],
    expected: `copy:golden:${source.imageId}`,
  },
  {
    name: 'a copy of an unmanaged image',
    reason: 'its source matches no rule, and the copy itself matches none either',
    image: image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c4',
      name: 'private',
      sourceImageId: 'ami-0f0f0f0f0f0f0f0f0',
      sourceImageRegion: 'us-east-1',
    }),
    expected: 'unmanaged',
  },
  {
    name: 'a copy made by a rule that was removed',
    reason: 'nothing manages it any more: reported, not acted on',
    image: image({ region: 'eu-west-1', tags: { ...lineage, [LINEAGE.rule]: 'retired-rule' } }),
    expected: 'unmanaged',
  },
];

function describeRole(role: Awaited<ReturnType<typeof identifyImage>>): string {
  switch (role.kind) {
    case 'source':
      return `source:${role.rule.name}`;
    case 'copy':
      return `copy:${role.rule.name}:${role.sourceImageId}`;
    case 'ambiguous':
      return `ambiguous:${role.rules.map((r) => r.name).join(',')}`;
    case 'unmanaged':
      return 'unmanaged';
  }
}

describe('identifyImage', () => {
  it.each(cases)('$name: $reason', async ({ image: img, known, expected }) => {
    const { ec2, writes } = fakeEc2(known ?? []);
    expect(
      describeRole(await identifyImage(img, [golden, other], ACCOUNT, (r, id) => ec2(r).describeImage(id))),
    ).toBe(expected);
    expect(writes).toEqual([]);
  });

  it('reports an image two rules match at run time as ambiguous', async () => {
    const overlapping = rule({ name: 'overlapping', match: { regions: ['us-east-1'], owners: [ACCOUNT] } });
    const { ec2 } = fakeEc2([]);
    expect(
      describeRole(
        await identifyImage(source, [golden, overlapping], ACCOUNT, (r, id) => ec2(r).describeImage(id)),
      ),
    ).toBe('ambiguous:golden,overlapping');
  });
});
