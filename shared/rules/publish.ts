import type { PublishedTemplate, Rule } from './schema.js';

/**
 * What a rule's `publish` section names in each region: the SSM parameters (their names expanded)
 * and the launch templates, and the checks of those names against SSM's and EC2's rules, made at
 * validation so a file that validates cannot fail at run time because of a name.
 */

/** The tool's own parameter per rule and region: the release its pointers were moved to, and the pin. */
export const RULE_STATE_PREFIX = '/ami-lifecycle/rules/';

export function ruleStateName(rule: string): string {
  return `${RULE_STATE_PREFIX}${rule}`;
}

/** Every region where the rule can have an image: its source regions, then its copy regions. */
export function ruleRegions(rule: Rule): string[] {
  return [...new Set([...rule.match.regions, ...(rule.copy?.regions ?? [])])];
}

/** The source regions whose releases have an image in `region`: itself, and every other when it is a copy region. */
export function sourceRegionsIn(rule: Rule, region: string): string[] {
  const copiesHere = rule.copy?.regions.includes(region) === true;
  return rule.match.regions.filter((s) => s === region || copiesHere);
}

/** A parameter name with its placeholders filled in. */
export function expandParameterName(
  template: string,
  values: { rule: string; region: string; sourceRegion: string },
): string {
  return template.replace(/\{(rule|region|sourceRegion)\}/g, (_, key: keyof typeof values) => values[key]);
}

/** The managed parameters in `region` that a release from `sourceRegion` moves. */
export function parameterNamesFor(rule: Rule, region: string, sourceRegion: string): string[] {
  return (rule.publish?.parameters ?? []).map((p) =>
    expandParameterName(p.name, { rule: rule.name, region, sourceRegion }),
  );
}

/** Every managed parameter of the rule in `region`, whichever source region moves it. */
export function parameterNamesIn(rule: Rule, region: string): string[] {
  return [...new Set(sourceRegionsIn(rule, region).flatMap((s) => parameterNamesFor(rule, region, s)))];
}

/** The launch templates the rule names in `region`. */
export function templatesIn(rule: Rule, region: string): PublishedTemplate[] {
  const regions = ruleRegions(rule);
  return (rule.publish?.launchTemplates ?? []).filter((t) => (t.regions ?? regions).includes(region));
}

/** How a template is named in messages and action ids. */
export function templateLabel(template: PublishedTemplate): string {
  return template.id ?? template.name ?? '';
}

const SSM_NAME =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html';

/** SSM's limits on a parameter name (see `SSM_NAME`). */
export const SSM_NAME_LIMITS = {
  characters: /^[a-zA-Z0-9_.\-/]+$/,
  maxDepth: 15,
  /** Counting the ARN before the name: `arn:aws:ssm:<region>:<account>:parameter/`. */
  maxArnLength: 1011,
  source: SSM_NAME,
} as const;

/** Why an expanded parameter name breaks SSM's rules, or undefined when it does not. */
export function parameterNameProblem(name: string, region: string): string | undefined {
  if (!SSM_NAME_LIMITS.characters.test(name)) return 'SSM names use only letters, digits and _ . - /';
  if (name.includes('/') && !name.startsWith('/'))
    return 'a name with / is a hierarchy and must start with /';
  const first = (name.startsWith('/') ? name.slice(1) : name).toLowerCase();
  if (first.startsWith('aws') || first.startsWith('ssm'))
    return 'SSM reserves names starting with aws or ssm';
  if (name.endsWith('/') || name.includes('//')) return 'a hierarchy level cannot be empty';
  const depth = name.split('/').filter((part) => part !== '').length;
  if (depth > SSM_NAME_LIMITS.maxDepth)
    return `${depth} levels; SSM allows at most ${SSM_NAME_LIMITS.maxDepth}`;
  const arn = `arn:aws:ssm:${region}:000000000000:parameter/${name.replace(/^\//, '')}`;
  if (arn.length > SSM_NAME_LIMITS.maxArnLength)
    return `its ARN is ${arn.length} characters; SSM allows at most ${SSM_NAME_LIMITS.maxArnLength}`;
  if (name.startsWith(RULE_STATE_PREFIX)) return `${RULE_STATE_PREFIX} is the tool's own`;
  return undefined;
}

/** The `publish` section's checks across fields; each message quotes the value. */
export function publishChecks(rule: Rule): string[] {
  const publish = rule.publish;
  if (publish === undefined) return [];
  const problems: string[] = [];
  const regions = ruleRegions(rule);
  if (publish.parameters.length === 0 && publish.launchTemplates.length === 0) {
    problems.push('publish: names no parameter and no launch template (or remove publish)');
  }
  publish.parameters.forEach((parameter, i) => {
    const reported = new Set<string>();
    for (const region of regions) {
      for (const sourceRegion of sourceRegionsIn(rule, region)) {
        const name = expandParameterName(parameter.name, { rule: rule.name, region, sourceRegion });
        const problem = parameterNameProblem(name, region);
        if (problem !== undefined && !reported.has(problem)) {
          reported.add(problem);
          problems.push(
            `publish.parameters[${i}].name: ${JSON.stringify(parameter.name)} (${JSON.stringify(name)} in ${region}): ${problem}`,
          );
        }
      }
    }
  });
  const names = publish.parameters.map((p) => p.name);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i)
      problems.push(`publish.parameters[${i}].name: ${JSON.stringify(name)} is listed twice`);
  });
  publish.launchTemplates.forEach((template, i) => {
    const outside = (template.regions ?? []).filter((r) => !regions.includes(r));
    if (outside.length > 0) {
      problems.push(
        `publish.launchTemplates[${i}].regions: ${outside.join(', ')} is not a region of the rule (${regions.join(', ')}); the rule has no image there`,
      );
    }
    if (template.id !== undefined && template.regions?.length !== 1) {
      problems.push(
        `publish.launchTemplates[${i}].id: ${template.id} names a template in one region; give regions with exactly that region`,
      );
    }
  });
  const labels = publish.launchTemplates.map(templateLabel);
  labels.forEach((label, i) => {
    if (labels.indexOf(label) !== i)
      problems.push(`publish.launchTemplates[${i}]: ${JSON.stringify(label)} is listed twice`);
  });
  return problems;
}

/** Parameters two rules would both move (same expanded name in the same region): each pointer has one rule. */
export function sharedParameters(rules: readonly Rule[]): { rule: number; problem: string }[] {
  const owner = new Map<string, string>();
  const problems: { rule: number; problem: string }[] = [];
  rules.forEach((rule, index) => {
    for (const region of ruleRegions(rule)) {
      for (const name of parameterNamesIn(rule, region)) {
        const key = `${region} ${name}`;
        const other = owner.get(key);
        if (other !== undefined && other !== rule.name) {
          problems.push({
            rule: index,
            problem: `publish.parameters: ${JSON.stringify(name)} in ${region} is also published by rule "${other}"; a parameter follows one rule`,
          });
        }
        owner.set(key, rule.name);
      }
    }
  });
  return problems;
}
