import { InvariantError } from './errors.js';
import type { LaunchPermission, ObservedSnapshot } from './model.js';
import { runLimited } from './pool.js';
import type { Ec2Reader, KeysForRegion } from './ports.js';
import type { ManagedImage } from './retire-decide.js';

/**
 * What sharing a source with its rule's target accounts needs to know, read for those sources only
 * (the other images keep the bulk reads) and only where the caller has not read it already: the
 * source's launch permissions (one read an image, however many targets: a listing per account
 * would cost a call per target), its snapshots' KMS keys (one DescribeSnapshots for the snapshots
 * no listing gave), each snapshot's create-volume permissions, and who manages each distinct KMS
 * key (one DescribeKey a key).
 */
export interface MemberSourceFacts {
  readonly snapshots: readonly ObservedSnapshot[];
  readonly launchPermissions: ReadonlyMap<string, LaunchPermission[]>;
}

export async function observeMemberSources(
  ec2: Ec2Reader,
  owned: readonly ManagedImage[],
  input: {
    readonly region: string;
    readonly targets?: ReadonlyMap<string, readonly string[]>;
    readonly kms?: KeysForRegion;
    readonly concurrency: number;
    /** The sources are new to the tool: no grants yet, so only their snapshots (the keys) are read. */
    readonly fresh?: boolean;
    /**
     * What the caller read already, not read again: snapshots (a listing or DescribeSnapshots
     * gives their keys; their create-volume permissions when they were read too), and launch
     * permissions by image.
     */
    readonly known?: {
      readonly snapshots?: ReadonlyMap<string, ObservedSnapshot>;
      readonly launchPermissions?: ReadonlyMap<string, readonly LaunchPermission[]>;
      /** Snapshot id → the accounts granted create-volume permission, from listings per account. */
      readonly createVolumeUserIds?: ReadonlyMap<string, readonly string[]>;
    };
  },
): Promise<MemberSourceFacts> {
  const sources = sharedWithTargets(owned, input.targets);
  const launchPermissions = new Map<string, LaunchPermission[]>();
  if (sources.length === 0) return { snapshots: [], launchPermissions };
  const known = input.known?.snapshots ?? new Map<string, ObservedSnapshot>();
  const unknown = sources.flatMap((m) => m.image.snapshotIds).filter((id) => !known.has(id));
  const [described] = await Promise.all([
    unknown.length === 0 ? Promise.resolve([]) : ec2.describeSnapshots(unknown),
    runLimited(sources, input.concurrency, async ({ image }) => {
      const read = input.known?.launchPermissions?.get(image.imageId);
      launchPermissions.set(
        image.imageId,
        read !== undefined
          ? [...read]
          : input.fresh
            ? []
            : await ec2.describeLaunchPermissions(image.imageId),
      );
    }),
  ]);
  const byId = new Map([...known, ...described.map((d) => [d.snapshotId, d] as const)]);
  const snapshotsOf = sources.flatMap((m) => m.image.snapshotIds.flatMap((id) => byId.get(id) ?? []));
  const users = new Map<string, readonly string[]>();
  await runLimited(snapshotsOf, input.concurrency, async (s) => {
    users.set(
      s.snapshotId,
      s.createVolumeUserIds ??
        input.known?.createVolumeUserIds?.get(s.snapshotId) ??
        (input.fresh ? [] : await ec2.describeCreateVolumeUserIds(s.snapshotId)),
    );
  });
  const keyIds = [...new Set(snapshotsOf.flatMap((s) => (s.encrypted && s.kmsKeyId ? [s.kmsKeyId] : [])))];
  const managers = new Map<string, 'AWS' | 'CUSTOMER'>();
  if (keyIds.length > 0) {
    if (input.kms === undefined) {
      throw new InvariantError(
        `sources in ${input.region} are encrypted and shared with target accounts, and the run was given no KMS port`,
      );
    }
    const kms = input.kms(input.region);
    await runLimited(keyIds, input.concurrency, async (keyId) => {
      const key = await kms.describeKey(keyId);
      if (key !== undefined) managers.set(keyId, key.manager);
    });
  }
  const snapshots = snapshotsOf.map((s): ObservedSnapshot => {
    const manager = s.kmsKeyId === undefined ? undefined : managers.get(s.kmsKeyId);
    return {
      ...s,
      createVolumeUserIds: users.get(s.snapshotId) ?? [],
      ...(manager === undefined ? {} : { kmsKeyManager: manager }),
    };
  });
  return { snapshots, launchPermissions };
}

/** The sources of rules with target accounts: those sharing with them is about. */
function sharedWithTargets(
  owned: readonly ManagedImage[],
  targets: ReadonlyMap<string, readonly string[]> | undefined,
): ManagedImage[] {
  return owned.filter((m) => m.role === 'source' && (targets?.get(m.rule.name) ?? []).length > 0);
}

