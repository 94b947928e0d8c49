import { describe, expect, it } from 'vitest';
import {
  type ImageRole,
  identifyImage,
  identifyReading,
  sourceToLookUp,
} from '../../shared/core/identify.js';
import { LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import type { Ec2ForRegion, Ec2Port } from '../../shared/core/ports.js';
import { ACCOUNT, image, rule } from './builders.js';

const golden = rule();
const other = rule({ name: 'other', match: { regions: ['us-east-1'], names: ['other-*'] } });
const source = image();
const lineage = {
  [LINEAGE.rule]: 'golden',
  [LINEAGE.sourceImageId]: source.imageId,
  [LINEAGE.sourceRegion]: source.region,
};
/** What EC2 itself records on a copy of `source`: no caller can set these. */
const copiedFromSource = { sourceImageId: source.imageId, sourceImageRegion: source.region };

const cases: Array<{
  name: string;
  reason: string;
  image: ObservedImage;
  /** The looked-up source handed to identification (what the caller found where `sourceToLookUp` said). */
  source?: ObservedImage;
  expected: string;
  /** For refusals: what the reason must say. */
  because?: RegExp;
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
      'a copy in a target region carries the tags CopyImage put on it, and EC2 confirms where it was copied from, so it is never taken for a new source (which would copy it again)',
    image: image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c1',
      tags: lineage,
      ...copiedFromSource,
    }),
    expected: `copy:golden:${source.imageId}`,
  },
  {
    name: 'a copy in a region the rule also uses as a source',
    reason: 'lineage wins over matching, or the copy would match the rule as a source and be copied back',
    image: image({ imageId: 'ami-0c0c0c0c0c0c0c0c2', tags: lineage, ...copiedFromSource }),
    expected: `copy:golden:${source.imageId}`,
  },
  {
    name: 'a copy without its tags',
    reason: "EC2's SourceImageId leads to a source the rule manages and copies to this region",
    image: image({ region: 'eu-west-1', imageId: 'ami-0c0c0c0c0c0c0c0c3', ...copiedFromSource }),
    source,
    expected: `copy:golden:${source.imageId}`,
  },
  {
    name: 'a copy without its tags whose source was not found',
    reason: 'without its source nothing proves the lineage; the copy itself matches no rule in its region',
    image: image({ region: 'eu-west-1', imageId: 'ami-0c0c0c0c0c0c0c0c3', ...copiedFromSource }),
    expected: 'unmanaged',
  },
  {
    name: 'a copy without its tags, handed the wrong image as its source',
    reason: 'only the image EC2 names as its source counts, not any image the caller happens to pass',
    image: image({ region: 'eu-west-1', imageId: 'ami-0c0c0c0c0c0c0c0c3', ...copiedFromSource }),
    source: image({ imageId: 'ami-0d0d0d0d0d0d0d0d0' }),
    expected: 'unmanaged',
  },
  {
    name: 'a copy without its tags in a region its rule does not copy to',
    reason: 'a copy someone made by hand elsewhere is not the rule’s copy',
    image: image({ region: 'ca-central-1', imageId: 'ami-0c0c0c0c0c0c0c0c5', ...copiedFromSource }),
    source,
    expected: 'unmanaged',
  },
  {
    name: 'a copy without its tags owned by another account',
    reason: 'only the account’s own copies are managed (shared and retired)',
    image: image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c6',
      ownerId: '999999999999',
      ...copiedFromSource,
    }),
    source,
    expected: 'unmanaged',
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
    source: image({ imageId: 'ami-0f0f0f0f0f0f0f0f0', name: 'private' }),
    expected: 'unmanaged',
  },
  {
    name: 'a copy made by a rule that was removed',
    reason: 'nothing manages it any more: reported, not acted on',
    image: image({
      region: 'eu-west-1',
      tags: { ...lineage, [LINEAGE.rule]: 'retired-rule' },
      ...copiedFromSource,
    }),
    expected: 'unmanaged',
  },
  {
    name: 'forged lineage tags on a private image',
    reason:
      'anyone who may tag an image could write the three lineage tags by hand; EC2 says it is not a copy, so it is refused, never shared or retired as a copy (nor matched as a source)',
    image: image({ imageId: 'ami-0babababababababa', tags: lineage }),
    expected: 'refused',
    because: /EC2 records no source for it \(it is not a copy\)/,
  },
  {
    name: 'forged lineage tags on a private image in a target region',
    reason: 'the same forgery where a copy would be: refused as well',
    image: image({ region: 'eu-west-1', imageId: 'ami-0babababababababb', name: 'private', tags: lineage }),
    expected: 'refused',
    because: /it is not a copy/,
  },
  {
    name: 'lineage tags naming another source than EC2 records',
    reason: 'a copy of some other image given a managed source’s tags: EC2’s SourceImageId decides',
    image: image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c7',
      tags: lineage,
      sourceImageId: 'ami-0f0f0f0f0f0f0f0f0',
      sourceImageRegion: source.region,
    }),
    expected: 'refused',
    because: /EC2 records it as a copy of ami-0f0f0f0f0f0f0f0f0 \(us-east-1\)/,
  },
  {
    name: 'lineage tags naming another source region than EC2 records',
    reason: 'the region is part of the lineage: the same image id in another region is another image',
    image: image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c8',
      tags: lineage,
      sourceImageId: source.imageId,
      sourceImageRegion: 'us-west-2',
    }),
    expected: 'refused',
    because: /lineage tags say it is a copy of .* \(us-east-1\).*us-west-2/,
  },
  {
    name: 'lineage tags on an image another account owns',
    reason: 'a copy the account does not own is not the tool’s, whatever its tags say',
    image: image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c9',
      ownerId: '999999999999',
      tags: lineage,
      ...copiedFromSource,
    }),
    expected: 'refused',
    because: /owned by 999999999999, not 123456789012/,
  },
];

