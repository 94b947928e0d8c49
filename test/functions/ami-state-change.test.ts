import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaContext } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CopyImageCommand,
  CreateTagsCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Filter,
  type Image,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsExample } from '../support/aws-examples.js';
import { captureConsoleErrors } from '../support/console.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

const fixture = (name: string) => awsExample(`ec2-ami-state-change-${name}`);

/**
 * The handler, fed AWS's published example events, through the real middy stack and the real SDK
 * clients, with EC2 and EventBridge answered by aws-sdk-client-mock.
 */

const IMAGE_ID = 'ami-0abcdef1234567890';
const ACCOUNT = '012345678901';

const rulesDir = mkdtempSync(join(tmpdir(), 'ami-rules-'));
const rulesFile = join(rulesDir, 'rules.yaml');
writeFileSync(
  rulesFile,
  `version: 1
rules:
  - name: golden
    match: { regions: [us-east-1], names: ['golden-*'] }
    copy: { regions: [eu-west-1, us-west-2], tags: { distribution: golden } }
    share: { accounts: ['444455556666'] }
`,
);

const ec2 = mockClient(EC2Client);
const eventBridge = mockClient(EventBridgeClient);
const dynamodb = mockClient(DynamoDBClient);
restoreAfterAll(ec2, eventBridge, dynamodb);

/** Images EC2 knows, by region. */
let images: Record<string, Image[]>;

const sourceImage = (overrides: Partial<Image> = {}): Image => ({
  ImageId: IMAGE_ID,
  Name: 'golden-linux-1',
  OwnerId: ACCOUNT,
  State: 'available',
  RootDeviceType: 'ebs',
  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0123456789abcdef0' } }],
  Tags: [],
  ...overrides,
});

async function regionOf(client: unknown): Promise<string> {
  if (client instanceof EC2Client) return client.config.region();
  throw new Error('not an EC2 client');
}

const context: Context = lambdaContext({
  functionName: 'ami-state-change',
  awsRequestId: 'test-request',
  region: 'us-east-1',
  accountId: '012345678901',
  timeoutSeconds: 30,
});

async function loadHandler(env: Record<string, string> = {}) {
  vi.resetModules();
  vi.stubEnv('RULES_FILE', rulesFile);
  vi.stubEnv('EVENT_BUS_NAME', 'ami-lifecycle-test');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  const { handler } = await import('../../functions/ami-state-change.js');
  return (event: unknown) => handler(event, context);
}

const logged = { error: [] as string[] };

