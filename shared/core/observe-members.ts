import { InvariantError } from './errors.js';
import type { LaunchPermission, ObservedSnapshot } from './model.js';
import { runLimited } from './pool.js';
import type { Ec2Reader, KeysForRegion } from './ports.js';
import type { ManagedImage } from './retire-decide.js';

/**
 * What sharing a source with its rule's target accounts needs to know, read for those sources only
 * (the other images keep the bulk reads): the source's launch permissions (one read an image,
 * however many targets: a listing per account would cost a call per target), its snapshots in one
 * DescribeSnapshots (their KMS keys, which bulk listings do not give), each snapshot's create-volume
 * permissions, and who manages each distinct KMS key (one DescribeKey a key).
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
  },
): Promise<MemberSourceFacts> {
  const sources = owned.filter(
    (m) => m.role === 'source' && (input.targets?.get(m.rule.name)?.length ?? 0) > 0,
  );
  const launchPermissions = new Map<string, LaunchPermission[]>();
  if (sources.length === 0) return { snapshots: [], launchPermissions };
  const snapshotIds = sources.flatMap((m) => m.image.snapshotIds);
  const [described] = await Promise.all([
    snapshotIds.length === 0 ? Promise.resolve([]) : ec2.describeSnapshots(snapshotIds),
    runLimited(sources, input.concurrency, async ({ image }) => {
      launchPermissions.set(
        image.imageId,
        input.fresh ? [] : await ec2.describeLaunchPermissions(image.imageId),
      );
    }),
  ]);
  const users = new Map<string, string[]>();
  await runLimited(described, input.concurrency, async (s) => {
    users.set(s.snapshotId, input.fresh ? [] : await ec2.describeCreateVolumeUserIds(s.snapshotId));
  });
  const keyIds = [...new Set(described.flatMap((s) => (s.encrypted && s.kmsKeyId ? [s.kmsKeyId] : [])))];
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
  const snapshots = described.map((s): ObservedSnapshot => {
    const manager = s.kmsKeyId === undefined ? undefined : managers.get(s.kmsKeyId);
    return {
      ...s,
      createVolumeUserIds: users.get(s.snapshotId) ?? [],
      ...(manager === undefined ? {} : { kmsKeyManager: manager }),
    };
  });
  return { snapshots, launchPermissions };
}
