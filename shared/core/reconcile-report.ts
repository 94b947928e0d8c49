import { type Action, isKind, subjectImageIds } from './actions.js';
import type { ActionOutcome } from './apply.js';
import { countBy } from './collections.js';
import type { CompletionInProgressError } from './completion.js';
import { AwsCallError } from './errors.js';
import { DetailType, toolEvent } from './notifications.js';
import type { RegionInventory } from './observe-region.js';
import { missingCopies, type RegionPlan } from './plan-region.js';
import type { EventPublisher, LoggerPort, MetricsPort } from './ports.js';
import { isChange, renderAction } from './render.js';
import type { RetirementRefusal } from './retire-plan.js';

/** What a reconcile run of one region did: the CLI prints it, the schedule logs and publishes it. */

export interface ReconcileFailure {
  readonly action: string;
  readonly operation: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** One managed image of the region, as `ami-lifecycle status` shows it. */
export interface ImageStatus {
  readonly imageId: string;
  readonly name: string;
  readonly role: 'source' | 'copy';
  readonly rule: string;
  readonly sourceImageId: string;
  readonly sourceRegion: string;
  readonly state: string;
  readonly deprecationTime?: string;
  /** Launch permissions granted (accounts, organizations, OUs, public), when observed. */
  readonly sharedWith?: number;
  /** Changes this run planned for the image (tags, shares, retirement). */
  readonly pendingChanges: number;
}

export interface SnapshotOutcome {
  readonly snapshotId: string;
  readonly outcome: 'deleted' | 'in-use' | 'not-found' | 'failed';
  readonly detail?: string;
}

export interface RetiredImage {
  readonly imageId: string;
  readonly rule: string;
  readonly role: 'source' | 'copy';
  readonly sourceImageId: string;
  readonly snapshots: readonly SnapshotOutcome[];
}

export interface RetirementCounts {
  readonly deprecate: number;
  readonly disable: number;
  readonly deregister: number;
}

export interface RetirementSummary {
  readonly planned: RetirementCounts;
  readonly applied: RetirementCounts;
  /** Disablings and deregistrations due but refused (referenced, protected, launched recently, references not checked). */
  readonly refused: readonly RetirementRefusal[];
  /** Deregistrations due and safe that a rule without `retire.apply: true` does not make. */
  readonly wouldDeregister: readonly RetirementRefusal[];
  /** Disablings due and safe that a rule without `retire.apply: true` does not make. */
  readonly wouldDisable: readonly RetirementRefusal[];
  readonly retired: readonly RetiredImage[];
}

/** One pointer of a rule in the region, as the run found it (before its own changes). */
export interface PointerStatus {
  readonly rule: string;
  readonly kind: 'parameter' | 'template';
  /** The parameter's name, or the template's label (its name or id). */
  readonly name: string;
  /** The image it names: the parameter's value, or the template's default version's image. */
  readonly imageId?: string;
  /** The parameter's version, or the template's default version number. */
  readonly version: number;
  /** The release the rule is pinned to here (`ami-lifecycle rollback`), if it is. */
  readonly pinnedTo?: string;
}

export interface ReconcileReport {
  readonly region: string;
  /** A target account's run (the member-work function): the account reconciled; absent: the tool's own. */
  readonly account?: string;
  /** When the run started (ISO 8601). */
  readonly startedAt: string;
  readonly dryRun: boolean;
  readonly durationMs: number;
  /** Images the rules manage in this region. */
  readonly managed: { readonly sources: number; readonly copies: number };
  /** Changes planned (after the copy cap), by kind. */
  readonly planned: Readonly<Record<string, number>>;
  readonly applied: Readonly<Record<string, number>>;
  readonly failures: readonly ReconcileFailure[];
  /** Copies pending in the region when the run started. */
  readonly copiesInFlight: number;
  /** Copies due here that a later run starts (the cap, or a source not tagged yet). */
  readonly deferredCopies: number;
  /** Changes not started because the run had to stop; the next run makes them. */
  readonly skipped: number;
  readonly stoppedEarly: boolean;
  readonly diff: readonly string[];
  /** The pointers of the rules that publish here (`publish`), as observed. */
  readonly pointers: readonly PointerStatus[];
  readonly notes: readonly string[];
  /** Every managed image of the region (sources here and copies here). */
  readonly images: readonly ImageStatus[];
  /** Sources whose completed distribution this run announced. */
  readonly announced: readonly string[];
  readonly retirement: RetirementSummary;
  /** Sources (in any region) that should have a copy here but have none started yet. */
  readonly missingCopies: readonly {
    readonly sourceImageId: string;
    readonly sourceRegion: string;
    readonly rule: string;
  }[];
}

/** A failure of the run as the report lists it: what was being done, and the error. */
export function failureOf(action: string, error: AwsCallError | CompletionInProgressError): ReconcileFailure {
  return {
    action,
    operation: error instanceof AwsCallError ? error.operation : 'ClaimCompletion',
    code: error instanceof AwsCallError ? error.code : error.name,
    message: error.message,
    retryable: error.retryable,
  };
}

export interface ReportInput {
  readonly region: string;
  readonly started: number;
  readonly dryRun: boolean;
  readonly inventory: RegionInventory;
  readonly plan: RegionPlan;
  readonly diff: readonly string[];
  readonly outcomes: readonly ActionOutcome[];
  readonly announced: readonly string[];
  readonly completionFailures: readonly ReconcileFailure[];
}

export function buildReport(input: ReportInput): ReconcileReport {
  const { inventory, plan, outcomes } = input;
  const changes = plan.actions.filter(isChange);
  const failures: ReconcileFailure[] = [
    ...inventory.failures.map((e) => failureOf(`observe ${e.operation} in ${e.region}`, e)),
    ...outcomes.flatMap((o) => (o.status === 'failed' ? [failureOf(renderAction(o.action), o.error)] : [])),
    ...input.completionFailures,
  ];
  const stopped = outcomes.filter((o) => o.status === 'skipped' && o.reason === 'stopped');
  const pending = countBy(
    changes.flatMap((a) => subjectImageIds(a)),
    (id) => id,
  );
  const images: ImageStatus[] = inventory.managed.map((m) => {
    const launchPermissions = inventory.details.get(m.image.imageId)?.launchPermissions;
    return {
      imageId: m.image.imageId,
      name: m.image.name,
      role: m.role,
      rule: m.rule.name,
      sourceImageId: m.sourceImageId,
      sourceRegion: m.sourceRegion,
      state: m.image.state,
      ...(m.image.deprecationTime ? { deprecationTime: m.image.deprecationTime } : {}),
      ...(launchPermissions ? { sharedWith: launchPermissions.length + (m.image.isPublic ? 1 : 0) } : {}),
      pendingChanges: pending[m.image.imageId] ?? 0,
    };
  });
  const appliedOutcomes = outcomes.filter((o) => o.status === 'applied' && isChange(o.action));
  return {
    region: input.region,
    startedAt: new Date(input.started).toISOString(),
    dryRun: input.dryRun,
    durationMs: Date.now() - input.started,
    managed: {
      sources: inventory.managed.filter((m) => m.role === 'source').length,
      copies: inventory.managed.filter((m) => m.role === 'copy').length,
    },
    planned: countBy(changes, (a) => a.kind),
    applied: countBy(
      appliedOutcomes.map((o) => o.action),
      (a) => a.kind,
    ),
    failures,
    copiesInFlight: plan.copiesInFlight,
    deferredCopies: plan.deferred.length,
    skipped: stopped.length,
    stoppedEarly: stopped.length > 0,
    diff: input.diff,
    pointers: pointerStatuses(inventory),
    notes: plan.notes.map((n) => `${n.imageId ? `${n.imageId}: ` : ''}${n.message}`),
    images,
    announced: input.announced,
    retirement: retirementSummary(plan, outcomes),
    missingCopies: missingCopies(plan).map(({ sourceImageId, sourceRegion, rule }) => ({
      sourceImageId,
      sourceRegion,
      rule,
    })),
  };
}

function retirementSummary(plan: RegionPlan, outcomes: readonly ActionOutcome[]): RetirementSummary {
  const count = (kind: 'deprecate' | 'disable-image' | 'deregister', list: readonly Action[]) =>
    list.filter((a) => a.kind === kind).length;
  const counts = (list: readonly Action[]): RetirementCounts => ({
    deprecate: count('deprecate', list),
    disable: count('disable-image', list),
    deregister: count('deregister', list),
  });
  const applied = outcomes.filter((o) => o.status === 'applied').map((o) => o.action);
  const retired: RetiredImage[] = applied.filter(isKind('deregister')).map((action) => ({
    imageId: action.imageId,
    rule: action.rule,
    role: action.role,
    sourceImageId: action.sourceImageId,
    snapshots: action.snapshotIds.map((snapshotId): SnapshotOutcome => {
      const outcome = outcomes.find(
        (o) => o.action.kind === 'delete-snapshot' && o.action.snapshotId === snapshotId,
      );
      if (outcome === undefined || outcome.status === 'skipped') {
        return { snapshotId, outcome: 'failed', detail: 'deletion not attempted' };
      }
      if (outcome.status === 'failed')
        return { snapshotId, outcome: 'failed', detail: outcome.error.message };
      const result = outcome.result;
      if (result?.kind !== 'delete-snapshot') return { snapshotId, outcome: 'deleted' };
      if (result.outcome === 'with-image') return { snapshotId, outcome: 'deleted' };
      return { snapshotId, outcome: result.outcome, ...(result.detail ? { detail: result.detail } : {}) };
    }),
  }));
  return {
    planned: counts(plan.actions),
    applied: counts(applied),
    refused: plan.refused,
    wouldDeregister: plan.wouldDeregister,
    wouldDisable: plan.wouldDisable,
    retired,
  };
}

/** Changes a run makes that repair drift (what events missed or someone changed), as opposed to retirement. */
const REPAIRS = new Set(['tag', 'share-image', 'unshare-image', 'share-snapshot', 'copy']);

/**
 * A run's report as metrics of its region: drift repaired, copies deferred, failures. Counted every
 * run, zeros included, so "every run for a day" is a minimum above zero (the stack's alarms).
 */
export function countReport(report: ReconcileReport, metrics: MetricsPort): void {
  const region = { region: report.region };
  const repairs = Object.entries(report.applied)
    .filter(([kind]) => REPAIRS.has(kind))
    .reduce((sum, [, n]) => sum + n, 0);
  metrics.add('ReconcileRepairs', repairs, region);
  metrics.add('ReconcileDeferredCopies', report.deferredCopies, region);
  metrics.add('ReconcileFailures', report.failures.length, region);
}

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
    ...(report.account === undefined ? {} : { account: report.account }),
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
  const where =
    report.account === undefined ? report.region : `account ${report.account} in ${report.region}`;
  logger.info(`reconcile of ${where}: ${JSON.stringify(summary.applied)} applied, ${summary.failed} failed`, {
    ...summary,
    diff: report.diff,
    notes: report.notes,
    failures: report.failures,
  });
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
      // A member's run and the hub's run of one region may start in the same millisecond.
      [report.region, report.startedAt, ...(report.account === undefined ? [] : [report.account])],
    ),
  ]);
}

/** The pointers the run observed, per rule: parameters, then templates (missing ones left out). */
function pointerStatuses(inventory: RegionInventory): PointerStatus[] {
  return [...inventory.pointers.values()].flatMap((observed) => {
    const pin = observed.state?.pin?.sourceImageId;
    const pinned = pin === undefined ? {} : { pinnedTo: pin };
    const parameters = [...observed.parameters.values()].map(
      (p): PointerStatus => ({
        rule: observed.rule,
        kind: 'parameter',
        name: p.name,
        imageId: p.value,
        version: p.version,
        ...pinned,
      }),
    );
    const templates = [...observed.templates].flatMap(([label, template]): PointerStatus[] =>
      template === undefined
        ? []
        : [
            {
              rule: observed.rule,
              kind: 'template',
              name: label,
              ...(template.defaultVersion.imageId === undefined
                ? {}
                : { imageId: template.defaultVersion.imageId }),
              version: template.defaultVersion.number,
              ...pinned,
            },
          ],
    );
    return [...parameters, ...templates];
  });
}
