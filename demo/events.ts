/**
 * One human line for an event on the timeline of `npm start`: what it is (its detail-type), which
 * image, rule and regions it is about, and its outcome. The full JSON is the `--verbose` and
 * `--json` output; these lines are for reading the story at a glance.
 */
import { type Detail, DetailSchemas, DetailType, type DetailTypeName } from '../shared/core/notifications.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDetailType(value: string): value is DetailTypeName {
  return Object.hasOwn(DetailSchemas, value);
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * ARNs shortened to the part a reader tells them apart by, where the region and account are
 * those of the line anyway: a KMS key to `key/…`, an OU to its `ou-…` id, an organization to its
 * `o-…` id. Only for display; the `--verbose` JSON keeps them whole.
 */
export function shortenArns(text: string): string {
  return text
    .replace(/arn:aws:kms:[a-z0-9-]*:\d*:(key|alias)\/([\w/-]+)/g, '$1/$2')
    .replace(/arn:aws:organizations::\d+:ou\/o-[a-z0-9]+\/(ou-[a-z0-9-]+)/g, '$1')
    .replace(/arn:aws:organizations::\d+:organization\/(o-[a-z0-9]+)/g, '$1');
}

/**
 * `text` cut into lines of at most `width` characters, the lines after the first indented by
 * `indent` spaces: at its `, ` and `; ` separators, and at spaces only inside a piece that does
 * not fit on a line of its own (a single word longer than a line stays whole).
 */
