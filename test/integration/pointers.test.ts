import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectValidToolEvents } from '../support/tool-events.js';
import { availableEvent, startIntegrationStack } from './helpers.js';

/**
 * Pointers end to end: the real `amiStateChange` handler, invoked by the local bus, moving SSM
 * parameters and launch templates through the real SDK over HTTP against the emulator (which
 * validates `aws:ec2:image` values asynchronously, as AWS does).
 */

const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2'];
const PARAM = '/golden/golden/latest';
const BASE_IMAGE = 'ami-0base0000000000001';

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

async function templateVersions(region: string) {
  const client = new EC2Client({
    region,
    endpoint: stack.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const output = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'web' }));
  return (output.LaunchTemplateVersions ?? []).map((v) => ({
    version: v.VersionNumber,
    isDefault: v.DefaultVersion,
    imageId: v.LaunchTemplateData?.ImageId,
    instanceType: v.LaunchTemplateData?.InstanceType,
  }));
}

function parameterCalls(): number {
  return stack.ssm.calls().PutParameter ?? 0;
}

describe('pointers through the local stack', () => {
  it('a release moves the parameter in every region and the template where named, each to its own image', async () => {
    fresh();
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
    // A new version from the default, with only the image id changed, made the default.
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(await templateVersions(region)).toEqual([
        { version: 1, isDefault: false, imageId: BASE_IMAGE, instanceType: 't3.micro' },
        { version: 2, isDefault: true, imageId: imageIn(region, source), instanceType: 't3.micro' },
      ]);
    }
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
});
