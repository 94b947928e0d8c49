import { resolve } from 'node:path';
import {
  createEc2Emulator,
  DEFAULT_REGIONS,
  type Ec2Emulator,
  type Ec2EmulatorOptions,
} from './ec2/index.js';
import { createEventBridgeService } from './eventbridge/api.js';
import {
  createLocalEventBusFromConfig,
  type DeliveryRecord,
  type LocalEventBus,
  type PutRecord,
} from './eventbridge/bus.js';
import { loadServerlessConfig, type ServerlessConfig } from './eventbridge/serverless-config.js';
import type { EmulatedService } from './http.js';
import { startLocalServer } from './server.js';

/**
 * The whole tool, locally: the EC2 emulator and the EventBridge API behind one loopback endpoint,
 * a local event bus built from `serverless.yml`, and the real handlers invoked in-process through
 * the real SDK clients, pointed at the endpoint by the standard `AWS_ENDPOINT_URL`.
 *
 * The handlers read their configuration from the environment once, when first imported (as on a
 * Lambda cold start), and keep one SDK client per region; so the endpoint stays the same for the
 * life of the process, and `reset()` swaps a fresh emulator and bus in behind it.
 */

export interface LocalStackOptions {
  /** The repository root: where `serverless.yml` and the handler modules are. */
  root?: string;
  /** The rules file the handlers load (RULES_FILE); default `config/ami-rules.yaml`. */
  rulesFile?: string;
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
  ec2?: Ec2EmulatorOptions;
  /** Delay before Lambda-style retry n, `n × retryDelayMs`; default 50 ms. */
  retryDelayMs?: number;
  /** Powertools log level for the handlers; default SILENT (the timeline shows what happened). */
  logLevel?: string;
  /** Extra environment for the handlers, e.g. DRY_RUN. */
  env?: Record<string, string>;
}

export type TimelineEntry =
  | { readonly at: number; readonly kind: 'event'; readonly record: PutRecord }
  | { readonly at: number; readonly kind: 'delivery'; readonly record: DeliveryRecord };

export interface LocalStack {
  readonly endpoint: string;
  readonly config: ServerlessConfig;
  readonly emulator: Ec2Emulator;
  readonly bus: LocalEventBus;
  /** Events put on either bus and handler deliveries, in order, with ms since the stack (re)started. */
  readonly timeline: readonly TimelineEntry[];
  /**
   * Resolves when nothing is left to happen: no delivery in flight and no copy pending in the
   * emulator. Rejects after `timeoutMs` (default 60 s) with what was still pending.
   */
  settle(timeoutMs?: number): Promise<void>;
  /** A fresh emulator (same options, merged with these) and bus behind the same endpoint. */
  reset(ec2?: Ec2EmulatorOptions): void;
  close(): Promise<void>;
}

/** The credentials the handlers sign with: any value works; the emulator acts as its default account. */
const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const root = resolve(options.root ?? process.cwd());
  const config = await loadServerlessConfig(resolve(root, 'serverless.yml'));
  const customBus = config.customBusName ?? 'ami-lifecycle';

  let emulator: Ec2Emulator;
  let bus: LocalEventBus;
  let eventbridge: EmulatedService;
  let timeline: TimelineEntry[] = [];
  let startedAt = Date.now();
  let unsubscribe: Array<() => void> = [];
  let regions: readonly string[] = DEFAULT_REGIONS;

  const build = (ec2Options: Ec2EmulatorOptions) => {
    for (const stop of unsubscribe) stop();
    emulator?.close();
    startedAt = Date.now();
    timeline = [];
    emulator = createEc2Emulator(ec2Options);
    regions = ec2Options.regions ?? DEFAULT_REGIONS;
    bus = createLocalEventBusFromConfig(config, {
      root,
      accountId: emulator.accountId,
      retryDelayMs: options.retryDelayMs ?? 50,
      customBusName: customBus,
      onDelivery: (record) => timeline.push({ at: Date.now() - startedAt, kind: 'delivery', record }),
    });
    eventbridge = createEventBridgeService({ bus });
    unsubscribe = [
      // EC2 sends AMI events on the default bus of the image's region.
      emulator.onEvent((event) => {
        bus.put('default', event);
      }),
      bus.subscribe((record) => timeline.push({ at: Date.now() - startedAt, kind: 'event', record })),
    ];
  };
  const ec2Defaults = options.ec2 ?? {};
  build(ec2Defaults);

  const server = await startLocalServer({
    port: options.port ?? 0,
    ec2: (request) => emulator.service(request),
    eventbridge: (request) => eventbridge(request),
  });

  const previousEnv = new Map<string, string | undefined>();
  const env: Record<string, string> = {
    ...LOCAL_CREDENTIALS,
    AWS_ENDPOINT_URL: server.endpoint,
    AWS_REGION: config.region,
    RULES_FILE: resolve(root, options.rulesFile ?? 'config/ami-rules.yaml'),
    EVENT_BUS_NAME: customBus,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'SILENT',
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
    get timeline() {
      return timeline;
    },
    async settle(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await bus.drain();
        const pending = pendingCopies();
        if (pending.length === 0) {
          // A copy that just finished may have emitted an event the bus has not delivered yet.
          await bus.drain();
          if (pendingCopies().length === 0) return;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `not settled after ${timeoutMs} ms: ${pending.map((i) => `${i.region}/${i.imageId}`).join(', ')} pending`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    reset(ec2) {
      build({ ...ec2Defaults, ...ec2 });
    },
    async close() {
      for (const stop of unsubscribe) stop();
      emulator.close();
      await server.close();
      for (const [key, value] of previousEnv) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}
