import type { Command } from 'commander';
import type { ImageStatus, ReconcileReport } from '../../shared/core/reconcile.js';
import { ExitCode } from '../exit-codes.js';
import { membersExitCode, reconcileRun } from '../members.js';
import { accountLines, accountMatrices } from '../members-status.js';
import { count, printJson, printRegionErrors, regionErrorJson, table } from '../output.js';
import { accountLabel, type RegionResult, type RunContext, registerReconcilingCommand } from '../run.js';

/**
 * `ami-lifecycle status`: a matrix of the managed source images (rows) × the regions of the run
 * (columns). Each cell is the state of the source's copy there, or of the source itself in its own
 * region, with markers for drift and deprecation; then the rules' pointers (SSM parameters and
 * launch templates) and the image each names. Read-only: every region is reconciled with
 * `dryRun`, and the matrix is assembled from the reports' images, missing copies and pointers.
 */
export function register(program: Command): void {
  registerReconcilingCommand(program, {
    name: 'status',
    description:
      'Matrix of managed images × regions: copy state, sharing/tag drift, deprecation; and the pointers (SSM parameters, launch templates) with the image each names.',
    run: status,
  });
}

/** One image in a cell. */
export interface CellImage {
  readonly imageId: string;
  readonly state: string;
  readonly pendingChanges: number;
  readonly sharedWith?: number;
  readonly deprecationTime?: string;
}

export interface StatusCell {
  /**
   * The copy's state (or the source's, in its own region): an EC2 state such as `available`,
   * `pending` or `failed`; `missing` when the rule copies here and there is no copy; `-` when the
   * rule does not copy here; `gone` when the source is no longer found; `unknown` when the region
   * could not be read.
   */
  readonly state: string;
  readonly role?: 'source' | 'copy';
  /** Changes a run would make to the images of this cell (tags, shares): drift. */
  readonly pendingChanges: number;
  readonly deprecationTime?: string;
  /** Every image of the cell: the source, or all copies here (failed ones included). */
  readonly images: readonly CellImage[];
}

export interface StatusRow {
  readonly rule: string;
  readonly sourceImageId: string;
  /** The source's name, when its region is part of the run. */
  readonly name?: string;
  readonly sourceRegion: string;
  readonly cells: Readonly<Record<string, StatusCell>>;
}

export const LEGEND: readonly (readonly [string, string])[] = [
  ['src STATE', 'the source image itself, in its own region'],
  ['available, pending, failed', "the state of the source's copy in the region"],
  ['disabled', 'retired as far as launching goes (retire.disableAfterDays): EnableImage brings it back'],
  ['missing', 'the rule copies here and there is no copy yet (apply starts one)'],
  ['-', 'the rule does not copy here'],
  ['*', 'sharing or tags drifted: plan shows the changes, apply makes them'],
  ['dep DATE', 'deprecated from DATE'],
  ['(n)', 'n copies here (failed ones are kept)'],
  ['gone', 'the source no longer exists (or no longer matches its rule)'],
  ['?', 'the region could not be read'],
];

/** Live copies first: what a cell shows when a region has several copies of one source. */
const STATE_ORDER = ['available', 'pending', 'disabled', 'failed', 'error', 'invalid'];
const rank = (state: string) => {
  const i = STATE_ORDER.indexOf(state);
  return i < 0 ? STATE_ORDER.length : i;
};

function cellImage(image: ImageStatus): CellImage {
  return {
    imageId: image.imageId,
    state: image.state,
    pendingChanges: image.pendingChanges,
    ...(image.sharedWith === undefined ? {} : { sharedWith: image.sharedWith }),
    ...(image.deprecationTime === undefined ? {} : { deprecationTime: image.deprecationTime }),
  };
}

