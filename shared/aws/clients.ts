import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ClaimsForRegion, Ec2ForRegion } from '../core/ports.js';
import type { RetirementEc2ForRegion } from '../core/retirement-ports.js';
import { createCompletionClaims } from './claims.js';
import { createEc2Port } from './ec2.js';
import { createRetirementEc2 } from './ec2-retirement.js';
import { perRegion } from './per-region.js';

/**
 * SDK clients, one per region, built on first use and kept for the life of the process (a Lambda
 * execution environment serves many invocations). Endpoints come from the standard SDK settings,
 * so AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL point the same code at a local emulator.
 *
 * Adaptive retries: EC2 throttles per account and region with token buckets; the adaptive mode
 * slows this client down when it sees RequestLimitExceeded instead of retrying at full speed.
 */
/** EC2 clients, one per region, built on first use. `config` adds to the defaults (an `endpoint`, say). */
export function createEc2Clients(
  config: Omit<EC2ClientConfig, 'region'> = {},
): (region: string) => EC2Client {
  return perRegion((region) => new EC2Client({ maxAttempts: 6, retryMode: 'adaptive', ...config, region }));
}

/** A port per region over those clients, each built once. */
export function portsOver<T>(
  clients: (region: string) => EC2Client,
  create: (client: EC2Client, region: string) => T,
): (region: string) => T {
  return perRegion((region) => create(clients(region), region));
}

/**
 * An `Ec2ForRegion` with its own clients. Tests and benchmarks pass an `endpoint` and dummy
 * `credentials` to talk to the local emulator.
 */
export function createEc2ForRegion(config: Omit<EC2ClientConfig, 'region'> = {}): Ec2ForRegion {
  return portsOver(createEc2Clients(config), createEc2Port);
}

/** The process's EC2 clients: distribution and retirement share each region's client (and its retry state). */
const ec2Clients = createEc2Clients();

export const ec2ForRegion: Ec2ForRegion = portsOver(ec2Clients, createEc2Port);

export const retirementEc2ForRegion: RetirementEc2ForRegion = portsOver(ec2Clients, createRetirementEc2);

export const eventBridgeClient = perRegion((region) => new EventBridgeClient({ region, maxAttempts: 5 }));

export const dynamoDbClient = perRegion((region) => new DynamoDBClient({ region, maxAttempts: 5 }));

/** Completion claims in the table of each region (a family's claims live in its source region). */
export function claimsForRegion(tableName: string): ClaimsForRegion {
  return perRegion((region) => createCompletionClaims(dynamoDbClient(region), tableName, region));
}
