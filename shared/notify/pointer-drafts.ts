import { type Detail, type DetailType, imageArn } from '../core/notifications.js';
import { code, codeList, type Draft, label } from './document.js';
import { footer, sourceLine } from './sections.js';
import { clip, plural, subjectOf } from './text.js';

/** The pointers' events as messages (see `drafts.ts`): a pointer move, a rollback or an unpin. */

export function pointersMoved(d: Detail<typeof DetailType.PointersMoved>, time: string): Draft {
  const count = d.parameters.length + d.launchTemplates.length;
  return {
    subject: subjectOf(
      `→ ${plural(count, 'pointer')} of ${d.rule} now name ${d.imageId} in ${d.region}`,
      '',
      '',
    ),
    sections: [
      {
        lines: [
          [label('Image'), code(d.imageId), ' in ', code(d.region)],
          sourceLine(d.sourceImageId, d.sourceRegion),
        ],
      },
      d.parameters.length === 0
        ? undefined
        : {
            heading: `SSM parameters (${d.parameters.length})`,
            lines: d.parameters.map((p) => [
              code(clip(p.name, 200)),
              `: ${p.previous ?? 'new'} → `,
              code(p.imageId),
              ` (version ${p.version})`,
            ]),
            list: { one: 'parameter', many: 'parameters' },
          },
      d.launchTemplates.length === 0
        ? undefined
        : {
            heading: `Launch templates (${d.launchTemplates.length})`,
            lines: d.launchTemplates.map((t) => [
              code(clip(t.template, 200)),
              ` version ${t.version}${t.isDefault ? ' (default)' : ''}: ${t.previous ?? 'no image'} → `,
              code(t.imageId),
            ]),
            list: { one: 'launch template', many: 'launch templates' },
          },
      footer(time, d.rule),
    ],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [imageArn(d.region, d.imageId)],
    keywords: [d.rule, d.region],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, imageId: d.imageId, region: d.region },
  };
}

export function rollback(d: Detail<typeof DetailType.Rollback>, time: string): Draft {
  const what = d.pinned
    ? `↩ Rule ${d.rule} rolled back to ${d.sourceImageId} and pinned`
    : `Rule ${d.rule} unpinned from ${d.sourceImageId}`;
  return {
    subject: subjectOf(`${what} in ${plural(d.regions.length, 'region')}`, '', ''),
    sections: [
      {
        lines: [
          sourceLine(d.sourceImageId, d.sourceRegion),
          [label('Regions'), ...codeList(d.regions)],
          [label('By'), clip(d.by)],
        ],
      },
      footer(time, d.rule),
    ],
    nextSteps: d.pinned
      ? [
          "New releases are still distributed, but move none of the rule's pointers while it is pinned.",
          `To follow new releases again: \`npx ami-lifecycle unpin --rule ${d.rule} --apply\`.`,
        ]
      : ['The pointers follow new releases again.'],
    eventId: d.eventId,
    threadId: d.sourceImageId,
    resources: [imageArn(d.sourceRegion, d.sourceImageId)],
    keywords: [d.rule],
    context: { rule: d.rule, sourceImageId: d.sourceImageId, pinned: String(d.pinned) },
  };
}