function describeRole(role: ImageRole): string {
  switch (role.kind) {
    case 'source':
      return `source:${role.rule.name}`;
    case 'copy':
      return `copy:${role.rule.name}:${role.sourceImageId}`;
    case 'ambiguous':
      return `ambiguous:${role.rules.map((r) => r.name).join(',')}`;
    case 'unmanaged':
      return 'unmanaged';
    case 'refused':
      return 'refused';
  }
}

describe('identifyImage', () => {
  it.each(cases)('$name: $reason', ({ image: img, source: looked, expected, because }) => {
    const role = identifyImage(img, [golden, other], ACCOUNT, looked);
    expect(describeRole(role)).toBe(expected);
    if (because !== undefined) {
      expect(role).toEqual({ kind: 'refused', reason: expect.stringMatching(because) });
    }
  });

  it('a copy identified by its lineage carries its source region', () => {
    const copy = image({
      region: 'eu-west-1',
      imageId: 'ami-0c0c0c0c0c0c0c0c1',
      tags: lineage,
      ...copiedFromSource,
    });
    expect(identifyImage(copy, [golden], ACCOUNT)).toEqual({
      kind: 'copy',
      rule: golden,
      sourceImageId: source.imageId,
      sourceRegion: source.region,
    });
  });

  it('is synchronous: identification reads nothing', () => {
    const role: ImageRole = identifyImage(source, [golden], ACCOUNT);
    expect(role).not.toBeInstanceOf(Promise);
    expect(role.kind).toBe('source');
  });

  it('reports an image two rules match at run time as ambiguous', () => {
    const overlapping = rule({ name: 'overlapping', match: { regions: ['us-east-1'], owners: [ACCOUNT] } });
    expect(describeRole(identifyImage(source, [golden, overlapping], ACCOUNT))).toBe(
      'ambiguous:golden,overlapping',
    );
  });
});

describe('sourceToLookUp', () => {
  const cases: Array<{ name: string; image: ObservedImage; expected: ReturnType<typeof sourceToLookUp> }> = [
    {
      name: 'a copy without lineage tags: its source, where EC2 says it is',
      image: image({ region: 'eu-west-1', ...copiedFromSource }),
      expected: { region: source.region, imageId: source.imageId },
    },
    {
      name: 'a copy with lineage tags: nothing to look up (EC2 confirms the tags)',
      image: image({ region: 'eu-west-1', tags: lineage, ...copiedFromSource }),
      expected: undefined,
    },
    {
      name: 'a copy with only some lineage tags: its source is looked up',
      image: image({ region: 'eu-west-1', tags: { [LINEAGE.rule]: 'golden' }, ...copiedFromSource }),
      expected: { region: source.region, imageId: source.imageId },
    },
    {
      name: 'an image that is not a copy: nothing',
      image: source,
      expected: undefined,
    },
    {
      name: 'a copy EC2 gives no source region for: nothing',
      image: image({ region: 'eu-west-1', sourceImageId: source.imageId }),
      expected: undefined,
    },
  ];
  it.each(cases)('$name', ({ image: img, expected }) => {
    expect(sourceToLookUp(img)).toEqual(expected);
  });

  it('what it names is what identifies a copy without tags', () => {
    const copy = image({ region: 'eu-west-1', imageId: 'ami-0c0c0c0c0c0c0c0c3', ...copiedFromSource });
    const lookup = sourceToLookUp(copy);
    const found = [source].find((i) => i.region === lookup?.region && i.imageId === lookup?.imageId);
    expect(describeRole(identifyImage(copy, [golden], ACCOUNT, found))).toBe(`copy:golden:${source.imageId}`);
  });
});

