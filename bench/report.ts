/**
 * What every benchmark returns, and how `bench/main.ts` prints it: one markdown section per
 * benchmark (a heading, the parameters used, then tables of figures). Progress goes to stderr so
 * stdout stays one clean markdown document.
 */

export interface Table {
  readonly caption?: string;
  readonly head: readonly string[];
  /** Right-aligned columns (figures); the others are left-aligned. */
  readonly numeric?: readonly boolean[];
  readonly rows: readonly (readonly string[])[];
}

export interface Section {
  readonly title: string;
  /** Paragraphs before the tables: what was measured, with which parameters. */
  readonly notes: readonly string[];
  readonly tables: readonly Table[];
}

export function renderSection(section: Section): string {
  const parts = [`## ${section.title}`, ...section.notes];
  for (const table of section.tables) {
    if (table.caption !== undefined) parts.push(table.caption);
    parts.push(renderTable(table));
  }
  return parts.join('\n\n');
}

export function renderTable(table: Table): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const rule = table.head.map((_, i) => (table.numeric?.[i] ? '---:' : '---'));
  return [line(table.head), line(rule), ...table.rows.map(line)].join('\n');
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** `value` with `digits` decimals and thousands separators. */
export function fixed(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(value: number, reference: number): string {
  return reference > 0 ? `${fixed(value / reference, 2)}×` : 'n/a';
}
