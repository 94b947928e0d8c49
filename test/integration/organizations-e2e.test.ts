import { join } from 'node:path';
import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainMemberWork as drain } from '../../demo/member-work.js';
import {
  HUB,
  MEMBER_REGIONS,
  MEMBER_WORK_QUEUE,
  NAMED,
  startOrganizationStack,
  UNDER_OU,
} from '../../demo/organization-stack.js';
import { DetailType } from '../../shared/core/notifications.js';
import { expectValidToolEvents } from '../support/tool-events.js';

/**
 * Organizations end to end, through the real handlers and SDK against the local stack: a release
 * in the hub's source region is shared with the rule's two target accounts (one named, one found
 * under an OU) and its work items queued; the member-work function (invoked as Lambda's SQS event
 * source invokes it) makes each account's copies through the member role; each copy's `available`
 * event goes to its account's default bus, which forwards it to the hub's (allowed by the bus
 * policy for the organization); the hub queues that account and region, and the last item
 * announces the release complete across accounts × regions, once.
 */
const DEV = UNDER_OU;
const PROD = NAMED;
const REGIONS: readonly string[] = MEMBER_REGIONS;

let stack: LocalStack;

beforeAll(async () => {
  stack = await startOrganizationStack({
    root: join(import.meta.dirname, '../..'),
    rulesFile: 'test/fixtures/rules/organization.yaml',
    copyDelayMs: 50,
  });
});

afterAll(async () => {
  await stack?.close();
});

/**
 * What Lambda's SQS event source does (the local stack does not run it yet), until the queue
 * stays empty: the demo's drain. Returns the items handled; none may have failed.
 */
async function drainMemberWork(): Promise<unknown[]> {
  const batches = await drain(stack, { account: HUB, region: 'us-east-1', queue: MEMBER_WORK_QUEUE });
  expect(batches.map((b) => b.failed)).toEqual(batches.map(() => 0));
  return batches.flatMap((b) => b.bodies);
}

describe('a release into two target accounts, end to end', () => {
  it('shares, fans out, copies as each account, takes the forwarded events and announces accounts x regions once', async () => {
    const source = stack.emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-1' });
    await stack.settle();

    // The source's event: shared with both accounts (image and snapshot), one item per (account, region).
    const shared = stack.emulator.getImage('us-east-1', source.imageId);
    expect(shared?.launchPermissions.userIds.sort()).toEqual([DEV, PROD]);

    const first = await drainMemberWork();
    expect(first.slice(0, 4)).toEqual(
      [DEV, PROD].flatMap((account) =>
        ['eu-west-1', 'us-east-1'].map((region) =>
          expect.objectContaining({ account, region, rules: ['golden'] }),
        ),
      ),
    );
    const owned = (account: string) =>
      REGIONS.filter((region) =>
        stack.emulator
          .listImages(region)
          .some(
            (i) => i.ownerId === account && i.sourceImageId === source.imageId && i.state === 'available',
          ),
      );
    expect(owned(DEV)).toEqual(REGIONS);
    expect(owned(PROD)).toEqual(REGIONS);

    // Every copy's available event crossed from its account's bus to the hub's.
    const forwarded = stack.buses.forwards().filter((f) => f.outcome === 'delivered');
    // Bus ARNs: arn:aws:events:<region>:<account>:event-bus/<name>.
    const sender = (arn: string) => {
      const [, , , region, account] = arn.split(':');
      return `${account}/${region}`;
    };
    expect(forwarded.every((f) => f.to.includes(`:${HUB}:event-bus/default`))).toBe(true);
    expect(new Set(forwarded.map((f) => sender(f.from)))).toEqual(
      new Set([DEV, PROD].flatMap((a) => REGIONS.map((r) => `${a}/${r}`))),
    );
    // The hub queued each forwarded copy's account and region, with the copy to record.
    expect(first.filter((i) => typeof i === 'object' && i !== null && 'imageId' in i)).toHaveLength(4);

    const completed = stack.bus
      .events()
      .filter((r) => r.event['detail-type'] === DetailType.AccountCopiesCompleted);
    expect(completed).toHaveLength(1);
    const detail = completed[0]?.event.detail as {
      accounts: { account: string; regions: { region: string; status: string }[] }[];
    };
    expect(
      detail.accounts.map(
        (a) => `${a.account}: ${a.regions.map((r) => `${r.region} ${r.status}`).join(', ')}`,
      ),
    ).toEqual([
      `${DEV}: eu-west-1 available, us-east-1 available`,
      `${PROD}: eu-west-1 available, us-east-1 available`,
    ]);
    expectValidToolEvents(stack.bus.events().map((r) => r.event));
  });
});