function cellOf(images: readonly ImageStatus[], role: 'source' | 'copy'): StatusCell {
  const sorted = [...images].sort((a, b) => rank(a.state) - rank(b.state));
  const [best] = sorted;
  return {
    state: best?.state ?? 'missing',
    role,
    pendingChanges: images.reduce((n, i) => n + i.pendingChanges, 0),
    ...(best?.deprecationTime === undefined ? {} : { deprecationTime: best.deprecationTime }),
    images: sorted.map(cellImage),
  };
}

/**
 * The matrix from the per-region reports. `copiesInSourceRegion`: the reports are a target
 * account's, where the source (the hub's) has a copy in its own region too.
 */
export function buildMatrix(
  ctx: Pick<RunContext, 'rules' | 'regions'>,
  results: readonly RegionResult[],
  options: { readonly copiesInSourceRegion?: boolean } = {},
): StatusRow[] {
  const reports = new Map<string, ReconcileReport>();
  for (const r of results) if ('report' in r) reports.set(r.region, r.report);

  const sources = new Map<
    string,
    { rule: string; sourceImageId: string; sourceRegion: string; name?: string }
  >();
  const key = (sourceRegion: string, sourceImageId: string) => `${sourceRegion}/${sourceImageId}`;
  const addSource = (rule: string, sourceImageId: string, sourceRegion: string, name?: string) => {
    const k = key(sourceRegion, sourceImageId);
    const known = sources.get(k);
    if (known === undefined || (known.name === undefined && name !== undefined)) {
      sources.set(k, { rule, sourceImageId, sourceRegion, ...(name === undefined ? {} : { name }) });
    }
  };
  for (const report of reports.values()) {
    for (const image of report.images) {
      if (image.role === 'source') addSource(image.rule, image.imageId, image.sourceRegion, image.name);
      else addSource(image.rule, image.sourceImageId, image.sourceRegion);
    }
    for (const missing of report.missingCopies) {
      addSource(missing.rule, missing.sourceImageId, missing.sourceRegion);
    }
  }

  const ruleOrder = new Map(ctx.rules.map((rule, i) => [rule.name, i]));
  const rows = [...sources.values()].map((source): StatusRow => {
    const rule = ctx.rules.find((r) => r.name === source.rule);
    const cells: Record<string, StatusCell> = {};
    for (const region of ctx.regions) {
      const report = reports.get(region);
      if (report === undefined) {
        cells[region] = { state: 'unknown', pendingChanges: 0, images: [] };
        continue;
      }
      if (region === source.sourceRegion && !options.copiesInSourceRegion) {
        const self = report.images.filter((i) => i.role === 'source' && i.imageId === source.sourceImageId);
        cells[region] =
          self.length > 0
            ? cellOf(self, 'source')
            : { state: 'gone', role: 'source', pendingChanges: 0, images: [] };
        continue;
      }
      const copies = report.images.filter(
        (i) =>
          i.role === 'copy' &&
          i.sourceImageId === source.sourceImageId &&
          i.sourceRegion === source.sourceRegion,
      );
      if (copies.length > 0) cells[region] = cellOf(copies, 'copy');
      else if (rule?.copy?.regions.includes(region))
        cells[region] = { state: 'missing', role: 'copy', pendingChanges: 0, images: [] };
      else cells[region] = { state: '-', pendingChanges: 0, images: [] };
    }
    return { ...source, cells };
  });
  return rows.sort(
    (a, b) =>
      (ruleOrder.get(a.rule) ?? Number.MAX_SAFE_INTEGER) -
        (ruleOrder.get(b.rule) ?? Number.MAX_SAFE_INTEGER) ||
      a.sourceRegion.localeCompare(b.sourceRegion) ||
      (a.name ?? '').localeCompare(b.name ?? '') ||
      a.sourceImageId.localeCompare(b.sourceImageId),
  );
}

