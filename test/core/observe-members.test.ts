import { describe, expect, it } from 'vitest';
import { memberListings } from '../../shared/core/observe-members.js';
import type { ManagedImage } from '../../shared/core/retire-decide.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ACCOUNT, image, rule } from './builders.js';

/**
 * Which target accounts a scheduled run lists in bulk (one listing an account answers for every
 * source) rather than reading each source's permissions (one read a source, or a snapshot, answers
 * for every account): the cheaper, launch and create-volume permissions apart. Each row says why.
 */

const ACCOUNTS = { ids: ['222222222222', '333333333333'], regions: ['us-east-1'] };
const TARGETING = rule({ share: undefined, accounts: ACCOUNTS });
const BY_ORGANIZATION = rule({
  name: 'by-org',
  share: { organizations: ['arn:aws:organizations::111122223333:organization/o-exampleorg1'] },
  accounts: ACCOUNTS,
});

/** `n` sources of the rule, `snapshots` each. */
const sources = (n: number, r: Rule = TARGETING, snapshots = 1): ManagedImage[] =>
  Array.from({ length: n }, (_, i) => {
    const img = image({
      imageId: `ami-0${String(i).padStart(16, '0')}`,
      snapshotIds: Array.from({ length: snapshots }, (_, s) => `snap-0${i}${s}`.padEnd(22, '0')),
    });
    return { image: img, rule: r, role: 'source', sourceImageId: img.imageId, sourceRegion: 'us-east-1' };
  });

const targets = new Map([
  [TARGETING.name, ACCOUNTS.ids],
  [BY_ORGANIZATION.name, ACCOUNTS.ids],
]);
const input = (listed: { launch?: string[]; volume?: string[] } = {}) => ({
  targets,
  accountId: ACCOUNT,
  launch: listed.launch ?? [],
  volume: listed.volume ?? [],
  readWhole: (m: ManagedImage) => m.rule.name === BY_ORGANIZATION.name,
});

describe('memberListings', () => {
  it.each([
    {
      why: 'three sources, two accounts: two listings of each kind instead of three reads',
      sources: sources(3),
      listed: {},
      expected: { launch: ACCOUNTS.ids, volume: ACCOUNTS.ids },
    },
    {
      why: 'one source, two accounts: one read of each kind instead of two listings',
      sources: sources(1),
      listed: {},
      expected: { launch: undefined, volume: undefined },
    },
    {
      why: 'two sources, two accounts: a tie keeps the reads per source',
      sources: sources(2),
      listed: {},
      expected: { launch: undefined, volume: undefined },
    },
    {
      why: 'one source with two snapshots: per source for launch permissions, listings for the snapshots would tie, so reads',
      sources: sources(1, TARGETING, 2),
      listed: {},
      expected: { launch: undefined, volume: undefined },
    },
    {
      why: 'one source with three snapshots: the snapshots are listed per account, its launch permissions read',
      sources: sources(1, TARGETING, 3),
      listed: {},
      expected: { launch: undefined, volume: ACCOUNTS.ids },
    },
    {
      why: 'accounts the run lists anyway (share.accounts) cost nothing more: nothing to add, and the listings answer',
      sources: sources(1),
      listed: { launch: ACCOUNTS.ids, volume: ACCOUNTS.ids },
      expected: { launch: [], volume: [] },
    },
    {
      why: 'sources shared with an organization have their launch permissions read whole anyway: only their snapshots count',
      sources: sources(3, BY_ORGANIZATION),
      listed: {},
      expected: { launch: undefined, volume: ACCOUNTS.ids },
    },
    {
      why: 'the account the tool runs in is never listed',
      sources: sources(3),
      listed: {},
      targetsOf: [ACCOUNT, '222222222222'],
      expected: { launch: ['222222222222'], volume: ['222222222222'] },
    },
  ])('$why', ({ sources: s, listed, targetsOf, expected }) => {
    const base = input(listed);
    const withTargets = targetsOf ? { ...base, targets: new Map([[TARGETING.name, targetsOf]]) } : base;
    expect(memberListings(s, withTargets)).toEqual(expected);
  });
});
