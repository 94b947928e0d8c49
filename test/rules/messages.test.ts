import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { parseRules } from '../../shared/rules/load.js';

/**
 * How problems read: each names the rule (index and name) and the field path, says what is wrong
 * and what is allowed, and quotes the offending value, so with many entries the operator knows
 * which one. All problems of a file come at once.
 */
function issues(rule: string): string[] {
  try {
    parseRules(`version: 1\nrules:\n  - name: web\n${rule}`, 'messages.yaml');
    return [];
  } catch (error) {
    if (error instanceof RulesValidationError) return [...error.issues];
    throw error;
  }
}

describe('a problem quotes the value that is wrong, and where it is', () => {
  it.each([
    {
      why: 'an owner YAML read as a number',
      rule: '    match: { regions: [us-east-1], owners: [self, 12345] }',
      says: 'rules[0] "web": match.owners[1]: must be "self", "amazon", "aws-marketplace" or a 12-digit account id in quotes (got 12345)',
    },
    {
      why: 'an empty name glob, among others',
      rule: '    match: { regions: [us-east-1], names: ["web-*", ""] }',
      says: 'rules[0] "web": match.names[1]: must not be empty (got "")',
    },
    {
      why: 'the wrong account id of several',
      rule: '    match: { regions: [us-east-1] }\n    share: { accounts: ["111122223333", "11112222333"] }',
      says: 'rules[0] "web": share.accounts[1]: must be a 12-digit AWS account id in quotes (YAML reads an unquoted 012345678901 as a number and drops the leading zero) (got "11112222333")',
    },
    {
      why: 'a number where a whole number of days is needed',
      rule: '    match: { regions: [us-east-1] }\n    retire: { keep: 1, deprecateAfterDays: 1.5 }',
      says: 'rules[0] "web": retire.deprecateAfterDays: must be a whole number of days (got 1.5)',
    },
    {
      why: 'a list where text is needed, named by its kind',
      rule: '    match: { regions: [us-east-1] }\n    description: [a, b]',
      says: 'rules[0] "web": description: must be text (got a list of 2)',
    },
    {
      why: 'a map where true or false is needed',
      rule: '    match: { regions: [us-east-1] }\n    copy: { regions: [eu-west-1], encrypted: { yes: 1 } }',
      says: 'rules[0] "web": copy.encrypted: must be true or false (got a map)',
    },
    {
      why: 'a long value, clipped, with its length',
      rule: `    match: { regions: [us-east-1] }\n    copy: { regions: [eu-west-1], kmsKeys: { eu-west-1: "${'k'.repeat(300)}" } }`,
      says: `rules[0] "web": copy.kmsKeys.eu-west-1: must be a KMS key ARN, key id, alias ARN or alias/name (got "${'k'.repeat(59)}…" (300 characters))`,
    },
    {
      why: 'a value the message already quotes is not quoted twice',
      rule: '    match: { regions: [us-east-1, eu-west1] }',
      says: 'rules[0] "web": match.regions[1]: unknown region "eu-west1"',
    },
  ])('$why', ({ rule, says }) => {
    expect(issues(rule)).toEqual([says]);
  });

  it('reports every problem of the file at once', () => {
    const all = issues(
      '    match: { regions: [eu-west1], owners: [12345] }\n    share: { accounts: ["1"] }\n    extra: 1',
    );
    expect(all).toHaveLength(4);
    expect(all.every((issue) => issue.startsWith('rules[0] "web": '))).toBe(true);
  });
});
