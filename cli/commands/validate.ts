import type { Command } from 'commander';
import { RulesValidationError } from '../../shared/core/errors.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ExitCode } from '../exit-codes.js';
import { rulesRegions } from '../run.js';

/**
 * `ami-lifecycle validate [--rules FILE] [--json]`: loads a rules file exactly as the functions do
 * at cold start, and either summarises what each rule does or lists every problem at once.
 */

const DEFAULT_RULES_FILE = 'config/ami-rules.yaml';

/** What a rule does, as `validate --json` prints it. */
export interface RuleSummary {
  readonly name: string;
  readonly description?: string;
  readonly owners: readonly string[];
  readonly sourceRegions: readonly string[];
  /** Regions copies go to; empty when the rule does not copy. */
  readonly targetRegions: readonly string[];
  readonly encrypted: boolean;
  readonly share: {
    readonly accounts: readonly string[];
    readonly organizations: readonly string[];
    readonly organizationalUnits: readonly string[];
    readonly public: boolean;
    readonly snapshotPermissions: boolean;
  };
}

interface Options {
  readonly rules?: string;
  readonly json?: boolean;
  readonly regions?: boolean;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check a rules file (schema, KMS keys, sharing safety, overlapping rules) and summarise it.')
    .option('--rules <file>', `the rules file (default: $RULES_FILE, or ${DEFAULT_RULES_FILE})`)
    .option('--json', 'print {valid, rules} or {valid, issues} as JSON')
    .option('--regions', 'print only the regions to deploy to: every source and target region, one per line')
    .action(async (options: Options) => {
      const file = options.rules || process.env.RULES_FILE || DEFAULT_RULES_FILE;
      // The YAML parser and the schema are loaded when the command runs, not to list commands.
      const { loadRulesFile } = await import('../../shared/rules/load.js');
      process.exitCode = validate(loadRulesFile, file, options.json === true, options.regions === true);
    });
}

function validate(
  loadRulesFile: (path: string) => { readonly rules: readonly Rule[] },
  file: string,
  json: boolean,
  regionsOnly: boolean,
): ExitCode {
  let rules: readonly Rule[];
  try {
    ({ rules } = loadRulesFile(file));
  } catch (error) {
    if (!(error instanceof RulesValidationError)) throw error;
    if (json) print({ valid: false, issues: error.issues });
    else console.error(error.message);
    return ExitCode.InvalidInput;
  }
  if (regionsOnly) {
    // For deploy loops: `for region in $(ami-lifecycle validate --regions); do ...`.
    for (const region of rulesRegions(rules)) console.log(region);
    return ExitCode.Ok;
  }
  const summaries = rules.map(summarize);
  if (json) print({ valid: true, rules: summaries });
  else console.log(describe(file, summaries));
  return ExitCode.Ok;
}

function print(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export function summarize(rule: Rule): RuleSummary {
  const share = rule.share;
  return {
    name: rule.name,
    ...(rule.description === undefined ? {} : { description: rule.description }),
    owners: rule.match.owners,
    sourceRegions: rule.match.regions,
    targetRegions: rule.copy?.regions ?? [],
    encrypted: rule.copy?.encrypted ?? false,
    share: {
      accounts: share?.accounts ?? [],
      organizations: share?.organizations ?? [],
      organizationalUnits: share?.organizationalUnits ?? [],
      public: share?.public ?? false,
      snapshotPermissions: share?.snapshotPermissions ?? false,
    },
  };
}

function describe(file: string, summaries: readonly RuleSummary[]): string {
  const lines = [`${file} is valid: ${count(summaries.length, 'rule')}`];
  for (const s of summaries) {
    const owners = s.owners.length === 1 && s.owners[0] === 'self' ? '' : ` (owners: ${s.owners.join(', ')})`;
    const copies =
      s.targetRegions.length === 0
        ? 'no copies'
        : `${s.targetRegions.join(', ')}${s.encrypted ? ' (encrypted)' : ''}`;
    lines.push('', `${s.name}${owners}`, `  ${s.sourceRegions.join(', ')} → ${copies}`, `  ${sharing(s)}`);
  }
  return lines.join('\n');
}

function sharing({ share }: RuleSummary): string {
  const parts = [
    ...(share.accounts.length > 0
      ? [`${count(share.accounts.length, 'account')} (${share.accounts.join(', ')})`]
      : []),
    ...share.organizations.map((arn) => `organization ${arn}`),
    ...share.organizationalUnits.map((arn) => `OU ${arn}`),
    ...(share.public ? ['everyone (public)'] : []),
  ];
  if (parts.length === 0) return 'not shared';
  return `shared with ${parts.join(', ')}${share.snapshotPermissions ? '; snapshots shared with the accounts too' : ''}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
