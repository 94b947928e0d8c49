import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcileRegions } from '../../shared/core/reconcile.js';
import { loadRulesFile, parseRules } from '../../shared/rules/load.js';
import type { Rule } from '../../shared/rules/schema.js';
import { expectValidToolEvents } from '../support/tool-events.js';
import {
  availableEvent,
  emulatorEc2,
  emulatorSsm,
  MUTATING,
  quietLogger,
  startIntegrationStack,
} from './helpers.js';

/**
 * Pointers end to end: the real `amiStateChange` handler, invoked by the local bus, moving SSM
 * parameters and launch templates through the real SDK over HTTP against the emulator (which
 * validates `aws:ec2:image` values asynchronously, as AWS does).
 */

const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2'];
const PARAM = '/golden/golden/latest';
const BASE_IMAGE = 'ami-0ba5e000000000001';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startIntegrationStack({ retryDelayMs: 100, rulesFile: 'test/fixtures/rules/pointers.yaml' });
});

afterEach(() => {
  expectValidToolEvents(stack.bus.events().map((r) => r.event));
});

afterAll(async () => {
  await stack?.close();
});

function fresh(): void {
  stack.reset();
  for (const region of ['us-east-1', 'eu-west-1']) {
    stack.emulator.seedLaunchTemplate({
      region,
      name: 'web',
      versions: [{ imageId: BASE_IMAGE, instanceType: 't3.micro' }],
    });
  }
}

function release(name: string, creationDate: string): string {
  return stack.emulator.seedImage({ region: 'us-east-1', name, creationDate: new Date(creationDate) })
    .imageId;
}

/** The image of the release of `sourceImageId` in `region`: the source itself, or its copy. */
function imageIn(region: string, sourceImageId: string): string | undefined {
  if (region === 'us-east-1') return sourceImageId;
  return stack.emulator.listImages(region).find((i) => i.sourceImageId === sourceImageId)?.imageId;
}

async function templateVersions(region: string, name = 'web') {
  const client = new EC2Client({
    region,
    endpoint: stack.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const output = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name }));
  return (output.LaunchTemplateVersions ?? []).map((v) => ({
    version: v.VersionNumber,
    isDefault: v.DefaultVersion,
    imageId: v.LaunchTemplateData?.ImageId,
    instanceType: v.LaunchTemplateData?.InstanceType,
  }));
}

const { rules: POINTER_RULES } = loadRulesFile('test/fixtures/rules/pointers.yaml');

/** One scheduled run of every region, as the functions make it, with `rules`. */
async function reconcile(rules: readonly Rule[] = POINTER_RULES) {
  const results = await reconcileRegions(
    {
      rules,
      accountId: stack.emulator.accountId,
      ec2: emulatorEc2(stack.endpoint),
      ssm: emulatorSsm(stack.endpoint),
      logger: quietLogger,
      events: { publish: async () => {} },
      now: () => new Date(),
    },
    { regions: REGIONS, dryRun: false, maxCopiesInFlight: 20, concurrency: 4 },
  );
  await stack.settle();
  return results.flatMap((r) => ('report' in r ? [r.report] : []));
}

/** An operator's own PutParameter (not the tool's). */
async function overwrite(region: string, name: string, value: string): Promise<void> {
  const client = new SSMClient({
    region,
    endpoint: stack.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await client.send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: 'String',
      DataType: 'aws:ec2:image',
      Overwrite: true,
    }),
  );
  await stack.settle();
}

function ssmWrites(): number {
  const calls = stack.ssm.calls();
  return (calls.PutParameter ?? 0) + (calls.LabelParameterVersion ?? 0) + (calls.AddTagsToResource ?? 0);
}

function ec2Writes(): number {
  const counters = stack.emulator.counters();
  return [...MUTATING, 'CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'].reduce(
    (n, action) => n + Object.values(counters[action] ?? {}).reduce((m, c) => m + c.calls, 0),
    0,
  );
}

function parameterCalls(): number {
  return stack.ssm.calls().PutParameter ?? 0;
}