export function wrap(text: string, width: number, indent: number): string[] {
  const room = width - indent;
  const pieces = text
    .split(/(?<=[,;] )/)
    .flatMap((piece) => (piece.trimEnd().length > room ? piece.split(/(?<= )/) : [piece]));
  const lines: string[] = [];
  let line = '';
  for (const piece of pieces) {
    const limit = lines.length === 0 ? width : room;
    if (line !== '' && line.length + piece.trimEnd().length > limit) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += piece;
  }
  if (line !== '') lines.push(line.trimEnd());
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(indent)}${l}`));
}

/** Who may launch a family's images, counted: `2 accounts, 1 OU`. */
function sharedWithText(shared: Detail<typeof DetailType.DistributionCompleted>['sharedWith']): string {
  const parts = [
    shared.accounts.length > 0 ? plural(shared.accounts.length, 'account') : '',
    shared.organizations.length > 0 ? plural(shared.organizations.length, 'organization') : '',
    shared.organizationalUnits.length > 0 ? plural(shared.organizationalUnits.length, 'OU') : '',
    shared.public ? 'public' : '',
  ].filter(Boolean);
  return parts.length === 0 ? 'private' : `shared with ${parts.join(', ')}`;
}

/**
 * Where a family is: `available in 4 regions` when every region is (the detail lists them, and the
 * matrix shows them), else the regions grouped by status, available first.
 */
function regionsText(regions: Detail<typeof DetailType.DistributionCompleted>['regions']): string {
  if (regions.every((r) => r.status === 'available'))
    return `available in ${plural(regions.length, 'region')}`;
  const byStatus = new Map<string, string[]>();
  for (const { region, status } of regions) byStatus.set(status, [...(byStatus.get(status) ?? []), region]);
  const order = ['available', 'pending', 'failed', 'missing', 'unreadable'];
  return [...byStatus]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([status, names]) => `${status} in ${names.join(', ')}`)
    .join('; ');
}

/**
 * The kind of a retirement reason, its words before the first colon (`superseded: number 3 of 3
 * in family …` → `superseded`): the rest, the rank and dates, is in the event's JSON.
 */
function why(reason: string): string {
  return reason.split(':')[0] ?? reason;
}

/** `2026-12-03T10:00:00.000Z` → `2026-12-03T10:00Z`: retirement is planned to the minute at most. */
function minutes(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) ? `${iso.slice(0, 16)}Z` : iso;
}

function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'nothing' : entries.map(([kind, n]) => `${kind} ${n}`).join(', ');
}

/** What a tool event says, after its detail-type; undefined when its detail is not the published shape. */
function toolEventText(detailType: DetailTypeName, detail: unknown): string | undefined {
  switch (detailType) {
    case DetailType.DistributionStarted: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return `${d.sourceImageId} (${d.rule}): copying to ${d.copies.map((c) => c.region).join(', ')}`;
    }
    case DetailType.DistributionCompleted: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return `${d.sourceImageId} (${d.rule}): ${regionsText(d.regions)}, ${sharedWithText(d.sharedWith)}`;
    }
    case DetailType.AccountCopiesCompleted: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      const pairs = d.accounts.flatMap((a) => a.regions.map((r) => ({ account: a.account, ...r })));
      const skipped = pairs.filter((p) => p.status === 'skipped').map((p) => `${p.account} ${p.region}`);
      const copies = pairs.length - skipped.length;
      return `${d.sourceImageId} (${d.rule}): ${plural(copies, 'copy', 'copies')} in ${plural(d.accounts.length, 'account')}${skipped.length > 0 ? `, skipped ${skipped.join(', ')}` : ''}`;
    }
    case DetailType.TargetAccountsChanged: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return `${d.rule}: joined ${d.joined.join(', ') || 'none'}; left ${d.left.join(', ') || 'none'}; ${d.targets} now`;
    }
    case DetailType.CopyFailed: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return `${d.imageId} in ${d.region} (${d.rule}): ${d.reason}`;
    }
    case DetailType.ActionsFailed: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      const failures = d.failures.map((f) => `${f.operation} ${f.code}`).join(', ');
      return `${d.imageId} in ${d.region} (${d.rule}): ${failures}`;
    }
    case DetailType.Deprecated: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return `${d.imageId} in ${d.region} (${d.role}, ${d.rule}): from ${minutes(d.deprecationTime)}, ${why(d.reason)}`;
    }
    case DetailType.Disabled: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return `${d.imageId} in ${d.region} (${d.role}, ${d.rule}): ${why(d.reason)}`;
    }
    case DetailType.Deregistered: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      const kept = d.snapshotsNotDeleted.length;
      return `${d.imageId} in ${d.region} (${d.role}, ${d.rule}): ${why(d.reason)}, ${plural(d.snapshotsDeleted.length, 'snapshot')} deleted${kept > 0 ? `, ${kept} kept` : ''}`;
    }
    case DetailType.PointersMoved: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      const moved = [
        ...d.parameters.map((p) => p.name),
        ...d.launchTemplates.map((t) => `template ${t.template}`),
      ];
      return `${d.imageId} in ${d.region} (${d.rule}): ${moved.join(', ')}`;
    }
    case DetailType.Rollback: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return `${d.rule} ${d.pinned ? 'pinned to' : 'unpinned from'} ${d.sourceImageId} in ${d.regions.join(', ')}`;
    }
    case DetailType.ReconcileReport: {
      const parsed = DetailSchemas[detailType].safeParse(detail);
      if (!parsed.success) return undefined;
      const d = parsed.data;
      return [
        `${d.account !== undefined ? `account ${d.account} ` : ''}${d.region}${d.dryRun ? ' (dry run)' : ''}: ${d.managed.sources} sources, ${d.managed.copies} copies`,
        `applied ${countsText(d.applied)}`,
        `${d.failed} failed`,
        ...(d.deferredCopies > 0 ? [`${d.deferredCopies} copies deferred`] : []),
        ...(d.stoppedEarly ? ['stopped early'] : []),
      ].join('; ');
    }
  }
}

/** The line of an event whose detail is not a shape this file knows: its detail's fields, named. */
function fieldsText(detail: unknown): string {
  if (!isRecord(detail)) return JSON.stringify(detail) ?? '';
  const keys = Object.keys(detail);
  return keys.length === 0 ? '(empty detail)' : `detail with ${keys.join(', ')}`;
}

/**
 * One line for an event: `detail-type: what it says`. EC2's own AMI events name the image and its
 * state; the tool's events their family and outcome; anything else its detail's fields.
 */
export function eventLine(event: { readonly 'detail-type': string; readonly detail: unknown }): string {
  const detailType = event['detail-type'];
  const { detail } = event;
  if (detailType === 'EC2 AMI State Change' && isRecord(detail)) {
    // EC2 sends ErrorMessage empty unless the state is `failed`.
    const reason =
      typeof detail.ErrorMessage === 'string' && detail.ErrorMessage !== '' ? `: ${detail.ErrorMessage}` : '';
    return `${detailType}: ${String(detail.ImageId)} is ${String(detail.State)}${reason}`;
  }
  const text = isDetailType(detailType) ? toolEventText(detailType, detail) : undefined;
  return `${detailType}: ${shortenArns(text ?? fieldsText(detail))}`;
}
