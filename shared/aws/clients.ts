import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import type {
  ClaimsForRegion,
  CopySlotsForRegion,
  Ec2ForRegion,
  KeysForRegion,
  SsmForRegion,
  TargetsMemoryForRegion,
} from '../core/ports.js';
import { traced } from '../lambda/tracing.js';
import { createCompletionClaims } from './claims.js';
import { createCopySlots } from './copy-slots.js';
import { createEc2Port } from './ec2.js';
import { createKeyReader } from './kms.js';
import { perRegion } from './per-region.js';
import { observeRetries } from './sdk-retries.js';
import { createSsmPort } from './ssm.js';
import { createTargetsMemory } from './targets-memory.js';

/**
 * SDK clients, one per region, built on first use and kept for the life of the process (a Lambda
 * execution environment serves many invocations). Endpoints come from the standard SDK settings,
 * so AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL point the same code at a local emulator.
 *
 * Adaptive retries: EC2 throttles per account and region with token buckets; the adaptive mode
 * slows this client down when it sees RequestLimitExceeded instead of retrying at full speed.
 *
 * `traced`: a subsegment per call when the package traces (params.tracing), the client as it is otherwise.
 */
/** EC2 clients, one per region, built on first use. `config` adds to the defaults (an `endpoint`, say). */
export function createEc2Clients(
  config: Omit<EC2ClientConfig, 'region'> = {},
): (region: string) => EC2Client {
  return perRegion((region) => {
    const client = new EC2Client({ maxAttempts: 6, retryMode: 'adaptive', ...config, region });
    observeRetries(client.middlewareStack, 'ec2', region);
    return traced(client);
  });
}

/**
 * An `Ec2ForRegion` with its own clients. Tests and benchmarks pass an `endpoint` and dummy
 * `credentials` to talk to the local emulator.
 */
export function createEc2ForRegion(config: Omit<EC2ClientConfig, 'region'> = {}): Ec2ForRegion {
  const clients = createEc2Clients(config);
  return perRegion((region) => createEc2Port(clients(region), region));
}

/**
 * Connections for the clients of many accounts: every member account's client of a region calls
 * the same endpoint host, so with one keep-alive agent an account's calls reuse the connections
 * (on AWS, TLS sessions) an earlier account's opened, where a client of its own would open new ones
 * for each account. Give the result to each client's config (`requestHandler`); the clients keep
 * their own credentials, signing and retry state.
 */
export function sharedConnections(maxSockets = 64): {
  readonly requestHandler: { readonly httpAgent: HttpAgent; readonly httpsAgent: HttpsAgent };
} {
  const agent = { keepAlive: true, maxSockets };
  return { requestHandler: { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) } };
}

/** The process's EC2 port: one client per region (and its adaptive retry state), for every call. */
export const ec2ForRegion: Ec2ForRegion = createEc2ForRegion();

/** An `SsmForRegion` with its own clients (one per region, built on first use); `config` as for EC2. */
export function createSsmForRegion(config: Omit<SSMClientConfig, 'region'> = {}): SsmForRegion {
  return perRegion((region) => {
    const client = new SSMClient({ maxAttempts: 5, ...config, region });
    observeRetries(client.middlewareStack, 'ssm', region);
    return createSsmPort(traced(client), region);
  });
}

/** The process's SSM port: the pointers' parameters and the rules' state. */
export const ssmForRegion: SsmForRegion = createSsmForRegion();

/** KMS in each region (DescribeKey: the pre-flight on a source shared with target accounts); `config` as for EC2. */
export function createKeysForRegion(config: Omit<KMSClientConfig, 'region'> = {}): KeysForRegion {
  return perRegion((region) => {
    const client = new KMSClient({ maxAttempts: 5, ...config, region });
    observeRetries(client.middlewareStack, 'kms', region);
    return createKeyReader(traced(client), region);
  });
}

/** The process's KMS port, as the account the tool runs in. */
export const keysForRegion: KeysForRegion = createKeysForRegion();

export const eventBridgeClient = perRegion((region) => {
  const client = new EventBridgeClient({ region, maxAttempts: 5 });
  observeRetries(client.middlewareStack, 'events', region);
  return traced(client);
});

/** SQS, for the member-work queue the scheduled run fans out to. */
export const sqsClient = perRegion((region) => {
  const client = new SQSClient({ region, maxAttempts: 5 });
  observeRetries(client.middlewareStack, 'sqs', region);
  return traced(client);
});

export const dynamoDbClient = perRegion((region) => {
  const client = new DynamoDBClient({ region, maxAttempts: 5 });
  observeRetries(client.middlewareStack, 'dynamodb', region);
  return traced(client);
});

/** Completion claims in the table of each region (a family's claims live in its source region). */
export function claimsForRegion(tableName: string): ClaimsForRegion {
  return perRegion((region) => createCompletionClaims(dynamoDbClient(region), tableName, region));
}

/** The rules' last seen target accounts, in the table of each region (a rule's are in its first source region's). */
export function targetsMemoryForRegion(tableName: string): TargetsMemoryForRegion {
  return perRegion((region) => createTargetsMemory(dynamoDbClient(region), tableName, region));
}

/** The copy slots of each region (the event path's copy cap), in that region's table. */
export function copySlotsForRegion(tableName: string): CopySlotsForRegion {
  return perRegion((region) => createCopySlots(dynamoDbClient(region), tableName, region));
}
