import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { loadRulesFile, parseRules } from '../../shared/rules/load.js';

/** A rules file with the given rules, written as YAML list items indented by two spaces. */
function file(rules: string): string {
  return `version: 1\nrules:\n${rules.replace(/^\n/, '')}\n`;
}

const EXAMPLE = fileURLToPath(new URL('../../config/ami-rules.yaml', import.meta.url));

function validationError(text: string): RulesValidationError {
  try {
    parseRules(text, 'test.yaml');
  } catch (error) {
    if (error instanceof RulesValidationError) return error;
    throw error;
  }
  throw new Error(`the rules validated but should not have:\n${text}`);
}

describe('the example rules file', () => {
  it('validates, so the file users copy from is never broken', () => {
    const { rules } = loadRulesFile(EXAMPLE);
    expect(rules.map((r) => r.name)).toEqual(['golden-linux', 'golden-windows']);
  });

  it('is read with the documented defaults filled in', () => {
    const { rules } = loadRulesFile(EXAMPLE);
    const windows = rules[1];
    expect(windows?.match.owners).toEqual(['self']);
    expect(windows?.copy).toMatchObject({
      regions: ['eu-west-1'],
      name: '{name}',
      encrypted: false,
      kmsKeys: {},
      copyTags: true,
    });
    expect(windows?.share).toMatchObject({ accounts: [], public: false, snapshotPermissions: false });
  });
});

interface InvalidCase {
  why: string;
  rules: string;
  /** The rule (index and name) and the field: each issue starts with `<at>: `. */
  at: string;
  /** What is wrong, as the issue says it. */
  problem: string;
}

