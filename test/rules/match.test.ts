import { describe, expect, it } from 'vitest';
import type { ObservedImage } from '../../shared/core/model.js';
import { resolveRule, ruleMatches } from '../../shared/rules/match.js';
import { type Rule, RuleSchema } from '../../shared/rules/schema.js';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';

function rule(name: string, match: Record<string, unknown>): Rule {
  return RuleSchema.parse({ name, match });
}

function image(overrides: Partial<ObservedImage> = {}): ObservedImage {
  return {
    region: 'us-east-1',
    imageId: 'ami-0123456789abcdef0',
    name: 'golden-linux-2024.06.01',
    ownerId: ACCOUNT,
    state: 'available',
    rootDeviceType: 'ebs',
    snapshotIds: ['snap-0123456789abcdef0'],
    tags: { pipeline: 'golden', release: '42' },
    isPublic: false,
    hasMarketplaceCode: false,
    ...overrides,
  };
}

describe('ruleMatches', () => {
  it.each([
    {
      why: 'the image is in a source region',
      match: { regions: ['us-east-1', 'eu-west-1'] },
      image: image(),
      matches: true,
    },
    {
      why: 'the image is in another region',
      match: { regions: ['eu-west-1'] },
      image: image(),
      matches: false,
    },
    {
      why: 'owners default to self: the account owns the image',
      match: { regions: ['us-east-1'] },
      image: image(),
      matches: true,
    },
    {
      why: 'self does not match an image of another account (shared with us)',
      match: { regions: ['us-east-1'], owners: ['self'] },
      image: image({ ownerId: OTHER_ACCOUNT }),
      matches: false,
    },
    {
      why: 'an account id owner matches that account’s image',
      match: { regions: ['us-east-1'], owners: [OTHER_ACCOUNT] },
      image: image({ ownerId: OTHER_ACCOUNT }),
      matches: true,
    },
    {
      why: 'an account id owner does not match the running account’s image',
      match: { regions: ['us-east-1'], owners: [OTHER_ACCOUNT] },
      image: image(),
      matches: false,
    },
    {
      why: 'the running account’s own id matches like self',
      match: { regions: ['us-east-1'], owners: [ACCOUNT] },
      image: image(),
      matches: true,
    },
    {
      why: 'amazon matches images with the amazon owner alias',
      match: { regions: ['us-east-1'], owners: ['amazon'] },
      image: image({ ownerId: '137112412989', ownerAlias: 'amazon' }),
      matches: true,
    },
    {
      why: 'amazon does not match an image without the alias, whoever owns it',
      match: { regions: ['us-east-1'], owners: ['amazon'] },
      image: image({ ownerId: '137112412989' }),
      matches: false,
    },
    {
      why: 'amazon does not match a Marketplace image',
      match: { regions: ['us-east-1'], owners: ['amazon'] },
      image: image({ ownerId: '679593333241', ownerAlias: 'aws-marketplace' }),
      matches: false,
    },
    {
      why: 'aws-marketplace matches a Marketplace image',
      match: { regions: ['us-east-1'], owners: ['self', 'aws-marketplace'] },
      image: image({ ownerId: '679593333241', ownerAlias: 'aws-marketplace' }),
      matches: true,
    },
    {
      why: 'one of several name globs matches',
      match: { regions: ['us-east-1'], names: ['golden-windows-*', 'golden-linux-*'] },
      image: image(),
      matches: true,
    },
    {
      why: 'no name glob matches',
      match: { regions: ['us-east-1'], names: ['golden-windows-*', 'base-?'] },
      image: image(),
      matches: false,
    },
    {
      why: 'every exact tag value is present',
      match: { regions: ['us-east-1'], tags: { pipeline: 'golden', release: '42' } },
      image: image(),
      matches: true,
    },
    {
      why: 'an exact tag with another value',
      match: { regions: ['us-east-1'], tags: { pipeline: 'nightly' } },
      image: image(),
      matches: false,
    },
    {
      why: 'an exact tag the image does not carry',
      match: { regions: ['us-east-1'], tags: { pipeline: 'golden', env: 'prod' } },
      image: image(),
      matches: false,
    },
    {
      why: 'tag keys present with any value, even an empty one',
      match: { regions: ['us-east-1'], tagKeys: ['release', 'approved'] },
      image: image({ tags: { release: '42', approved: '' } }),
      matches: true,
    },
    {
      why: 'a tag key the image does not carry',
      match: { regions: ['us-east-1'], tagKeys: ['release', 'approved'] },
      image: image(),
      matches: false,
    },
    {
      why: 'a tag key that is also an Object.prototype member is not carried by an untagged image',
      match: { regions: ['us-east-1'], tagKeys: ['constructor'] },
      image: image({ tags: {} }),
      matches: false,
    },
    {
      why: 'a tag key named like an Object.prototype member, carried by the image',
      match: { regions: ['us-east-1'], tagKeys: ['toString'] },
      image: image({ tags: { toString: 'yes' } }),
      matches: true,
    },
    {
      why: 'all conditions hold together',
      match: {
        regions: ['us-east-1'],
        owners: ['self'],
        names: ['golden-linux-*'],
        tags: { pipeline: 'golden' },
        tagKeys: ['release'],
      },
      image: image(),
      matches: true,
    },
    {
      why: 'one failing condition (the name) is enough to not match',
      match: {
        regions: ['us-east-1'],
        owners: ['self'],
        names: ['golden-windows-*'],
        tags: { pipeline: 'golden' },
        tagKeys: ['release'],
      },
      image: image(),
      matches: false,
    },
  ])('$why', ({ match, image, matches }) => {
    expect(ruleMatches(rule('r', match), image, ACCOUNT)).toBe(matches);
  });
});

describe('resolveRule', () => {
  const linux = rule('linux', { regions: ['us-east-1'], names: ['golden-linux-*'] });
  const windows = rule('windows', { regions: ['us-east-1'], names: ['golden-windows-*'] });
  // The file check compares owners as written, so "self" and the account's own id pass it.
  const ownAccount = rule('own-account', { regions: ['us-east-1'], owners: [ACCOUNT] });

  it('is unmatched when no rule matches', () => {
    expect(resolveRule([linux, windows], image({ name: 'base-1' }), ACCOUNT)).toEqual({ kind: 'unmatched' });
  });

  it('is unmatched with no rules at all', () => {
    expect(resolveRule([], image(), ACCOUNT)).toEqual({ kind: 'unmatched' });
  });

  it('returns the one rule that matches', () => {
    expect(resolveRule([windows, linux], image(), ACCOUNT)).toEqual({ kind: 'matched', rule: linux });
  });

  it('is ambiguous when two rules match at run time, listing both in file order', () => {
    expect(resolveRule([linux, windows, ownAccount], image(), ACCOUNT)).toEqual({
      kind: 'ambiguous',
      rules: [linux, ownAccount],
    });
  });

  it('is not ambiguous in another account, where the account-id rule does not apply', () => {
    const elsewhere = image({ ownerId: OTHER_ACCOUNT });
    expect(resolveRule([linux, ownAccount], elsewhere, OTHER_ACCOUNT)).toEqual({
      kind: 'matched',
      rule: linux,
    });
  });
});