/** A cell as the matrix prints it: `available`, `src available*`, `available dep 2026-12-01`, `missing`, `?`. */
export function renderCell(cell: StatusCell): string {
  if (cell.state === 'unknown') return '?';
  if (cell.state === '-' || cell.images.length === 0) return cell.state;
  const parts = [
    `${cell.role === 'source' ? 'src ' : ''}${cell.state}${cell.pendingChanges > 0 ? '*' : ''}`,
    ...(cell.images.length > 1 ? [`(${cell.images.length})`] : []),
    ...(cell.deprecationTime ? [`dep ${cell.deprecationTime.slice(0, 10)}`] : []),
  ];
  return parts.join(' ');
}

async function status(ctx: RunContext): Promise<ExitCode> {
  const { results, members } = await reconcileRun(ctx, { dryRun: true });
  const rows = buildMatrix(ctx, results);
  const accounts = accountMatrices(ctx, members);
  const failed = results.some((r) => 'error' in r) || membersExitCode(members, true) === ExitCode.Failure;
  const code = failed ? ExitCode.Failure : ExitCode.Ok;
  const errors = results.flatMap((r) =>
    'error' in r ? [{ region: r.region, ...regionErrorJson(r.error) }] : [],
  );
  const pointers = results.flatMap((r) =>
    'report' in r ? r.report.pointers.map((p) => ({ region: r.region, ...p })) : [],
  );

  if (ctx.json) {
    printJson({
      command: 'status',
      rulesFile: ctx.rulesFile,
      accountId: ctx.accountId,
      regions: ctx.regions,
      rows,
      pointers,
      errors,
      ...(members === undefined
        ? {}
        : {
            targets: Object.fromEntries(members.targets.accounts),
            accounts: accounts.map(({ account, regions, rows: accountRows, skipped }) => ({
              account,
              regions,
              rows: accountRows,
              skipped,
            })),
          }),
      legend: Object.fromEntries(LEGEND),
    });
    printRegionErrors(results);
    return code;
  }

  const lines = [
    `Status: ${accountLabel(ctx)}, rules ${ctx.rulesFile}, ${count(ctx.regions.length, 'region')}`,
    '',
  ];
  if (rows.length === 0) {
    lines.push(`No managed images in ${ctx.regions.join(', ')}.`);
  } else {
    lines.push(
      ...table([
        ['RULE', 'SOURCE', 'NAME', 'FROM', ...ctx.regions],
        ...rows.map((row) => [
          row.rule,
          row.sourceImageId,
          row.name ?? '?',
          row.sourceRegion,
          ...ctx.regions.map((region) => {
            const cell = row.cells[region];
            return cell === undefined ? '?' : renderCell(cell);
          }),
        ]),
      ]),
    );
    const cells = rows.flatMap((row) => Object.values(row.cells).filter((c) => c.role === 'copy'));
    const by = (state: string) => cells.filter((c) => c.state === state).length;
    const drifted = rows.filter((row) => Object.values(row.cells).some((c) => c.pendingChanges > 0)).length;
    const failed = cells.filter(
      (c) => !['available', 'pending', 'missing', 'disabled'].includes(c.state),
    ).length;
    const disabled = by('disabled') > 0 ? `${by('disabled')} disabled, ` : '';
    lines.push(
      '',
      `${count(rows.length, 'source image')}: ${count(by('available'), 'copy', 'copies')} available, ` +
        `${by('pending')} pending, ${by('missing')} missing, ${disabled}${failed} failed; ${drifted} with drift.`,
      '',
      'Legend:',
      ...table(LEGEND.map(([mark, meaning]) => [`  ${mark}`, meaning])),
    );
  }
  lines.push(...accountLines(accounts));
  if (pointers.length > 0) {
    lines.push(
      '',
      'Pointers (what consumers launch):',
      ...table([
        ['RULE', 'REGION', 'POINTER', 'IMAGE', 'VERSION', 'PINNED TO'],
        ...pointers.map((p) => [
          p.rule,
          p.region,
          p.kind === 'parameter' ? p.name : `launch template ${p.name}`,
          p.imageId ?? '-',
          String(p.version),
          p.pinnedTo ?? '-',
        ]),
      ]),
    );
  }
  console.log(lines.join('\n'));
  printRegionErrors(results);
  return code;
}
