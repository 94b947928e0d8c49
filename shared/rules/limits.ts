import type { Rule } from './schema.js';

/**
 * The limits EC2 sets on what a rule makes it do, checked at validation so that a file that
 * validates cannot fail at run time for a reason the file decides. Each limit is written once,
 * with where AWS documents it; `docs/rules.md` lists them from here.
 *
 * Counted after the tool adds its own tags: a source image carries `ami-lifecycle:rule`,
 * `ami-lifecycle:distributed` and, when retired, `ami-lifecycle:retired`; a copy carries the four
 * lineage tags (`rule`, `source-image-id`, `source-region`, `source-created`), may bring the
 * source's two others through `CopyImageTags`, and `retired` once retired.
 */
export const TOOL_TAGS = { source: 3, copy: 6 } as const;

export interface Limit {
  readonly what: string;
  readonly limit: string;
  /** How the tool applies it to a rule. */
  readonly check: string;
  readonly source: string;
}

const TAGGING = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html';
const COPY_IMAGE = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopyImage.html';

export const EC2_LIMITS = {
  tagsPerResource: {
    what: 'Tags on one image or snapshot',
    limit: '50 (tags starting with `aws:` do not count)',
    check: `the rule's tags plus the tool's own (${TOOL_TAGS.source} on a source, ${TOOL_TAGS.copy} on a copy), for the source, its snapshots, each copy and its snapshots`,
    source: TAGGING,
  },
  tagKey: {
    what: 'Tag key',
    limit: '1-127 characters, not starting with `aws:`',
    check: 'every tag key in the file; `ami-lifecycle:` is also reserved, for the tool',
    source: TAGGING,
  },
  tagValue: {
    what: 'Tag value',
    limit: '0-256 characters',
    check: 'every tag value in the file',
    source: TAGGING,
  },
  amiName: {
    what: 'AMI name',
    limit:
      "3-128 characters: letters, digits, spaces and `( ) [ ] . / - ' @ _`; unique in an account and region",
    check:
      "`copy.name`'s own text uses only those characters and leaves room for its placeholders; it names each source (`{name}` or `{imageId}`), and each source region when there are several (`{sourceRegion}` or `{imageId}`)",
    source: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html',
  },
  amiDescription: {
    what: 'AMI description',
    limit: '255 characters',
    check: "`copy.description`'s own text; the expanded description is cut at 255",
    source: COPY_IMAGE,
  },
  completionDuration: {
    what: 'Time-based copy duration',
    limit: '15-2880 minutes, a multiple of 15',
    check: '`copy.completionDurationMinutes`',
    source: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html',
  },
  launchPermissions: {
    what: 'Accounts in one launch-permission change',
    limit: '10,000',
    check: '`share.accounts`',
    source: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyImageAttribute.html',
  },
  deprecation: {
    what: 'Deprecation time',
    limit: 'at most 10 years ahead; 2 years for a public image',
    check: '`retire.deprecateAfterDays` ≤ 3650, ≤ 730 with `share.public`',
    source: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImageDeprecation.html',
  },
} as const satisfies Record<string, Limit>;

