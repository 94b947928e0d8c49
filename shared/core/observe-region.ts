import type { Rule } from '../rules/schema.js';
import type { PlanNote } from './actions.js';
import { AwsCallError, InvariantError } from './errors.js';
import { type ImageRole, identifyImage, sourceToLookUp } from './identify.js';
import {
  type ImageDetail,
  type LaunchPermission,
  LINEAGE,
  type ObservedImage,
  type ObservedSnapshot,
} from './model.js';
import { grantees, listPermissions, observeMemberSources } from './observe-members.js';
import { observePointersOf } from './observe-pointers.js';
import type { ObservedPointers } from './pointers-model.js';
import { runLimited } from './pool.js';
import type { Ec2ForRegion, Ec2Reader, KeysForRegion, SsmForRegion, SsmPort } from './ports.js';
import { protectedImages, publishingRulesIn } from './region-pointers.js';
import { decideRetirement, type ManagedImage, type RetirementDecision } from './retire-decide.js';
import { retirementCandidates, type SafetyFacts } from './retire-plan.js';

/**
 * Observing one region for the scheduled reconcile: read-only, and bounded. Whatever the number of
 * images, a run reads:
 *
 * - one paginated listing of the account's own images here (sources and copies, any state);
 * - per rule that concerns the region, one paginated listing of its sources in each of its source
 *   regions (by owners and name globs), each listing made once a run and none for this region's
 *   own images, which the first listing already holds;
 * - one paginated listing of the snapshots here that carry the tool's tag (their tags, and the
 *   retired snapshots a failed deletion left);
 * - per account the rules share with, one listing of the images it can launch and one of the
 *   snapshots it can create volumes from;
 * - for the rules with pointers here, one GetParameters per 10 of their parameters (the rules'
 *   states included) and one DescribeLaunchTemplateVersions per named template;
 *
 * plus the reads EC2 has no bulk form for: launch permissions of images shared with organizations
 * or OUs (one per image), the source of a copy that lost its lineage tags, and for the images a
 * deregistration is pending for, their references (and, for an orphan, its source). A region that
 * is converged therefore costs the same reads on every run, and no writes.
 */

export interface RegionInventory {
  readonly region: string;
  readonly accountId: string;
  /** Every image the account owns here, any state. */
  readonly own: readonly ObservedImage[];
  /** Rule name → its target accounts, as resolved for this run (`ObserveRegionInput.targets`). */
  readonly targets?: ReadonlyMap<string, readonly string[]>;
  /** Per rule that concerns the region, its sources in all its source regions. */
  readonly sourcesByRule: ReadonlyMap<string, readonly ObservedImage[]>;
  /** Rules with a source region that could not be listed: not retired on a partial view. */
  readonly partial: ReadonlySet<string>;
  /** The managed images of this region: its sources, and the copies in it. */
  readonly managed: readonly ManagedImage[];
  /** Managed images here as the planner compares them (snapshots and permissions read in bulk). */
  readonly details: ReadonlyMap<string, ImageDetail>;
  /** The snapshots here that carry the tool's tag. */
  readonly toolSnapshots: readonly ObservedSnapshot[];
  /** Retirement decisions per rule (rules with `retire`, fully listed). */
  readonly decisions: ReadonlyMap<string, ReadonlyMap<string, RetirementDecision>>;
  /** Safety facts of the images a deregistration is pending for. */
  readonly safety: ReadonlyMap<string, SafetyFacts>;
  /** The pointers of every rule with pointers here, by rule name. */
  readonly pointers: ReadonlyMap<string, ObservedPointers>;
  /** Images a pointer names (or a rollback pin holds), with why: never deprecated, disabled or deregistered. */
  readonly protectedImages: ReadonlyMap<string, string>;
  /** Reads that failed for one image (its safety facts): that image is left alone, the rest go on. */
  readonly failures: readonly AwsCallError[];
  readonly notes: readonly PlanNote[];
}

