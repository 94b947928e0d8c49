import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DetailType } from '../../shared/core/notifications.js';
import { expectValidToolEvents } from '../support/tool-events.js';
import { runCli, seedLostRelease, startIntegrationStack } from './helpers.js';

/**
 * `ami-lifecycle apply --event-bus` (a separate process, through the SDK) against the local stack:
 * a release whose events were all lost is repaired by the CLI, and its completion announced once,
 * through the same claims table as the deployed functions.
 */

const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];

let stack: LocalStack;

beforeAll(async () => {
  stack = await startIntegrationStack();
});

afterAll(async () => {
  expectValidToolEvents(stack.bus.events().map((r) => r.event));
  await stack?.close();
});

function apply(args: readonly string[]) {
  return runCli(stack.endpoint, ['apply', ...args], { AWS_ACCOUNT_ID: stack.emulator.accountId });
}

const completed = () =>
  stack.bus.events().filter((r) => r.event['detail-type'] === DetailType.DistributionCompleted);

it('apply --event-bus repairs a release the events missed and announces it once; later runs add nothing', async () => {
  const { source } = seedLostRelease(stack.emulator, 'golden-cli-1', TARGETS);

  // Every region in parallel: the source region may look before the others have shared their
  // copies, so the announcement comes with this run or the next; never twice.
  const runs = [await apply(['--event-bus', 'ami-lifecycle-dev'])];
  runs.push(await apply(['--event-bus', 'ami-lifecycle-dev']));
  runs.push(await apply(['--event-bus', 'ami-lifecycle-dev']));
  await stack.bus.drain();

  expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
  expect(completed()).toHaveLength(1);
  expect(completed()[0]?.event.detail).toMatchObject({ sourceImageId: source.imageId });
  const announcedBy = runs.filter((r) =>
    r.stdout.includes(`announced: ${source.imageId} is in every target region`),
  );
  expect(announcedBy).toHaveLength(1);
  // The deployed notify function sent the message, as for an event-driven release.
  expect(stack.sns.published('ami-lifecycle-dev-notifications')).toHaveLength(1);
});

it('without a bus, apply announces no completion (nothing to claim it with)', async () => {
  const { source } = seedLostRelease(stack.emulator, 'golden-cli-2', TARGETS);
  const before = completed().length;

  const first = await apply([]);
  const second = await apply([]);

  expect([first.code, second.code]).toEqual([0, 0]);
  expect(second.stdout).not.toContain('announced:');
  expect(completed()).toHaveLength(before);
  // Repaired all the same, just not announced (and not marked announced).
  const tags = stack.emulator.getImage('us-east-1', source.imageId)?.tags ?? {};
  expect(tags['ami-lifecycle:rule']).toBe('golden');
  expect(tags['ami-lifecycle:distributed']).toBeUndefined();
});
