import { DEFAULT_REGIONS } from '@ami-lifecycle/emulator/ec2/index.js';
import type { OrganizationSeed } from '@ami-lifecycle/emulator/organizations/index.js';
import { parseRules } from '../shared/rules/load.js';
import type { Rule } from '../shared/rules/schema.js';
import { SOURCE_REGION } from './scale.js';

/** The org bench's organization, accounts and rules (`bench/org.ts`), shared with its worker threads. */

const OU = 'ou-bnch-workload';
const NESTED_OU = 'ou-bnch-teams000';
const ORG = 'o-bench00000';
/** A member account's id: 12 digits. */
const memberId = (i: number) => String(200_000_000_000 + i);
/** Outside the OU: each runs its R items alone after the timed run, for τ (median of their items). */
export const CALIBRATION = Array.from({ length: 12 }, (_, i) => String(299_999_999_980 + i));
/**
 * Outside the OU: the warm-up's accounts, enough items (60 R) that the code paths are compiled and
 * optimised before timing, as they are by the time the calibration runs.
 */
export const WARM = Array.from({ length: 60 }, (_, i) => String(299_999_999_900 + i));

/** Hub and calibration accounts at the root; half the members in the OU, half in an OU inside it. */
export function organizationSeed(hub: string, accounts: number): OrganizationSeed {
  const account = (id: string) => ({ account: { id, name: `acct-${id}`, email: `a${id}@example.com` } });
  const members = Array.from({ length: accounts }, (_, i) => memberId(i));
  const half = Math.ceil(accounts / 2);
  return {
    id: ORG,
    managementAccountId: hub,
    roots: [
      {
        id: 'r-bnch',
        children: [
          account(hub),
          ...[...WARM, ...CALIBRATION].map(account),
          {
            ou: {
              id: OU,
              name: 'workloads',
              children: [
                ...members.slice(0, half).map(account),
                { ou: { id: NESTED_OU, name: 'teams', children: members.slice(half).map(account) } },
              ],
            },
          },
        ],
      },
    ],
  };
}

/**
 * The rule: the hub's `org-*` images of us-east-1 into every target account's R regions. `warm`: the
 * same work for the warm-up accounts (outside the OU), on `warm-*` images, run before timing.
 */
export function orgRules(hub: string, regions: readonly string[], warm = false): Rule[] {
  const accounts = warm
    ? `ids: [${WARM.map((id) => `'${id}'`).join(', ')}]`
    : `organizationalUnits: ['arn:aws:organizations::${hub}:ou/${ORG}/${OU}']`;
  const name = warm ? 'warm' : 'org';
  return [
    ...parseRules(`
version: 1
rules:
  - name: ${name}
    match: { regions: [${SOURCE_REGION}], names: ['${name}-*'] }
    accounts:
      ${accounts}
      regions: [${regions.join(', ')}]
`).rules,
  ];
}

/** The R regions: the source region and the emulator's next ones. */
export function orgRegions(count: number): string[] {
  const regions = [SOURCE_REGION, ...DEFAULT_REGIONS.filter((r) => r !== SOURCE_REGION)].slice(0, count);
  if (regions.length < count) throw new Error(`--regions: the emulator has ${regions.length} regions`);
  return regions;
}
