import { z } from 'zod';
import { InvalidEventError } from '../core/errors.js';
import {
  type Detail,
  DetailSchemas,
  DetailType,
  type DetailTypeName,
  EVENT_SOURCE,
  imageArn,
  type RegionStatus,
  type SharedWith,
} from '../core/notifications.js';
import type { ChatNotification, Notification } from './port.js';

export type { ChatNotification, Notification } from './port.js';

/**
 * The tool's events, written for people: a subject and a plain-text body for email and SMS, and the
 * same facts as an Amazon Q Developer custom notification for Slack and Teams. Pure: no clock, no
 * I/O; what it reads is the event.
 */

export const LIMITS = {
  /** SNS: a subject is "less than 100 characters"; counted in UTF-16 units, the stricter reading. */
  subject: 99,
  /** Lines of a list (regions, failures, snapshots) in the plain-text body; the others are counted. */
  textItems: 50,
  /** Lines of a list in the chat message, read in a channel among other messages. */
  chatItems: 15,
  /** Entries of each sharing list (accounts, organizations, OUs) and of the target regions. */
  namedItems: 20,
  /** Image ARNs in the chat message's related resources. */
  relatedResources: 20,
  /** Characters of one free-text value (a name, a reason, an error message). */
  field: 500,
} as const;

/** The EventBridge envelope of an event on the tool's bus; the detail is validated by its detail type. */
export const ToolEventEnvelopeSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.literal(EVENT_SOURCE),
  region: z.string().min(1),
  time: z.string().min(1),
  detail: z.unknown(),
});

export type ToolEventEnvelope = z.output<typeof ToolEventEnvelopeSchema>;

/** Parses an incoming event's envelope, or throws one `InvalidEventError` naming the first field that is wrong. */
export function parseToolEventEnvelope(event: unknown): ToolEventEnvelope {
  const parsed = ToolEventEnvelopeSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new InvalidEventError(`not an ${EVENT_SOURCE} event: ${describeIssues(parsed.error.issues, [])}`);
}

/**
 * The notification for an event of the tool. Throws an `InvalidEventError` (terminal: no retry
 * can fix the event) when the detail type is not one the tool publishes or the detail does not
 * satisfy its schema.
 */