export interface ObserveRegionInput {
  readonly rules: readonly Rule[];
  readonly region: string;
  readonly accountId: string;
  readonly ec2: Ec2ForRegion;
  /** SSM, for the rules with pointers (`publish`) here. */
  readonly ssm?: SsmForRegion;
  readonly now: Date;
  /** Reads in flight at once for the per-image reads. */
  readonly concurrency: number;
  /** Whether to observe what retirement needs (rules with `retire`). */
  readonly retirement: boolean;
  /** Rule name → its target accounts (resolved `accounts`): this region's sources are shared with them. */
  readonly targets?: ReadonlyMap<string, readonly string[]>;
  /** KMS here, to tell the AWS managed key of a source shared with target accounts. */
  readonly kms?: KeysForRegion;
  /**
   * The run acts in a target account (`reconcileMember`): its copies are tagged by CopyImage and
   * never after (the member role may tag only at creation), and it retires nothing, so the tool's
   * snapshot listing, which serves tag repair and the sweep, is not read.
   */
  readonly copyOnly?: boolean;
}

export async function observeRegion(input: ObserveRegionInput): Promise<RegionInventory> {
  const { rules, region, accountId, ec2 } = input;
  const here = ec2(region);
  const notes: PlanNote[] = [];
  const own = await here.listImages({ owners: ['self'] });

  // Sources of every rule that picks up sources here or copies into here, per source region.
  const concerned = rules.filter((r) => r.match.regions.includes(region) || r.copy?.regions.includes(region));
  const listings = new Map<string, Promise<ObservedImage[]>>();
  const list = (where: string, rule: Rule): Promise<ObservedImage[]> => {
    const { owners, names } = rule.match;
    const key = JSON.stringify([where, [...owners].sort(), names ? [...names].sort() : null]);
    let listing = listings.get(key);
    if (listing === undefined) {
      listing =
        where === region && owners.length === 1 && owners[0] === 'self'
          ? Promise.resolve(own)
          : ec2(where).listImages(names === undefined ? { owners } : { owners, names });
      listings.set(key, listing);
    }
    return listing;
  };
  const listed = new Map<string, ObservedImage[]>();
  const partial = new Set<string>();
  await Promise.all(
    concerned.flatMap((rule) =>
      rule.match.regions.map(async (where) => {
        try {
          const images = await list(where, rule);
          listed.set(`${rule.name}/${where}`, images);
        } catch (error) {
          if (!(error instanceof AwsCallError) || where === region) throw error;
          notes.push({
            region: where,
            message: `rule ${rule.name}: sources in ${where} not read: ${error.message}`,
          });
          partial.add(rule.name);
        }
      }),
    ),
  );

  // Identification reads nothing, except the source of a copy that lost its lineage tags.
  const known = new Map<string, ObservedImage>();
  for (const images of [own, ...listed.values()]) {
    for (const image of images) known.set(`${image.region}/${image.imageId}`, image);
  }
  const lookups = new Map<string, { region: string; imageId: string }>();
  for (const image of own) {
    const lookup = sourceToLookUp(image);
    if (lookup !== undefined && !known.has(`${lookup.region}/${lookup.imageId}`)) {
      lookups.set(`${lookup.region}/${lookup.imageId}`, lookup);
    }
  }
  await runLimited([...lookups.values()], input.concurrency, async ({ region: where, imageId }) => {
    const found = await ec2(where).describeImage(imageId);
    if (found !== undefined) known.set(`${where}/${imageId}`, found);
  });
  const identify = (image: ObservedImage): ImageRole => {
    const lookup = sourceToLookUp(image);
    const source = lookup === undefined ? undefined : known.get(`${lookup.region}/${lookup.imageId}`);
    return identifyImage(image, rules, accountId, source);
  };

  const sourcesByRule = new Map<string, ObservedImage[]>();
  for (const rule of concerned) {
    const found: ObservedImage[] = [];
    for (const where of rule.match.regions) {
      for (const image of listed.get(`${rule.name}/${where}`) ?? []) {
        const role = identify(image);
        if (role.kind === 'source' && role.rule.name === rule.name) found.push(image);
      }
    }
    sourcesByRule.set(rule.name, found);
  }

  const managed: ManagedImage[] = [];
  for (const image of own) {
    const role = identify(image);
    if (role.kind === 'copy') {
      managed.push({
        image,
        rule: role.rule,
        role: 'copy',
        sourceImageId: role.sourceImageId,
        sourceRegion: role.sourceRegion,
      });
    } else if (role.kind === 'source' && role.rule.match.regions.includes(region)) {
      managed.push({
        image,
        rule: role.rule,
        role: 'source',
        sourceImageId: image.imageId,
        sourceRegion: region,
      });
    } else if (role.kind === 'refused') {
      notes.push({ region, imageId: image.imageId, message: `left alone: ${role.reason}` });
    } else if (role.kind === 'ambiguous') {
      notes.push({
        region,
        imageId: image.imageId,
        message: `matches ${role.rules.length} rules (${role.rules.map((r) => r.name).join(', ')}); left alone`,
      });
    }
  }
  // Sources of other accounts (match.owners) are listed, not owned: they are sources here too.
  for (const rule of concerned.filter((r) => r.match.regions.includes(region))) {
    for (const image of sourcesByRule.get(rule.name) ?? []) {
      if (image.region === region && image.ownerId !== accountId) {
        managed.push({ image, rule, role: 'source', sourceImageId: image.imageId, sourceRegion: region });
      }
    }
  }

  const publishing = publishingRulesIn(rules, region);
  const [{ toolSnapshots, details }, pointers] = await Promise.all([
    observeDetails(here, managed, input),
    publishing.length === 0
      ? Promise.resolve(new Map<string, ObservedPointers>())
      : observePointersOf(publishing, region, ssmOf(input), here),
  ]);
  const kept = protectedImages(pointers, managed);
  const retirement = input.retirement
    ? await observeRetirement(input, managed, sourcesByRule, partial, known, kept)
    : undefined;
  return {
    region,
    accountId,
    own,
    ...(input.targets ? { targets: input.targets } : {}),
    sourcesByRule,
    partial,
    managed,
    details,
    toolSnapshots,
    pointers,
    protectedImages: kept,
    decisions: retirement?.decisions ?? new Map(),
    safety: retirement?.safety ?? new Map(),
    failures: retirement?.failures ?? [],
    notes,
  };
}

