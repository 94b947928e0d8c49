import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { DetailType } from '../../shared/core/notifications.js';
import { expectValidToolEvents } from '../support/tool-events.js';

/**
 * `ami-lifecycle apply --event-bus` (a separate process, through the SDK) against the local stack:
 * a release whose events were all lost is repaired by the CLI, and its completion announced once,
 * through the same claims table as the deployed functions.
 */

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/ami-lifecycle.js');
const TARGETS = ['eu-west-1', 'ap-southeast-2', 'us-west-2'];

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    root: ROOT,
    rulesFile: 'test/fixtures/rules/integration.yaml',
    ec2: { copyDelayMs: 50 },
  });
});

afterAll(async () => {
  expectValidToolEvents(stack.bus.events().map((r) => r.event));
  await stack?.close();
});

function apply(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const {
    AWS_PROFILE: _profile,
    EVENT_BUS_NAME: _bus,
    DISTRIBUTIONS_TABLE: _table,
    ...inherited
  } = process.env;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, 'apply', '--rules', 'test/fixtures/rules/integration.yaml', ...args],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: {
          ...inherited,
          AWS_ENDPOINT_URL: stack.endpoint,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_REGION: 'us-east-1',
          AWS_ACCOUNT_ID: stack.emulator.accountId,
        },
      },
      (error, stdout, stderr) => {
        if (error === null) resolve({ code: 0, stdout, stderr });
        else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
        else reject(new Error(`${error.message}\n${stderr}`));
      },
    );
  });
}

const completed = () =>
  stack.bus.events().filter((r) => r.event['detail-type'] === DetailType.DistributionCompleted);

it('apply --event-bus repairs a release the events missed and announces it once; later runs add nothing', async () => {
  const source = stack.emulator.seedImage({ region: 'us-east-1', name: 'golden-cli-1', emitEvent: false });
  for (const region of TARGETS) {
    stack.emulator.seedImage({
      region,
      name: 'golden-cli-1',
      emitEvent: false,
      sourceImageId: source.imageId,
      sourceImageRegion: 'us-east-1',
    });
  }

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
  const source = stack.emulator.seedImage({ region: 'us-east-1', name: 'golden-cli-2', emitEvent: false });
  for (const region of TARGETS) {
    stack.emulator.seedImage({
      region,
      name: 'golden-cli-2',
      emitEvent: false,
      sourceImageId: source.imageId,
      sourceImageRegion: 'us-east-1',
    });
  }
  const before = completed().length;

  const first = await apply([]);
  const second = await apply([]);

  expect([first.code, second.code]).toEqual([0, 0]);
  expect(second.stdout).not.toContain('announced:');
  expect(completed()).toHaveLength(before);
});
