import { DetailType, toolEvent } from './notifications.js';
import type { EventPublisher, LoggerPort } from './ports.js';
import type { ReconcileReport } from './reconcile.js';

/** Failures listed in the published report at most; the log has them all. Keeps the event far below 256 KB. */
const MAX_FAILURES_PUBLISHED = 50;

/** Ends a reconcile run: the report in the log, and its summary on the tool's event bus. */
export async function publishReconcileReport(
  report: ReconcileReport,
  events: EventPublisher,
  logger: LoggerPort,
): Promise<void> {
  const summary = {
    region: report.region,
    startedAt: report.startedAt,
    dryRun: report.dryRun,
    durationMs: report.durationMs,
    managed: report.managed,
    planned: report.planned,
    applied: report.applied,
    failed: report.failures.length,
    copiesInFlight: report.copiesInFlight,
    deferredCopies: report.deferredCopies,
    skipped: report.skipped,
    stoppedEarly: report.stoppedEarly,
  };
  logger.info(
    `reconcile of ${report.region}: ${JSON.stringify(summary.applied)} applied, ${summary.failed} failed`,
    {
      ...summary,
      diff: report.diff,
      notes: report.notes,
      failures: report.failures,
    },
  );
  await events.publish([
    toolEvent(
      DetailType.ReconcileReport,
      {
        ...summary,
        managed: { ...report.managed },
        planned: { ...report.planned },
        applied: { ...report.applied },
        failures: report.failures.slice(0, MAX_FAILURES_PUBLISHED),
      },
      [report.region, report.startedAt],
    ),
  ]);
}
