import { describe, expect, it } from 'vitest';
import { RETIRED_TAG } from '../../shared/core/deletion.js';
import { LINEAGE, type ObservedImage } from '../../shared/core/model.js';
import { decideRetirement, type ManagedImage } from '../../shared/core/retire-decide.js';
import {
  planRetirement,
  type RetirementPlan,
  type RetirementPlanInput,
  retirementCandidates,
} from '../../shared/core/retire-plan.js';
import type { Rule } from '../../shared/rules/schema.js';
import { ACCOUNT } from './builders.js';
import {
  APPLY,
  ago,
  asCopy,
  asSource,
  copyOf,
  DRY,
  deregistered,
  NEXT_MINUTE,
  NOW,
  only,
  orphan,
  planFor,
  retirementsOf,
  retireRule,
  src,
} from './retire-fixtures.js';

const candidatesOf = (rule: Rule, managed: ManagedImage[], sources: ObservedImage[]) =>
  retirementCandidates({
    region: 'us-east-1',
    accountId: ACCOUNT,
    managed,
    decisions: new Map([[rule.name, decideRetirement(rule, sources, NOW)]]),
    now: NOW,
  });

/** Deregisters after 30 days, unless launched within 14 days (+1 for EC2's reporting delay). */
const IDLE14 = retireRule({
  keep: 1,
  deprecateAfterDays: 10,
  deregisterAfterDays: 30,
  notLaunchedForDays: 14,
  apply: true,
});
const SHARED_WITH = [{ kind: 'account', id: '444455556666' }] as const;
const LAUNCH_NOTE = 'launches by accounts it is shared with count too';
const DEFAULT_WINDOW =
  "a shared image is deregistered only once not launched for 30 days (the default without retire.notLaunchedForDays), plus 1 day for EC2's reporting delay";
const notesOf = (plan: RetirementPlan) => plan.notes.map((n) => n.message).join('\n');

interface PlanCase {
  name: string;
  reason: string;
  run: () => void;
}

/** Deprecates at 7 days, disables at 14, deregisters at 30. */
const STAGED = retireRule({
  keep: 1,
  deprecateAfterDays: 7,
  disableAfterDays: 14,
  deregisterAfterDays: 30,
  apply: true,
});

