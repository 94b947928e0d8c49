import type { Rule } from './schema.js';

/**
 * Checks of a rule's `accounts` section that no single field can make. Each problem names the field
 * and quotes the value.
 */
export function accountsChecks(rule: Rule): string[] {
  const accounts = rule.accounts;
  if (accounts === undefined) return [];
  const problems: string[] = [];
  const foreignOwners = rule.match.owners.filter((o) => o !== 'self');
  if (foreignOwners.length > 0) {
    problems.push(
      `accounts: refused: match.owners includes ${foreignOwners.map((o) => `"${o}"`).join(', ')}; ` +
        'only images the account owns can be shared with the target accounts that copy them',
    );
  }
  if (accounts.ids.length + accounts.organizations.length + accounts.organizationalUnits.length === 0) {
    problems.push(
      'accounts: name target accounts in accounts.ids, accounts.organizations or accounts.organizationalUnits',
    );
  }
  for (const id of accounts.exclude) {
    if (accounts.ids.includes(id)) {
      problems.push(`accounts.exclude: "${id}" is also in accounts.ids; remove it from one of them`);
    }
  }
  const keyed: { field: string; region: string; key: string; account?: string }[] = [
    ...Object.entries(accounts.kmsKeys).map(([region, key]) => ({
      field: `accounts.kmsKeys.${region}`,
      region,
      key,
    })),
    ...Object.entries(accounts.accountKmsKeys).flatMap(([account, keys]) =>
      Object.entries(keys).map(([region, key]) => ({
        field: `accounts.accountKmsKeys.${account}.${region}`,
        region,
        key,
        account,
      })),
    ),
  ];
  for (const { field, region, key, account } of keyed) {
    if (!accounts.regions.includes(region)) {
      problems.push(`${field}: ${region} is not one of accounts.regions`);
    }
    const arn = key.match(/^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):/);
    if (arn?.[1] !== undefined && arn[1] !== region) {
      problems.push(`${field}: "${key}" is in ${arn[1]}; KMS keys are regional`);
    }
    if (account !== undefined && arn?.[2] !== undefined && arn[2] !== account) {
      problems.push(
        `${field}: "${key}" belongs to account ${arn[2]}, not ${account}; a copy is encrypted with a key of the account that owns it`,
      );
    }
    if (key === 'alias/aws/ebs') {
      problems.push(`${field}: alias/aws/ebs is the default key; leave the region out of the keys to use it`);
    }
  }
  if (keyed.length > 0 && !accounts.encrypted) {
    problems.push('accounts.kmsKeys: KMS keys need accounts.encrypted: true');
  }
  return problems;
}
