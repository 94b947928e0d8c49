import type { z } from 'zod';
import { imageArn, type RegionStatus, type SharedWith } from '../core/notifications.js';
import { code, codeList, type Inline, type Line, label, type Section } from './document.js';
import { clip } from './text.js';

/**
 * Lines and sections that several detail types show the same way (the family's regions, who it
 * is shared with, the source image, the closing lines), so each is written, and reads, the same
 * in every notification.
 */

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

export function regionsSection(regions: readonly Region[]): Section | undefined {
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

export function sharedWithLine(shared: z.output<typeof SharedWith>): Line {
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

export function sourceLine(imageId: string, region: string): Line {
  return [label('Source'), code(imageId), ' in ', code(region)];
}

/** The closing lines: what the body says last, after `before` (who the images are shared with). */
export function footer(time: string, rule?: string, before: readonly Line[] = []): Section {
  return {
    lines: [
      ...before,
      ...(rule === undefined ? [] : [[label('Rule'), code(rule)]]),
      [label('Time'), clip(time, 64)],
    ],
  };
}

/** ARNs of the images a family has, in the order given. */
export function familyArns(regions: readonly Region[]): string[] {
  return regions.flatMap((r) => (r.imageId === undefined ? [] : [imageArn(r.region, r.imageId)]));
}
