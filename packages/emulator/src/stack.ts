import { resolve } from 'node:path';
import { createDynamoDbEmulator, type DynamoDbEmulator } from './dynamodb/index.js';
import {
  createEc2Emulator,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_REGIONS,
  type Ec2Emulator,
  type Ec2EmulatorOptions,
} from './ec2/index.js';
import { AccountBuses } from './eventbridge/accounts.js';
import { createEventBridgeService } from './eventbridge/api.js';
import {
  type BusEventInput,
  createLocalEventBusFromConfig,
  type LocalEventBus,
  type OnFailureSender,
} from './eventbridge/bus.js';
import { loadServerlessConfig } from './eventbridge/serverless-config.js';
import type { EmulatedService } from './http.js';
import { createKmsEmulator, type KmsEmulator } from './kms/index.js';
import { createOrganizationsEmulator, type OrganizationsEmulator } from './organizations/index.js';
import {
  createDeclaredResources,
  declaredResources,
  type ResolveContext,
  resolveEnvironment,
  resolveValue,
} from './resources.js';
import { startLocalServer } from './server.js';
import { createSnsEmulator, type SnsEmulator } from './sns/index.js';
import { createSqsEmulator, type SqsEmulator } from './sqs/index.js';
import { createSsmEmulator, type ImageUsable, type SsmEmulator } from './ssm/index.js';
import { createStsEmulator, Principals, type StsEmulator } from './sts/index.js';

/**
 * The whole tool, locally: the EC2, EventBridge, DynamoDB, SQS, SNS, STS, SSM, Organizations and KMS
 * emulators behind one loopback endpoint, a local event bus built from `serverless.yml`, and the
 * real handlers invoked in-process through the real SDK clients, pointed at the endpoint by the
 * standard `AWS_ENDPOINT_URL`.
 *
 * The tables, queues and topics `serverless.yml` declares exist in every emulated region, and the
 * functions' environment (`!Ref NotificationsTopic`, …) is resolved to them, in the config's region.
 * A function's failure after its retries goes, as Lambda's invocation record, to the SQS queue its
 * `destinations.onFailure` names, in the region of the event that failed.
 *
 * The handlers read their configuration from the environment once, when first imported (as on a
 * Lambda cold start), and keep one SDK client per region; so the endpoint and the environment stay
 * the same for the life of the process, and `reset()` swaps fresh emulators and bus in behind them.
 */

import type { LocalStack, LocalStackOptions, TimelineEntry } from './stack-types.js';

export type { LocalStack, LocalStackOptions, TimelineEntry } from './stack-types.js';

