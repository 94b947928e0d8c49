import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../shared/core/errors.js';
import {
  type DetailInput,
  DetailType,
  type DetailTypeName,
  type ToolEventOf,
  toolEvent,
} from '../../shared/core/notifications.js';
import {
  formatNotification,
  LIMITS,
  type Notification,
  parseToolEventEnvelope,
  type ToolEventEnvelope,
} from '../../shared/notify/format.js';

/**
 * The formatter, one table row per detail type the notify rules route (and the two they do not),
 * with details built by `toolEvent` so they satisfy the published schemas.
 */

const SOURCE = 'ami-0123456789abcdef0';
const COPY_EU = 'ami-0aaaaaaaaaaaaaaa1';
const COPY_AP = 'ami-0bbbbbbbbbbbbbbb2';
const COPY_US = 'ami-0ccccccccccccccc3';
const NAME = 'golden-linux-2026-11-26';
const TIME = '2026-11-26T10:15:02Z';
const KMS = 'Snapshot snap-0f00 copy failed: the KMS key is not accessible';

const sharedWith = {
  accounts: ['111122223333', '444455556666'],
  organizations: ['arn:aws:organizations::123456789012:organization/o-abc123'],
  organizationalUnits: [],
  public: false,
};

const family = { rule: 'golden-linux', sourceImageId: SOURCE, sourceRegion: 'us-east-1', imageName: NAME };

function envelope<T extends DetailTypeName>(event: ToolEventOf<T>): ToolEventEnvelope {
  return {
    id: 'f0e1d2c3-0000-4000-8000-000000000001',
    'detail-type': event.detailType,
    source: 'ami-lifecycle',
    region: 'us-east-1',
    time: TIME,
    detail: event.detail,
  };
}

function completed(overrides: Partial<DetailInput<typeof DetailType.DistributionCompleted>> = {}) {
  return toolEvent(
    DetailType.DistributionCompleted,
    {
      ...family,
      regions: [
        { region: 'us-east-1', role: 'source', imageId: SOURCE, status: 'available' },
        { region: 'eu-west-1', role: 'copy', imageId: COPY_EU, status: 'available' },
        { region: 'ap-southeast-2', role: 'copy', imageId: COPY_AP, status: 'available' },
        { region: 'us-west-2', role: 'copy', imageId: COPY_US, status: 'available' },
      ],
      sharedWith,
      completedAt: '2026-11-26T10:15:00.000Z',
      ...overrides,
    },
    ['us-east-1', SOURCE, 'fingerprint'],
  );
}

function copyFailed(overrides: Partial<DetailInput<typeof DetailType.CopyFailed>> = {}) {
  return toolEvent(
    DetailType.CopyFailed,
    {
      ...family,
      imageId: COPY_AP,
      region: 'ap-southeast-2',
      reason: KMS,
      regions: [
        { region: 'us-east-1', role: 'source', imageId: SOURCE, status: 'available' },
        { region: 'eu-west-1', role: 'copy', imageId: COPY_EU, status: 'available' },
        { region: 'ap-southeast-2', role: 'copy', imageId: COPY_AP, status: 'failed', reason: KMS },
        { region: 'us-west-2', role: 'copy', imageId: COPY_US, status: 'pending' },
        { region: 'eu-central-1', role: 'copy', status: 'missing' },
        {
          region: 'sa-east-1',
          role: 'copy',
          status: 'unreadable',
          reason: 'OptInRequired: the region is not enabled',
        },
      ],
      sharedWith,
      ...overrides,
    },
    ['ap-southeast-2', COPY_AP],
  );
}

const failure = (region: string, i = 0) => ({
  operation: 'CopyImage',
  region,
  code: 'AuthFailure',
  message: `CopyImage in ${region} failed: AuthFailure: not authorized to copy (${i})`,
});