describe('identifyReading: the one read identification may need', () => {
  /** EC2 knowing `images`; DescribeImages is recorded, any other call fails the test. */
  function readingEc2(images: readonly ObservedImage[]) {
    const reads: string[] = [];
    const ec2: Ec2ForRegion = (region) => {
      const unexpected = (name: string) => async (): Promise<never> => {
        throw new Error(`unexpected EC2 call ${name} in ${region}`);
      };
      const port: Ec2Port = {
        describeImage: async (id) => {
          reads.push(`${region}/${id}`);
          return images.find((i) => i.region === region && i.imageId === id);
        },
        describeImagesById: unexpected('describeImagesById'),
        listImages: unexpected('listImages'),
        imagesExecutableBy: unexpected('imagesExecutableBy'),
        snapshotsRestorableBy: unexpected('snapshotsRestorableBy'),
        findCopies: unexpected('findCopies'),
        describeLaunchPermissions: unexpected('describeLaunchPermissions'),
        describeSnapshots: unexpected('describeSnapshots'),
        listTaggedSnapshots: unexpected('listTaggedSnapshots'),
        describeCreateVolumeUserIds: unexpected('describeCreateVolumeUserIds'),
        isPublicSharingBlocked: unexpected('isPublicSharingBlocked'),
        findReferences: unexpected('findReferences'),
        copyImage: unexpected('copyImage'),
        createTags: unexpected('createTags'),
        addLaunchPermissions: unexpected('addLaunchPermissions'),
        removeLaunchPermissions: unexpected('removeLaunchPermissions'),
        addCreateVolumePermissions: unexpected('addCreateVolumePermissions'),
        enableDeprecation: unexpected('enableDeprecation'),
        disableDeprecation: unexpected('disableDeprecation'),
        disableImage: unexpected('disableImage'),
        enableImage: unexpected('enableImage'),
        deregister: unexpected('deregister'),
        deleteSnapshot: unexpected('deleteSnapshot'),
        describeLaunchTemplate: unexpected('describeLaunchTemplate'),
        createLaunchTemplateVersion: unexpected('createLaunchTemplateVersion'),
        setDefaultLaunchTemplateVersion: unexpected('setDefaultLaunchTemplateVersion'),
      };
      return port;
    };
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} };
    return { ec2, reads, warnings, deps: { rules: [golden, other], ec2, logger } };
  }

  it('a copy without its lineage tags: its source is read where EC2 says, and it is the rule copy', async () => {
    const w = readingEc2([source]);
    const copy = image({ region: 'eu-west-1', imageId: 'ami-0c0c0c0c0c0c0c0c3', ...copiedFromSource });
    expect(describeRole(await identifyReading(copy, ACCOUNT, w.deps))).toBe(`copy:golden:${source.imageId}`);
    expect(w.reads).toEqual([`us-east-1/${source.imageId}`]);
  });

  it('a copy with its lineage tags, or a source: nothing is read', async () => {
    const w = readingEc2([]);
    const copy = image({ region: 'eu-west-1', tags: lineage, ...copiedFromSource });
    expect(describeRole(await identifyReading(copy, ACCOUNT, w.deps))).toBe(`copy:golden:${source.imageId}`);
    expect(describeRole(await identifyReading(source, ACCOUNT, w.deps))).toBe('source:golden');
    expect(w.reads).toEqual([]);
  });

  it('forged lineage tags: refused with a warning, nothing read', async () => {
    const w = readingEc2([source]);
    const role = await identifyReading(
      image({ imageId: 'ami-0babababababababa', tags: lineage }),
      ACCOUNT,
      w.deps,
    );
    expect(role.kind).toBe('refused');
    expect(w.warnings).toEqual([expect.stringContaining('left alone: its lineage tags say')]);
    expect(w.reads).toEqual([]);
  });

  it('an image two rules match is left alone (unmanaged, with a warning), never managed twice', async () => {
    const overlapping = rule({ name: 'overlapping', match: { regions: ['us-east-1'], owners: [ACCOUNT] } });
    const w = readingEc2([]);
    const role = await identifyReading(source, ACCOUNT, { ...w.deps, rules: [golden, overlapping] });
    expect(role).toEqual({ kind: 'unmanaged', reason: 'matched by rules golden, overlapping' });
    expect(w.warnings).toEqual([expect.stringContaining('matches 2 rules (golden, overlapping)')]);
  });
});