describe('pointers through the local stack', () => {
  it('a release moves the parameter in every region and the template where named, each to its own image', async () => {
    fresh();
    // A template the rule does not name, beside the one it does: never touched.
    stack.emulator.seedLaunchTemplate({
      region: 'us-east-1',
      name: 'batch',
      versions: [{ imageId: BASE_IMAGE, instanceType: 't3.micro' }],
    });
    const source = release('golden-linux-1', '2026-11-01T00:00:00.000Z');
    await stack.settle();

    for (const region of REGIONS) {
      const image = imageIn(region, source);
      expect(image, `image in ${region}`).toBeDefined();
      const parameter = stack.ssm.getParameter(region, PARAM);
      expect(parameter?.value, `${PARAM} in ${region}`).toBe(image);
      expect(parameter?.dataType).toBe('aws:ec2:image');
      expect(parameter?.tags).toMatchObject({ 'ami-lifecycle:rule': 'golden' });
      const state = JSON.parse(stack.ssm.getParameter(region, '/ami-lifecycle/rules/golden')?.value ?? '{}');
      expect(state.head).toMatchObject({ sourceImageId: source, sourceRegion: 'us-east-1' });
    }
    // What it cost, per region: one GetParameters (the rule state with the parameter), two
    // PutParameter (the parameter, then the state); per named template one read and two writes.
    // A copy knows its release's order from its own tag: no read of its source.
    expect(stack.ssm.calls()).toMatchObject({ GetParameters: 3, PutParameter: 6 });
    expect(stack.ssm.calls().AddTagsToResource ?? 0).toBe(0);
    const ec2 = stack.emulator.counters();
    const total = (action: string) => Object.values(ec2[action] ?? {}).reduce((n, c) => n + c.calls, 0);
    expect(
      ['DescribeLaunchTemplateVersions', 'CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'].map(total),
    ).toEqual([2, 2, 2]);
    expect(total('DescribeImages')).toBe(REGIONS.length);
    // Each region announced its moves; the completion names the parameters of every region.
    const published = (type: string) =>
      stack.bus
        .events()
        .filter((r) => r.event['detail-type'] === type)
        .map((r) => r.event.detail);
    expect(published('AMI Pointers Moved')).toEqual(
      expect.arrayContaining(REGIONS.map((region) => expect.objectContaining({ region }))),
    );
    expect(published('AMI Pointers Moved')).toHaveLength(REGIONS.length);
    expect(published('AMI Distribution Completed')).toEqual([
      expect.objectContaining({ parameters: REGIONS.map((region) => ({ region, name: PARAM })) }),
    ]);
    // A new version from the default, with only the image id changed, made the default.
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(await templateVersions(region)).toEqual([
        { version: 1, isDefault: false, imageId: BASE_IMAGE, instanceType: 't3.micro' },
        { version: 2, isDefault: true, imageId: imageIn(region, source), instanceType: 't3.micro' },
      ]);
    }
    expect(await templateVersions('us-east-1', 'batch')).toEqual([
      { version: 1, isDefault: true, imageId: BASE_IMAGE, instanceType: 't3.micro' },
    ]);
  });

  it('a newer release moves every pointer on; the older release replayed afterwards moves nothing', async () => {
    fresh();
    const older = release('golden-linux-1', '2026-11-01T00:00:00.000Z');
    await stack.settle();
    const newer = release('golden-linux-2', '2026-11-02T00:00:00.000Z');
    await stack.settle();
    for (const region of REGIONS) {
      expect(stack.ssm.getParameter(region, PARAM)?.value, region).toBe(imageIn(region, newer));
    }
    const puts = parameterCalls();
    const versions = await templateVersions('eu-west-1');

    // The older release's events, delivered again (a replay, a late retry), in every region.
    for (const region of REGIONS) {
      stack.bus.put(
        'default',
        availableEvent(stack.emulator.accountId, imageIn(region, older) ?? '', region),
      );
    }
    await stack.settle();

    expect(parameterCalls()).toBe(puts);
    expect(await templateVersions('eu-west-1')).toEqual(versions);
    for (const region of REGIONS) {
      expect(stack.ssm.getParameter(region, PARAM)?.value, region).toBe(imageIn(region, newer));
    }
    const deliveries = stack.timeline.filter(
      (e) => e.kind === 'delivery' && e.record.eventId.startsWith('replayed-'),
    );
    expect(deliveries.map((e) => e.kind === 'delivery' && e.record.outcome)).toEqual([
      'success',
      'success',
      'success',
    ]);
  });

  it('the schedule sets back a parameter someone changed and labels each version; converged, it writes nothing', async () => {
    fresh();
    const source = release('golden-linux-1', '2026-11-01T00:00:00.000Z');
    await stack.settle();
    const handmade = stack.emulator.seedImage({ region: 'eu-west-1', name: 'handmade-1', emitEvent: false });
    await overwrite('eu-west-1', PARAM, handmade.imageId);
    expect(stack.ssm.getParameter('eu-west-1', PARAM)?.value).toBe(handmade.imageId);

    await reconcile();
    for (const region of REGIONS) {
      const parameter = stack.ssm.getParameter(region, PARAM);
      expect(parameter?.value, region).toBe(imageIn(region, source));
    }
    // AWS validated the values since: the next run labels each with its release, once.
    await reconcile();
    for (const region of REGIONS) {
      const parameter = stack.ssm.getParameter(region, PARAM);
      expect(parameter?.labels[parameter.version], region).toEqual([source]);
    }
    const [ssm, ec2] = [ssmWrites(), ec2Writes()];
    const reports = await reconcile();
    expect(ssmWrites()).toBe(ssm);
    expect(ec2Writes()).toBe(ec2);
    expect(reports.flatMap((r) => r.diff.filter((line) => !line.startsWith('!')))).toEqual([]);
  });

  it('retirement keeps an image a parameter names, and says so; the next run, the parameter moved, retires it', async () => {
    fresh();
    const [rule] = POINTER_RULES;
    const rules = parseRules(
      JSON.stringify({ version: 1, rules: [{ ...rule, retire: { keep: 1, deprecateAfterDays: 0 } }] }),
      'retire-pointers.json',
    ).rules;
    const older = release('golden-linux-1', '2026-11-01T00:00:00.000Z');
    await stack.settle();
    const newer = release('golden-linux-2', '2026-11-02T00:00:00.000Z');
    await stack.settle();
    // Someone points us-east-1's parameter back at the older release by hand.
    await overwrite('us-east-1', PARAM, older);
    expect(stack.ssm.getParameter('us-east-1', PARAM)?.value).toBe(older);

    const [east] = await reconcile(rules);
    expect(stack.emulator.getImage('us-east-1', older)?.deprecationTime).toBeUndefined();
    expect(east?.diff).toContainEqual(
      expect.stringMatching(new RegExp(`^! us-east-1 ${older} not retired: SSM parameter ${PARAM} names it`)),
    );
    // The older copies nothing names are deprecated; the run moved the parameter forward again.
    expect(
      stack.emulator.getImage('eu-west-1', imageIn('eu-west-1', older) ?? '')?.deprecationTime,
    ).toBeDefined();
    expect(stack.ssm.getParameter('us-east-1', PARAM)?.value).toBe(newer);

    await reconcile(rules);
    expect(stack.emulator.getImage('us-east-1', older)?.deprecationTime).toBeDefined();
  });
});