/** An account's listing: the ids of the images it may launch, or of the snapshots it may restore. */
type Listing = readonly [account: string, ids: ReadonlySet<string>];

/** The accounts whose listing holds `id`: those granted on that image or snapshot. */
export function grantees(listings: readonly Listing[], id: string): string[] {
  return listings.filter(([, ids]) => ids.has(id)).map(([account]) => account);
}

/**
 * The target accounts whose permissions a scheduled run lists in bulk rather than reading them
 * per source: one listing per account (DescribeImages `ExecutableUsers`, DescribeSnapshots
 * `RestorableByUserIds`) answers for every image or snapshot at once, one read per image or
 * snapshot (DescribeImageAttribute, DescribeSnapshotAttribute) for every account at once. The
 * cheaper is taken, launch and create-volume permissions apart; accounts listed anyway (the rules'
 * `share.accounts`) cost nothing more. Both give the plan the same facts for the grants it wants:
 * explicit grants to those accounts.
 */
export function memberListings(
  sources: readonly ManagedImage[],
  input: {
    readonly targets: ReadonlyMap<string, readonly string[]>;
    readonly accountId: string;
    /** Accounts listed anyway. */
    readonly launch: readonly string[];
    readonly volume: readonly string[];
    /** Sources whose launch permissions are read whole anyway (shared with organizations or OUs). */
    readonly readWhole: (m: ManagedImage) => boolean;
  },
): {
  /** The accounts to list besides those listed anyway; undefined: read per source instead. */
  readonly launch: string[] | undefined;
  readonly volume: string[] | undefined;
} {
  const accounts = [...new Set(sources.flatMap((m) => input.targets.get(m.rule.name) ?? []))].filter(
    (a) => a !== input.accountId,
  );
  const launch = accounts.filter((a) => !input.launch.includes(a));
  const volume = accounts.filter((a) => !input.volume.includes(a));
  const perImage = sources.filter((m) => !input.readWhole(m)).length;
  const perSnapshot = sources.reduce((n, m) => n + m.image.snapshotIds.length, 0);
  return {
    launch: launch.length < perImage ? launch : undefined,
    volume: volume.length < perSnapshot ? volume : undefined,
  };
}

/**
 * What listings per account say of the sources (see `memberListings`): each source's explicit
 * launch permissions for the listed accounts, and each snapshot's create-volume permissions.
 */
function knownFromListings(
  sources: readonly ManagedImage[],
  executable: readonly Listing[],
  restorable: readonly Listing[],
): {
  launchPermissions: Map<string, LaunchPermission[]>;
  createVolumeUserIds: Map<string, string[]>;
} {
  return {
    launchPermissions: new Map(
      sources.map(({ image }) => [
        image.imageId,
        grantees(executable, image.imageId).map((id) => ({ kind: 'account' as const, id })),
      ]),
    ),
    createVolumeUserIds: new Map(
      sources.flatMap(({ image }) => image.snapshotIds.map((id) => [id, grantees(restorable, id)] as const)),
    ),
  };
}

/**
 * The listings per account a scheduled run makes: the rules' `share.accounts` always, and the
 * target accounts of the sources shared with them when that is cheaper than reading each source's
 * permissions (`memberListings`); what they say of those sources is `known` for
 * `observeMemberSources`.
 */
export async function listPermissions(
  ec2: Ec2Reader,
  owned: readonly ManagedImage[],
  input: Parameters<typeof memberListings>[1],
): Promise<{
  readonly executable: readonly Listing[];
  readonly restorable: readonly Listing[];
  readonly known: {
    readonly launchPermissions: ReadonlyMap<string, LaunchPermission[]>;
    readonly createVolumeUserIds?: ReadonlyMap<string, readonly string[]>;
  };
}> {
  const sources = sharedWithTargets(owned, input.targets);
  const bulk = memberListings(sources, input);
  const list = (accounts: readonly string[], read: (account: string) => Promise<ReadonlySet<string>>) =>
    Promise.all(accounts.map(async (a): Promise<Listing> => [a, await read(a)]));
  const [executable, restorable] = await Promise.all([
    list([...input.launch, ...(bulk.launch ?? [])], (a) => ec2.imagesExecutableBy(a)),
    list([...input.volume, ...(bulk.volume ?? [])], (a) => ec2.snapshotsRestorableBy(a)),
  ]);
  const listed = knownFromListings(
    sources.filter((m) => !input.readWhole(m)),
    executable,
    restorable,
  );
  return {
    executable,
    restorable,
    known: {
      launchPermissions: bulk.launch ? listed.launchPermissions : new Map(),
      ...(bulk.volume ? { createVolumeUserIds: listed.createVolumeUserIds } : {}),
    },
  };
}
