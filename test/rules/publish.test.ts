import { describe, expect, it } from 'vitest';
import { RulesValidationError } from '../../shared/core/errors.js';
import { parseRules } from '../../shared/rules/load.js';
import { parameterNamesFor, parameterNamesIn, templatesIn } from '../../shared/rules/publish.js';

/** The problems of a one-rule file "web" (sources in us-east-1, copies to eu-west-1) with this `publish`. */
function issues(publish: string, extra = ''): string[] {
  try {
    parseRules(
      `version: 1\nrules:\n  - name: web\n    match: { regions: [us-east-1] }\n    copy: { regions: [eu-west-1] }\n    publish: ${publish}\n${extra}`,
      'publish.yaml',
    );
    return [];
  } catch (error) {
    if (error instanceof RulesValidationError) return [...error.issues];
    throw error;
  }
}

describe('publish: refused with the value, the rule and the field', () => {
  it.each([
    {
      why: 'a placeholder that changes per release would make a parameter per release',
      publish: '{ parameters: [{ name: "/golden/{name}" }] }',
      says: /rules\[0\] "web": publish\.parameters\[0\]\.name: \{name\} differs from release to release/,
    },
    {
      why: 'an unknown placeholder',
      publish: '{ parameters: [{ name: "/golden/{stage}" }] }',
      says: /publish\.parameters\[0\]\.name: unknown placeholder \{stage\}; use one of \{rule\}, \{region\}, \{sourceRegion\}/,
    },
    {
      why: 'a character SSM names do not allow',
      publish: '{ parameters: [{ name: "/golden/{rule} latest" }] }',
      says: /publish\.parameters\[0\]\.name: "\/golden\/\{rule\} latest" \("\/golden\/web latest" in us-east-1\): SSM names use only/,
    },
    {
      why: 'a hierarchy without its leading slash',
      publish: '{ parameters: [{ name: "golden/{rule}" }] }',
      says: /"golden\/web" in us-east-1\): a name with \/ is a hierarchy and must start with \//,
    },
    {
      why: 'the aws prefix SSM reserves, case-insensitively',
      publish: '{ parameters: [{ name: "/AWSgolden/{rule}" }] }',
      says: /SSM reserves names starting with aws or ssm/,
    },
    {
      why: 'more than 15 levels',
      publish: `{ parameters: [{ name: "${'/a'.repeat(16)}" }] }`,
      says: /16 levels; SSM allows at most 15/,
    },
    {
      why: "a name longer than SSM's 1011 characters with its ARN",
      publish: `{ parameters: [{ name: "/${'a'.repeat(980)}" }] }`,
      says: /its ARN is \d+ characters; SSM allows at most 1011/,
    },
    {
      why: "the tool's own rule-state parameters",
      publish: '{ parameters: [{ name: "/ami-lifecycle/rules/{rule}/x" }] }',
      says: /\/ami-lifecycle\/rules\/ is the tool's own/,
    },
    {
      why: 'a launch template named twice ways',
      publish: '{ launchTemplates: [{ name: web-lt, id: lt-0123456789abcdef0, regions: [us-east-1] }] }',
      says: /publish\.launchTemplates\[0\]: give exactly one of name and id/,
    },
    {
      why: 'a template id without its one region',
      publish: '{ launchTemplates: [{ id: lt-0123456789abcdef0 }] }',
      says: /publish\.launchTemplates\[0\]\.id: lt-0123456789abcdef0 names a template in one region/,
    },
    {
      why: 'a template region where the rule has no image',
      publish: '{ launchTemplates: [{ name: web-lt, regions: [us-west-2] }] }',
      says: /publish\.launchTemplates\[0\]\.regions: us-west-2 is not a region of the rule \(us-east-1, eu-west-1\)/,
    },
    {
      why: 'nothing to publish',
      publish: '{}',
      says: /publish: names no parameter and no launch template/,
    },
  ])('$why', ({ publish, says }) => {
    expect(issues(publish)).toContainEqual(expect.stringMatching(says));
  });

  it('two rules publishing the same parameter in a region: refused on the second', () => {
    const second =
      '  - name: api\n    match: { regions: [us-east-1], names: ["api-*"] }\n    publish: { parameters: [{ name: "/golden/latest" }] }';
    expect(issues('{ parameters: [{ name: "/golden/latest" }] }', second)).toContainEqual(
      'rules[1] "api": publish.parameters: "/golden/latest" in us-east-1 is also published by rule "web"; a parameter follows one rule',
    );
  });

  it('a valid section: accepted, with its defaults', () => {
    const [rule] = parseRules(
      'version: 1\nrules:\n  - name: web\n    match: { regions: [us-east-1, us-west-2] }\n    copy: { regions: [eu-west-1], name: "{imageId}" }\n    publish: { parameters: [{ name: "/golden/{rule}/{sourceRegion}" }], launchTemplates: [{ name: web-lt }] }',
      'publish.yaml',
    ).rules;
    if (rule === undefined) throw new Error('no rule');
    expect(rule.publish?.parameters).toEqual([{ name: '/golden/{rule}/{sourceRegion}', labels: true }]);
    expect(rule.publish?.launchTemplates).toEqual([{ name: 'web-lt', makeDefault: false }]);
    // A copy region holds releases of every source region; a source region only its own.
    expect(parameterNamesIn(rule, 'eu-west-1')).toEqual(['/golden/web/us-east-1', '/golden/web/us-west-2']);
    expect(parameterNamesIn(rule, 'us-west-2')).toEqual(['/golden/web/us-west-2']);
    expect(parameterNamesFor(rule, 'eu-west-1', 'us-east-1')).toEqual(['/golden/web/us-east-1']);
    expect(templatesIn(rule, 'eu-west-1').map((t) => t.name)).toEqual(['web-lt']);
  });
});
