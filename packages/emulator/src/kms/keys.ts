import { ACCOUNT_ID } from '../accounts.js';
import { defaultEbsKmsKeyArn } from '../ec2/model.js';

/**
 * The KMS keys the local KMS knows, per account and region: every account's AWS managed EBS key
 * (`alias/aws/ebs`) in every region, whose ARN is the one EC2 encrypts with by default, and the
 * customer managed keys seeded (`kmsKeys`), with their aliases and the other accounts their key
 * policy lets use them (`usableBy`; key policies themselves are not modelled).
 */

export interface KmsKeySeed {
  accountId: string;
  region: string;
  /** The key id, a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`). */
  keyId: string;
  /** Alias names, `alias/<name>`; not `alias/aws/…`, which AWS reserves for its managed keys. */
  aliases?: readonly string[];
  /** Other accounts the key policy allows to use the key (by key ARN or alias ARN). */
  usableBy?: readonly string[];
  /** Default empty, as CreateKey's. */
  description?: string;
}

export type KeyManager = 'AWS' | 'CUSTOMER';

export interface KmsKey {
  readonly accountId: string;
  readonly region: string;
  readonly keyId: string;
  readonly arn: string;
  readonly manager: KeyManager;
  readonly description: string;
  readonly usableBy: ReadonlySet<string>;
}

/** The alias of the AWS managed key EBS (and so EC2) encrypts with when no other key is given. */
export const EBS_ALIAS = 'alias/aws/ebs';

/** The managed EBS key's description, as accounts' exported key configurations show it. */
export const EBS_KEY_DESCRIPTION = 'Default key that protects my EBS volumes when no other key is defined';

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** CreateAlias's `AliasName` pattern. */
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** `arn:aws:kms:<region>:<account>:key/<id>` or `…:alias/<name>`: what each names, or undefined. */
const KMS_ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):((?:key|alias)\/.+)$/;

export interface KmsArn {
  region: string;
  accountId: string;
  /** `key` with a key id, `alias` with an alias name (`alias/<name>`). */
  kind: 'key' | 'alias';
  name: string;
}

export function parseKmsArn(arn: string): KmsArn | undefined {
  const match = KMS_ARN.exec(arn);
  if (match === null) return undefined;
  const [, region = '', accountId = '', resource = ''] = match;
  return resource.startsWith('key/')
    ? { region, accountId, kind: 'key', name: resource.slice('key/'.length) }
    : { region, accountId, kind: 'alias', name: resource };
}

export const kmsArn = (region: string, accountId: string, resource: string) =>
  `arn:aws:kms:${region}:${accountId}:${resource}`;

/** Whether a key id has the form of one (a UUID; multi-Region `mrk-` keys are not emulated). */
export const isKeyId = (keyId: string) => KEY_ID.test(keyId);

function ebsKey(region: string, accountId: string): KmsKey {
  const arn = defaultEbsKmsKeyArn(region, accountId);
  return {
    accountId,
    region,
    keyId: arn.slice(arn.indexOf(':key/') + ':key/'.length),
    arn,
    manager: 'AWS',
    description: EBS_KEY_DESCRIPTION,
    usableBy: new Set(),
  };
}

function checkSeed(seed: KmsKeySeed): void {
  const where = `kmsKeys: key ${seed.keyId}`;
  if (!ACCOUNT_ID.test(seed.accountId)) throw new RangeError(`${where}: accountId must be 12 digits`);
  if (!REGION.test(seed.region)) throw new RangeError(`${where}: ${seed.region} is not a region code`);
  if (!isKeyId(seed.keyId)) throw new RangeError(`${where}: keyId must be a UUID`);
  for (const alias of seed.aliases ?? []) {
    if (!ALIAS_NAME.test(alias))
      throw new RangeError(`${where}: ${alias} is not an alias name (alias/<name>)`);
    if (alias.startsWith('alias/aws/'))
      throw new RangeError(`${where}: ${alias}: the alias/aws/ prefix is reserved for AWS managed keys`);
  }
  for (const account of seed.usableBy ?? []) {
    if (!ACCOUNT_ID.test(account))
      throw new RangeError(`${where}: usableBy ${account} is not a 12-digit account id`);
  }
}

export class KmsKeys {
  /** Customer managed keys by key ARN. */
  private readonly keys = new Map<string, KmsKey>();
  /** Alias ARN → key ARN. */
  private readonly aliases = new Map<string, string>();

  constructor(seeds: readonly KmsKeySeed[] = []) {
    for (const seed of seeds) {
      checkSeed(seed);
      const arn = kmsArn(seed.region, seed.accountId, `key/${seed.keyId}`);
      if (this.keys.has(arn) || seed.keyId === ebsKey(seed.region, seed.accountId).keyId)
        throw new RangeError(
          `kmsKeys: key ${seed.keyId} is seeded twice in ${seed.accountId} ${seed.region}`,
        );
      this.keys.set(arn, {
        accountId: seed.accountId,
        region: seed.region,
        keyId: seed.keyId,
        arn,
        manager: 'CUSTOMER',
        description: seed.description ?? '',
        usableBy: new Set(seed.usableBy ?? []),
      });
      for (const alias of seed.aliases ?? []) {
        const aliasArn = kmsArn(seed.region, seed.accountId, alias);
        if (this.aliases.has(aliasArn))
          throw new RangeError(`kmsKeys: ${alias} names two keys in ${seed.accountId} ${seed.region}`);
        this.aliases.set(aliasArn, arn);
      }
    }
  }

  /** The key with this id in the account and region: the managed EBS key's, or a seeded one. */
  byKeyId(region: string, accountId: string, keyId: string): KmsKey | undefined {
    const managed = ebsKey(region, accountId);
    return managed.keyId === keyId ? managed : this.keys.get(kmsArn(region, accountId, `key/${keyId}`));
  }

  /** The key an alias of the account and region names; `alias/aws/ebs` is in every one. */
  byAlias(region: string, accountId: string, alias: string): KmsKey | undefined {
    if (alias === EBS_ALIAS) return ebsKey(region, accountId);
    const target = this.aliases.get(kmsArn(region, accountId, alias));
    return target === undefined ? undefined : this.keys.get(target);
  }

  /** The key a key ARN or alias ARN names, or undefined. */
  byArn(arn: string): KmsKey | undefined {
    const parsed = parseKmsArn(arn);
    if (parsed === undefined) return undefined;
    const { region, accountId, kind, name } = parsed;
    return kind === 'key' ? this.byKeyId(region, accountId, name) : this.byAlias(region, accountId, name);
  }

  /**
   * Whether `accountId` may use `key`: its own account always; another account only a customer
   * managed key whose policy allows it (`usableBy`). An AWS managed key's policy allows its own
   * account only, and cannot be changed.
   */
  usableBy(key: KmsKey, accountId: string): boolean {
    return key.accountId === accountId || (key.manager === 'CUSTOMER' && key.usableBy.has(accountId));
  }
}
