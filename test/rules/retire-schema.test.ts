import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { parseRules } from '../../shared/rules/load.js';

/** A one-rule file whose `retire` block is the given YAML (indented under the rule). */
function withRetire(retire: string, extra = ''): string {
  return `version: 1
rules:
  - name: web
    match:
      regions: [us-east-1]
      names: ['web-*']${extra}
    retire:
${retire
  .trim()
  .split('\n')
  .map((line) => `      ${line.trim()}`)
  .join('\n')}
`;
}

function issues(text: string): readonly string[] {
  try {
    parseRules(text, 'test.yaml');
  } catch (error) {
    if (error instanceof RulesValidationError) return error.issues;
    throw error;
  }
  throw new Error(`the rules validated but should not have:\n${text}`);
}

describe('retire: valid settings and their defaults', () => {
  it('fills in family "name" and apply false, so deletion is a dry run unless asked for', () => {
    const [rule] = parseRules(withRetire('keep: 2\nderegisterAfterDays: 90')).rules;
    expect(rule?.retire).toEqual({ family: 'name', keep: 2, deregisterAfterDays: 90, apply: false });
  });

  it('accepts a tag family and deprecation alone', () => {
    const [rule] = parseRules(
      withRetire('family: { tag: release-line }\nkeep: 1\ndeprecateAfterDays: 0'),
    ).rules;
    expect(rule?.retire).toEqual({
      family: { tag: 'release-line' },
      keep: 1,
      deprecateAfterDays: 0,
      apply: false,
    });
  });

  it('accepts the three stages in order, and a disable stage alone', () => {
    const [staged] = parseRules(
      withRetire('keep: 2\ndeprecateAfterDays: 30\ndisableAfterDays: 60\nderegisterAfterDays: 90'),
    ).rules;
    expect(staged?.retire).toMatchObject({
      deprecateAfterDays: 30,
      disableAfterDays: 60,
      deregisterAfterDays: 90,
    });
    const [alone] = parseRules(withRetire('keep: 1\ndisableAfterDays: 60\nnotLaunchedForDays: 14')).rules;
    expect(alone?.retire).toMatchObject({ disableAfterDays: 60, notLaunchedForDays: 14 });
  });

  it('accepts notLaunchedForDays, and leaves it unset (the shared-image default applies) when absent', () => {
    const [rule] = parseRules(withRetire('keep: 2\nderegisterAfterDays: 90\nnotLaunchedForDays: 14')).rules;
    expect(rule?.retire).toEqual({
      family: 'name',
      keep: 2,
      deregisterAfterDays: 90,
      notLaunchedForDays: 14,
      apply: false,
    });
  });

  it('the commented example in config/ami-rules.yaml validates once uncommented', () => {
    const path = fileURLToPath(new URL('../../config/ami-rules.yaml', import.meta.url));
    const text = readFileSync(path, 'utf8')
      .replace('    # retire:', '    retire:')
      .replace(/^ {4}# {3}(\w)/gm, '      $1');
    const golden = parseRules(text).rules.find((r) => r.name === 'golden-linux');
    expect(golden?.retire).toEqual({
      family: 'name',
      keep: 3,
      deprecateAfterDays: 30,
      disableAfterDays: 60,
      deregisterAfterDays: 90,
      notLaunchedForDays: 30,
      apply: false,
    });
  });
});

interface InvalidCase {
  why: string;
  retire: string;
  extra?: string;
  problem: string;
}

const invalid: InvalidCase[] = [
  {
    why: 'keep is what protects the newest images; it cannot be left out',
    retire: 'deregisterAfterDays: 30',
    problem: 'rules[0] "web": retire.keep: is required',
  },
  {
    why: 'keeping no image would retire a whole family',
    retire: 'keep: 0\nderegisterAfterDays: 30',
    problem: 'rules[0] "web": retire.keep: keep at least 1 image per family',
  },
  {
    why: 'a retire block with no days field does nothing, which is surely a mistake',
    retire: 'keep: 2',
    problem:
      'rules[0] "web": retire: set at least one of retire.deprecateAfterDays, retire.disableAfterDays and retire.deregisterAfterDays',
  },
  {
    why: 'an image is deprecated before it is disabled',
    retire: 'keep: 2\ndeprecateAfterDays: 60\ndisableAfterDays: 30',
    problem: 'rules[0] "web": retire.disableAfterDays: 30 is less than retire.deprecateAfterDays (60)',
  },
  {
    why: 'an image is disabled before it is deregistered',
    retire: 'keep: 2\ndisableAfterDays: 90\nderegisterAfterDays: 60',
    problem: 'rules[0] "web": retire.deregisterAfterDays: 60 is less than retire.disableAfterDays (90)',
  },
  {
    why: 'disabling on the day of creation would race the copies, as deregistration would',
    retire: 'keep: 2\ndisableAfterDays: 0',
    problem: 'rules[0] "web": retire.disableAfterDays:',
  },
  {
    why: 'an image must be deprecated before it is deregistered',
    retire: 'keep: 2\ndeprecateAfterDays: 60\nderegisterAfterDays: 30',
    problem: 'rules[0] "web": retire.deregisterAfterDays: 30 is less than retire.deprecateAfterDays (60)',
  },
  {
    why: 'deregistering on the day of creation would race the copies',
    retire: 'keep: 2\nderegisterAfterDays: 0',
    problem: 'rules[0] "web": retire.deregisterAfterDays:',
  },
  {
    why: 'EC2 refuses deprecation times more than 10 years ahead',
    retire: 'keep: 2\ndeprecateAfterDays: 4000',
    problem: 'rules[0] "web": retire.deprecateAfterDays: EC2 deprecates at most 10 years ahead',
  },
  {
    why: 'a typo such as "aply" must not silently leave deletion off (or on)',
    retire: 'keep: 2\nderegisterAfterDays: 30\naply: true',
    problem: 'rules[0] "web": retire: unknown key "aply"',
  },
  ...['0', '1.5', '"14"'].map(
    (days): InvalidCase => ({
      why: `notLaunchedForDays ${days}: a whole number of days, at least 1 (the shared-image default cannot be turned off)`,
      retire: `keep: 2\nderegisterAfterDays: 30\nnotLaunchedForDays: ${days}`,
      problem: 'rules[0] "web": retire.notLaunchedForDays: must be a whole number of days, at least 1',
    }),
  ),
  {
    why: 'notLaunchedForDays only holds back disabling and deregistration: without either it does nothing',
    retire: 'keep: 2\ndeprecateAfterDays: 30\nnotLaunchedForDays: 14',
    problem:
      'rules[0] "web": retire.notLaunchedForDays: has no effect without retire.disableAfterDays or retire.deregisterAfterDays',
  },
  {
    why: 'family is either "name" or a tag',
    retire: 'family: release\nkeep: 2\nderegisterAfterDays: 30',
    problem: 'rules[0] "web": retire.family: must be "name" or { tag: KEY }',
  },
  {
    why: 'only images the account owns can be retired',
    retire: 'keep: 2\nderegisterAfterDays: 30',
    extra: '\n      owners: [amazon]',
    problem: 'rules[0] "web": retire: refused: match.owners includes "amazon"',
  },
];

describe('retire: invalid settings name the rule, the field and the problem', () => {
  it.each(invalid)('$why', ({ retire, extra, problem }) => {
    const found = issues(withRetire(retire, extra));
    expect(
      found.some((issue) => issue.startsWith(problem)),
      found.join('\n'),
    ).toBe(true);
  });
});
