import { memberRule } from '../shared/core/member.js';
import type { Rule } from '../shared/rules/schema.js';
import { buildMatrix, renderCell, type StatusRow } from './commands/status.js';
import type { MembersRun } from './members.js';
import { table } from './output.js';
import type { RegionResult, RunContext } from './run.js';

/**
 * `status` for the rules' target accounts: the same matrix as the hub's, one per target account
 * (the hub's sources × the account's regions, each cell the state of the account's own copy),
 * from the reports of its (account, region) runs.
 */

export interface AccountMatrix {
  readonly account: string;
  readonly regions: readonly string[];
  readonly rows: readonly StatusRow[];
  /** Regions of the account the run skipped, with why (not enabled, a KMS key it cannot use...). */
  readonly skipped: readonly { readonly region: string; readonly reason: string }[];
}

export function accountMatrices(ctx: RunContext, members: MembersRun | undefined): AccountMatrix[] {
  if (members === undefined) return [];
  const accounts = [...new Set(members.results.map((r) => r.account))].sort();
  return accounts.map((account) => {
    const own = members.results.filter((r) => r.account === account);
    const regions = [...new Set(own.map((r) => r.region))].sort();
    const results: RegionResult[] = own.flatMap((r) =>
      r.status === 'done' ? [{ region: r.region, report: r.report }] : [],
    );
    const rules = ctx.rules.flatMap((rule): Rule[] => {
      const projected = memberRule(rule, ctx.accountId, account);
      return projected === undefined ? [] : [projected];
    });
    return {
      account,
      regions,
      rows: buildMatrix(
        { rules, regions: regions.filter((r) => results.some((x) => x.region === r)) },
        results,
        {
          copiesInSourceRegion: true,
        },
      ),
      skipped: own.flatMap((r) =>
        r.status === 'skipped'
          ? [{ region: r.region, reason: r.reason }]
          : r.skipped.map((s) => ({ region: s.region, reason: s.reason })),
      ),
    };
  });
}

/** The text: a matrix per target account, its skipped regions under it. */
export function accountLines(matrices: readonly AccountMatrix[]): string[] {
  const lines: string[] = [];
  for (const { account, rows, skipped } of matrices) {
    const regions = [...new Set(rows.flatMap((row) => Object.keys(row.cells)))].sort();
    lines.push('', `Target account ${account}:`);
    if (rows.length === 0) lines.push('  no copies yet');
    else
      lines.push(
        ...table([
          ['RULE', 'SOURCE', 'FROM', ...regions],
          ...rows.map((row) => [
            row.rule,
            row.sourceImageId,
            row.sourceRegion,
            ...regions.map((region) => {
              const cell = row.cells[region];
              return cell === undefined ? '?' : renderCell(cell);
            }),
          ]),
        ]).map((line) => `  ${line}`),
      );
    for (const s of skipped) lines.push(`  ${s.region}: skipped: ${s.reason}`);
  }
  return lines;
}
