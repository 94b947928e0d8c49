import { type Detail, type DetailType, imageArn } from '../core/notifications.js';
import { code, codeList, type Draft, type Line, label } from './document.js';
import { LIMITS } from './limits.js';
import { familyArns, footer, regionsSection, sharedWithLine, sourceLine } from './sections.js';
import { clip, plural, subjectOf } from './text.js';

/**
 * What each detail type says: one draft per type, with its subject, its sections, the next steps
 * when someone has something to do, and what the chat message threads and links on. Written once
 * here and rendered both as plain text and as the chat message, so the two say the same.
 */

export function copyFailed(d: Detail<typeof DetailType.CopyFailed>, time: string): Draft {
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

export function distributionCompleted(
  d: Detail<typeof DetailType.DistributionCompleted>,
  time: string,
): Draft {
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
      d.parameters === undefined || d.parameters.length === 0
        ? undefined
        : {
            heading: `SSM parameters naming it (${d.parameters.length})`,
            lines: d.parameters.map((p) => [code(p.region), '  ', code(clip(p.name, 200))]),
            list: { one: 'parameter', many: 'parameters' },
          },
      footer(time, d.rule, [sharedWithLine(d.sharedWith)]),
    ],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: familyArns(d.regions),
    keywords: [d.rule, d.sourceRegion],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, sourceRegion: d.sourceRegion },
  };
}

export function distributionStarted(d: Detail<typeof DetailType.DistributionStarted>, time: string): Draft {
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

export function actionsFailed(d: Detail<typeof DetailType.ActionsFailed>, time: string): Draft {
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

/** A retirement stage of one image (deprecated, disabled): what, where, when, why, and its family. */
function retiredImageDraft(
  d: Detail<typeof DetailType.Deprecated> | Detail<typeof DetailType.Disabled>,
  subject: string,
  facts: Line[],
  time: string,
): Draft {
  return {
    subject: subjectOf(subject, '', ''),
    sections: [
      {
        lines: [
          [label('Image'), code(d.imageId), ` (${d.role}) in `, code(d.region)],
          sourceLine(d.sourceImageId, d.sourceRegion),
          ...facts,
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

export function disabled(d: Detail<typeof DetailType.Disabled>, time: string): Draft {
  return retiredImageDraft(
    d,
    `⛔ Disabled ${d.role} ${d.imageId} in ${d.region}`,
    [
      [label('Reason'), clip(d.reason)],
      [label('Undo'), code(`aws ec2 enable-image --region ${d.region} --image-id ${d.imageId}`)],
    ],
    time,
  );
}

export function deprecated(d: Detail<typeof DetailType.Deprecated>, time: string): Draft {
  return retiredImageDraft(
    d,
    `⏳ Deprecated ${d.role} ${d.imageId} in ${d.region} from ${d.deprecationTime}`,
    [
      [label('Deprecated from'), d.deprecationTime],
      [label('Reason'), clip(d.reason)],
    ],
    time,
  );
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

export function deregistered(d: Detail<typeof DetailType.Deregistered>, time: string): Draft {
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

export function reconcileReport(d: Detail<typeof DetailType.ReconcileReport>, time: string): Draft {
  const dryRun = d.dryRun ? ' (dry run)' : '';
  const where = d.account === undefined ? d.region : `account ${d.account} in ${d.region}`;
  const summary =
    d.failed > 0
      ? `✗ Reconcile of ${where}: ${plural(d.failed, 'failure')}`
      : `✓ Reconcile of ${where}: no failures`;
  const total = Math.max(d.failed, d.failures.length);
  return {
    subject: subjectOf(`${summary}${dryRun}`, '', ''),
    sections: [
      {
        lines: [
          ...(d.account === undefined ? [] : [[label('Account'), code(d.account)]]),
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
    threadId: d.account === undefined ? `reconcile:${d.region}` : `reconcile:${d.account}:${d.region}`,
    resources: [],
    keywords: [d.region],
    context: { region: d.region, startedAt: d.startedAt },
  };
}
