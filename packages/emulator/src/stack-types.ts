import type { DynamoDbEmulator } from './dynamodb/index.js';
import type { Ec2Emulator, Ec2EmulatorOptions } from './ec2/index.js';
import type { AccountBuses, ForwardingRuleSeed } from './eventbridge/accounts.js';
import type { DeadLetterRecord, DeliveryRecord, LocalEventBus, PutRecord } from './eventbridge/bus.js';
import type { ServerlessConfig } from './eventbridge/serverless-config.js';
import type { KmsEmulator, KmsKeySeed } from './kms/index.js';
import type { OrganizationSeed, OrganizationsEmulator } from './organizations/index.js';
import type { DeclaredResources } from './resources.js';
import type { PublishedMessage, SnsEmulator } from './sns/index.js';
import type { SqsEmulator } from './sqs/index.js';
import type { SsmEmulator } from './ssm/index.js';
import type { SeedRoleInput, StsEmulator } from './sts/index.js';

/** The local stack's options and the handle `startLocalStack` returns (see `stack.ts`). */

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
  /**
   * Whether the handlers print their metrics (EMF lines, on stdout, as in Lambda); default no, like
   * their logs. The demo turns them on and reads them back.
   */
  metrics?: boolean;
  /** Extra environment for the handlers, e.g. DRY_RUN; overrides everything else. */
  env?: Record<string, string>;
  /** IAM roles STS AssumeRole can assume (seeded again by `reset()`; sessions do not survive it). */
  roles?: readonly SeedRoleInput[];
  /**
   * The organization Organizations answers, and EC2 consults for organization and OU launch
   * permissions: a seed object, or the path of a JSON file holding one (relative to `root`).
   * Without it no account is in an organization.
   */
  organization?: OrganizationSeed | string;
  /**
   * Rules on other accounts' buses (or the stack's own) whose targets are event bus ARNs: they
   * forward matching events, e.g. a member account's `EC2 AMI State Change` events to the stack's
   * bus, which must allow the member (PutPermission) for them to arrive.
   */
  forwardingRules?: readonly ForwardingRuleSeed[];
  /**
   * Customer managed KMS keys (every account also has its `alias/aws/ebs` key in every region).
   * When given, EC2's cross-account CopyImage asks KMS whether the copier may use the source
   * snapshots' keys (`usableBy`); without it other accounts' customer keys are taken as shared.
   */
  kmsKeys?: readonly KmsKeySeed[];
}

export type TimelineEntry =
  | { readonly at: number; readonly kind: 'event'; readonly record: PutRecord }
  | { readonly at: number; readonly kind: 'delivery'; readonly record: DeliveryRecord }
  /** A message published to an SNS topic (the recorder stands in for email and chat subscribers). */
  | { readonly at: number; readonly kind: 'notification'; readonly record: PublishedMessage }
  /** A failed invocation handed to its function's on-failure destination (sent, or why not). */
  | { readonly at: number; readonly kind: 'dead-letter'; readonly record: DeadLetterRecord };

export interface LocalStack {
  readonly endpoint: string;
  readonly config: ServerlessConfig;
  readonly emulator: Ec2Emulator;
  readonly bus: LocalEventBus;
  /** Every account's buses: the stack's is `bus`; others' events and the forwards between them. */
  readonly buses: AccountBuses;
  /** DynamoDB: tables per region; `getItem`/`items` read them, `putItem` seeds them. */
  readonly dynamodb: DynamoDbEmulator;
  /** SQS: queues per region; `messages` peeks at a queue, `sendMessage` seeds it. */
  readonly sqs: SqsEmulator;
  /** SNS recorder: `published(topicArnOrName?)` lists what was published, `onPublish` listens. */
  readonly sns: SnsEmulator;
  /** STS: GetCallerIdentity answers the EC2 emulator's account (or a 12-digit access key's). */
  readonly sts: StsEmulator;
  /** SSM Parameter Store: `aws:ec2:image` values are checked against the EC2 emulator's images. */
  readonly ssm: SsmEmulator;
  /** Organizations: the seeded organization (`options.organization`), read-only. */
  readonly organizations: OrganizationsEmulator;
  /** KMS: DescribeKey over `options.kmsKeys` and every account's `aws/ebs` key. */
  readonly kms: KmsEmulator;
  /** The tables, queues, topics and buses of `serverless.yml`, as created in every region. */
  readonly resources: DeclaredResources;
  /** The environment the handlers were given (set on `process.env` until `close()`). */
  readonly environment: Readonly<Record<string, string>>;
  /** Events, deliveries, notifications and dead-letters, in order, with ms since the stack (re)started. */
  readonly timeline: readonly TimelineEntry[];
  /** When the timeline starts (epoch ms): its entries' `at` count from it; `reset()` moves it. */
  readonly startedAt: number;
  /**
   * Resolves when nothing is left to happen: no delivery in flight, no copy pending in the
   * emulator and no `aws:ec2:image` parameter value being validated. Rejects after `timeoutMs`
   * (default 60 s) with what was still pending.
   */
  settle(timeoutMs?: number): Promise<void>;
  /**
   * Fresh emulators (EC2 with the same options, merged with these; DynamoDB, SQS and SNS with the
   * declared resources recreated; STS and SSM in the EC2 emulator's account) and bus behind the same endpoint and environment.
   */
  reset(ec2?: Ec2EmulatorOptions): void;
  /** The next `count` PutEvents entries (any caller) fail with `code` inside a 200 answer, as EventBridge reports partial failures. */
  failNextPutEntries(count: number, code?: string): void;
  close(): Promise<void>;
}