/**
 * The managed images here, in full, from bulk reads: snapshot tags from the tool's snapshot listing
 * (a snapshot of a managed image missing from it lacks the tool's tag: it is given as untagged, so
 * the plan tags it), launch permissions from one listing per shared account, create-volume
 * permissions from one per account. Images of rules that share with organizations or OUs have
 * their launch permissions read one by one: EC2 lists no image by organization.
 */
async function observeDetails(
  ec2: Ec2Reader,
  managed: readonly ManagedImage[],
  input: ObserveRegionInput,
): Promise<{ toolSnapshots: ObservedSnapshot[]; details: Map<string, ImageDetail> }> {
  const { accountId } = input;
  const owned = managed.filter((m) => m.image.ownerId === accountId && m.image.state === 'available');
  const rules = new Map(owned.map((m) => [m.rule.name, m.rule]));
  const others = (ids: readonly string[]) => ids.filter((id) => id !== accountId);
  const byOrganization = (rule: Rule) =>
    rule.share !== undefined &&
    (rule.share.organizations.length > 0 || rule.share.organizationalUnits.length > 0);
  const launchAccounts = [...new Set([...rules.values()].flatMap((r) => others(r.share?.accounts ?? [])))];
  const volumeAccounts = [
    ...new Set(
      [...rules.values()]
        .filter((r) => r.share?.snapshotPermissions)
        .flatMap((r) => others(r.share?.accounts ?? [])),
    ),
  ];
  const wantsPublic = [...rules.values()].some((r) => r.share?.public && r.share.allowPublic);
  const [toolSnapshots, { executable, restorable, known }, publicSharingBlocked] = await Promise.all([
    input.copyOnly ? Promise.resolve([]) : ec2.listTaggedSnapshots(LINEAGE.rule),
    listPermissions(ec2, owned, {
      targets: input.targets ?? new Map(),
      accountId,
      launch: launchAccounts,
      volume: volumeAccounts,
      readWhole: (m) => byOrganization(m.rule),
    }),
    wantsPublic ? ec2.isPublicSharingBlocked() : Promise.resolve(undefined),
  ]);
  const perImage = new Map<string, LaunchPermission[]>();
  await runLimited(
    owned.filter((m) => byOrganization(m.rule)),
    input.concurrency,
    async ({ image }) => {
      perImage.set(image.imageId, await ec2.describeLaunchPermissions(image.imageId));
    },
  );

  const members = await observeMemberSources(ec2, owned, {
    ...input,
    // The tool's snapshot listing gives the keys of the snapshots it tagged; org shares read theirs;
    // listings per target account, when cheaper than reads per source, the rest (listPermissions).
    known: {
      ...known,
      snapshots: new Map(toolSnapshots.map((t) => [t.snapshotId, t])),
      launchPermissions: new Map([...known.launchPermissions, ...perImage]),
    },
  });
  const tags = new Map([...toolSnapshots, ...members.snapshots].map((s) => [s.snapshotId, s]));
  const details = new Map<string, ImageDetail>();
  for (const { image, rule } of managed) {
    if (image.state !== 'available') continue;
    const isOwned = image.ownerId === accountId;
    const shares = rule.share !== undefined;
    const launchPermissions: LaunchPermission[] | undefined =
      !isOwned || !(shares || members.launchPermissions.has(image.imageId))
        ? undefined
        : (members.launchPermissions.get(image.imageId) ??
          perImage.get(image.imageId) ??
          grantees(executable, image.imageId).map((id) => ({ kind: 'account' as const, id })));
    const volumes = isOwned && rule.share?.snapshotPermissions === true;
    details.set(image.imageId, {
      image,
      snapshots: image.snapshotIds.map((snapshotId) => {
        const known = tags.get(snapshotId) ?? { snapshotId, tags: {}, encrypted: false };
        if (!volumes) return known;
        const listed = grantees(restorable, snapshotId);
        return {
          ...known,
          createVolumeUserIds: [...new Set([...(known.createVolumeUserIds ?? []), ...listed])],
        };
      }),
      ...(launchPermissions === undefined ? {} : { launchPermissions }),
      ...(publicSharingBlocked === undefined ? {} : { publicSharingBlocked }),
    });
  }
  return { toolSnapshots, details };
}

