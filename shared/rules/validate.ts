import { readFileSync } from 'node:fs';
import type { core } from 'zod';
import { RulesValidationError } from '../core/errors.js';
import { accountsChecks } from './accounts-checks.js';
import { issueText } from './issue-text.js';
import { limitChecks } from './limits.js';
import { noEffectChecks } from './no-effect.js';
import { overlappingPairs } from './overlaps.js';
import { publishChecks, sharedParameters } from './publish.js';
import { type Rule, type RulesFile, RulesFileSchema } from './schema.js';

/**
 * Validating a rules document, whatever it was read from (the YAML an operator writes, or the JSON
 * `serverless package` writes for the functions): the strict schema, then the checks that span
 * fields and rules. All problems are collected and reported together, each naming the rule, the
 * field and what is wrong, so one run of `ami-lifecycle validate` shows everything to fix.
 */
export function validateRules(raw: unknown, source = 'rules'): RulesFile {
  // reportInput: without it zod drops `input` from issues, and every wrong type would read "is required".
  const parsed = RulesFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new RulesValidationError(
      source,
      parsed.error.issues.map((issue) => describeIssue(issue, raw)),
    );
  }
  const problems = crossChecks(parsed.data);
  if (problems.length > 0) throw new RulesValidationError(source, problems);
  return parsed.data;
}

/** A rules file's text; a file that cannot be read is reported like any other problem with it. */
export function readRulesText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new RulesValidationError(path, [
      `cannot read the file: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
}

function describeIssue(issue: core.$ZodIssue, raw: unknown): string {
  const where = locate(issue.path, raw);
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: is required`;
  // A record key that fails its schema (an unknown region, an "aws:" tag key): say why, not just "Invalid key".
  if (issue.code === 'invalid_key' && issue.issues.length > 0) {
    return `${where}: ${issue.issues.map(issueText).join('; ')}`;
  }
  return `${where}: ${issueText(issue)}`;
}

/** `rules[2] "web": share.accounts[0]`: the rule by index and name, then the field path within it. */
function locate(path: readonly PropertyKey[], raw: unknown): string {
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const rule = ruleLabel(path[1], nameAt(raw, path[1]));
    const rest = fieldPath(path.slice(2));
    return rest ? `${rule}: ${rest}` : rule;
  }
  return fieldPath(path) || '(top level)';
}

function nameAt(raw: unknown, index: number): string | undefined {
  if (typeof raw !== 'object' || raw === null || !('rules' in raw) || !Array.isArray(raw.rules))
    return undefined;
  const rule: unknown = raw.rules[index];
  if (typeof rule === 'object' && rule !== null && 'name' in rule && typeof rule.name === 'string') {
    return rule.name;
  }
  return undefined;
}

function ruleLabel(index: number, name: string | undefined): string {
  return name === undefined ? `rules[${index}]` : `rules[${index}] "${name}"`;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** Checks no single field can make: KMS keys against targets, sharing safety, duplicate and overlapping rules. */
function crossChecks(file: RulesFile): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  file.rules.forEach((rule, index) => {
    const label = ruleLabel(index, rule.name);
    const earlier = seen.get(rule.name);
    if (earlier !== undefined)
      problems.push(`${label}: name: also used by rules[${earlier}]; rule names must be unique`);
    seen.set(rule.name, index);
    for (const problem of [
      ...ruleChecks(rule),
      ...limitChecks(rule),
      ...noEffectChecks(rule),
      ...publishChecks(rule),
      ...accountsChecks(rule),
    ])
      problems.push(`${label}: ${problem}`);
  });
  for (const { rule, problem } of sharedParameters(file.rules)) {
    problems.push(`${ruleLabel(rule, file.rules[rule]?.name)}: ${problem}`);
  }
  for (const [i, j] of overlappingPairs(file.rules)) {
    const [a, b] = [file.rules[i] as Rule, file.rules[j] as Rule];
    problems.push(
      `${ruleLabel(j, b.name)}: match: overlaps ${ruleLabel(i, a.name)}: an image could match both rules; ` +
        'each image must be managed by at most one rule (narrow regions, owners, names or tags)',
    );
  }
  return problems;
}

