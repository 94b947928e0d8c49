import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { EC2_LIMITS, TOOL_TAGS } from '../../shared/rules/limits.js';
import { parseRules } from '../../shared/rules/load.js';

/**
 * Every limit EC2 sets on what a rule makes it do, crossed by one: the rule at the limit
 * validates, the rule one past it is refused with a message that quotes the value and the limit.
 * A file that validates cannot then fail at run time for a reason the file decides.
 */
type RuleObject = Record<string, unknown>;

const base = (extra: RuleObject): RuleObject => ({
  name: 'web',
  match: { regions: ['us-east-1'], names: ['web-*'] },
  ...extra,
});

function problems(rule: RuleObject): string[] {
  try {
    parseRules(dump({ version: 1, rules: [rule] }), 'limits.yaml');
    return [];
  } catch (error) {
    if (error instanceof RulesValidationError) return [...error.issues];
    throw error;
  }
}

const tags = (n: number, prefix = 'k') =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));
const accounts = (n: number) => Array.from({ length: n }, (_, i) => String(100000000000 + i));

const cases: { why: string; at: RuleObject; over: RuleObject; says: RegExp }[] = [
  {
    why: `tags on the source image: ${50 - TOOL_TAGS.source} of the rule's and ${TOOL_TAGS.source} of the tool's make 50`,
    at: base({ tags: { image: tags(50 - TOOL_TAGS.source) } }),
    over: base({ tags: { image: tags(51 - TOOL_TAGS.source) } }),
    says: /tags: the source image would carry 48 of the rule's tags and 3 of the tool's, 51 in all; EC2 allows 50/,
  },
  {
    why: "tags on each copy: its CopyImage tags and the tool's lineage",
    at: base({ copy: { regions: ['eu-west-1'], copyTags: false, tags: tags(50 - TOOL_TAGS.copy) } }),
    over: base({ copy: { regions: ['eu-west-1'], copyTags: false, tags: tags(51 - TOOL_TAGS.copy) } }),
    says: /tags: each copy would carry 45 of the rule's tags and 6 of the tool's/,
  },
  {
    why: "tags on each copy include the source's image tags that CopyImageTags brings",
    at: base({ tags: { image: tags(19, 'i') }, copy: { regions: ['eu-west-1'], tags: tags(25, 'c') } }),
    over: base({ tags: { image: tags(20, 'i') }, copy: { regions: ['eu-west-1'], tags: tags(25, 'c') } }),
    says: /tags: each copy would carry 45 of the rule's tags/,
  },
  {
    why: "tags on the source's snapshots: the image's, inherited, and the snapshot extras",
    at: base({ tags: { image: tags(20, 'i'), snapshots: tags(27, 's') } }),
    over: base({ tags: { image: tags(20, 'i'), snapshots: tags(28, 's') } }),
    says: /tags: its snapshots would carry 48 of the rule's tags/,
  },
  {
    why: 'a tag key of 127 characters',
    at: base({ tags: { image: { ['k'.repeat(127)]: 'v' } } }),
    over: base({ tags: { image: { ['k'.repeat(128)]: 'v' } } }),
    says: /tag keys are at most 127 characters/,
  },
  {
    why: 'a tag value of 256 characters',
    at: base({ tags: { image: { team: 'v'.repeat(256) } } }),
    over: base({ tags: { image: { team: 'v'.repeat(257) } } }),
    says: /tags\.image\.team: tag values are at most 256 characters/,
  },
  {
    why: "a copy name's own text and its placeholders' shortest values within 128 characters",
    at: base({ copy: { regions: ['eu-west-1'], name: `{name}${'x'.repeat(125)}` } }),
    over: base({ copy: { regions: ['eu-west-1'], name: `{name}${'x'.repeat(126)}` } }),
    says: /copy\.name: ".*" expands to at least 129 characters; AMI names are at most 128/,
  },
  {
    why: 'a copy name with only the characters AMI names allow',
    at: base({ copy: { regions: ['eu-west-1'], name: "{name} (copy) [x] ./-'@_" } }),
    over: base({ copy: { regions: ['eu-west-1'], name: '{name}:copy' } }),
    says: /copy\.name: "\{name\}:copy" has ":", which AMI names do not allow/,
  },
  {
    why: 'a copy name that differs per release',
    at: base({ copy: { regions: ['eu-west-1'], name: 'golden {imageId}' } }),
    over: base({ copy: { regions: ['eu-west-1'], name: 'golden {region}' } }),
    says: /copy\.name: "golden \{region\}" gives every release the same name/,
  },
  {
    why: 'a copy name that tells source regions apart when there are several',
    at: base({
      match: { regions: ['us-east-1', 'us-west-2'], names: ['web-*'] },
      copy: { regions: ['eu-west-1'], name: '{name} from {sourceRegion}' },
    }),
    over: base({
      match: { regions: ['us-east-1', 'us-west-2'], names: ['web-*'] },
      copy: { regions: ['eu-west-1'] },
    }),
    says: /copy\.name: "\{name\}": images of one name can exist in each source region \(us-east-1, us-west-2\)/,
  },
  {
    why: "a copy description's own text of 255 characters",
    at: base({ copy: { regions: ['eu-west-1'], description: `{name}${'d'.repeat(255)}` } }),
    over: base({ copy: { regions: ['eu-west-1'], description: `{name}${'d'.repeat(256)}` } }),
    says: /copy\.description: its own text is 256 characters; AMI descriptions are at most 255/,
  },
  {
    why: 'a time-based copy of at most 2880 minutes',
    at: base({ copy: { regions: ['eu-west-1'], completionDurationMinutes: 2880 } }),
    over: base({ copy: { regions: ['eu-west-1'], completionDurationMinutes: 2895 } }),
    says: /completionDurationMinutes: must be at most 2880 minutes/,
  },
  {
    why: 'a time-based copy of at least 15 minutes',
    at: base({ copy: { regions: ['eu-west-1'], completionDurationMinutes: 15 } }),
    over: base({ copy: { regions: ['eu-west-1'], completionDurationMinutes: 0 } }),
    says: /completionDurationMinutes: must be at least 15 minutes/,
  },
  {
    why: 'at most 10,000 accounts in one launch-permission change',
    at: base({ share: { accounts: accounts(10_000) } }),
    over: base({ share: { accounts: accounts(10_001) } }),
    says: /share\.accounts: 10001 accounts; EC2 takes at most 10000/,
  },
  {
    why: 'deprecation at most 10 years ahead',
    at: base({ retire: { keep: 1, deprecateAfterDays: 3650 } }),
    over: base({ retire: { keep: 1, deprecateAfterDays: 3651 } }),
    says: /deprecateAfterDays: .*3650/,
  },
  {
    why: 'deprecation of a public image at most 2 years ahead',
    at: base({ share: { public: true, allowPublic: true }, retire: { keep: 1, deprecateAfterDays: 730 } }),
    over: base({ share: { public: true, allowPublic: true }, retire: { keep: 1, deprecateAfterDays: 731 } }),
    says: /retire\.deprecateAfterDays: 731 days; a public image can be deprecated at most 2 years \(730 days\) ahead/,
  },
];