const invalid: InvalidCase[] = [
  {
    why: 'a typo in a share key must not silently disable sharing',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    share: { acounts: ["111122223333"] }`,
    at: 'rules[0] "web": share',
    problem: 'unknown key "acounts"',
  },
  {
    why: 'an unknown key at the rule level is an error too',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    shares: { accounts: ["111122223333"] }`,
    at: 'rules[0] "web"',
    problem: 'unknown key "shares"',
  },
  {
    why: 'an account id has exactly 12 digits',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    share: { accounts: ["11112222333"] }`,
    at: 'rules[0] "web": share.accounts[0]',
    problem: 'must be a 12-digit AWS account id',
  },
  {
    why: 'an unquoted account id is a YAML number, which loses leading zeros',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    share: { accounts: ["111122223333", 011122223333] }`,
    at: 'rules[0] "web": share.accounts[1]',
    problem: 'must be a 12-digit AWS account id in quotes',
  },
  {
    why: 'an unquoted owner account id is a number, not an owner',
    rules: `
  - name: web
    match: { regions: [us-east-1], owners: [111122223333] }`,
    at: 'rules[0] "web": match.owners[0]',
    problem: 'a 12-digit account id in quotes',
  },
  {
    why: 'a misspelt source region',
    rules: `
  - name: web
    match: { regions: [eu-west1] }`,
    at: 'rules[0] "web": match.regions[0]',
    problem: 'unknown region "eu-west1"',
  },
  {
    why: 'a target region that does not exist',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1, us-east-3] }`,
    at: 'rules[0] "web": copy.regions[1]',
    problem: 'unknown region "us-east-3"',
  },
  {
    why: 'a KMS key under a misspelt region',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], encrypted: true, kmsKeys: { eu-wst-1: alias/images } }`,
    at: 'rules[0] "web": copy.kmsKeys.eu-wst-1',
    problem: 'unknown region "eu-wst-1"',
  },
  {
    why: 'a KMS key for a region that is not a target would never be used',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], encrypted: true, kmsKeys: { eu-west-1: alias/images, us-west-2: alias/images } }`,
    at: 'rules[0] "web": copy.kmsKeys.us-west-2',
    problem: 'us-west-2 is not a target region (copy.regions)',
  },
  {
    why: 'KMS keys are regional: a key ARN of another region cannot encrypt copies here',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy:
      regions: [eu-west-1]
      encrypted: true
      kmsKeys: { eu-west-1: "arn:aws:kms:us-east-1:111122223333:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b" }`,
    at: 'rules[0] "web": copy.kmsKeys.eu-west-1',
    problem: 'the key is in us-east-1; KMS keys are regional',
  },
  {
    why: 'CopyImage refuses KmsKeyId without Encrypted=true',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], kmsKeys: { eu-west-1: alias/images } }`,
    at: 'rules[0] "web": copy.kmsKeys',
    problem: 'KMS keys need copy.encrypted: true',
  },
  {
    why: 'copies encrypted with the AWS-managed EBS key cannot be shared with accounts',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1, us-west-2], encrypted: true, kmsKeys: { eu-west-1: alias/images } }
    share: { accounts: ["111122223333"] }`,
    at: 'rules[0] "web": copy.kmsKeys',
    problem: 'need a customer-managed key in us-west-2',
  },
  {
    why: 'sharing with an organization needs a customer-managed key as well',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], encrypted: true }
    share: { organizations: ["arn:aws:organizations::111122223333:organization/o-exampleorgid"] }`,
    at: 'rules[0] "web": copy.kmsKeys',
    problem: 'need a customer-managed key in eu-west-1',
  },
  {
    why: 'a target that is also a source region still receives copies from the other source regions',
    rules: `
  - name: web
    match: { regions: [us-east-1, us-west-2] }
    copy: { regions: [us-west-2, eu-west-1], name: "{name}-{sourceRegion}", encrypted: true, kmsKeys: { eu-west-1: alias/images } }
    share: { accounts: ["111122223333"] }`,
    at: 'rules[0] "web": copy.kmsKeys',
    problem: 'need a customer-managed key in us-west-2;',
  },
  {
    why: 'the AWS-managed key named explicitly cannot be shared either',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], encrypted: true, kmsKeys: { eu-west-1: alias/aws/ebs } }
    share: { accounts: ["111122223333"] }`,
    at: 'rules[0] "web": copy.kmsKeys.eu-west-1',
    problem: 'alias/aws/ebs is the AWS-managed key',
  },
  {
    why: 'making images public needs a second, explicit switch',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    share: { public: true }`,
    at: 'rules[0] "web": share.public',
    problem: 'refused unless share.allowPublic is also true',
  },
  {
    why: 'images owned by Amazon cannot be re-permissioned by this account',
    rules: `
  - name: base
    match: { regions: [us-east-1], owners: [amazon], names: ["al2023-ami-*"] }
    share: { accounts: ["111122223333"] }`,
    at: 'rules[0] "base": share',
    problem: 'refused: match.owners includes "amazon"',
  },
  {
    why: 'Marketplace images cannot be re-permissioned either',
    rules: `
  - name: base
    match: { regions: [us-east-1], owners: [self, aws-marketplace] }
    share: { organizations: ["arn:aws:organizations::111122223333:organization/o-exampleorgid"] }`,
    at: 'rules[0] "base": share',
    problem: 'match.owners includes "aws-marketplace"',
  },
  {
    why: 'snapshots can only be shared with accounts',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    share:
      organizations: ["arn:aws:organizations::111122223333:organization/o-exampleorgid"]
      snapshotPermissions: true`,
    at: 'rules[0] "web": share.snapshotPermissions',
    problem: 'needs share.accounts',
  },
  {
    why: 'rule names identify rules in lineage tags, so they must be unique',
    rules: `
  - name: web
    match: { regions: [us-east-1], names: ["web-*"] }
  - name: web
    match: { regions: [us-east-1], names: ["db-*"] }`,
    at: 'rules[1] "web": name',
    problem: 'also used by rules[0]; rule names must be unique',
  },
  {
    why: 'web-* and *-prod both match web-prod in the same region and owner',
    rules: `
  - name: web
    match: { regions: [us-east-1], names: ["web-*"] }
  - name: prod
    match: { regions: [us-east-1], names: ["*-prod"] }`,
    at: 'rules[1] "prod": match',
    problem: 'overlaps rules[0] "web"',
  },
  {
    why: 'a rule without names matches every name, so it overlaps any rule in its region',
    rules: `
  - name: all
    match: { regions: [us-east-1, eu-west-1] }
  - name: web
    match: { regions: [eu-west-1], names: ["web-*"], tags: { env: prod } }`,
    at: 'rules[1] "web": match',
    problem: 'overlaps rules[0] "all"',
  },
  {
    why: 'the same exact tag value on both sides does not separate the rules',
    rules: `
  - name: a
    match: { regions: [us-east-1], tags: { env: prod } }
  - name: b
    match: { regions: [us-east-1], tags: { env: prod, team: web } }`,
    at: 'rules[1] "b": match',
    problem: 'overlaps rules[0] "a"',
  },
  {
    why: 'a template placeholder that does not exist would end up in the copy name',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], name: "{nam}-copy" }`,
    at: 'rules[0] "web": copy.name',
    problem: 'unknown placeholder {nam}',
  },
  {
    why: 'description templates are checked too',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], description: "from {sourceImage}" }`,
    at: 'rules[0] "web": copy.description',
    problem: 'unknown placeholder {sourceImage}',
  },
  {
    why: 'EC2 refuses tag keys starting with aws:',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    tags: { image: { "aws:owner": platform } }`,
    at: 'rules[0] "web": tags.image.aws:owner',
    problem: 'tag keys cannot start with "aws:"',
  },
  {
    why: 'aws: is refused whatever its case',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], tags: { "AWS:owner": platform } }`,
    at: 'rules[0] "web": copy.tags.AWS:owner',
    problem: 'tag keys cannot start with "aws:"',
  },
  {
    why: 'ami-lifecycle: tags are the lineage the tool writes itself',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], tags: { "ami-lifecycle:rule": other } }`,
    at: 'rules[0] "web": copy.tags.ami-lifecycle:rule',
    problem: 'are written by ami-lifecycle itself',
  },
  {
    why: 'reserved tag keys cannot be matched as tagKeys either',
    rules: `
  - name: web
    match: { regions: [us-east-1], tagKeys: ["aws:cloudformation:stack-name"] }`,
    at: 'rules[0] "web": match.tagKeys[0]',
    problem: 'tag keys cannot start with "aws:"',
  },
  {
    why: 'an unquoted number as a tag value is not a string',
    rules: `
  - name: web
    match: { regions: [us-east-1], tags: { version: 2 } }`,
    at: 'rules[0] "web": match.tags.version',
    problem: 'tag values must be strings (quote numbers and booleans)',
  },
  {
    why: 'time-based copies come in 15-minute steps',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1], completionDurationMinutes: 20 }`,
    at: 'rules[0] "web": copy.completionDurationMinutes',
    problem: 'must be a multiple of 15',
  },
  {
    why: 'a rule without a name cannot be referred to',
    rules: `
  - match: { regions: [us-east-1] }`,
    at: 'rules[0]: name',
    problem: 'is required',
  },
  {
    why: 'a rule needs at least one source region',
    rules: `
  - name: web
    match: { regions: [] }`,
    at: 'rules[0] "web": match.regions',
    problem: 'name at least one source region',
  },
];

