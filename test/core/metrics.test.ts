import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../shared/core/actions.js';
import type { ActionOutcome } from '../../shared/core/apply.js';
import { AwsCallError } from '../../shared/core/errors.js';
import { elapsedMs, METRICS, recordOutcomes } from '../../shared/core/metrics.js';
import type { MetricsPort } from '../../shared/core/ports.js';
import { countReport, type ReconcileReport } from '../../shared/core/reconcile-report.js';

/** What the core reports, through an object-literal MetricsPort that records every call. */
function recorder() {
  const calls: Array<[string, number, Readonly<Record<string, string>>]> = [];
  const metrics: MetricsPort = { add: (name, value, dimensions) => calls.push([name, value, dimensions]) };
  return { calls, metrics };
}

const lineage = {
  rule: 'golden',
  role: 'copy',
  sourceImageId: 'ami-0source',
  sourceRegion: 'us-east-1',
} as const;
const copy = (region: string) =>
  ({ kind: 'copy', id: `copy:${region}`, region, rule: 'golden' }) as unknown as Action;
const deregister: Action = {
  kind: 'deregister',
  id: 'deregister:eu-west-1:ami-1',
  region: 'eu-west-1',
  imageId: 'ami-1',
  snapshotIds: ['snap-1', 'snap-2'],
  reason: 'old',
  ...lineage,
};
const disable: Action = {
  kind: 'disable-image',
  id: 'disable-image:eu-west-1:ami-2',
  region: 'eu-west-1',
  imageId: 'ami-2',
  reason: 'old',
  ...lineage,
};
const deleteSnapshot = (snapshotId: string): Action => ({
  kind: 'delete-snapshot',
  id: `delete-snapshot:eu-west-1:${snapshotId}`,
  region: 'eu-west-1',
  imageId: 'ami-1',
  snapshotId,
  reason: 'old',
});

describe('recordOutcomes', () => {
  it('one call per metric and dimensions, however many actions: copies started, retirement by stage, failures by kind', () => {
    const { calls, metrics } = recorder();
    const outcomes: ActionOutcome[] = [
      { action: copy('eu-west-1'), status: 'applied' },
      { action: copy('eu-west-1'), status: 'applied' },
      { action: copy('us-west-2'), status: 'skipped', reason: 'stopped' },
      {
        action: copy('us-west-2'),
        status: 'failed',
        error: new AwsCallError(
          'CopyImage',
          'us-west-2',
          Object.assign(new Error('slow'), { name: 'RequestLimitExceeded', $metadata: {} }),
        ),
      },
      { action: deregister, status: 'applied' },
      { action: disable, status: 'applied' },
      {
        action: deleteSnapshot('snap-1'),
        status: 'applied',
        result: { kind: 'delete-snapshot', outcome: 'with-image' },
      },
      // Kept (in use): not a deletion.
      {
        action: deleteSnapshot('snap-2'),
        status: 'applied',
        result: { kind: 'delete-snapshot', outcome: 'in-use' },
      },
    ];
    recordOutcomes(metrics, outcomes);
    expect(calls).toEqual([
      ['CopiesStarted', 2, { rule: 'golden', region: 'eu-west-1' }],
      ['RetirementActions', 1, { action: 'deregister', region: 'eu-west-1' }],
      ['RetirementActions', 1, { action: 'disable-image', region: 'eu-west-1' }],
      ['RetirementActions', 1, { action: 'delete-snapshot', region: 'eu-west-1' }],
      ['ActionsFailed', 1, { action: 'copy', region: 'us-west-2' }],
    ]);
  });
});

describe('countReport', () => {
  it("a run's repairs (not its retirement), deferred copies and failures, zeros included", () => {
    const { calls, metrics } = recorder();
    const report = {
      region: 'eu-west-1',
      applied: { tag: 3, 'share-image': 1, copy: 2, deprecate: 4 },
      deferredCopies: 0,
      failures: [],
    } as unknown as ReconcileReport;
    countReport(report, metrics);
    expect(calls).toEqual([
      ['ReconcileRepairs', 6, { region: 'eu-west-1' }],
      ['ReconcileDeferredCopies', 0, { region: 'eu-west-1' }],
      ['ReconcileFailures', 0, { region: 'eu-west-1' }],
    ]);
  });
});

describe('elapsedMs', () => {
  it('from an ISO date to now; nothing for a missing or unreadable one (AWS examples carry placeholders)', () => {
    const now = new Date('2026-11-26T10:12:30Z');
    expect(elapsedMs('2026-11-26T10:00:00.000Z', now)).toBe(750_000);
    expect(elapsedMs(undefined, now)).toBeUndefined();
    expect(elapsedMs('yyyy-mm-ddThh:mm:ssZ', now)).toBeUndefined();
  });
});

describe('docs/observability.md', () => {
  it('lists exactly the metrics of the table, each with its unit and dimensions', () => {
    const page = readFileSync(join(import.meta.dirname, '../../docs/observability.md'), 'utf8');
    const rows = [...page.matchAll(/^\| `(\w+)`\s+\| (\w+)\s+\| ([\w, ]+?)(?: \(\+\))?\s+\|/gm)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    expect(rows).toEqual(Object.entries(METRICS).map(([name, m]) => [name, m.unit, m.dimensions.join(', ')]));
  });
});