function actionsFailed(failures = [failure('us-west-2'), failure('eu-west-1', 1)]) {
  return toolEvent(
    DetailType.ActionsFailed,
    {
      rule: 'golden-linux',
      sourceImageId: SOURCE,
      sourceRegion: 'us-east-1',
      imageId: SOURCE,
      region: 'us-east-1',
      failures,
    },
    ['us-east-1', SOURCE],
  );
}

function deregistered() {
  return toolEvent(
    DetailType.Deregistered,
    {
      rule: 'golden-linux',
      role: 'copy',
      sourceImageId: SOURCE,
      sourceRegion: 'us-east-1',
      imageId: COPY_EU,
      region: 'eu-west-1',
      reason: 'created 120 days ago (deregisterAfterDays 90); not among the 3 newest',
      snapshotsDeleted: ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'],
      snapshotsNotDeleted: [
        { snapshotId: 'snap-0aaaaaaaaaaaaaaa3', outcome: 'in-use', detail: 'used by ami-0dddddddddddddddd' },
        { snapshotId: 'snap-0aaaaaaaaaaaaaaa4', outcome: 'not-found' },
      ],
    },
    ['eu-west-1', COPY_EU],
  );
}

const reconcileFailure = (i: number, retryable = false) => ({
  action: `copy ${SOURCE} to eu-west-1 (#${i})`,
  operation: 'CopyImage',
  code: retryable ? 'ResourceLimitExceeded' : 'InvalidParameterValue',
  message: retryable ? 'too many copies in progress' : 'KmsKeyId is not valid',
  retryable,
});

function reconcileReport(
  failures = [reconcileFailure(1, true), reconcileFailure(2)],
  failed = 3,
  account?: string,
) {
  return toolEvent(
    DetailType.ReconcileReport,
    {
      region: 'eu-west-1',
      ...(account === undefined ? {} : { account }),
      dryRun: false,
      startedAt: '2026-11-26T03:00:00.000Z',
      durationMs: 12_345,
      managed: { sources: 12, copies: 40 },
      planned: { copy: 4, share: 1 },
      applied: { copy: 2, share: 1 },
      failed,
      failures,
      copiesInFlight: 5,
      deferredCopies: 2,
      skipped: 0,
      stoppedEarly: false,
    },
    ['eu-west-1', '2026-11-26T03:00:00.000Z'],
  );
}

/** The body lines of `reconcileReport()` between its region and its failures. */
const REPORT_COUNTS = [
  'Started: 2026-11-26T03:00:00.000Z, took 12.3 s',
  'Managed: 12 sources, 40 copies',
  'Applied: copy 2, share 1',
  'Planned: copy 4, share 1',
  'Copies: 5 in flight, 2 deferred',
];

const format = <T extends DetailTypeName>(event: ToolEventOf<T>): Notification =>
  formatNotification(envelope(event));

const lines = (text: string) => text.split('\n');

