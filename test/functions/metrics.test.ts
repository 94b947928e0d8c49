import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaContext } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CopyImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  EC2Client,
  type Image,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureEmf, type EmfCapture, type EmfMetric } from '../../demo/metrics.js';
import { DetailType, toolEvent } from '../../shared/core/notifications.js';
import { awsExample } from '../support/aws-examples.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

const stateChange = (name: string) => awsExample(`ec2-ami-state-change-${name}`);

/**
 * The handlers emit their metrics: AWS's example events through the real middy stack, with the
 * SDK answered by aws-sdk-client-mock, and the EMF lines Powertools prints read back from stdout.
 */

const SOURCE = 'ami-0abcdef1234567890';
const COPY = 'ami-0c0c0c0c0c0c0c0c0';
const ACCOUNT = '012345678901';
const LINEAGE = [
  { Key: 'ami-lifecycle:rule', Value: 'golden' },
  { Key: 'ami-lifecycle:source-image-id', Value: SOURCE },
  { Key: 'ami-lifecycle:source-region', Value: 'us-east-1' },
];

const rulesFile = join(mkdtempSync(join(tmpdir(), 'ami-rules-')), 'rules.yaml');
writeFileSync(
  rulesFile,
  `version: 1
rules:
  - name: golden
    match: { regions: [us-east-1], names: ['golden-*'] }
    copy: { regions: [eu-west-1, us-west-2] }
`,
);

const ec2 = mockClient(EC2Client);
const eventBridge = mockClient(EventBridgeClient);
const dynamodb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
restoreAfterAll(ec2, eventBridge, dynamodb, sns);
let images: Record<string, Image[]>;
let emf: EmfCapture;

async function invoke(fn: 'ami-state-change' | 'notify', event: unknown, region = 'us-east-1') {
  vi.resetModules();
  vi.stubEnv('RULES_FILE', rulesFile);
  vi.stubEnv('EVENT_BUS_NAME', 'ami-lifecycle-test');
  vi.stubEnv('NOTIFICATIONS_TOPIC_ARN', `arn:aws:sns:${region}:${ACCOUNT}:ami-lifecycle-test-notifications`);
  vi.stubEnv('CHAT_TOPIC_ARN', `arn:aws:sns:${region}:${ACCOUNT}:ami-lifecycle-test-chat`);
  vi.stubEnv('AWS_REGION', region);
  // As deployed: no POWERTOOLS_DEV (which turns metrics off and prints them through console.log).
  vi.stubEnv('POWERTOOLS_DEV', '');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'ami-lifecycle-test');
  const { handler } =
    fn === 'notify'
      ? await import('../../functions/notify.js')
      : await import('../../functions/ami-state-change.js');
  const context = lambdaContext({
    functionName: fn,
    awsRequestId: 'test-request',
    region,
    accountId: ACCOUNT,
    timeoutSeconds: 30,
  });
  return handler(event, context);
}

/** The metric `name` with these dimensions (besides service), from what was printed. */
const metric = (name: string, dimensions: Record<string, string>): EmfMetric | undefined =>
  emf.metrics.find(
    (m) =>
      m.name === name &&
      JSON.stringify(m.dimensions) === JSON.stringify({ service: 'ami-lifecycle-test', ...dimensions }),
  );

beforeEach(() => {
  for (const mock of [ec2, eventBridge, dynamodb, sns]) mock.reset();
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({ Attributes: {} });
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  sns.on(PublishCommand).resolves({ MessageId: 'm1' });
  images = {
    'us-east-1': [
      {
        ImageId: SOURCE,
        Name: 'golden-linux-1',
        OwnerId: ACCOUNT,
        State: 'available',
        RootDeviceType: 'ebs',
      },
    ],
  };
  ec2.on(DescribeImagesCommand).callsFake(async (input, getClient) => {
    const region = await getClient().config.region();
    const here = images[region] ?? [];
    return { Images: input.ImageIds ? here.filter((i) => input.ImageIds?.includes(i.ImageId ?? '')) : [] };
  });
  ec2.on(CopyImageCommand).resolves({ ImageId: COPY });
  ec2.on(CreateTagsCommand).resolves({});
  ec2.on(ModifyImageAttributeCommand).resolves({});
  emf = captureEmf();
});