const planCases: PlanCase[] = [
  {
    name: 'disable stage due, safe, apply: true',
    reason:
      'deprecated first, then DisableImage after the deprecation, then AMI Disabled; no deregistration yet',
    run: () => {
      const old = src(20);
      const plan = planFor(STAGED, [asSource(old, STAGED)], [old, src(1)]);
      expect(retirementsOf(plan)).toEqual([`deprecate ${old.imageId}`, `disable-image ${old.imageId}`]);
      const [disable] = only(plan, 'disable-image');
      expect(disable?.after).toEqual([`deprecate:us-east-1:${old.imageId}`]);
      expect(only(plan, 'announce').map((a) => [a.announcement.kind, a.after])).toEqual([
        ['deprecated', [`deprecate:us-east-1:${old.imageId}`]],
        ['disabled', [`disable-image:us-east-1:${old.imageId}`]],
      ]);
    },
  },
  {
    name: 'disable stage: already disabled',
    reason: 'a disabled image is not disabled again, nor deprecated (it cannot be launched anyway)',
    run: () => {
      const old = src(20, { state: 'disabled' });
      expect(planFor(STAGED, [asSource(old, STAGED)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'disabled, deregistration due',
    reason: 'a disabled image goes on to deregistration like an available one',
    run: () => {
      const old = src(40, { state: 'disabled' });
      const plan = planFor(STAGED, [asSource(old, STAGED)], [old, src(1)]);
      expect(retirementsOf(plan)).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'disable stage without apply',
    reason:
      'disabling takes launch permissions away from consumers: a dry run until retire.apply, like deregistration',
    run: () => {
      const dry = retireRule({ keep: 1, disableAfterDays: 14 });
      const old = src(20);
      const plan = planFor(dry, [asSource(old, dry)], [old, src(1)]);
      expect(plan.actions).toEqual([]);
      expect(plan.wouldDisable.map((w) => w.imageId)).toEqual([old.imageId]);
      expect(notesOf(plan)).toMatch(/^would disable, but retire.apply is not true for rule "golden"/);
    },
  },
  {
    name: 'disable stage: referenced',
    reason: 'what still uses the image would break once it is disabled: refused, as for deregistration',
    run: () => {
      const old = src(20);
      const plan = planFor(STAGED, [asSource(old, STAGED)], [old, src(1)], {
        [old.imageId]: { references: ['instance i-0123456789abcdef0'] },
      });
      expect(only(plan, 'disable-image')).toEqual([]);
      expect(plan.refused).toEqual([
        { imageId: old.imageId, reason: 'referenced by instance i-0123456789abcdef0' },
      ]);
      expect(notesOf(plan)).toMatch(/not disabled: referenced by instance/);
    },
  },
  {
    name: 'disable stage: deregistration protection does not hold it back',
    reason: 'protection guards deregistration only; disabling is reversible',
    run: () => {
      const old = src(20, { deregistrationProtection: 'enabled' });
      const plan = planFor(STAGED, [asSource(old, STAGED)], [old, src(1)]);
      expect(only(plan, 'disable-image').map((a) => a.imageId)).toEqual([old.imageId]);
    },
  },
  {
    name: 'due, safe, apply: true',
    reason:
      'an old superseded image nothing uses is deregistered with its snapshots: intent tag, DeregisterImage, each snapshot, the announcement; no deprecation first',
    run: () => {
      const old = src(40, { snapshotIds: ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'] });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]);
      const lineage = {
        rule: 'golden',
        role: 'source',
        sourceImageId: old.imageId,
        sourceRegion: 'us-east-1',
      };
      const reason = expect.stringMatching(/^superseded: number 2 of 2/);
      const tagId = `tag:us-east-1:retired/${old.imageId}`;
      const deregisterId = `deregister:us-east-1:${old.imageId}`;
      const deletionIds = old.snapshotIds.map((id) => `delete-snapshot:us-east-1:${id}`);
      expect(plan.actions).toEqual([
        {
          kind: 'tag',
          id: tagId,
          region: 'us-east-1',
          imageIds: [old.imageId],
          resourceIds: [old.imageId, 'snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'],
          changes: [{ key: RETIRED_TAG, value: old.imageId }],
        },
        {
          kind: 'deregister',
          id: deregisterId,
          region: 'us-east-1',
          after: [tagId],
          imageId: old.imageId,
          snapshotIds: old.snapshotIds,
          ...lineage,
          reason,
        },
        ...old.snapshotIds.map((snapshotId, i) => ({
          kind: 'delete-snapshot',
          id: deletionIds[i],
          region: 'us-east-1',
          after: [deregisterId],
          imageId: old.imageId,
          snapshotId,
          reason: `deleted with ${old.imageId}`,
        })),
        {
          kind: 'announce',
          id: `announce:us-east-1:deregistered/${old.imageId}`,
          region: 'us-east-1',
          after: [deregisterId],
          waitsFor: deletionIds,
          announcement: {
            kind: 'deregistered',
            imageId: old.imageId,
            region: 'us-east-1',
            ...lineage,
            reason,
            snapshotIds: old.snapshotIds,
          },
        },
      ]);
      expect(plan.refused).toEqual([]);
      expect(plan.wouldDeregister).toEqual([]);
    },
  },
  {
    name: 'already marked for retirement',
    reason:
      'an image tagged ami-lifecycle:retired=<itself> by an earlier run (whose DeregisterImage failed) is not tagged again: DeregisterImage comes first',
    run: () => {
      const old = src(40, { tags: { [LINEAGE.rule]: 'golden', [RETIRED_TAG]: 'placeholder' } });
      const marked = { ...old, tags: { ...old.tags, [RETIRED_TAG]: old.imageId } };
      const plan = planFor(APPLY, [asSource(marked, APPLY)], [marked, src(1)]);
      expect(plan.actions.map((a) => a.kind)).toEqual(['deregister', 'delete-snapshot', 'announce']);
      expect(only(plan, 'deregister')[0]?.after).toBeUndefined();
      // A retired tag naming another image is no mark of this one: tagged again.
      const plan2 = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]);
      expect(only(plan2, 'tag')).toMatchObject([
        {
          resourceIds: [old.imageId, ...old.snapshotIds],
          changes: [{ key: RETIRED_TAG, value: old.imageId }],
        },
      ]);
      expect(only(plan2, 'deregister')[0]?.after).toEqual([`tag:us-east-1:retired/${old.imageId}`]);
    },
  },
  {
    name: 'referenced',
    reason:
      'an image an instance or launch template uses is refused, with the reference, and still deprecated',
    run: () => {
      const old = src(40);
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: { references: ['launch-template lt-0123456789abcdef0 v3'] },
      });
      expect(retirementsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      expect(plan.refused).toEqual([
        { imageId: old.imageId, reason: 'referenced by launch-template lt-0123456789abcdef0 v3' },
      ]);
      expect(notesOf(plan)).toMatch(/not deregistered: referenced by launch-template/);
    },
  },
  {
    name: 'references not checked',
    reason: 'no facts means no proof that nothing uses it: refused',
    run: () => {
      const old = src(40);
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {});
      expect(only(plan, 'deregister')).toEqual([]);
      expect(plan.refused).toEqual([{ imageId: old.imageId, reason: 'its references were not checked' }]);
    },
  },
  ...['enabled', 'enabled-with-cooldown', 'something-new'].map(
    (protection): PlanCase => ({
      name: `deregistration protection ${protection}`,
      reason: 'anything but absent or "disabled" protects; refused before references are even observed',
      run: () => {
        const old = src(40, { deregistrationProtection: protection });
        const managed = [asSource(old, APPLY)];
        const plan = planFor(APPLY, managed, [old, src(1)], { [old.imageId]: { references: [] } });
        expect(retirementsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
        expect(plan.refused).toEqual([
          { imageId: old.imageId, reason: `deregistration protection is ${protection}` },
        ]);
        const input: RetirementPlanInput = {
          region: 'us-east-1',
          accountId: ACCOUNT,
          managed,
          decisions: new Map([['golden', decideRetirement(APPLY, [old, src(1)], NOW)]]),
          now: NOW,
        };
        expect(retirementCandidates(input)).toEqual([]);
      },
    }),
  ),
  {
    name: 'deregistration protection disabled',
    reason: '"disabled" is the one protection state that allows deregistration',
    run: () => {
      const old = src(40, { deregistrationProtection: 'disabled' });
      expect(retirementsOf(planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]))).toEqual([
        `deregister ${old.imageId}`,
      ]);
    },
  },
  {
    name: 'apply: false',
    reason: 'deregistration is a dry run line, not an action; deprecation (reversible) still happens',
    run: () => {
      const old = src(40);
      const plan = planFor(DRY, [asSource(old, DRY)], [old, src(1)]);
      expect(retirementsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      // Nothing of the deletion sequence either: no intent tag, no snapshot deletion, no announcement of it.
      expect(plan.actions.map((a) => a.kind)).toEqual(['deprecate', 'announce']);
      expect(plan.wouldDeregister.map((w) => w.imageId)).toEqual([old.imageId]);
      expect(plan.refused).toEqual([]);
      expect(notesOf(plan)).toMatch(/would deregister \(and delete snapshots snap-/);
    },
  },
  {
    name: 'deprecation already set to the same minute',
    reason: 'nothing to do: an image already in its desired state gives an empty plan',
    run: () => {
      const old = src(5, {
        creationDate: '2026-11-26T08:15:10.000Z',
        deprecationTime: '2026-12-06T08:16:00.000Z',
      });
      expect(planFor(DRY, [asSource(old, DRY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'deprecation already set earlier',
    reason: 'deprecation is only ever brought forward, so re-running with a later "now" never moves it',
    run: () => {
      const old = src(40, { deprecationTime: '2026-11-01T00:00:00.000Z' });
      expect(planFor(DRY, [asSource(old, DRY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'deprecation set later than wanted',
    reason: 'a deprecation time further away than the rule says is brought forward',
    run: () => {
      const old = src(40, { deprecationTime: '2027-06-01T00:00:00.000Z' });
      const plan = planFor(DRY, [asSource(old, DRY)], [old, src(1)]);
      const deprecateId = `deprecate:us-east-1:${old.imageId}`;
      const lineage = {
        rule: 'golden',
        role: 'source',
        sourceImageId: old.imageId,
        sourceRegion: 'us-east-1',
      };
      expect(plan.actions).toEqual([
        {
          kind: 'deprecate',
          id: deprecateId,
          region: 'us-east-1',
          imageId: old.imageId,
          at: NEXT_MINUTE,
          ...lineage,
          reason: expect.stringMatching(/^superseded/),
        },
        {
          kind: 'announce',
          id: `announce:us-east-1:deprecated/${old.imageId}`,
          region: 'us-east-1',
          after: [deprecateId],
          announcement: {
            kind: 'deprecated',
            imageId: old.imageId,
            region: 'us-east-1',
            ...lineage,
            deprecationTime: NEXT_MINUTE.toISOString(),
            reason: expect.stringMatching(/^superseded/),
          },
        },
      ]);
    },
  },
  {
    name: 'no rule tag',
    reason: 'an image the tool never tagged as managed by the rule is not touched at all',
    run: () => {
      const old = src(40, { tags: {} });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]);
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/no ami-lifecycle:rule tag/);
    },
  },
  {
    name: 'tagged by another rule',
    reason: 'the tags contradict the rule it was handed with: not touched',
    run: () => {
      const old = src(40, { tags: { [LINEAGE.rule]: 'other' } });
      expect(planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'copy whose lineage tags name another source',
    reason: 'the copy was handed as a copy of one source but its own tags say another',
    run: () => {
      const old = src(40);
      const copy = copyOf(old, 'us-east-1', 40, {
        tags: { [LINEAGE.rule]: 'golden', [LINEAGE.sourceImageId]: 'ami-0ffffffffffffffff' },
      });
      const plan = planFor(APPLY, [asCopy(copy, APPLY, old.imageId, old.region)], [old, src(1)]);
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/lineage says ami-0ffffffffffffffff/);
    },
  },
  {
    name: 'owned by another account',
    reason: 'only the account own images are retired',
    run: () => {
      const old = src(40, { ownerId: '999988887777' });
      expect(planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]).actions).toEqual([]);
    },
  },
  {
    name: 'sources not observed',
    reason: 'without the rule sources every copy would look like an orphan: nothing of the rule is retired',
    run: () => {
      const copy = orphan(400, 'eu-west-1', 'ami-0dead000000000000', 'us-east-1');
      const plan = planRetirement({
        region: 'eu-west-1',
        accountId: ACCOUNT,
        managed: [asCopy(copy, APPLY, 'ami-0dead000000000000', 'us-east-1')],
        decisions: new Map(),
        now: NOW,
        safety: new Map([[copy.imageId, { references: [] }]]),
      });
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/sources were not observed/);
    },
  },
  {
    name: 'copies in another region follow their source',
    reason: 'the superseded source copy in eu-west-1 is deregistered there; the kept source copy is not',
    run: () => {
      const old = src(40);
      const newest = src(1);
      const oldCopy = copyOf(old, 'eu-west-1', 39);
      const newCopy = copyOf(newest, 'eu-west-1', 1);
      const plan = planFor(
        APPLY,
        [
          asCopy(oldCopy, APPLY, old.imageId, old.region),
          asCopy(newCopy, APPLY, newest.imageId, newest.region),
        ],
        [old, newest],
        'unreferenced',
        'eu-west-1',
      );
      expect(retirementsOf(plan)).toEqual([`deregister ${oldCopy.imageId}`]);
      expect(only(plan, 'deregister')).toMatchObject([
        { role: 'copy', sourceImageId: old.imageId, sourceRegion: 'us-east-1', region: 'eu-west-1' },
      ]);
      // Its snapshots are deleted where it is; it is announced on the family's bus, in the source region.
      expect(only(plan, 'delete-snapshot').map((a) => `${a.region} ${a.snapshotId}`)).toEqual(
        oldCopy.snapshotIds.map((id) => `eu-west-1 ${id}`),
      );
      expect(only(plan, 'announce')).toMatchObject([
        {
          region: 'us-east-1',
          announcement: { kind: 'deregistered', imageId: oldCopy.imageId, region: 'eu-west-1' },
        },
      ]);
    },
  },
  {
    name: 'old orphan copy',
    reason: 'its source is gone and it is older than E days: deregistered in its own region',
    run: () => {
      const copy = orphan(31, 'eu-west-1', 'ami-0dead000000000000', 'us-east-1');
      const plan = planFor(
        APPLY,
        [asCopy(copy, APPLY, 'ami-0dead000000000000', 'us-east-1')],
        [src(1)],
        'unreferenced',
        'eu-west-1',
      );
      expect(retirementsOf(plan)).toEqual([`deregister ${copy.imageId}`]);
      expect(only(plan, 'deregister')).toMatchObject([
        { imageId: copy.imageId, role: 'copy', reason: expect.stringMatching(/^orphan copy/) },
      ]);
    },
  },
  {
    name: 'orphan whose source is not confirmed gone',
    reason:
      'a source absent from the listing may only have stopped matching the rule: no deletion on that alone',
    run: () => {
      const copy = orphan(31, 'eu-west-1', 'ami-0dead000000000000', 'us-east-1');
      const managed = [asCopy(copy, APPLY, 'ami-0dead000000000000', 'us-east-1')];
      for (const facts of [{ references: [] }, { references: [], sourceGone: false }]) {
        const plan = planFor(APPLY, managed, [src(1)], { [copy.imageId]: facts }, 'eu-west-1');
        expect(retirementsOf(plan)).toEqual([`deprecate ${copy.imageId}`]);
        expect(plan.refused).toEqual([
          {
            imageId: copy.imageId,
            reason: 'its source ami-0dead000000000000 (us-east-1) was not confirmed gone',
          },
        ]);
      }
    },
  },
  {
    name: 'pending copy of a retired source',
    reason: 'only available images are deregistered; it is left for a later run',
    run: () => {
      const old = src(40);
      const copy = copyOf(old, 'eu-west-1', 1, { state: 'pending' });
      const plan = planFor(
        APPLY,
        [asCopy(copy, APPLY, old.imageId, old.region)],
        [old, src(1)],
        'unreferenced',
        'eu-west-1',
      );
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/the image is pending/);
    },
  },
  {
    name: 'launched 3 days ago, notLaunchedForDays 14',
    reason:
      'a launch, in any account, within the window holds deregistration back; it is refused before any reference is read, and still deprecated',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(3) });
      const managed = [asSource(old, IDLE14)];
      const plan = planFor(IDLE14, managed, [old, src(1)]);
      expect(retirementsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      const why = `launched 3 days ago (lastLaunchedTime ${ago(3)}; ${LAUNCH_NOTE}): retire.notLaunchedForDays is 14, plus 1 day for EC2's reporting delay`;
      expect(plan.refused).toEqual([{ imageId: old.imageId, reason: why }]);
      expect(notesOf(plan)).toContain(`not deregistered: ${why} (superseded:`);
      expect(candidatesOf(IDLE14, managed, [old, src(1)])).toEqual([]);
    },
  },
  {
    name: 'launched 20 days ago, notLaunchedForDays 14',
    reason: 'a last launch before the window does not hold it back',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(20) });
      expect(retirementsOf(planFor(IDLE14, [asSource(old, IDLE14)], [old, src(1)]))).toEqual([
        `deregister ${old.imageId}`,
      ]);
    },
  },
  {
    name: 'one more day for the reporting delay',
    reason:
      'EC2 reports a launch up to 24 hours late: 14 days and 23 hours ago is still refused, exactly 15 days ago is not',
    run: () => {
      const inside = src(40, { lastLaunchedTime: ago(15 - 1 / 24) });
      const edge = src(41, { lastLaunchedTime: ago(15) });
      const plan = planFor(
        IDLE14,
        [asSource(inside, IDLE14), asSource(edge, IDLE14)],
        [inside, edge, src(1)],
      );
      expect(deregistered(plan)).toEqual([edge.imageId]);
      expect(plan.refused.map((r) => r.reason)).toEqual([expect.stringMatching(/^launched 14 days ago/)]);
    },
  },
  {
    name: 'shared, no notLaunchedForDays, launched 10 days ago',
    reason:
      'other accounts may use it where its references cannot be seen: the 30-day default applies, decided by its launch permissions',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const managed = [asSource(old, APPLY)];
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toEqual([
        { managed: managed[0], orphan: false, checkSharing: true },
      ]);
      const plan = planFor(APPLY, managed, [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [...SHARED_WITH] },
      });
      expect(retirementsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      expect(plan.refused).toEqual([
        {
          imageId: old.imageId,
          reason: `launched 10 days ago (lastLaunchedTime ${ago(10)}; ${LAUNCH_NOTE}) and it is shared with 1 account: ${DEFAULT_WINDOW}`,
        },
      ]);
    },
  },
  {
    name: 'shared with an organization and OUs, no notLaunchedForDays',
    reason: 'any launch permission counts as shared, and the refusal says with whom',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: {
          references: [],
          launchPermissions: [
            { kind: 'organization', arn: 'arn:aws:organizations::111122223333:organization/o-exampleorgid' },
            { kind: 'organizational-unit', arn: 'arn:aws:organizations::111122223333:ou/o-a/ou-1' },
            { kind: 'organizational-unit', arn: 'arn:aws:organizations::111122223333:ou/o-a/ou-2' },
          ],
        },
      });
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringContaining('and it is shared with 1 organization, 2 OUs: a shared image'),
      ]);
    },
  },
  {
    name: 'not shared, no notLaunchedForDays, launched 10 days ago',
    reason: 'only this account can launch it, and its references here are all there is: deregistered',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [] },
      });
      expect(retirementsOf(plan)).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'launch permissions not read, no notLaunchedForDays, launched 10 days ago',
    reason: 'unknown sharing may hide a share: treated as shared, refused',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10) });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)], {
        [old.imageId]: { references: [] },
      });
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringContaining(
          'and its launch permissions were not read, so it may be shared: a shared image',
        ),
      ]);
    },
  },
  {
    name: 'public, no notLaunchedForDays, launched 10 days ago',
    reason: 'DescribeImages already says it is public: refused without reading anything else',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(10), isPublic: true });
      const managed = [asSource(old, APPLY)];
      const plan = planFor(APPLY, managed, [old, src(1)]);
      expect(retirementsOf(plan)).toEqual([`deprecate ${old.imageId}`]);
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^launched 10 days ago .* and it is public: a shared image/),
      ]);
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toEqual([]);
    },
  },
  {
    name: 'shared, no notLaunchedForDays, launched 31 days ago',
    reason: 'past 30 days plus the delay: deregistered, and its launch permissions need not be read',
    run: () => {
      const old = src(40, { lastLaunchedTime: ago(31) });
      const managed = [asSource(old, APPLY)];
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toMatchObject([{ checkSharing: false }]);
      const plan = planFor(APPLY, managed, [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [...SHARED_WITH] },
      });
      expect(retirementsOf(plan)).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'shared and never launched',
    reason:
      'no lastLaunchedTime: EC2 reports no launch anywhere, so the launch guard does not hold it back (else it could never be retired); references decide',
    run: () => {
      const old = src(40, { isPublic: true });
      const managed = [asSource(old, APPLY)];
      expect(candidatesOf(APPLY, managed, [old, src(1)])).toMatchObject([{ checkSharing: false }]);
      const plan = planFor(APPLY, managed, [old, src(1)], {
        [old.imageId]: { references: [], launchPermissions: [{ kind: 'public' }] },
      });
      expect(retirementsOf(plan)).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'notLaunchedForDays replaces the shared-image default',
    reason: 'a shared image launched 10 days ago is deregistered by a rule that asks for 7 idle days',
    run: () => {
      const rule = retireRule({ keep: 1, deregisterAfterDays: 30, notLaunchedForDays: 7, apply: true });
      const old = src(40, { lastLaunchedTime: ago(10), isPublic: true });
      const managed = [asSource(old, rule)];
      expect(candidatesOf(rule, managed, [old, src(1)])).toMatchObject([{ checkSharing: false }]);
      expect(retirementsOf(planFor(rule, managed, [old, src(1)]))).toEqual([`deregister ${old.imageId}`]);
    },
  },
  {
    name: 'an unreadable lastLaunchedTime',
    reason: 'it may mean a launch just now: refused',
    run: () => {
      const old = src(40, { lastLaunchedTime: 'yesterday' });
      const plan = planFor(IDLE14, [asSource(old, IDLE14)], [old, src(1)]);
      expect(plan.refused.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^its lastLaunchedTime "yesterday" cannot be read/),
      ]);
    },
  },
  {
    name: 'copies are judged by their own last launch',
    reason:
      'lastLaunchedTime is per image: of two copies of superseded sources, the one launched 2 days ago stays, the one idle for 30 days goes',
    run: () => {
      const [first, second] = [src(40), src(45)];
      const used = copyOf(first, 'eu-west-1', 39, { lastLaunchedTime: ago(2) });
      const idle = copyOf(second, 'eu-west-1', 44, { lastLaunchedTime: ago(30) });
      const plan = planFor(
        IDLE14,
        [
          asCopy(used, IDLE14, first.imageId, first.region),
          asCopy(idle, IDLE14, second.imageId, second.region),
        ],
        [first, second, src(1)],
        'unreferenced',
        'eu-west-1',
      );
      expect(plan.refused.map((r) => r.imageId)).toEqual([used.imageId]);
      expect(deregistered(plan)).toEqual([idle.imageId]);
    },
  },
  {
    name: 'instance-store image',
    reason: 'no snapshots to tag or delete: DeregisterImage and its announcement only',
    run: () => {
      const old = src(40, { rootDeviceType: 'instance-store', snapshotIds: [] });
      const plan = planFor(APPLY, [asSource(old, APPLY)], [old, src(1)]);
      expect(plan.actions.map((a) => a.kind)).toEqual(['deregister', 'announce']);
      expect(only(plan, 'deregister')).toMatchObject([{ snapshotIds: [] }]);
      expect(only(plan, 'deregister')[0]?.after).toBeUndefined();
    },
  },
  {
    name: 'named by a pointer',
    reason:
      'an image a managed parameter (or a named template, or a rollback pin) holds is neither deprecated nor deregistered, nor are its references read; the plan says which pointer',
    run: () => {
      const old = src(40);
      const managed = [asSource(old, APPLY)];
      const input: RetirementPlanInput = {
        region: 'us-east-1',
        accountId: ACCOUNT,
        managed,
        decisions: new Map([[APPLY.name, decideRetirement(APPLY, [old, src(1)], NOW)]]),
        now: NOW,
        protectedImages: new Map([[old.imageId, 'SSM parameter /golden/latest names it']]),
      };
      expect(retirementCandidates(input)).toEqual([]);
      const plan = planRetirement({ ...input, safety: new Map() });
      expect(plan.actions).toEqual([]);
      expect(notesOf(plan)).toMatch(/^not retired: SSM parameter \/golden\/latest names it \(superseded/);
      // Without the pointer, the same image is retired.
      expect(planFor(APPLY, managed, [old, src(1)]).actions.map((a) => a.kind)).toContain('deregister');
    },
  },
];

describe('planRetirement', () => {
  it.each(planCases)('$name: $reason', ({ run }) => run());
});