export function formatNotification(event: ToolEventEnvelope): Notification {
  const type = event['detail-type'];
  const { time } = event;
  switch (type) {
    case DetailType.CopyFailed:
      return finish(copyFailed(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.DistributionCompleted:
      return finish(distributionCompleted(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.DistributionStarted:
      return finish(distributionStarted(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.ActionsFailed:
      return finish(actionsFailed(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.Deprecated:
      return finish(deprecated(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.Deregistered:
      return finish(deregistered(validDetail(type, DetailSchemas[type], event.detail), time), type);
    case DetailType.ReconcileReport:
      return finish(reconcileReport(validDetail(type, DetailSchemas[type], event.detail), time), type);
    default:
      throw new InvalidEventError(
        `unknown detail type "${clip(type, 100)}": expected one of ${Object.values(DetailType).join(', ')}`,
      );
  }
}

/** The detail, validated by the schema of its type (passed in, so TypeScript knows which). */
function validDetail<S extends z.ZodType>(type: DetailTypeName, schema: S, detail: unknown): z.output<S> {
  const parsed = schema.safeParse(detail);
  if (parsed.success) return parsed.data;
  throw new InvalidEventError(
    `not a valid "${type}" event: ${describeIssues(parsed.error.issues, ['detail'])}`,
  );
}

/** The first issue, with its path: one line that says where to look; the count says whether there is more. */
function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly string[]): string {
  const [first] = issues;
  if (first === undefined) return 'invalid';
  const path = [...prefix, ...first.path.map(String)].join('.') || '(event)';
  const more = issues.length - 1;
  return `${path}: ${first.message}${more > 0 ? ` (and ${plural(more, 'more issue')})` : ''}`;
}

// ---- the document: built once, rendered as plain text and as chat markdown ---------------------

/** Text; a code span (ids, regions) in markdown; or a field's label. */
type Inline = string | { readonly code: string } | { readonly label: string };
type Line = readonly Inline[];

interface Section {
  readonly heading?: string;
  readonly lines: readonly Line[];
  /** Present for lists: capped when rendered, the rest counted ("… and 3 more regions"). */
  readonly list?: {
    readonly one: string;
    readonly many: string;
    /** The whole list's length when the event itself carries only part of it. */
    readonly total?: number;
  };
}

/** What one detail type contributes; `finish` makes the notification from it. */
interface Draft {
  readonly subject: string;
  readonly sections: readonly (Section | undefined)[];
  readonly nextSteps?: readonly string[];
  readonly eventId: string;
  readonly threadId: string;
  readonly resources: readonly string[];
  readonly keywords: readonly string[];
  readonly context: Readonly<Record<string, string>>;
}

function finish(draft: Draft, eventType: DetailTypeName): Notification {
  const sections = draft.sections.filter((s): s is Section => s !== undefined);
  const steps: Section[] =
    draft.nextSteps === undefined
      ? []
      : [{ heading: 'Next steps', lines: draft.nextSteps.map((step) => [`- ${step}`]) }];
  const chat: ChatNotification = {
    version: '1.0',
    source: 'custom',
    id: draft.eventId,
    content: {
      textType: 'client-markdown',
      title: draft.subject,
      description: render(sections, 'markdown', LIMITS.chatItems),
      ...(draft.nextSteps === undefined ? {} : { nextSteps: draft.nextSteps }),
      keywords: [...new Set(draft.keywords)],
    },
    metadata: {
      threadId: draft.threadId,
      summary: draft.subject,
      eventType,
      relatedResources: [...new Set(draft.resources)].slice(0, LIMITS.relatedResources),
      additionalContext: draft.context,
    },
  };
  return {
    subject: draft.subject,
    text: render([...sections, ...steps], 'text', LIMITS.textItems),
    chat,
  };
}

function render(sections: readonly Section[], style: 'text' | 'markdown', maxItems: number): string {
  return sections
    .map((section) => {
      const out: string[] = [];
      if (section.heading !== undefined) {
        out.push(style === 'markdown' ? `*${section.heading}:*` : `${section.heading}:`);
      }
      const shown = section.list === undefined ? section.lines : section.lines.slice(0, maxItems);
      for (const line of shown) out.push(line.map((inline) => renderInline(inline, style)).join(''));
      if (section.list !== undefined) {
        const more = (section.list.total ?? section.lines.length) - shown.length;
        if (more > 0) out.push(`… and ${more} more ${more === 1 ? section.list.one : section.list.many}`);
      }
      return out.join('\n');
    })
    .join('\n\n');
}

function renderInline(inline: Inline, style: 'text' | 'markdown'): string {
  if (typeof inline === 'string') return inline;
  if ('code' in inline) return style === 'markdown' ? `\`${inline.code}\`` : inline.code;
  return style === 'markdown' ? `*${inline.label}:* ` : `${inline.label}: `;
}

/** A value shown as code in chat: flattened, clipped, and without backticks, which would end the span. */
function code(value: string): Inline {
  return { code: clip(value).replaceAll('`', "'") };
}

function label(name: string): Inline {
  return { label: name };
}

/** `a, b, c, and 4 more`, each a code span. */
function codeList(values: readonly string[], max: number = LIMITS.namedItems): Inline[] {
  const out: Inline[] = [];
  values.slice(0, max).forEach((value, i) => {
    if (i > 0) out.push(', ');
    out.push(code(value));
  });
  if (values.length > max) out.push(`, and ${values.length - max} more`);
  return out;
}

// ---- text hygiene -------------------------------------------------------------------------------

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Control characters and line/paragraph separators: SNS refuses them in a subject, and they break a line. */
const BREAKS = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;

/** One line of text: breaks and runs of spaces become one space (kept at the ends: parts are joined). */
function flatten(value: string): string {
  return value.replace(BREAKS, ' ').replace(/\s+/g, ' ');
}

/**
 * At most `max` UTF-16 units, cut between graphemes (never inside a surrogate pair or an emoji
 * sequence), with an ellipsis when cut.
 */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = '';
  for (const { segment } of graphemes.segment(value)) {
    if (out.length + segment.length > max - 1) break;
    out += segment;
  }
  return `${out.trimEnd()}…`;
}

/** A free-text value, flattened to one line and clipped. */
function clip(value: string, max: number = LIMITS.field): string {
  return truncate(flatten(value).trim(), max);
}

/**
 * A subject SNS accepts: one line, fewer than 100 characters. The name (the part that can be long)
 * is shortened first, so the words that say what happened and where survive.
 */
export function subjectOf(head: string, name: string, tail: string): string {
  const [h, n, t] = [flatten(head), flatten(name).trim(), flatten(tail)];
  const whole = flatten(`${h}${n}${t}`).trim();
  if (whole.length <= LIMITS.subject) return whole;
  const budget = LIMITS.subject - h.length - t.length;
  if (budget >= 8) return flatten(`${h}${truncate(n, budget)}${t}`).trim();
  return truncate(whole, LIMITS.subject);
}

function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

// ---- shared pieces ------------------------------------------------------------------------------

type Region = z.output<typeof RegionStatus>;

const STATUS_ORDER = ['available', 'pending', 'failed', 'missing', 'unreadable'] as const;

function regionLine(r: Region): Line {
  const source = r.role === 'source' ? [' (source)'] : [];
  switch (r.status) {
    case 'available':
      return ['✓ ', code(r.region), ...(r.imageId === undefined ? [] : ['  ', code(r.imageId)]), ...source];
    case 'pending':
      return [
        '… ',
        code(r.region),
        '  ',
        ...(r.imageId === undefined ? [] : [code(r.imageId), ' ']),
        'pending',
        ...source,
      ];
    case 'failed':
      return ['✗ ', code(r.region), '  failed: ', clip(r.reason ?? 'no reason given')];
    case 'missing':
      return ['– ', code(r.region), '  missing: ', clip(r.reason ?? 'no copy started')];
    case 'unreadable':
      return ['? ', code(r.region), '  unreadable: ', clip(r.reason ?? 'EC2 could not be read there')];
  }
}

function regionsSection(regions: readonly Region[]): Section | undefined {
  if (regions.length === 0) return undefined;
  const counts = STATUS_ORDER.flatMap((status) => {
    const n = regions.filter((r) => r.status === status).length;
    return n === 0 ? [] : [`${n} ${status}`];
  });
  return {
    heading: `Regions (${counts.join(', ')})`,
    lines: regions.map(regionLine),
    list: { one: 'region', many: 'regions' },
  };
}

function sharedWithLine(shared: z.output<typeof SharedWith>): Line {
  const parts: Inline[][] = [];
  const named = (values: readonly string[], one: string, many: string) => {
    if (values.length > 0) parts.push([`${values.length === 1 ? one : many} `, ...codeList(values)]);
  };
  named(shared.accounts, 'account', 'accounts');
  named(shared.organizations, 'organization', 'organizations');
  named(shared.organizationalUnits, 'OU', 'OUs');
  if (shared.public) parts.push(['everyone (public)']);
  if (parts.length === 0) return [label('Shared with'), 'no other account (not public)'];
  return [label('Shared with'), ...parts.flatMap((part, i) => (i === 0 ? part : ['; ', ...part]))];
}

function sourceLine(imageId: string, region: string): Line {
  return [label('Source'), code(imageId), ' in ', code(region)];
}

/** The closing lines: what the body says last, after `before` (who the images are shared with). */
function footer(time: string, rule?: string, before: readonly Line[] = []): Section {
  return {
    lines: [
      ...before,
      ...(rule === undefined ? [] : [[label('Rule'), code(rule)]]),
      [label('Time'), clip(time, 64)],
    ],
  };
}

/** ARNs of the images a family has, in the order given. */
function familyArns(regions: readonly Region[]): string[] {
  return regions.flatMap((r) => (r.imageId === undefined ? [] : [imageArn(r.region, r.imageId)]));
}

// ---- one draft per detail type ------------------------------------------------------------------

function copyFailed(d: Detail<typeof DetailType.CopyFailed>, time: string): Draft {
  return {
    subject: subjectOf('✗ Copy of ', d.imageName, ` failed in ${d.region}`),
    sections: [
      {
        lines: [
          [label('Image'), clip(d.imageName)],
          sourceLine(d.sourceImageId, d.sourceRegion),
          [label('Failed copy'), code(d.imageId), ' in ', code(d.region)],
          [label('Reason'), clip(d.reason)],
        ],
      },
      regionsSection(d.regions),
      footer(time, d.rule, [sharedWithLine(d.sharedWith)]),
    ],
    nextSteps: [
      'The scheduled reconcile starts the copy again, as a new request.',
      `To retry now: \`npx ami-lifecycle apply --region ${d.region}\`.`,
      '`npx ami-lifecycle status` shows the release in every region.',
    ],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [
      imageArn(d.sourceRegion, d.sourceImageId),
      imageArn(d.region, d.imageId),
      ...familyArns(d.regions),
    ],
    keywords: [d.rule, d.region],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, sourceRegion: d.sourceRegion, region: d.region },
  };
}

function distributionCompleted(d: Detail<typeof DetailType.DistributionCompleted>, time: string): Draft {
  const copies = d.regions.filter((r) => r.role === 'copy').length;
  const tail =
    copies === 0
      ? ` (${d.sourceImageId}) shared and tagged in ${d.sourceRegion}`
      : ` (${d.sourceImageId}) distributed to ${plural(copies, 'region')}`;
  return {
    subject: subjectOf('✓ ', d.imageName, tail),
    sections: [
      { lines: [[label('Image'), clip(d.imageName)], sourceLine(d.sourceImageId, d.sourceRegion)] },
      regionsSection(d.regions),
      footer(time, d.rule, [sharedWithLine(d.sharedWith)]),
    ],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: familyArns(d.regions),
    keywords: [d.rule, d.sourceRegion],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, sourceRegion: d.sourceRegion },
  };
}

function distributionStarted(d: Detail<typeof DetailType.DistributionStarted>, time: string): Draft {
  return {
    subject: subjectOf(
      '… ',
      d.imageName,
      ` (${d.sourceImageId}) copying to ${plural(d.copies.length, 'region')}`,
    ),
    sections: [
      { lines: [[label('Image'), clip(d.imageName)], sourceLine(d.sourceImageId, d.sourceRegion)] },
      {
        heading: `Copies started (${d.copies.length})`,
        lines: d.copies.map((c) => ['… ', code(c.region), '  ', code(c.imageId), ' pending']),
        list: { one: 'copy', many: 'copies' },
      },
      footer(time, d.rule, [[label('Target regions'), ...codeList(d.targetRegions)]]),
    ],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [
      imageArn(d.sourceRegion, d.sourceImageId),
      ...d.copies.map((c) => imageArn(c.region, c.imageId)),
    ],
    keywords: [d.rule, d.sourceRegion],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, sourceRegion: d.sourceRegion },
  };
}

/** `AwsCallError` messages repeat the operation, region and code the line already shows. */
function failureMessage(f: { operation: string; region: string; code: string; message: string }): string {
  const repeated = `${f.operation} in ${f.region} failed: ${f.code}: `;
  return f.message.startsWith(repeated) ? f.message.slice(repeated.length) : f.message;
}

function actionsFailed(d: Detail<typeof DetailType.ActionsFailed>, time: string): Draft {
  const n = d.failures.length;
  return {
    subject: subjectOf(`✗ ${plural(n, 'action')} failed for ${d.imageId} in ${d.region}`, '', ''),
    sections: [
      {
        // An image that is its own source: one line says both.
        lines:
          d.imageId === d.sourceImageId
            ? [[label('Image'), code(d.imageId), ' (source) in ', code(d.region)]]
            : [
                [label('Image'), code(d.imageId), ' (copy) in ', code(d.region)],
                sourceLine(d.sourceImageId, d.sourceRegion),
              ],
      },
      {
        heading: `Failures (${n})`,
        lines: d.failures.map((f) => [
          '✗ ',
          code(f.region),
          '  ',
          clip(f.operation, 100),
          ' ',
          code(f.code),
          ': ',
          clip(failureMessage(f)),
        ]),
        list: { one: 'failure', many: 'failures' },
      },
      footer(time, d.rule),
    ],
    nextSteps: [
      'Retrying will not fix these: fix the cause first (a permission, a region not enabled, a parameter).',
      `Then run \`npx ami-lifecycle apply --region ${d.region}\`, or let the scheduled reconcile do it.`,
    ],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [imageArn(d.region, d.imageId), imageArn(d.sourceRegion, d.sourceImageId)],
    keywords: [d.rule, ...new Set(d.failures.map((f) => f.region))].slice(0, LIMITS.namedItems),
    context: {
      rule: d.rule,
      sourceImageId: d.sourceImageId,
      sourceRegion: d.sourceRegion,
      imageId: d.imageId,
      region: d.region,
    },
  };
}

function deprecated(d: Detail<typeof DetailType.Deprecated>, time: string): Draft {
  return {
    subject: subjectOf(
      `⏳ Deprecated ${d.role} ${d.imageId} in ${d.region} from ${d.deprecationTime}`,
      '',
      '',
    ),
    sections: [
      {
        lines: [
          [label('Image'), code(d.imageId), ` (${d.role}) in `, code(d.region)],
          sourceLine(d.sourceImageId, d.sourceRegion),
          [label('Deprecated from'), d.deprecationTime],
          [label('Reason'), clip(d.reason)],
        ],
      },
      footer(time, d.rule),
    ],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [imageArn(d.region, d.imageId), imageArn(d.sourceRegion, d.sourceImageId)],
    keywords: [d.rule, d.region],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, imageId: d.imageId, region: d.region },
  };
}

type NotDeleted = Detail<typeof DetailType.Deregistered>['snapshotsNotDeleted'][number];

function notDeletedLine(s: NotDeleted): Line {
  switch (s.outcome) {
    case 'in-use':
      return [
        '– ',
        code(s.snapshotId),
        '  kept, in use',
        ...(s.detail === undefined ? [] : [': ', clip(s.detail)]),
      ];
    case 'not-found':
      return ['– ', code(s.snapshotId), '  already gone'];
    case 'failed':
      return ['✗ ', code(s.snapshotId), '  failed: ', clip(s.detail ?? 'no reason given')];
  }
}

function deregistered(d: Detail<typeof DetailType.Deregistered>, time: string): Draft {
  const failed = d.snapshotsNotDeleted.filter((s) => s.outcome === 'failed').length;
  const subject =
    failed === 0
      ? `🗑 Deregistered ${d.role} ${d.imageId} in ${d.region}`
      : `⚠ Deregistered ${d.role} ${d.imageId} in ${d.region}, ${plural(failed, 'snapshot')} not deleted`;
  const none = d.snapshotsDeleted.length === 0 && d.snapshotsNotDeleted.length === 0;
  return {
    subject: subjectOf(subject, '', ''),
    sections: [
      {
        lines: [
          [label('Image'), code(d.imageId), ` (${d.role}) in `, code(d.region)],
          sourceLine(d.sourceImageId, d.sourceRegion),
          [label('Reason'), clip(d.reason)],
          ...(none ? [[label('Snapshots'), 'none']] : []),
        ],
      },
      d.snapshotsDeleted.length === 0
        ? undefined
        : {
            heading: `Snapshots deleted (${d.snapshotsDeleted.length})`,
            lines: d.snapshotsDeleted.map((id) => ['✓ ', code(id)]),
            list: { one: 'snapshot', many: 'snapshots' },
          },
      d.snapshotsNotDeleted.length === 0
        ? undefined
        : {
            heading: `Snapshots not deleted (${d.snapshotsNotDeleted.length})`,
            lines: d.snapshotsNotDeleted.map(notDeletedLine),
            list: { one: 'snapshot', many: 'snapshots' },
          },
      footer(time, d.rule),
    ],
    ...(failed === 0
      ? {}
      : {
          nextSteps: [
            `Snapshots that failed to delete are still stored (and billed) in ${d.region}: delete them once the cause is fixed.`,
          ],
        }),
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [imageArn(d.region, d.imageId), imageArn(d.sourceRegion, d.sourceImageId)],
    keywords: [d.rule, d.region],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, imageId: d.imageId, region: d.region },
  };
}

function counts(record: Readonly<Record<string, number>>): string {
  return clip(
    Object.entries(record)
      .map(([action, n]) => `${action} ${n}`)
      .join(', ') || 'nothing',
  );
}

function reconcileReport(d: Detail<typeof DetailType.ReconcileReport>, time: string): Draft {
  const dryRun = d.dryRun ? ' (dry run)' : '';
  const summary =
    d.failed > 0
      ? `✗ Reconcile of ${d.region}: ${plural(d.failed, 'failure')}`
      : `✓ Reconcile of ${d.region}: no failures`;
  const total = Math.max(d.failed, d.failures.length);
  return {
    subject: subjectOf(`${summary}${dryRun}`, '', ''),
    sections: [
      {
        lines: [
          [label('Region'), code(d.region), dryRun],
          [label('Started'), clip(d.startedAt, 64), `, took ${(d.durationMs / 1000).toFixed(1)} s`],
          [
            label('Managed'),
            `${plural(d.managed.sources, 'source')}, ${plural(d.managed.copies, 'copy', 'copies')}`,
          ],
          [label('Applied'), counts(d.applied)],
          [label('Planned'), counts(d.planned)],
          [label('Copies'), `${d.copiesInFlight} in flight, ${d.deferredCopies} deferred`],
          [label('Skipped'), String(d.skipped)],
          ...(d.stoppedEarly
            ? [[label('Stopped early'), 'the run ran out of time; the next run does the rest']]
            : []),
        ],
      },
      total === 0
        ? undefined
        : {
            heading: `Failures (${total})`,
            lines: d.failures.map((f) => [
              '✗ ',
              clip(f.action, 200),
              ': ',
              clip(f.operation, 100),
              ' ',
              code(f.code),
              ': ',
              clip(f.message),
              ...(f.retryable ? [' (retried by the next run)'] : []),
            ]),
            list: { one: 'failure', many: 'failures', total },
          },
      footer(time),
    ],
    ...(d.failed === 0
      ? {}
      : {
          nextSteps: [
            'Failures marked "retried by the next run" need nothing; the others need their cause fixed.',
            `\`npx ami-lifecycle plan --region ${d.region}\` shows what is still to do.`,
          ],
        }),
    eventId: d.eventId,
    threadId: `reconcile:${d.region}`,
    resources: [],
    keywords: [d.region],
    context: { region: d.region, startedAt: d.startedAt },
  };
}
