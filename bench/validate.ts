import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dump } from 'js-yaml';
import { loadCompiledRules } from '../shared/rules/compiled.js';
import { compileRules, loadRulesFile } from '../shared/rules/load.js';
import { median, progress, type Section } from './report.js';

/**
 * How long validating a rules file takes as it grows: `ami-lifecycle validate` and `serverless
 * package` read the YAML (`loadRulesFile`), and every function's cold start reads the packaged
 * JSON (`loadCompiledRules`). Both run the same schema and cross-rule checks. In process, after
 * one warm-up, so the figure is the validation and not Node's start-up (the `coldstart` bench has
 * that). Target: 10,000 rules in under 2 s.
 */
export interface ValidateOptions {
  readonly sizes: readonly number[];
  readonly runs: number;
}

export interface ValidateRow {
  readonly rules: number;
  readonly yamlBytes: number;
  /** Median seconds to read and validate the YAML file. */
  readonly yamlSeconds: number;
  /** Median seconds to read and validate the packaged JSON. */
  readonly jsonSeconds: number;
}

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'ap-northeast-1'];

/**
 * A file of `n` rules as a large organisation would write one: each team's images in one or two
 * source regions, copied, shared, tagged and retired; names distinct per team, so no rules overlap.
 */
export function rulesDocument(n: number): unknown {
  const rules = Array.from({ length: n }, (_, i) => {
    const source = REGIONS[i % REGIONS.length] as string;
    const targets = REGIONS.filter((r) => r !== source).slice(0, 1 + (i % 3));
    return {
      name: `team-${i}`,
      description: `Images of team ${i}`,
      match: {
        regions: i % 5 === 0 ? [source, REGIONS[(i + 1) % REGIONS.length]] : [source],
        owners: ['self'],
        names: [`team-${i}-*`, `team-${i}-legacy-?`],
        ...(i % 2 === 0 ? { tags: { pipeline: 'golden' } } : {}),
      },
      copy: {
        regions: targets,
        // Several source regions: copies say which one they came from, or their names could collide.
        name: i % 5 === 0 ? '{name} from {sourceRegion}' : '{name}',
        ...(i % 4 === 0
          ? {
              encrypted: true,
              kmsKeys: Object.fromEntries(
                targets.map((r) => [
                  r,
                  `arn:aws:kms:${r}:111122223333:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b`,
                ]),
              ),
            }
          : {}),
        tags: { distribution: `team-${i}` },
      },
      share: { accounts: ['444455556666', '777788889999'], snapshotPermissions: true },
      tags: { image: { owner: `team-${i}`, 'cost-center': String(1000 + i) } },
      ...(i % 3 === 0 ? { retire: { keep: 3, deprecateAfterDays: 90, deregisterAfterDays: 180 } } : {}),
    };
  });
  return { version: 1, rules };
}

function secondsOf(work: () => unknown): number {
  const start = performance.now();
  work();
  return (performance.now() - start) / 1000;
}

export function runValidate(options: ValidateOptions): ValidateRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-validate-'));
  try {
    return options.sizes.map((n) => {
      const yamlPath = join(dir, `rules-${n}.yaml`);
      const yaml = dump(rulesDocument(n));
      writeFileSync(yamlPath, yaml);
      const jsonPath = join(dir, `rules-${n}.json`);
      writeFileSync(jsonPath, compileRules(yamlPath));
      loadRulesFile(yamlPath); // warm-up: the first run also compiles the validation code
      loadCompiledRules(jsonPath);
      const yamlTimes = Array.from({ length: options.runs }, () => secondsOf(() => loadRulesFile(yamlPath)));
      const jsonTimes = Array.from({ length: options.runs }, () =>
        secondsOf(() => loadCompiledRules(jsonPath)),
      );
      const row = {
        rules: n,
        yamlBytes: Buffer.byteLength(yaml),
        yamlSeconds: median(yamlTimes),
        jsonSeconds: median(jsonTimes),
      };
      progress(
        `validate: ${n} rules: YAML ${row.yamlSeconds.toFixed(3)} s, JSON ${row.jsonSeconds.toFixed(3)} s`,
      );
      return row;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function validateJson(rows: readonly ValidateRow[]): unknown {
  return { rows, target: { rules: 10_000, seconds: 2 } };
}

export function validateSection(options: ValidateOptions, rows: readonly ValidateRow[]): Section {
  const largest = rows.find((r) => r.rules === 10_000);
  return {
    title: 'Validating a rules file',
    notes: [
      `Rules files of ${options.sizes.join(', ')} rules (each copied, shared, tagged, some encrypted and retired; no two overlapping), ` +
        `read and validated in process: the YAML as \`validate\` and \`serverless package\` read it, the packaged JSON as a cold start reads it. ` +
        `Median of ${options.runs} runs after one warm-up.`,
      largest === undefined
        ? 'Target: 10,000 rules in under 2 s (not measured in this run).'
        : `Target: 10,000 rules in under 2 s: YAML ${largest.yamlSeconds.toFixed(2)} s, JSON ${largest.jsonSeconds.toFixed(2)} s.`,
    ],
    tables: [
      {
        head: [
          'rules',
          'YAML size (KB)',
          'YAML: read + validate (s)',
          'JSON: read + validate (s)',
          'µs per rule (YAML)',
        ],
        numeric: [true, true, true, true, true],
        rows: rows.map((r) => [
          String(r.rules),
          (r.yamlBytes / 1024).toFixed(0),
          r.yamlSeconds.toFixed(3),
          r.jsonSeconds.toFixed(3),
          ((r.yamlSeconds / r.rules) * 1e6).toFixed(0),
        ]),
      },
    ],
  };
}
