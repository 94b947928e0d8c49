import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DisableImageCommand, EC2Client, EnableImageDeprecationCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectValidToolEvents } from '../../support/tool-events.js';
import { runCli, startIntegrationStack } from '../helpers.js';

/**
 * `ami-lifecycle rollback` and `unpin` (a separate process, through the SDK) against the local
 * stack whose functions move the pointers on each release: the pin is kept in AWS, so the
 * functions honour it.
 */

const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2'];
const PARAM = '/golden/golden/latest';
const RULES = 'test/fixtures/rules/pointers.yaml';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startIntegrationStack({ retryDelayMs: 100, rulesFile: RULES });
});

afterAll(async () => {
  expectValidToolEvents(stack.bus.events().map((r) => r.event));
  await stack?.close();
});

function cli(args: readonly string[]) {
  return runCli(stack.endpoint, args, { AWS_ACCOUNT_ID: stack.emulator.accountId, RULES_FILE: RULES });
}

function release(name: string, creationDate: string): string {
  return stack.emulator.seedImage({ region: 'us-east-1', name, creationDate: new Date(creationDate) })
    .imageId;
}

function imageIn(region: string, sourceImageId: string): string {
  if (region === 'us-east-1') return sourceImageId;
  return stack.emulator.listImages(region).find((i) => i.sourceImageId === sourceImageId)?.imageId ?? '';
}

const pointers = () => REGIONS.map((region) => stack.ssm.getParameter(region, PARAM)?.value);
const imagesOf = (sourceImageId: string) => REGIONS.map((region) => imageIn(region, sourceImageId));
const ruleState = (region: string) =>
  JSON.parse(stack.ssm.getParameter(region, '/ami-lifecycle/rules/golden')?.value ?? '{}');

it('rollback --previous: a dry run first; then every pointer back, the retired copy revived, pinned; unpin moves them forward', async () => {
  stack.emulator.seedLaunchTemplate({
    region: 'eu-west-1',
    name: 'web',
    versions: [{ imageId: 'ami-0ba5e000000000001' }],
  });
  const older = release('golden-linux-1', '2026-11-01T00:00:00.000Z');
  await stack.settle();
  const newer = release('golden-linux-2', '2026-11-02T00:00:00.000Z');
  await stack.settle();
  expect(pointers()).toEqual(imagesOf(newer));

  // Retirement had deprecated and disabled the older copy in eu-west-1.
  const ec2 = new EC2Client({
    region: 'eu-west-1',
    endpoint: stack.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const retired = imageIn('eu-west-1', older);
  await ec2.send(
    new EnableImageDeprecationCommand({ ImageId: retired, DeprecateAt: new Date(Date.now() + 60_000) }),
  );
  await ec2.send(new DisableImageCommand({ ImageId: retired }));

  const dry = await cli(['rollback', '--rule', 'golden', '--previous']);
  expect(dry.code, dry.stderr).toBe(3);
  expect(dry.stdout).toContain(`~ eu-west-1 enable ${retired}: rollback to ${older} (rule golden)`);
  expect(dry.stdout).toContain(`~ eu-west-1 undeprecate ${retired}`);
  expect(pointers()).toEqual(imagesOf(newer));

  const applied = await cli([
    'rollback',
    '--rule',
    'golden',
    '--previous',
    '--apply',
    '--json',
    '--event-bus',
    'ami-lifecycle-dev',
  ]);
  expect(applied.code, applied.stderr).toBe(0);
  expect(JSON.parse(applied.stdout)).toMatchObject({
    command: 'rollback',
    dryRun: false,
    release: { sourceImageId: older },
  });
  await stack.settle();
  expect(pointers()).toEqual(imagesOf(older));
  expect(stack.emulator.getImage('eu-west-1', retired)).toMatchObject({ state: 'available' });
  expect(stack.emulator.getImage('eu-west-1', retired)?.deprecationTime).toBeUndefined();
  for (const region of REGIONS) expect(ruleState(region).pin).toMatchObject({ sourceImageId: older });
  const rollbacks = stack.bus.events().filter((r) => r.event['detail-type'] === 'AMI Rollback');
  expect(rollbacks.map((r) => r.event.detail)).toEqual([
    expect.objectContaining({ rule: 'golden', sourceImageId: older, pinned: true }),
  ]);

  // Pinned: a new release is distributed, and moves no pointer.
  const newest = release('golden-linux-3', '2026-11-03T00:00:00.000Z');
  await stack.settle();
  expect(imageIn('eu-west-1', newest)).not.toBe('');
  expect(pointers()).toEqual(imagesOf(older));

  // status shows each region's pointers, the image they name and the pin.
  const status = await cli(['status', '--json']);
  expect(status.code, status.stderr).toBe(0);
  const shown = JSON.parse(status.stdout).pointers;
  for (const region of REGIONS) {
    expect(shown).toContainEqual(
      expect.objectContaining({
        region,
        rule: 'golden',
        kind: 'parameter',
        name: PARAM,
        imageId: imageIn(region, older),
        pinnedTo: older,
      }),
    );
  }
  expect(shown).toContainEqual(
    expect.objectContaining({ region: 'eu-west-1', kind: 'template', name: 'web', pinnedTo: older }),
  );
  const text = await cli(['status']);
  expect(text.stdout).toMatch(new RegExp(`^golden +us-east-1 +${PARAM} +${older} +\\d+ +${older}$`, 'm'));

  const unpinned = await cli(['unpin', '--rule', 'golden', '--apply']);
  expect(unpinned.code, unpinned.stderr).toBe(0);
  await stack.settle();
  expect(pointers()).toEqual(imagesOf(newest));
  for (const region of REGIONS) expect(ruleState(region).pin).toBeUndefined();

  const again = await cli(['unpin', '--rule', 'golden']);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('rule golden is not pinned here');
});

it('invalid input: exit 2 with the reason, before any change', async () => {
  const both = await cli(['rollback', '--rule', 'golden', '--previous', '--to', 'ami-0123456789abcdef0']);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('give exactly one of --previous and --to');
  const unknown = await cli(['rollback', '--rule', 'golden', '--to', 'ami-0123456789abcdef0']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('ami-0123456789abcdef0 is not an image of rule golden');
});