beforeEach(() => {
  ec2.reset();
  eventBridge.reset();
  dynamodb.reset();
  // Claims are won, and a release's regions done are only those this test records.
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).callsFake(async (input) => ({
    Attributes: Object.fromEntries(
      Object.entries(input.ExpressionAttributeNames ?? {}).flatMap(([, name]) =>
        typeof name === 'string' && name.startsWith('done:') ? [[name, { S: IMAGE_ID }]] : [],
      ),
    ),
  }));
  images = { 'us-east-1': [sourceImage()] };
  ec2.on(DescribeImagesCommand).callsFake(async (input, getClient) => {
    const region = await regionOf(getClient());
    const here = images[region] ?? [];
    if (input.ImageIds) {
      const found = here.filter((i) => input.ImageIds?.includes(i.ImageId ?? ''));
      if (found.length === 0) {
        throw Object.assign(new Error(`The image id '[${input.ImageIds.join(', ')}]' does not exist`), {
          name: 'InvalidAMIID.NotFound',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return { Images: found };
    }
    // A copy's check reads by image-id filter, which answers only for the ids EC2 knows.
    const ids = input.Filters?.find((f: Filter) => f.Name === 'image-id')?.Values;
    if (ids !== undefined) return { Images: here.filter((i) => ids.includes(i.ImageId ?? '')) };
    const sourceId = input.Filters?.find((f: Filter) => f.Name === 'source-image-id')?.Values?.[0];
    return { Images: here.filter((i) => i.SourceImageId === sourceId) };
  });
  ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [] });
  ec2.on(DescribeSnapshotsCommand).resolves({
    Snapshots: [{ SnapshotId: 'snap-0123456789abcdef0', Tags: [], Encrypted: false }],
  });
  // A copy exists once started, pending, where DescribeImages finds it.
  ec2.on(CopyImageCommand).callsFake(async (input, getClient) => {
    const region = await regionOf(getClient());
    const copy: Image = {
      ImageId: 'ami-0c0c0c0c0c0c0c0c0',
      State: 'pending',
      OwnerId: ACCOUNT,
      SourceImageId: input.SourceImageId,
      SourceImageRegion: input.SourceRegion,
    };
    images[region] = [...(images[region] ?? []).filter((i) => i.ImageId !== copy.ImageId), copy];
    return { ImageId: copy.ImageId };
  });
  ec2.on(CreateTagsCommand).resolves({});
  ec2.on(ModifyImageAttributeCommand).resolves({});
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  logged.error = captureConsoleErrors();
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const mutatingCalls = () => [
  ...ec2.commandCalls(CopyImageCommand),
  ...ec2.commandCalls(CreateTagsCommand),
  ...ec2.commandCalls(ModifyImageAttributeCommand),
];

describe('ami-state-change handler', () => {
  it('available, a matched source: tags and shares it and starts one copy per target region', async () => {
    const handle = await loadHandler();
    const result = await handle(fixture('available'));

    expect(result).toMatchObject({ status: 'applied', role: 'source' });
    expect(ec2).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [IMAGE_ID, 'snap-0123456789abcdef0'],
      Tags: [{ Key: 'ami-lifecycle:rule', Value: 'golden' }],
    });
    expect(ec2).toHaveReceivedCommandWith(ModifyImageAttributeCommand, {
      ImageId: IMAGE_ID,
      LaunchPermission: { Add: [{ UserId: '444455556666' }] },
    });
    const copies = ec2.commandCalls(CopyImageCommand);
    const regions = await Promise.all(copies.map((c) => regionOf(c.thisValue)));
    expect(regions.sort()).toEqual(['eu-west-1', 'us-west-2']);
    for (const copy of copies) {
      expect(copy.args[0].input).toMatchObject({ SourceImageId: IMAGE_ID, SourceRegion: 'us-east-1' });
      expect(copy.args[0].input.ClientToken).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('available again, with copies already there: plans nothing and calls nothing that writes', async () => {
    images['us-east-1'] = [
      sourceImage({
        Tags: [{ Key: 'ami-lifecycle:rule', Value: 'golden' }],
      }),
    ];
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-0123456789abcdef0', Tags: [{ Key: 'ami-lifecycle:rule', Value: 'golden' }] },
      ],
    });
    ec2.on(DescribeImageAttributeCommand).resolves({ LaunchPermissions: [{ UserId: '444455556666' }] });
    for (const region of ['eu-west-1', 'us-west-2']) {
      images[region] = [
        {
          ImageId: `ami-0${region.length}copy000000000000`,
          State: 'pending',
          SourceImageId: IMAGE_ID,
          SourceImageRegion: 'us-east-1',
          OwnerId: ACCOUNT,
        },
      ];
    }
    const handle = await loadHandler();
    const result = await handle(fixture('available'));
    expect(result).toMatchObject({ status: 'applied', plan: { actions: [] } });
    expect(mutatingCalls()).toEqual([]);
  });

  it('available, a new source: one DescribeImages, no other read (what a new image has is known)', async () => {
    const handle = await loadHandler();
    await handle(fixture('available'));
    expect(ec2.commandCalls(DescribeImagesCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeImageAttributeCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeSnapshotsCommand)).toHaveLength(0);
  });

  it("an event about another account's image: ignored with a warning naming both accounts, nothing read", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: unknown) => {
      warnings.push(String(line));
    });
    const handle = await loadHandler();
    const result = await handle({ ...fixture('available'), account: '999988887777' });
    expect(result).toMatchObject({ status: 'ignored' });
    expect(ec2.calls()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/999988887777.*012345678901/);
  });

  it('available, an image no rule matches: nothing but reads', async () => {
    images['us-east-1'] = [sourceImage({ Name: 'not-golden' })];
    const handle = await loadHandler();
    expect(await handle(fixture('available'))).toMatchObject({
      status: 'ignored',
      reason: 'no rule matches it',
    });
    expect(mutatingCalls()).toEqual([]);
  });

  it('failed, a copy: publishes AMI Copy Failed with the state reason on the configured bus', async () => {
    images['us-east-1'] = [
      sourceImage({
        Name: 'golden-linux-1',
        State: 'failed',
        StateReason: { Code: 'Client.UnknownError', Message: 'snapshot copy failed' },
        SourceImageId: 'ami-0fedcba9876543210',
        SourceImageRegion: 'eu-central-1',
        Tags: [
          { Key: 'ami-lifecycle:rule', Value: 'golden' },
          { Key: 'ami-lifecycle:source-image-id', Value: 'ami-0fedcba9876543210' },
          { Key: 'ami-lifecycle:source-region', Value: 'eu-central-1' },
        ],
      }),
    ];
    const handle = await loadHandler();
    expect(await handle(fixture('failed'))).toEqual({ status: 'reported', detailType: 'AMI Copy Failed' });
    const [call] = eventBridge.commandCalls(PutEventsCommand);
    const entry = call?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'ami-lifecycle-test',
      Source: 'ami-lifecycle',
      DetailType: 'AMI Copy Failed',
      Resources: [`arn:aws:ec2:us-east-1::image/${IMAGE_ID}`],
    });
    // The source is not found in eu-central-1 here, so the family is the failed copy alone.
    expect(JSON.parse(entry?.Detail ?? '{}')).toEqual({
      schemaVersion: 1,
      eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
      rule: 'golden',
      sourceImageId: 'ami-0fedcba9876543210',
      sourceRegion: 'eu-central-1',
      imageName: 'golden-linux-1',
      imageId: IMAGE_ID,
      region: 'us-east-1',
      reason: 'snapshot copy failed',
      regions: [
        {
          region: 'us-east-1',
          role: 'copy',
          imageId: IMAGE_ID,
          status: 'failed',
          reason: 'snapshot copy failed',
        },
      ],
      sharedWith: { accounts: ['444455556666'], organizations: [], organizationalUnits: [], public: false },
    });
    expect(mutatingCalls()).toEqual([]);
  });

  it.each(['deregistered', 'disabled'])('%s: does nothing, not even a read', async (state) => {
    const handle = await loadHandler();
    expect(await handle(fixture(state))).toEqual({ status: 'ignored', reason: `state ${state}` });
    expect(ec2.calls()).toEqual([]);
    expect(eventBridge.calls()).toEqual([]);
  });

  it('an image two rules match at run time: reported and left alone', async () => {
    // "self" and the account's own id are only known to be the same at run time.
    const ambiguousRules = join(rulesDir, 'ambiguous.yaml');
    writeFileSync(
      ambiguousRules,
      `version: 1
rules:
  - name: by-self
    match: { regions: [us-east-1], owners: [self], names: ['golden-*'] }
    copy: { regions: [eu-west-1] }
  - name: by-id
    match: { regions: [us-east-1], owners: ['${ACCOUNT}'], names: ['golden-*'] }
    copy: { regions: [us-west-2] }
`,
    );
    const handle = await loadHandler({ RULES_FILE: ambiguousRules });
    expect(await handle(fixture('available'))).toEqual({
      status: 'ignored',
      reason: 'matched by rules by-self, by-id',
    });
    expect(mutatingCalls()).toEqual([]);
  });

  it('a malformed event: one clear error line, no retry (the invocation succeeds), no AWS call', async () => {
    const handle = await loadHandler();
    const event = fixture('available');
    const result = await handle({ ...event, detail: { State: 'available' } });
    expect(result).toMatchObject({ status: 'failed', error: 'InvalidEventError' });
    expect(logged.error).toHaveLength(1);
    expect(logged.error[0]).toContain('detail.ImageId');
    expect(ec2.calls()).toEqual([]);
  });

  it('a retryable failure in one region: the other regions are done, then the invocation fails so Lambda retries', async () => {
    ec2.on(CopyImageCommand).callsFake(async (_input, getClient) => {
      if ((await regionOf(getClient())) === 'eu-west-1') {
        throw Object.assign(new Error('too many copies in progress'), {
          name: 'ResourceLimitExceeded',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return { ImageId: 'ami-0c0c0c0c0c0c0c0c0' };
    });
    const handle = await loadHandler();
    await expect(handle(fixture('available'))).rejects.toMatchObject({ name: 'RetryableFailuresError' });
    const regions = await Promise.all(ec2.commandCalls(CopyImageCommand).map((c) => regionOf(c.thisValue)));
    expect(regions.sort()).toEqual(['eu-west-1', 'us-west-2']);
    expect(ec2).toHaveReceivedCommand(ModifyImageAttributeCommand);
  });

  it('a target region that cannot be read for a passing reason: the others are done, then Lambda retries', async () => {
    const throttled = Object.assign(new Error('Request limit exceeded.'), {
      name: 'RequestLimitExceeded',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
    // A source the tool has handled before (it carries its rule's tag): its copies are looked for.
    images['us-east-1'] = [sourceImage({ Tags: [{ Key: 'ami-lifecycle:rule', Value: 'golden' }] })];
    ec2.on(DescribeImagesCommand).callsFake(async (input, getClient) => {
      const region = await regionOf(getClient());
      if (region === 'eu-west-1') throw throttled;
      const here = images[region] ?? [];
      const ids = input.ImageIds ?? input.Filters?.find((f: Filter) => f.Name === 'image-id')?.Values;
      if (ids !== undefined) return { Images: here.filter((i) => ids.includes(i.ImageId ?? '')) };
      return { Images: [] };
    });
    const handle = await loadHandler();
    const failure = await handle(fixture('available')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: 'RetryableFailuresError' });
    const message = failure instanceof Error ? failure.message : '';
    // The error observed in eu-west-1 itself, not a re-wrapped copy of its message.
    expect(message).toContain(
      'DescribeImages in eu-west-1 failed: RequestLimitExceeded: Request limit exceeded.',
    );
    expect(message).not.toContain('Error: DescribeImages');
    const regions = await Promise.all(ec2.commandCalls(CopyImageCommand).map((c) => regionOf(c.thisValue)));
    expect(regions).toEqual(['us-west-2']);
  });

  it('a terminal failure in one region: reported on the bus, the invocation ends cleanly', async () => {
    ec2.on(CopyImageCommand).callsFake(async (_input, getClient) => {
      if ((await regionOf(getClient())) === 'us-west-2') {
        throw Object.assign(new Error('not authorized'), {
          name: 'AuthFailure',
          $fault: 'client',
          $metadata: { httpStatusCode: 401 },
        });
      }
      return { ImageId: 'ami-0c0c0c0c0c0c0c0c0' };
    });
    const handle = await loadHandler();
    expect(await handle(fixture('available'))).toMatchObject({ status: 'applied' });
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => e.DetailType)).toEqual(['AMI Distribution Started', 'AMI Actions Failed']);
    // The copy that did start is announced; the one that could not is the failure.
    expect(JSON.parse(entries[0]?.Detail ?? '{}').copies).toEqual([
      { region: 'eu-west-1', imageId: 'ami-0c0c0c0c0c0c0c0c0' },
    ]);
    expect(JSON.parse(entries[1]?.Detail ?? '{}').failures).toEqual([
      expect.objectContaining({ operation: 'CopyImage', region: 'us-west-2', code: 'AuthFailure' }),
    ]);
  });

  it('dry run: returns the plan as a diff and writes nothing', async () => {
    const handle = await loadHandler({ DRY_RUN: 'true' });
    const result = await handle(fixture('available'));
    expect(result).toMatchObject({ status: 'planned' });
    expect(result).toHaveProperty(
      'diff',
      expect.arrayContaining([expect.stringContaining('copy ami-0abcdef1234567890')]),
    );
    expect(mutatingCalls()).toEqual([]);
  });
});