afterEach(() => {
  emf.restore();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the handlers emit their metrics as EMF', () => {
  it('a source available: a release started and a copy started per target region, in namespace ami-lifecycle', async () => {
    await invoke('ami-state-change', stateChange('available'));
    expect(metric('ReleasesStarted', { rule: 'golden', region: 'us-east-1' })?.values).toEqual([1]);
    for (const region of ['eu-west-1', 'us-west-2']) {
      expect(metric('CopiesStarted', { rule: 'golden', region })).toMatchObject({
        namespace: 'ami-lifecycle',
        unit: 'Count',
        dimensionSets: [['service', 'rule', 'region']],
        values: [1],
      });
    }
  });

  it('a copy available: one copy completed and its duration, from its creation to the event', async () => {
    images['eu-west-1'] = [
      {
        ImageId: COPY,
        Name: 'golden-linux-1',
        OwnerId: ACCOUNT,
        State: 'available',
        RootDeviceType: 'ebs',
        CreationDate: '2026-11-26T10:00:00.000Z',
        SourceImageId: SOURCE,
        SourceImageRegion: 'us-east-1',
        Tags: LINEAGE,
      },
    ];
    const event = {
      ...stateChange('available'),
      region: 'eu-west-1',
      time: '2026-11-26T10:12:30Z',
      resources: [`arn:aws:ec2:eu-west-1::image/${COPY}`],
      detail: { ...(stateChange('available').detail as object), ImageId: COPY },
    };
    await invoke('ami-state-change', event, 'eu-west-1');
    const dimensions = { rule: 'golden', region: 'eu-west-1' };
    expect(metric('CopiesCompleted', dimensions)?.values).toEqual([1]);
    expect(metric('CopyDuration', dimensions)).toMatchObject({ unit: 'Milliseconds', values: [750_000] });
  });

  it('a copy failed: counted per rule and region, and in the total the alarm watches', async () => {
    images['us-east-1'] = [
      {
        ImageId: SOURCE,
        Name: 'golden-linux-1',
        OwnerId: ACCOUNT,
        State: 'failed',
        RootDeviceType: 'ebs',
        StateReason: { Message: 'snapshot copy failed' },
        SourceImageId: 'ami-0fedcba9876543210',
        SourceImageRegion: 'eu-central-1',
        Tags: [
          { Key: 'ami-lifecycle:rule', Value: 'golden' },
          { Key: 'ami-lifecycle:source-image-id', Value: 'ami-0fedcba9876543210' },
          { Key: 'ami-lifecycle:source-region', Value: 'eu-central-1' },
        ],
      },
    ];
    await invoke('ami-state-change', stateChange('failed'));
    expect(metric('CopiesFailed', { rule: 'golden', region: 'us-east-1' })).toMatchObject({
      dimensionSets: [['service', 'rule', 'region'], ['service']],
      values: [1],
    });
  });

  it('an image no rule matches: no metric, and no warning about it', async () => {
    images['us-east-1'] = [{ ImageId: SOURCE, Name: 'other', OwnerId: ACCOUNT, State: 'available' }];
    await invoke('ami-state-change', stateChange('available'));
    expect(emf.metrics).toEqual([]);
  });

  it('notify: one message sent, by the event it came from', async () => {
    const completed = toolEvent(
      DetailType.DistributionCompleted,
      {
        rule: 'golden',
        sourceImageId: SOURCE,
        sourceRegion: 'us-east-1',
        imageName: 'golden-linux-1',
        regions: [{ region: 'us-east-1', role: 'source', imageId: SOURCE, status: 'available' }],
        sharedWith: { accounts: [], organizations: [], organizationalUnits: [], public: false },
        completedAt: '2026-11-26T10:15:00.000Z',
      },
      ['us-east-1', SOURCE],
    );
    await invoke('notify', {
      version: '0',
      id: 'e1',
      'detail-type': completed.detailType,
      source: 'ami-lifecycle',
      account: ACCOUNT,
      time: '2026-11-26T10:15:00Z',
      region: 'us-east-1',
      resources: [],
      detail: completed.detail,
    });
    expect(metric('NotificationsSent', { detailType: 'AMI Distribution Completed' })?.values).toEqual([1]);
  });
});