/** The credentials the handlers sign with: any value works; the emulator acts as its default account. */
const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const root = resolve(options.root ?? process.cwd());
  const config = await loadServerlessConfig(resolve(root, 'serverless.yml'));
  const customBus = config.customBusName ?? 'ami-lifecycle';

  const resources = declaredResources(config);

  let emulator: Ec2Emulator;
  let dynamodb: DynamoDbEmulator;
  let sqs: SqsEmulator;
  let sns: SnsEmulator;
  let sts: StsEmulator;
  let ssm: SsmEmulator;
  let organizations: OrganizationsEmulator;
  let kms: KmsEmulator;
  let bus: LocalEventBus;
  let buses: AccountBuses;
  let eventbridge: EmulatedService;
  /** Error codes the next PutEvents entries fail with, one entry each (see failNextPutEntries). */
  const entryFaults: string[] = [];
  let timeline: TimelineEntry[] = [];
  let startedAt = Date.now();
  let unsubscribe: Array<() => void> = [];
  let regions: readonly string[] = DEFAULT_REGIONS;
  let endpoint: string | undefined;

  const contextFor = (region: string): ResolveContext => ({
    region,
    accountId: emulator.accountId,
    queueUrl: (queueRegion, name) =>
      sqs.getQueue(queueRegion, name)?.url ?? `${endpoint ?? ''}/${emulator.accountId}/${name}`,
  });

  /** Lambda's on-failure destination, for SQS: the record goes to the queue the function names. */
  const sendOnFailure: OnFailureSender = ({ destination, region, record }) => {
    if (destination.type !== 'sqs')
      throw new Error(
        `on-failure destinations of type ${destination.type} are not emulated locally (only sqs)`,
      );
    const arn = resolveValue(destination.arn, resources, contextFor(region));
    if (arn === undefined) throw new Error(`${String(destination.arn)} cannot be resolved locally`);
    const queue = sqs.getQueueByArn(arn);
    if (queue === undefined) throw new Error(`the queue ${arn} does not exist`);
    const { messageId } = sqs.sendMessage(queue.region, queue.name, JSON.stringify(record));
    return { destinationArn: arn, messageId };
  };

  const build = (ec2Options: Ec2EmulatorOptions) => {
    for (const stop of unsubscribe) stop();
    emulator?.close();
    ssm?.close();
    startedAt = Date.now();
    timeline = [];
    // One set of principals for every emulator: a key AssumeRole issued acts for its role's account
    // in EC2, SSM and Organizations too.
    const principals = new Principals(ec2Options.accountId ?? DEFAULT_ACCOUNT_ID);
    const { issuedKeyAccount } = principals;
    const callerArnOf = (key: string | undefined) => principals.identityOf(key).arn;
    emulator = createEc2Emulator({
      ...ec2Options,
      issuedKeyAccount,
      // Read at request time: the organization and KMS of this build, created below.
      membershipOf: (account) => organizations.organization?.membership(account),
      ...(options.kmsKeys !== undefined ? { kmsKeyUsable: (input) => kms.keyUsable(input) } : {}),
    });
    regions = ec2Options.regions ?? DEFAULT_REGIONS;
    const { accountId } = emulator;
    dynamodb = createDynamoDbEmulator({ accountId, defaultRegion: config.region });
    sqs = createSqsEmulator({ accountId, defaultRegion: config.region, ...(endpoint ? { endpoint } : {}) });
    sns = createSnsEmulator({ accountId, defaultRegion: config.region });
    sts = createStsEmulator({ accountId, principals, roles: options.roles ?? [] });
    const organization = options.organization;
    organizations = createOrganizationsEmulator({
      accountId,
      issuedKeyAccount,
      ...(organization !== undefined
        ? { organization: typeof organization === 'string' ? resolve(root, organization) : organization }
        : {}),
    });
    kms = createKmsEmulator({
      keys: options.kmsKeys ?? [],
      accountId,
      issuedKeyAccount,
      callerArnOf,
      defaultRegion: config.region,
    });
    ssm = createSsmEmulator({
      accountId,
      defaultRegion: config.region,
      imageUsable: imageUsableIn(emulator),
      issuedKeyAccount,
      callerArnOf,
    });
    createDeclaredResources(resources, regions, { dynamodb, sqs, sns });
    bus = createLocalEventBusFromConfig(config, {
      root,
      accountId,
      retryDelayMs: options.retryDelayMs ?? 50,
      customBusName: customBus,
      onDelivery: (record) => timeline.push({ at: Date.now() - startedAt, kind: 'delivery', record }),
      onFailureDestination: sendOnFailure,
      onDeadLetter: (record) => timeline.push({ at: Date.now() - startedAt, kind: 'dead-letter', record }),
    });
    buses = new AccountBuses({
      homeAccount: accountId,
      homeBus: bus,
      organizationIdOf: (account) =>
        organizations.organization?.isMember(account) ? organizations.organization.id : undefined,
    });
    for (const rule of options.forwardingRules ?? []) buses.addRule(rule);
    eventbridge = createEventBridgeService({
      bus,
      accounts: buses,
      issuedKeyAccount,
      entryFault: () => entryFaults.shift(),
    });
    /** An AWS service's event goes to the default bus of its account and region. */
    const toOwnDefaultBus = (event: BusEventInput & { account: string; region: string }) => {
      buses.put({ account: event.account, region: event.region, name: 'default' }, event);
    };
    unsubscribe = [
      // EC2 sends AMI events on the default bus of the image's account and region.
      emulator.onEvent(toOwnDefaultBus),
      // Parameter Store sends its Parameter Store Change events on the default bus too.
      ssm.onEvent(toOwnDefaultBus),
      // DescribeImageReferences reports the parameters whose value is the image (ssm:Parameter).
      emulator.addReferenceSource((account, region, imageIds) =>
        ssm.imageReferences(account, region, imageIds),
      ),
      bus.subscribe((record) => timeline.push({ at: Date.now() - startedAt, kind: 'event', record })),
      sns.onPublish((record) => timeline.push({ at: Date.now() - startedAt, kind: 'notification', record })),
    ];
  };
  // The server first (its handlers read the current emulators when called), so that queue URLs
  // carry the endpoint from the first build on.
  const server = await startLocalServer({
    port: options.port ?? 0,
    ec2: (request) => emulator.service(request),
    eventbridge: (request) => eventbridge(request),
    dynamodb: (request) => dynamodb.service(request),
    sqs: (request) => sqs.service(request),
    sns: (request) => sns.service(request),
    sts: (request) => sts.service(request),
    ssm: (request) => ssm.service(request),
    organizations: (request) => organizations.service(request),
    kms: (request) => kms.service(request),
  });
  endpoint = server.endpoint;
  const ec2Defaults = options.ec2 ?? {};
  try {
    build(ec2Defaults);
  } catch (error) {
    await server.close();
    throw error;
  }

  // Lowest first: the functions' own environment, then what the local stack needs, then the caller's.
  const functionEnvironment = resolveEnvironment(config.functions, resources, contextFor(config.region));
  const previousEnv = new Map<string, string | undefined>();
  const env: Record<string, string> = {
    ...functionEnvironment.environment,
    ...LOCAL_CREDENTIALS,
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_REGION: config.region,
    RULES_FILE: resolve(root, options.rulesFile ?? 'config/ami-rules.yaml'),
    EVENT_BUS_NAME: customBus,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'SILENT',
    POWERTOOLS_METRICS_DISABLED: options.metrics === true ? 'false' : 'true',
    ...options.env,
  };
  for (const [key, value] of Object.entries(env)) {
    previousEnv.set(key, process.env[key]);
    process.env[key] = value;
  }

  const pendingCopies = () =>
    regions.flatMap((region) => emulator.listImages(region).filter((i) => i.state === 'pending'));

  return {
    endpoint: server.endpoint,
    config,
    get emulator() {
      return emulator;
    },
    get bus() {
      return bus;
    },
    get buses() {
      return buses;
    },
    get dynamodb() {
      return dynamodb;
    },
    get sqs() {
      return sqs;
    },
    get sns() {
      return sns;
    },
    get sts() {
      return sts;
    },
    get ssm() {
      return ssm;
    },
    get organizations() {
      return organizations;
    },
    get kms() {
      return kms;
    },
    resources,
    environment: env,
    get timeline() {
      return timeline;
    },
    get startedAt() {
      return startedAt;
    },
    async settle(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await bus.drain();
        const pending = pendingCopies();
        const validations = ssm.pendingValidations();
        if (pending.length === 0 && validations === 0) {
          // A copy or validation that just finished may have emitted an event the bus has not delivered yet.
          await bus.drain();
          if (pendingCopies().length === 0 && ssm.pendingValidations() === 0) return;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `not settled after ${timeoutMs} ms: ${[
              ...pending.map((i) => `${i.region}/${i.imageId}`),
              ...(validations > 0 ? [`${validations} SSM parameter validation(s)`] : []),
            ].join(', ')} pending`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    reset(ec2) {
      entryFaults.length = 0;
      build({ ...ec2Defaults, ...ec2 });
    },
    failNextPutEntries(count, code = 'ThrottlingException') {
      for (let i = 0; i < count; i++) entryFaults.push(code);
    },
    async close() {
      for (const stop of unsubscribe) stop();
      emulator.close();
      ssm.close();
      await server.close();
      for (const [key, value] of previousEnv) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}

/**
 * The one question the SSM emulator asks EC2, for `aws:ec2:image` values: can this account use
 * this image in this region? Yes when the image is `available` there and the account owns it, or
 * the image is public or shared with the account, directly or through its organization or an OU.
 */
function imageUsableIn(ec2: Ec2Emulator): ImageUsable {
  return ({ accountId, region, imageId }) =>
    ec2.getImage(region, imageId)?.state === 'available' && ec2.canLaunch(region, imageId, accountId);
}
