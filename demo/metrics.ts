/**
 * The metrics a run emitted, read back from the EMF lines the handlers printed: the handlers run
 * in-process, and Powertools Metrics writes each line to stdout as Lambda would send it to
 * CloudWatch Logs. `captureEmf` takes those lines off stdout (everything else passes through),
 * `summarize` folds them into one row per metric and dimensions, as CloudWatch would aggregate them.
 */

export interface EmfMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  /** The dimension sets the line declares (names), the first being the most detailed. */
  readonly dimensionSets: readonly (readonly string[])[];
  /** The values of the first set's dimensions. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: readonly number[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** The metrics of one EMF line; [] for any other line (a log line, text). */
export function parseEmfLine(line: string): EmfMetric[] {
  if (!line.startsWith('{"_aws"')) return [];
  let document: unknown;
  try {
    document = JSON.parse(line);
  } catch {
    return [];
  }
  if (!isObject(document) || !isObject(document._aws)) return [];
  const directives = document._aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [];
  const metrics: EmfMetric[] = [];
  for (const directive of directives) {
    if (!isObject(directive) || !Array.isArray(directive.Metrics) || !Array.isArray(directive.Dimensions))
      continue;
    const dimensionSets = directive.Dimensions.filter(Array.isArray).map((set) => set.map(String));
    const dimensions: Record<string, string> = {};
    for (const name of dimensionSets[0] ?? []) dimensions[name] = String(document[name]);
    for (const definition of directive.Metrics) {
      if (!isObject(definition) || typeof definition.Name !== 'string') continue;
      const raw = document[definition.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
      metrics.push({
        namespace: String(directive.Namespace),
        name: definition.Name,
        unit: String(definition.Unit),
        dimensionSets,
        dimensions,
        values,
      });
    }
  }
  return metrics;
}

export interface EmfCapture {
  /** Every metric of every EMF line written since the capture began. */
  readonly metrics: EmfMetric[];
  /** Puts stdout back as it was. */
  restore(): void;
}

/** Takes EMF lines off `process.stdout` until `restore()`; other output is written as before. */
export function captureEmf(): EmfCapture {
  const metrics: EmfMetric[] = [];
  const write = process.stdout.write;
  const capturing = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    const lines = text.split('\n');
    const parsed = lines.map(parseEmfLine);
    if (parsed.some((p) => p.length > 0)) {
      for (const p of parsed) metrics.push(...p);
      const others = lines.filter((_, i) => (parsed[i] ?? []).length === 0 && lines[i] !== '');
      if (others.length === 0) return true;
      return Reflect.apply(write, process.stdout, [`${others.join('\n')}\n`]) as boolean;
    }
    return Reflect.apply(write, process.stdout, [chunk, ...rest]) as boolean;
  };
  process.stdout.write = capturing as typeof process.stdout.write;
  return {
    metrics,
    restore: () => {
      process.stdout.write = write;
    },
  };
}

export interface MetricSummary {
  readonly name: string;
  readonly unit: string;
  /** `rule=golden region=eu-west-1`, the service left out (it is the same everywhere). */
  readonly dimensions: string;
  /** Counts: the sum. Durations: how many, and their minimum and maximum. */
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

/** One row per metric and dimensions, sorted by name then dimensions. */
export function summarize(metrics: readonly EmfMetric[]): MetricSummary[] {
  const rows = new Map<string, MetricSummary>();
  for (const m of metrics) {
    const dimensions = Object.entries(m.dimensions)
      .filter(([name]) => name !== 'service')
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    const key = `${m.name}\u0000${dimensions}`;
    const before = rows.get(key);
    const values = m.values;
    if (values.length === 0) continue;
    rows.set(key, {
      name: m.name,
      unit: m.unit,
      dimensions,
      sum: (before?.sum ?? 0) + values.reduce((a, b) => a + b, 0),
      count: (before?.count ?? 0) + values.length,
      min: Math.min(before?.min ?? Number.POSITIVE_INFINITY, ...values),
      max: Math.max(before?.max ?? Number.NEGATIVE_INFINITY, ...values),
    });
  }
  return [...rows.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.dimensions.localeCompare(b.dimensions),
  );
}

/** The demo's "Metrics" section: one aligned line per row (a count's sum; a duration's count and range). */
export function metricLines(rows: readonly MetricSummary[]): string[] {
  const values = rows.map((r) =>
    r.unit === 'Milliseconds'
      ? `${r.count} × ${seconds(r.min)}${r.count > 1 ? ` to ${seconds(r.max)}` : ''}`
      : String(r.sum),
  );
  const nameWidth = Math.max(0, ...rows.map((r) => r.name.length));
  const valueWidth = Math.max(0, ...values.map((v) => v.length));
  return rows.map(
    (r, i) => `  ${r.name.padEnd(nameWidth)}  ${(values[i] ?? '').padEnd(valueWidth)}  ${r.dimensions}`,
  );
}

/** EventBridge's `time` is to the second, so a duration ending there is too: under a second is just that. */
function seconds(ms: number): string {
  return ms < 1000 ? '< 1 s' : `${(ms / 1000).toFixed(1)} s`;
}
