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
    };
  },
): Promise<MemberSourceFacts> {
  const sources = owned.filter(
    (m) => m.role === 'source' && (input.targets?.get(m.rule.name)?.length ?? 0) > 0,
  );
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
      s.createVolumeUserIds ?? (input.fresh ? [] : await ec2.describeCreateVolumeUserIds(s.snapshotId)),
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