/**
 * What retirement needs: decisions per rule (pure, over the listed sources), then the safety facts
 * of each image a deregistration is pending for: its references, for an orphan whether its source
 * is really gone (read by id in its own region), and, where they decide, its launch permissions.
 */
async function observeRetirement(
  input: ObserveRegionInput,
  managed: readonly ManagedImage[],
  sourcesByRule: ReadonlyMap<string, readonly ObservedImage[]>,
  partial: ReadonlySet<string>,
  known: ReadonlyMap<string, ObservedImage>,
  kept: ReadonlyMap<string, string>,
): Promise<{
  decisions: Map<string, ReadonlyMap<string, RetirementDecision>>;
  safety: Map<string, SafetyFacts>;
  failures: AwsCallError[];
}> {
  const { region, accountId, ec2, now } = input;
  const decisions = new Map<string, ReadonlyMap<string, RetirementDecision>>();
  for (const rule of input.rules) {
    const sources = sourcesByRule.get(rule.name);
    if (rule.retire !== undefined && sources !== undefined && !partial.has(rule.name)) {
      decisions.set(rule.name, decideRetirement(rule, sources, now));
    }
  }
  const candidates = retirementCandidates({
    region,
    accountId,
    managed,
    decisions,
    now,
    protectedImages: kept,
  });
  const safety = new Map<string, SafetyFacts>();
  const failures: AwsCallError[] = [];
  await runLimited(candidates, input.concurrency, async ({ managed: entry, orphan, checkSharing }) => {
    const { imageId } = entry.image;
    // Facts are kept as far as they were read: what could not be read refuses the image with its
    // own reason (references, a source not confirmed gone, launch permissions that may share it).
    let facts: SafetyFacts | undefined;
    try {
      facts = { references: await ec2(region).findReferences(imageId) };
      if (orphan) {
        const listedSource = known.get(`${entry.sourceRegion}/${entry.sourceImageId}`);
        const source = listedSource ?? (await ec2(entry.sourceRegion).describeImage(entry.sourceImageId));
        facts = { ...facts, sourceGone: source === undefined || source.state === 'deregistered' };
      }
      // Every grant, not only the rule's (the bulk listings see only those): read by image.
      if (checkSharing && facts.references.length === 0) {
        facts = { ...facts, launchPermissions: await ec2(region).describeLaunchPermissions(imageId) };
      }
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      failures.push(error);
    }
    if (facts !== undefined) safety.set(imageId, facts);
  });
  return { decisions, safety, failures };
}

function ssmOf(input: ObserveRegionInput): SsmPort {
  if (input.ssm === undefined) {
    throw new InvariantError(
      `rules publish pointers in ${input.region}, and the reconcile was given no SSM port`,
    );
  }
  return input.ssm(input.region);
}