const AMI_NAME_CHARACTERS = /[^A-Za-z0-9 ()[\]./\-'@_]/gu;

/** The shortest each placeholder can expand to, for the room a name template must leave. */
const PLACEHOLDER_MIN_LENGTH: Record<string, number> = {
  name: 3,
  imageId: 12,
  sourceRegion: 9,
  region: 9,
  rule: 1,
  creationDate: 20,
};

/** What in a rule crosses one of {@link EC2_LIMITS}; each message quotes the value and the limit. */
export function limitChecks(rule: Rule): string[] {
  return [...tagCountChecks(rule), ...copyChecks(rule), ...shareChecks(rule)];
}

function tagCountChecks(rule: Rule): string[] {
  const keys = (...maps: (Readonly<Record<string, string>> | undefined)[]) =>
    new Set(maps.flatMap((m) => Object.keys(m ?? {}))).size;
  const image = rule.tags?.image;
  const extras = rule.tags?.snapshots;
  const inherit = rule.tags?.inheritToSnapshots ?? true;
  const copyImage =
    rule.copy === undefined ? undefined : { ...(rule.copy.copyTags ? image : {}), ...rule.copy.tags };
  const counts: [string, number, number][] = [
    ['the source image', keys(image), TOOL_TAGS.source],
    ['its snapshots', keys(inherit ? image : {}, extras), TOOL_TAGS.source],
    ...(copyImage === undefined
      ? []
      : ([
          ['each copy', keys(copyImage), TOOL_TAGS.copy],
          ['the snapshots of each copy', keys(inherit ? copyImage : rule.copy?.tags, extras), TOOL_TAGS.copy],
        ] as [string, number, number][])),
  ];
  return counts
    .filter(([, own, tool]) => own + tool > 50)
    .map(
      ([what, own, tool]) =>
        `tags: ${what} would carry ${own} of the rule's tags and ${tool} of the tool's, ${own + tool} in all; ` +
        `EC2 allows 50 tags on an image or snapshot (use at most ${50 - tool} of the rule's)`,
    );
}

function copyChecks(rule: Rule): string[] {
  const copy = rule.copy;
  if (copy === undefined) return [];
  const problems: string[] = [];
  const name = copy.name;
  const placeholders = [...name.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  const text = name.replace(/\{\w+\}/g, '');
  const bad = [...new Set(text.match(AMI_NAME_CHARACTERS) ?? [])];
  if (bad.length > 0) {
    problems.push(
      `copy.name: ${JSON.stringify(name)} has ${bad.map((c) => JSON.stringify(c)).join(', ')}, which AMI names do not allow ` +
        "(letters, digits, spaces and ( ) [ ] . / - ' @ _ only)",
    );
  }
  const shortest = placeholders.reduce((sum, p) => sum + (PLACEHOLDER_MIN_LENGTH[p] ?? 0), text.length);
  if (shortest > 128) {
    problems.push(
      `copy.name: ${JSON.stringify(name)} expands to at least ${shortest} characters; AMI names are at most 128`,
    );
  }
  if (!placeholders.includes('name') && !placeholders.includes('imageId')) {
    problems.push(
      `copy.name: ${JSON.stringify(name)} gives every release the same name, and EC2 refuses a second image of that name in a region; ` +
        'include {name} or {imageId}',
    );
  }
  const sources = rule.match.regions;
  const receives = copy.regions.some((t) => sources.some((s) => s !== t));
  if (
    sources.length > 1 &&
    receives &&
    !placeholders.includes('sourceRegion') &&
    !placeholders.includes('imageId')
  ) {
    problems.push(
      `copy.name: ${JSON.stringify(name)}: images of one name can exist in each source region (${sources.join(', ')}), ` +
        'and their copies (or a copy and a source) would then collide in a region; include {sourceRegion} or {imageId}',
    );
  }
  const descriptionText = copy.description.replace(/\{\w+\}/g, '');
  if (descriptionText.length > 255) {
    problems.push(
      `copy.description: its own text is ${descriptionText.length} characters; AMI descriptions are at most 255`,
    );
  }
  return problems;
}

function shareChecks(rule: Rule): string[] {
  const problems: string[] = [];
  const accounts = rule.share?.accounts.length ?? 0;
  if (accounts > 10_000) {
    problems.push(
      `share.accounts: ${accounts} accounts; EC2 takes at most 10000 in one launch-permission change`,
    );
  }
  const days = rule.retire?.deprecateAfterDays;
  if (rule.share?.public && days !== undefined && days > 730) {
    problems.push(
      `retire.deprecateAfterDays: ${days} days; a public image can be deprecated at most 2 years (730 days) ahead`,
    );
  }
  return problems;
}