/** No control character, line break or separator (SNS refuses them in a subject). */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/** A UTF-16 surrogate without its pair: what cutting a string in the middle of an emoji leaves. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('formatNotification', () => {
  const cases: {
    name: string;
    event: () => Notification;
    subject: string;
    body: string[];
    threadId: string;
    eventType: string;
  }[] = [
    {
      name: 'Distribution Completed: every region available, who it is shared with',
      event: () => format(completed()),
      subject: `✓ ${NAME} (${SOURCE}) distributed to 3 regions`,
      body: [
        `Image: ${NAME}`,
        `Source: ${SOURCE} in us-east-1`,
        'Regions (4 available):',
        `✓ us-east-1  ${SOURCE} (source)`,
        `✓ eu-west-1  ${COPY_EU}`,
        `✓ ap-southeast-2  ${COPY_AP}`,
        `✓ us-west-2  ${COPY_US}`,
        'Shared with: accounts 111122223333, 444455556666; organization arn:aws:organizations::123456789012:organization/o-abc123',
        'Rule: golden-linux',
        `Time: ${TIME}`,
      ],
      threadId: SOURCE,
      eventType: 'AMI Distribution Completed',
    },
    {
      name: 'Copy Failed: the failed region with its reason, and every other state',
      event: () => format(copyFailed()),
      subject: `✗ Copy of ${NAME} failed in ap-southeast-2`,
      body: [
        `Image: ${NAME}`,
        `Source: ${SOURCE} in us-east-1`,
        `Failed copy: ${COPY_AP} in ap-southeast-2`,
        `Reason: ${KMS}`,
        'Regions (2 available, 1 pending, 1 failed, 1 missing, 1 unreadable):',
        `✓ us-east-1  ${SOURCE} (source)`,
        `✓ eu-west-1  ${COPY_EU}`,
        `✗ ap-southeast-2  failed: ${KMS}`,
        `… us-west-2  ${COPY_US} pending`,
        '– eu-central-1  missing: no copy started',
        '? sa-east-1  unreadable: OptInRequired: the region is not enabled',
        'Shared with: accounts 111122223333, 444455556666; organization arn:aws:organizations::123456789012:organization/o-abc123',
        'Rule: golden-linux',
        '- To retry now: `npx ami-lifecycle apply --region ap-southeast-2`.',
      ],
      threadId: SOURCE,
      eventType: 'AMI Copy Failed',
    },
    {
      name: 'Actions Failed: each failure with its region, operation, code and message (not repeated)',
      event: () => format(actionsFailed()),
      subject: `✗ 2 actions failed for ${SOURCE} in us-east-1`,
      body: [
        `Image: ${SOURCE} (source) in us-east-1`,
        'Failures (2):',
        '✗ us-west-2  CopyImage AuthFailure: not authorized to copy (0)',
        '✗ eu-west-1  CopyImage AuthFailure: not authorized to copy (1)',
        'Rule: golden-linux',
        `Time: ${TIME}`,
      ],
      threadId: SOURCE,
      eventType: 'AMI Actions Failed',
    },
    {
      name: 'Deregistered: image, region, reason, snapshots deleted and kept',
      event: () => format(deregistered()),
      subject: `🗑 Deregistered copy ${COPY_EU} in eu-west-1`,
      body: [
        `Image: ${COPY_EU} (copy) in eu-west-1`,
        `Source: ${SOURCE} in us-east-1`,
        'Reason: created 120 days ago (deregisterAfterDays 90); not among the 3 newest',
        'Snapshots deleted (2):',
        '✓ snap-0aaaaaaaaaaaaaaa1',
        '✓ snap-0aaaaaaaaaaaaaaa2',
        'Snapshots not deleted (2):',
        '– snap-0aaaaaaaaaaaaaaa3  kept, in use: used by ami-0dddddddddddddddd',
        '– snap-0aaaaaaaaaaaaaaa4  already gone',
        'Rule: golden-linux',
      ],
      threadId: SOURCE,
      eventType: 'AMI Deregistered',
    },
    {
      name: 'Reconcile Report with failures: region, counts, the failures it carries, the rest counted',
      event: () => format(reconcileReport()),
      subject: '✗ Reconcile of eu-west-1: 3 failures',
      body: [
        'Region: eu-west-1',
        ...REPORT_COUNTS,
        'Failures (3):',
        `✗ copy ${SOURCE} to eu-west-1 (#1): CopyImage ResourceLimitExceeded: too many copies in progress (retried by the next run)`,
        `✗ copy ${SOURCE} to eu-west-1 (#2): CopyImage InvalidParameterValue: KmsKeyId is not valid`,
        '… and 1 more failure',
      ],
      threadId: 'reconcile:eu-west-1',
      eventType: 'Reconcile Report',
    },
    {
      name: 'Reconcile Report of a target account: the account, in the subject and its own thread',
      event: () => format(reconcileReport([], 0, '222222222222')),
      subject: '✓ Reconcile of account 222222222222 in eu-west-1: no failures',
      body: ['Account: 222222222222', 'Region: eu-west-1', ...REPORT_COUNTS],
      threadId: 'reconcile:222222222222:eu-west-1',
      eventType: 'Reconcile Report',
    },
    {
      name: 'Distribution Started (not routed today): the copies started',
      event: () =>
        format(
          toolEvent(
            DetailType.DistributionStarted,
            {
              ...family,
              targetRegions: ['eu-west-1', 'us-west-2'],
              copies: [
                { region: 'eu-west-1', imageId: COPY_EU },
                { region: 'us-west-2', imageId: COPY_US },
              ],
            },
            ['x'],
          ),
        ),
      subject: `… ${NAME} (${SOURCE}) copying to 2 regions`,
      body: [`… eu-west-1  ${COPY_EU} pending`, 'Target regions: eu-west-1, us-west-2'],
      threadId: SOURCE,
      eventType: 'AMI Distribution Started',
    },
    {
      name: 'Deprecated (not routed today): when, and why',
      event: () =>
        format(
          toolEvent(
            DetailType.Deprecated,
            {
              rule: 'golden-linux',
              role: 'source',
              sourceImageId: SOURCE,
              sourceRegion: 'us-east-1',
              imageId: SOURCE,
              region: 'us-east-1',
              deprecationTime: '2026-12-01T00:00:00.000Z',
              reason: 'older than the 3 newest of its family',
            },
            ['y'],
          ),
        ),
      subject: `⏳ Deprecated source ${SOURCE} in us-east-1 from 2026-12-01T00:00:00.000Z`,
      body: ['Deprecated from: 2026-12-01T00:00:00.000Z', 'Reason: older than the 3 newest of its family'],
      threadId: SOURCE,
      eventType: 'AMI Deprecated',
    },
    {
      name: 'Disabled: why, and how to undo it',
      event: () =>
        format(
          toolEvent(
            DetailType.Disabled,
            {
              rule: 'golden-linux',
              role: 'copy',
              sourceImageId: SOURCE,
              sourceRegion: 'us-east-1',
              imageId: COPY_EU,
              region: 'eu-west-1',
              reason: 'older than the 3 newest of its family',
            },
            ['z'],
          ),
        ),
      subject: `⛔ Disabled copy ${COPY_EU} in eu-west-1`,
      body: [
        'Reason: older than the 3 newest of its family',
        `Undo: aws ec2 enable-image --region eu-west-1 --image-id ${COPY_EU}`,
      ],
      threadId: SOURCE,
      eventType: 'AMI Disabled',
    },
    {
      name: 'Pointers Moved: each parameter and template, from what to what',
      event: () =>
        format(
          toolEvent(
            DetailType.PointersMoved,
            {
              rule: 'golden-linux',
              sourceImageId: SOURCE,
              sourceRegion: 'us-east-1',
              imageId: COPY_EU,
              region: 'eu-west-1',
              parameters: [
                { name: '/golden/latest', previous: 'ami-0f0f0f0f0f0f0f0f0', imageId: COPY_EU, version: 3 },
              ],
              launchTemplates: [
                {
                  template: 'web',
                  templateId: 'lt-0123456789abcdef0',
                  version: 5,
                  imageId: COPY_EU,
                  isDefault: true,
                },
              ],
            },
            ['p'],
          ),
        ),
      subject: `→ 2 pointers of golden-linux now name ${COPY_EU} in eu-west-1`,
      body: [
        'SSM parameters (1):',
        `/golden/latest: ami-0f0f0f0f0f0f0f0f0 → ${COPY_EU} (version 3)`,
        'Launch templates (1):',
        `web version 5 (default): no image → ${COPY_EU}`,
      ],
      threadId: SOURCE,
      eventType: 'AMI Pointers Moved',
    },
    {
      name: 'Rollback: where it is pinned, and how to unpin',
      event: () =>
        format(
          toolEvent(
            DetailType.Rollback,
            {
              rule: 'golden-linux',
              sourceImageId: SOURCE,
              sourceRegion: 'us-east-1',
              regions: ['us-east-1', 'eu-west-1'],
              pinned: true,
              by: 'ami-lifecycle CLI (alice) in account 123456789012',
            },
            ['r'],
          ),
        ),
      subject: `↩ Rule golden-linux rolled back to ${SOURCE} and pinned in 2 regions`,
      body: [
        'Regions: us-east-1, eu-west-1',
        'By: ami-lifecycle CLI (alice) in account 123456789012',
        '- To follow new releases again: `npx ami-lifecycle unpin --rule golden-linux --apply`.',
      ],
      threadId: SOURCE,
      eventType: 'AMI Rollback',
    },
    {
      name: 'Account Copies Completed: one line per target account with its regions, the skipped pairs with why',
      event: () =>
        format(
          toolEvent(
            DetailType.AccountCopiesCompleted,
            {
              rule: 'golden-linux',
              sourceImageId: SOURCE,
              sourceRegion: 'us-east-1',
              imageName: NAME,
              accounts: [
                {
                  account: '222233334444',
                  regions: [
                    { region: 'eu-west-1', status: 'available', imageId: COPY_EU },
                    { region: 'us-east-1', status: 'available', imageId: COPY_US },
                  ],
                },
                {
                  account: '555566667777',
                  regions: [
                    { region: 'af-south-1', status: 'skipped', reason: 'the region is not enabled there' },
                    { region: 'eu-west-1', status: 'available', imageId: COPY_AP },
                  ],
                },
              ],
              completedAt: TIME,
            },
            ['a'],
          ),
        ),
      subject: `⚠ ${NAME} (${SOURCE}) copied into 2 accounts × regions, 1 skipped`,
      body: [
        `Image: ${NAME}`,
        `Source: ${SOURCE} in us-east-1`,
        'Target accounts (2):',
        `222233334444: eu-west-1 ${COPY_EU}, us-east-1 ${COPY_US}`,
        `555566667777: af-south-1 skipped, eu-west-1 ${COPY_AP}`,
        'Skipped (1):',
        '555566667777 af-south-1: the region is not enabled there',
        'Rule: golden-linux',
      ],
      threadId: SOURCE,
      eventType: 'AMI Account Copies Completed',
    },
    {
      name: 'Target Accounts Changed: who joined, who left, and what happens to each',
      event: () =>
        format(
          toolEvent(
            DetailType.TargetAccountsChanged,
            { rule: 'golden-linux', joined: ['888899990000'], left: ['555566667777'], targets: 12 },
            ['t'],
          ),
        ),
      subject: 'Targets of golden-linux: 1 account joined, 1 account left (12 now)',
      body: [
        'Joined (1):',
        '888899990000',
        'Left (1):',
        '555566667777',
        'Rule: golden-linux',
        "- Each region's next scheduled run copies the current releases into the accounts that joined.",
        '- The accounts that left keep the copies they have; the tool no longer touches them.',
      ],
      threadId: 'targets/golden-linux',
      eventType: 'AMI Target Accounts Changed',
    },
  ];

  it.each(cases)('$name', ({ event, subject, body, threadId, eventType }) => {
    const notification = event();
    expect(notification.subject).toBe(subject);
    expect(notification.subject.length).toBeLessThan(100);
    expect(notification.subject).not.toMatch(CONTROL);
    expect(lines(notification.text)).toEqual(expect.arrayContaining(body));
    // Body lines appear in the order given.
    const at = body.map((line) => lines(notification.text).indexOf(line));
    expect(at).toEqual([...at].sort((a, b) => a - b));

    const { chat } = notification;
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: subject },
      metadata: { threadId, summary: subject, eventType },
    });
    expect(chat.content.description.length).toBeGreaterThan(0);
    for (const arn of chat.metadata.relatedResources)
      expect(arn).toMatch(/^arn:aws:ec2:[a-z0-9-]+::image\/ami-[0-9a-f]+$/);
    // What SNS delivers to Amazon Q: the payload survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(chat))).toEqual(chat);
  });

  it('chat: ids as code, the release as its thread, every image as a related resource, next steps on failures', () => {
    const { chat } = format(copyFailed());
    expect(chat.id).toMatch(/^[0-9a-f]{32}$/);
    expect(chat.content.description).toContain(`✗ \`ap-southeast-2\`  failed: ${KMS}`);
    expect(chat.content.description).toContain(`*Source:* \`${SOURCE}\` in \`us-east-1\``);
    expect(chat.content.nextSteps).toContain(
      'To retry now: `npx ami-lifecycle apply --region ap-southeast-2`.',
    );
    expect(chat.metadata.relatedResources).toEqual([
      `arn:aws:ec2:us-east-1::image/${SOURCE}`,
      `arn:aws:ec2:ap-southeast-2::image/${COPY_AP}`,
      `arn:aws:ec2:eu-west-1::image/${COPY_EU}`,
      `arn:aws:ec2:us-west-2::image/${COPY_US}`,
    ]);
    expect(chat.metadata.additionalContext).toEqual({
      rule: 'golden-linux',
      sourceImageId: SOURCE,
      sourceRegion: 'us-east-1',
      region: 'ap-southeast-2',
    });
    expect(format(completed()).chat.content).not.toHaveProperty('nextSteps');
  });

  it('shared with nobody, and with everyone', () => {
    const none = { accounts: [], organizations: [], organizationalUnits: [], public: false };
    expect(lines(format(completed({ sharedWith: none })).text)).toContain(
      'Shared with: no other account (not public)',
    );
    const everyone = {
      accounts: ['111122223333'],
      organizations: [],
      organizationalUnits: ['ou-ab12-cdef3456'],
      public: true,
    };
    expect(lines(format(completed({ sharedWith: everyone })).text)).toContain(
      'Shared with: account 111122223333; OU ou-ab12-cdef3456; everyone (public)',
    );
  });

  it('a distribution without targets: shared and tagged where it is', () => {
    const regions = [
      { region: 'us-east-1', role: 'source' as const, imageId: SOURCE, status: 'available' as const },
    ];
    expect(format(completed({ regions })).subject).toBe(
      `✓ ${NAME} (${SOURCE}) shared and tagged in us-east-1`,
    );
  });

  describe('the subject SNS accepts, whatever the name', () => {
    const names = [
      ['300 ASCII characters', 'n'.repeat(300)],
      // Both parities: one of them puts the cut between the two halves of a surrogate pair.
      ['emoji across the cut', `golden-${'🚀'.repeat(150)}`],
      ['emoji across the cut, shifted by one', `golden-x${'🚀'.repeat(150)}`],
      ['a family emoji (one grapheme, several code points)', `golden-${'👨‍👩‍👧‍👦'.repeat(40)}`],
      ['line breaks and control characters', `golden\r\nlinux\u0000\u0007\u2028${'x'.repeat(290)}`],
    ] as const;

    it.each(names)('%s', (_, imageName) => {
      for (const n of [format(completed({ imageName })), format(copyFailed({ imageName }))]) {
        expect(n.subject.length).toBeLessThan(100);
        expect(n.subject).not.toMatch(CONTROL);
        expect(n.subject).not.toMatch(LONE_SURROGATE);
        expect(n.subject).toContain('…');
        expect(n.chat.content.title).toBe(n.subject);
        // The part that says what happened and where is kept; the name is what gets shortened.
        expect(n.subject).toMatch(
          / \(ami-0123456789abcdef0\) distributed to 3 regions$| failed in ap-southeast-2$/,
        );
        // Nor does the body break a line inside a value.
        expect(lines(n.text)[0]).toMatch(/^Image: golden|^Image: n+/);
      }
    });
  });

  describe('bodies stay far below SNS 256 KB: lists are capped and say how many more', () => {
    const regions = Array.from({ length: 500 }, (_, i) => ({
      region: `eu-test-${i}`,
      role: 'copy' as const,
      imageId: `ami-${i.toString(16).padStart(17, '0')}`,
      status: 'failed' as const,
      reason: 'r'.repeat(2000),
    }));
    const bytes = (s: string) => new TextEncoder().encode(s).length;

    it('500 regions', () => {
      const n = format(copyFailed({ regions }));
      const regionLines = lines(n.text).filter((l) => l.startsWith('✗ eu-test-'));
      expect(regionLines).toHaveLength(LIMITS.textItems);
      expect(lines(n.text)).toContain(`… and ${500 - LIMITS.textItems} more regions`);
      // One free-text value is clipped too.
      expect(regionLines[0]?.length).toBeLessThan(LIMITS.field + 40);
      expect(n.chat.content.description).toContain(`… and ${500 - LIMITS.chatItems} more regions`);
      expect(n.chat.metadata.relatedResources).toHaveLength(LIMITS.relatedResources);
      expect(bytes(n.text)).toBeLessThan(64 * 1024);
      expect(bytes(JSON.stringify(n.chat))).toBeLessThan(64 * 1024);
    });

    it('500 failures, and 500 accounts', () => {
      const failures = Array.from({ length: 500 }, (_, i) => ({
        ...failure('us-west-2', i),
        message: 'm'.repeat(5000),
      }));
      const n = format(actionsFailed(failures));
      expect(lines(n.text)).toContain(`… and ${500 - LIMITS.textItems} more failures`);
      expect(bytes(n.text)).toBeLessThan(64 * 1024);

      const accounts = Array.from({ length: 500 }, (_, i) => String(100000000000 + i));
      const shared = format(completed({ sharedWith: { ...sharedWith, accounts } }));
      const line = lines(shared.text).find((l) => l.startsWith('Shared with:'));
      expect(line).toContain(`, and ${500 - LIMITS.namedItems} more; organization`);
    });

    it('a reconcile report counts the failures the event left out', () => {
      const failures = Array.from({ length: 50 }, (_, i) => reconcileFailure(i));
      const n = format(reconcileReport(failures, 500));
      expect(lines(n.text)).toContain('Failures (500):');
      expect(lines(n.text)).toContain(`… and ${500 - LIMITS.textItems} more failures`);
      expect(n.chat.content.description).toContain(`… and ${500 - LIMITS.chatItems} more failures`);
    });
  });

  describe('an event that is not one of the tool: one terminal error naming the type and the first issue', () => {
    it('a detail that does not validate', () => {
      const event = envelope(copyFailed());
      const detail = {
        ...copyFailed().detail,
        regions: [{ region: 'eu-west-1', role: 'copy', status: 'gone' }],
      };
      const call = () => formatNotification({ ...event, detail });
      expect(call).toThrow(InvalidEventError);
      expect(call).toThrow(/^not a valid "AMI Copy Failed" event: detail\.regions\.0\.status: /);
    });

    it('a detail missing, with the count of the other issues', () => {
      const call = () => formatNotification({ ...envelope(completed()), detail: { schemaVersion: 1 } });
      expect(call).toThrow(
        /^not a valid "AMI Distribution Completed" event: detail\.eventId: .*\(and \d+ more issues\)$/,
      );
    });

    it('an unknown detail type', () => {
      const call = () => formatNotification({ ...envelope(completed()), 'detail-type': 'AMI Teleported' });
      expect(call).toThrow(InvalidEventError);
      expect(call).toThrow(/^unknown detail type "AMI Teleported": expected one of /);
    });

    it('an envelope from another source', () => {
      const call = () => parseToolEventEnvelope({ ...envelope(completed()), source: 'aws.ec2' });
      expect(call).toThrow(InvalidEventError);
      expect(call).toThrow(/^not an ami-lifecycle event: source: /);
    });

    it('a valid envelope parses as it is', () => {
      expect(parseToolEventEnvelope(envelope(completed()))).toEqual(envelope(completed()));
    });
  });
});