describe('EC2 limits, crossed by one', () => {
  it.each(cases)('$why', ({ at, over, says }) => {
    expect(problems(at)).toEqual([]);
    // One step over may cross the same limit in more than one place (an image and its snapshots).
    expect(problems(over)).toContainEqual(expect.stringMatching(says));
  });

  it('every limit in the documented table is exercised here', () => {
    // The table is what docs/rules.md lists; a limit added there without a case here fails.
    const covered: (keyof typeof EC2_LIMITS)[] = [
      'tagsPerResource',
      'tagKey',
      'tagValue',
      'amiName',
      'amiDescription',
      'completionDuration',
      'launchPermissions',
      'deprecation',
    ];
    expect(Object.keys(EC2_LIMITS).sort()).toEqual([...covered].sort());
  });
});

describe('settings that can never lead to an action', () => {
  it.each([
    {
      why: 'copying only into the only source region copies nothing',
      rule: base({ copy: { regions: ['us-east-1'] } }),
      says: /copy\.regions: \["us-east-1"\] are only the rule's source region/,
    },
    {
      why: 'a share section that names nobody shares with nobody',
      rule: base({ share: { accounts: [], snapshotPermissions: false } }),
      says: /share: shares with nobody/,
    },
    {
      why: 'a tags section with no tags sets none',
      rule: base({ tags: { inheritToSnapshots: false } }),
      says: /tags: sets no tags/,
    },
  ])('$why', ({ rule, says }) => {
    expect(problems(rule)).toEqual([expect.stringMatching(says)]);
  });

  it('a rule with nothing but match is accepted: it tags what it matches as managed, and announces it', () => {
    expect(problems(base({}))).toEqual([]);
  });
});
