import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../shared/core/errors.js';
import type { OrganizationsReader } from '../../shared/core/ports.js';
import { cachingOrganizations, resolveTargets } from '../../shared/core/targets.js';
import { ACCOUNT, rule } from './builders.js';

/** Target accounts resolved through Organizations, over an object-literal reader that counts its calls. */

const OU = (id: string) => `arn:aws:organizations::111122223333:ou/o-exampleorg1/${id}`;
const ORG = 'arn:aws:organizations::111122223333:organization/o-exampleorg1';

function organization() {
  const calls: string[] = [];
  const tree: Record<string, { accounts: { id: string; status: string }[]; ous: string[] }> = {
    'r-ab12': { accounts: [{ id: ACCOUNT, status: 'ACTIVE' }], ous: ['ou-ab12-11111111'] },
    'ou-ab12-11111111': {
      accounts: [
        { id: '222222222222', status: 'ACTIVE' },
        { id: '555555555555', status: 'SUSPENDED' },
      ],
      ous: ['ou-ab12-22222222'],
    },
    'ou-ab12-22222222': { accounts: [{ id: '333333333333', status: 'ACTIVE' }], ous: [] },
  };
  const reader: OrganizationsReader = {
    listRoots: async () => {
      calls.push('roots');
      return ['r-ab12'];
    },
    listChildOus: async (parent) => {
      calls.push(`ous ${parent}`);
      return tree[parent]?.ous ?? [];
    },
    listAccountsForParent: async (parent) => {
      calls.push(`accounts ${parent}`);
      return tree[parent]?.accounts ?? [];
    },
  };
  return { calls, reader };
}

const targeting = (name: string, accounts: Record<string, unknown>) =>
  rule({
    name,
    match: { regions: ['us-east-1'], names: [`${name}-*`] },
    share: undefined,
    accounts: { regions: ['us-east-1'], ...accounts },
  });

describe('resolveTargets', () => {
  it('finds the active accounts under an OU and its child OUs, adds the named ones, and drops exclusions and the hub', async () => {
    const { reader } = organization();
    const resolved = await resolveTargets(
      [
        targeting('golden', {
          ids: ['444444444444', ACCOUNT],
          organizationalUnits: [OU('ou-ab12-11111111')],
          exclude: ['333333333333'],
        }),
      ],
      ACCOUNT,
      () => reader,
    );
    expect(resolved).toEqual({
      accounts: new Map([['golden', ['222222222222', '444444444444']]]),
      failures: [],
    });
  });

  it('an organization means every active account under its roots; each parent is read once however many rules name it', async () => {
    const { reader, calls } = organization();
    const resolved = await resolveTargets(
      [
        targeting('golden', { organizations: [ORG] }),
        targeting('windows', { organizationalUnits: [OU('ou-ab12-22222222')] }),
      ],
      ACCOUNT,
      () => reader,
    );
    expect(resolved.accounts.get('golden')).toEqual(['222222222222', '333333333333']);
    expect(resolved.accounts.get('windows')).toEqual(['333333333333']);
    expect(calls.filter((c) => c === 'accounts ou-ab12-22222222')).toHaveLength(1);
  });

  it('a rule whose OUs cannot be read keeps its named accounts and reports the failure; the other rules resolve', async () => {
    const { reader } = organization();
    const denied: OrganizationsReader = {
      ...reader,
      listAccountsForParent: async () => {
        throw new AwsCallError(
          'ListAccountsForParent',
          'us-east-1',
          Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: {} }),
        );
      },
    };
    const resolved = await resolveTargets(
      [
        targeting('golden', {
          ids: ['444444444444'],
          organizationalUnits: [OU('ou-ab12-11111111')],
          organizationsRole: 'arn:aws:iam::111122223333:role/reader',
        }),
        targeting('named', { ids: ['222222222222'] }),
      ],
      ACCOUNT,
      (role) => (role === undefined ? reader : denied),
    );
    expect(resolved.accounts.get('golden')).toEqual(['444444444444']);
    expect(resolved.accounts.get('named')).toEqual(['222222222222']);
    expect(resolved.failures.map((f) => `${f.rule}: ${f.error.code}`)).toEqual([
      'golden: AccessDeniedException',
    ]);
  });
});

describe('cachingOrganizations', () => {
  it('answers from memory until the time to live runs out, then asks again; a failure is not kept', async () => {
    const { reader, calls } = organization();
    let clock = 0;
    let failNext = false;
    const flaky: OrganizationsReader = {
      ...reader,
      listRoots: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('throttled');
        }
        return reader.listRoots();
      },
    };
    const cached = cachingOrganizations(
      () => flaky,
      60_000,
      () => clock,
    );
    const rules = [targeting('golden', { organizations: [ORG] })];
    await resolveTargets(rules, ACCOUNT, cached);
    await resolveTargets(rules, ACCOUNT, cached);
    expect(calls.filter((c) => c === 'roots')).toHaveLength(1);
    clock = 60_000;
    failNext = true;
    await expect(cached(undefined).listRoots()).rejects.toThrow('throttled');
    expect((await resolveTargets(rules, ACCOUNT, cached)).accounts.get('golden')).toEqual([
      '222222222222',
      '333333333333',
    ]);
    expect(calls.filter((c) => c === 'roots')).toHaveLength(2);
  });
});
