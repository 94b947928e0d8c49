import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Ec2ForRegion } from '../core/ports.js';
import type { RetirementEc2ForRegion } from '../core/retirement-ports.js';
import { createEc2Port } from './ec2.js';
import { createRetirementEc2 } from './ec2-retirement.js';

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
  const clients = new Map<string, EC2Client>();
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = new EC2Client({ maxAttempts: 6, retryMode: 'adaptive', ...config, region });
      clients.set(region, client);
    }
    return client;
  };
}

/** A port per region over those clients, each built once. */
export function portsOver<T>(
  clients: (region: string) => EC2Client,
  create: (client: EC2Client, region: string) => T,
) {
  const ports = new Map<string, T>();
  return (region: string): T => {
    let port = ports.get(region);
    if (port === undefined) {
      port = create(clients(region), region);
      ports.set(region, port);
    }
    return port;
  };
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

const eventBridgeClients = new Map<string, EventBridgeClient>();

export function eventBridgeClient(region: string): EventBridgeClient {
  let client = eventBridgeClients.get(region);
  if (client === undefined) {
    client = new EventBridgeClient({ region, maxAttempts: 5 });
    eventBridgeClients.set(region, client);
  }
  return client;
}