function ruleChecks(rule: Rule): string[] {
  const problems: string[] = [];
  const { copy, share } = rule;
  const sharesWithAccounts =
    share !== undefined &&
    (share.accounts.length > 0 || share.organizations.length > 0 || share.organizationalUnits.length > 0);

  if (share?.public && !share.allowPublic) {
    problems.push(
      'share.public: making images public is refused unless share.allowPublic is also true (anyone could launch them)',
    );
  }
  if (share?.snapshotPermissions && share.accounts.length === 0) {
    problems.push(
      'share.snapshotPermissions: needs share.accounts (snapshots can only be shared with accounts)',
    );
  }
  const foreignOwners = rule.match.owners.filter((o) => o === 'amazon' || o === 'aws-marketplace');
  if (share !== undefined && foreignOwners.length > 0) {
    problems.push(
      `share: refused: match.owners includes ${foreignOwners.map((o) => `"${o}"`).join(', ')}; ` +
        'only images the account owns can be re-permissioned (community and Marketplace images cannot be shared)',
    );
  }
  problems.push(...retireChecks(rule, foreignOwners));
  if (copy) {
    for (const [region, key] of Object.entries(copy.kmsKeys)) {
      if (!copy.regions.includes(region)) {
        problems.push(`copy.kmsKeys.${region}: ${region} is not a target region (copy.regions)`);
      }
      const keyRegion = key.match(/^arn:aws[a-z-]*:kms:([a-z0-9-]+):/)?.[1];
      if (keyRegion !== undefined && keyRegion !== region) {
        problems.push(`copy.kmsKeys.${region}: the key is in ${keyRegion}; KMS keys are regional`);
      }
      if (key === 'alias/aws/ebs' && sharesWithAccounts) {
        problems.push(
          `copy.kmsKeys.${region}: alias/aws/ebs is the AWS-managed key, and snapshots encrypted with it cannot be shared`,
        );
      }
    }
    if (Object.keys(copy.kmsKeys).length > 0 && !copy.encrypted) {
      problems.push('copy.kmsKeys: KMS keys need copy.encrypted: true');
    }
    if (copy.encrypted && sharesWithAccounts) {
      // A target receives copies from every source region but itself, so only a target that is the
      // rule's sole source region gets no copies (and needs no key).
      const missing = copy.regions.filter(
        (r) => rule.match.regions.some((source) => source !== r) && copy.kmsKeys[r] === undefined,
      );
      if (missing.length > 0) {
        problems.push(
          `copy.kmsKeys: encrypted copies shared with other accounts need a customer-managed key in ${missing.join(', ')}; ` +
            'the default AWS-managed EBS key cannot be shared',
        );
      }
    }
  }
  return problems;
}

/** Retirement: something to do, the stages in order (deprecate, disable, deregister), no setting without effect, only images the account owns. */
function retireChecks(rule: Rule, foreignOwners: readonly string[]): string[] {
  const retire = rule.retire;
  if (retire === undefined) return [];
  const problems: string[] = [];
  const { deprecateAfterDays, disableAfterDays, deregisterAfterDays, notLaunchedForDays } = retire;
  if (
    deprecateAfterDays === undefined &&
    disableAfterDays === undefined &&
    deregisterAfterDays === undefined
  ) {
    problems.push(
      'retire: set at least one of retire.deprecateAfterDays, retire.disableAfterDays and retire.deregisterAfterDays; with none, retire does nothing',
    );
  }
  // The stages come in this order: deprecated, then disabled, then deregistered.
  const stages = [
    ['deprecateAfterDays', deprecateAfterDays, 'deprecated'],
    ['disableAfterDays', disableAfterDays, 'disabled'],
    ['deregisterAfterDays', deregisterAfterDays, 'deregistered'],
  ] as const;
  stages.forEach(([later, laterDays, laterVerb], i) => {
    for (const [earlier, earlierDays, earlierVerb] of stages.slice(0, i)) {
      if (earlierDays !== undefined && laterDays !== undefined && laterDays < earlierDays) {
        problems.push(
          `retire.${later}: ${laterDays} is less than retire.${earlier} (${earlierDays}); ` +
            `an image is ${earlierVerb} before it is ${laterVerb}`,
        );
      }
    }
  });
  if (
    notLaunchedForDays !== undefined &&
    deregisterAfterDays === undefined &&
    disableAfterDays === undefined
  ) {
    problems.push(
      'retire.notLaunchedForDays: has no effect without retire.disableAfterDays or retire.deregisterAfterDays; it only holds back disabling and deregistration',
    );
  }
  if (foreignOwners.length > 0) {
    problems.push(
      `retire: refused: match.owners includes ${foreignOwners.map((o) => `"${o}"`).join(', ')}; ` +
        'only images the account owns can be deprecated or deregistered',
    );
  }
  return problems;
}