describe('parseRules rejects', () => {
  it.each(invalid)('$why', ({ rules, at, problem }) => {
    const error = validationError(file(rules));
    expect(error.issues).toHaveLength(1);
    const [issue] = error.issues;
    expect(issue?.startsWith(`${at}: `), `"${issue}" should start with "${at}: "`).toBe(true);
    expect(issue).toContain(problem);
    expect(error.message).toContain(issue);
    expect(error.retryable).toBe(false);
  });

  it('reports every problem of every rule together, in file order', () => {
    const error = validationError(
      file(`
  - name: web
    match: { regions: [eu-west1] }
    share: { acounts: ["111122223333"] }
  - name: db
    match: { regions: [us-east-1], names: ["db-*"] }
    share: { public: true, accounts: ["12345"] }`),
    );
    expect(error.issues).toEqual([
      'rules[0] "web": match.regions[0]: unknown region "eu-west1"',
      'rules[0] "web": share: unknown key "acounts"',
      expect.stringMatching(/^rules\[1\] "db": share\.accounts\[0\]: must be a 12-digit AWS account id/),
    ]);
  });

  it('reports every cross-rule problem together', () => {
    const error = validationError(
      file(`
  - name: web
    match: { regions: [us-east-1], names: ["web-*"] }
    share: { public: true }
  - name: web
    match: { regions: [us-east-1], names: ["web-prod-?"] }
    copy: { regions: [eu-west-1], kmsKeys: { eu-west-1: alias/images } }`),
    );
    expect(error.issues).toEqual([
      expect.stringMatching(/^rules\[0\] "web": share\.public: /),
      expect.stringMatching(/^rules\[1\] "web": name: also used by rules\[0\]/),
      'rules[1] "web": copy.kmsKeys: KMS keys need copy.encrypted: true',
      expect.stringMatching(/^rules\[1\] "web": match: overlaps rules\[0\] "web"/),
    ]);
  });

  it.each([
    {
      why: 'an unclosed flow map',
      text: 'version: 1\nrules:\n  - name: web\n    match: { regions: [us-east-1]\n  - name: db\n',
      line: 5,
    },
    {
      why: 'a key indented out of place',
      text: 'version: 1\nrules:\n  - name: web\n   match: { regions: [us-east-1] }\n',
      line: 4,
    },
    {
      why: 'the same key twice in one mapping',
      text: 'version: 1\nrules:\n  - name: web\n    name: db\n    match: { regions: [us-east-1] }\n',
      line: 4,
    },
  ])('a YAML syntax error ($why) with its line and column', ({ text, line }) => {
    const error = validationError(text);
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues[0]).toMatch(new RegExp(`^line ${line}, column \\d+: \\S`));
  });

  it.each([
    { why: 'an empty file, which says so', text: '', issue: 'the file is empty' },
    {
      why: 'a file of comments only, which is empty too',
      text: '# rules\n\n# to come\n',
      issue: 'the file is empty',
    },
    { why: 'a document that is not a mapping', text: '- name: web\n', issue: '(top level): ' },
    { why: 'another file version', text: 'version: 2\nrules: []\n', issue: 'version: must be 1' },
    { why: 'no rules at all', text: 'version: 1\nrules: []\n', issue: 'rules: define at least one rule' },
  ])('$why', ({ text, issue }) => {
    const error = validationError(text);
    expect(error.issues.some((i) => i.startsWith(issue))).toBe(true);
  });

  it('a file that cannot be read, naming the file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rules-')), 'missing.yaml');
    expect(() => loadRulesFile(path)).toThrow(RulesValidationError);
    expect(() => loadRulesFile(path)).toThrow(/missing\.yaml is not a valid rules file:\n {2}- cannot read/);
  });
});

