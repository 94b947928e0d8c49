import { type Detail, type DetailType, imageArn } from '../core/notifications.js';
import { code, type Draft, label } from './document.js';
import { footer, sourceLine } from './sections.js';
import { clip, plural, subjectOf } from './text.js';

/** A release's copies in its target accounts, as a message (see `drafts.ts`): one line per account, its regions on it. */
export function accountCopiesCompleted(
  d: Detail<typeof DetailType.AccountCopiesCompleted>,
  time: string,
): Draft {
  const pairs = d.accounts.flatMap((a) => a.regions);
  const skipped = pairs.filter((r) => r.status === 'skipped');
  const tail = ` (${d.sourceImageId}) copied into ${plural(d.accounts.length, 'account')} × regions${skipped.length > 0 ? `, ${skipped.length} skipped` : ''}`;
  return {
    subject: subjectOf(skipped.length > 0 ? '⚠ ' : '✓ ', d.imageName ?? d.sourceImageId, tail),
    sections: [
      {
        lines: [
          ...(d.imageName === undefined ? [] : [[label('Image'), clip(d.imageName)]]),
          sourceLine(d.sourceImageId, d.sourceRegion),
        ],
      },
      {
        heading: `Target accounts (${d.accounts.length})`,
        lines: d.accounts.map((a) => [
          code(a.account),
          ': ',
          ...a.regions.flatMap((r, i) => [
            ...(i === 0 ? [] : [', ']),
            code(r.region),
            r.status === 'available' ? ` ${r.imageId ?? ''}` : ' skipped',
          ]),
        ]),
        list: { one: 'account', many: 'accounts' },
      },
      skipped.length === 0
        ? undefined
        : {
            heading: `Skipped (${skipped.length})`,
            lines: d.accounts.flatMap((a) =>
              a.regions
                .filter((r) => r.status === 'skipped')
                .map((r) => [
                  code(`${a.account} ${r.region}`),
                  ': ',
                  clip(r.reason ?? 'no reason recorded', 300),
                ]),
            ),
            list: { one: 'pair', many: 'pairs' },
          },
      footer(time, d.rule),
    ],
    ...(skipped.length === 0
      ? {}
      : {
          nextSteps: [
            'Enable the region in the account (or give the member role the KMS key named); the next release reaches it, and the schedule copies the current one.',
          ],
        }),
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [imageArn(d.sourceRegion, d.sourceImageId)],
    keywords: [d.rule, d.sourceRegion],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, sourceRegion: d.sourceRegion },
  };
}

/** A rule's target accounts changed: who joined (they get the current releases), who left (left alone). */
export function targetAccountsChanged(
  d: Detail<typeof DetailType.TargetAccountsChanged>,
  time: string,
): Draft {
  const parts = [
    ...(d.joined.length > 0 ? [`${plural(d.joined.length, 'account')} joined`] : []),
    ...(d.left.length > 0 ? [`${plural(d.left.length, 'account')} left`] : []),
  ];
  return {
    subject: subjectOf(`Targets of ${d.rule}: ${parts.join(', ')}`, '', ` (${d.targets} now)`),
    sections: [
      d.joined.length === 0
        ? undefined
        : {
            heading: `Joined (${d.joined.length})`,
            lines: d.joined.map((a) => [code(a)]),
            list: { one: 'account', many: 'accounts' },
          },
      d.left.length === 0
        ? undefined
        : {
            heading: `Left (${d.left.length})`,
            lines: d.left.map((a) => [code(a)]),
            list: { one: 'account', many: 'accounts' },
          },
      footer(time, d.rule),
    ],
    nextSteps: [
      ...(d.joined.length > 0
        ? ["Each region's next scheduled run copies the current releases into the accounts that joined."]
        : []),
      ...(d.left.length > 0
        ? ['The accounts that left keep the copies they have; the tool no longer touches them.']
        : []),
    ],
    eventId: d.eventId,
    threadId: `targets/${d.rule}`,
    resources: [],
    keywords: [d.rule],
    context: { rule: d.rule },
  };
}