const valid: Array<{ why: string; rules: string }> = [
  {
    why: 'disjoint name globs in the same region and owner',
    rules: `
  - name: web
    match: { regions: [us-east-1], names: ["web-*"] }
  - name: db
    match: { regions: [us-east-1], names: ["db-*", "database-?"] }`,
  },
  {
    why: 'intersecting globs in disjoint source regions',
    rules: `
  - name: web-us
    match: { regions: [us-east-1], names: ["web-*"] }
  - name: web-eu
    match: { regions: [eu-west-1], names: ["web-*"] }`,
  },
  {
    why: 'the same names with different exact values of one tag',
    rules: `
  - name: web-prod
    match: { regions: [us-east-1], names: ["web-*"], tags: { env: prod } }
  - name: web-dev
    match: { regions: [us-east-1], names: ["web-*"], tags: { env: dev, team: web } }`,
  },
  {
    why: 'different owners written differently (self and an account id are compared at run time)',
    rules: `
  - name: own
    match: { regions: [us-east-1], owners: [self] }
  - name: partner
    match: { regions: [us-east-1], owners: ["444455556666"] }`,
  },
  {
    why: 'encrypted copies that are not shared may use the AWS-managed key',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [eu-west-1, us-west-2], encrypted: true }`,
  },
  {
    why: 'a target that is the only source region receives no copy and needs no key',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy: { regions: [us-east-1, eu-west-1], encrypted: true, kmsKeys: { eu-west-1: alias/images } }
    share: { accounts: ["111122223333"] }`,
  },
  {
    why: 'public sharing with both switches on',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    share: { public: true, allowPublic: true }`,
  },
  {
    why: 'Amazon images may be copied and tagged, just not shared',
    rules: `
  - name: base
    match: { regions: [us-east-1], owners: [amazon], names: ["al2023-ami-*"] }
    copy: { regions: [eu-west-1], name: "{name}-{sourceRegion}-{creationDate}" }`,
  },
  {
    why: 'every documented placeholder, and KMS key ids, aliases and multi-region keys',
    rules: `
  - name: web
    match: { regions: [us-east-1] }
    copy:
      regions: [eu-west-1, us-west-2, ap-southeast-2]
      name: "{name}-{imageId}-{sourceRegion}-{region}-{rule}-{creationDate}"
      encrypted: true
      kmsKeys:
        eu-west-1: 0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b
        us-west-2: mrk-0123456789abcdef0123456789abcdef
        ap-southeast-2: "arn:aws:kms:ap-southeast-2:111122223333:alias/images"
    share: { accounts: ["011122223333"], snapshotPermissions: true }`,
  },
];

describe('parseRules accepts', () => {
  it.each(valid)('$why', ({ rules }) => {
    expect(() => parseRules(file(rules))).not.toThrow();
  });

  it('keeps a quoted account id with a leading zero intact', () => {
    const parsed = parseRules(
      file(`
  - name: web
    match: { regions: [us-east-1], owners: ["011122223333"] }`),
    );
    expect(parsed.rules[0]?.match.owners).toEqual(['011122223333']);
  });
});

describe('loadRulesFile', () => {
  it('reads a file from disk and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, file('  - name: web\n    match: { regions: [eu-west1] }'));
    expect(() => loadRulesFile(path)).toThrow(`${path} is not a valid rules file`);
  });
});
