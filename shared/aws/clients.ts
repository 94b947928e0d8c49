import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Ec2ForRegion, Ec2Port } from '../core/ports.js';
import { createEc2Port } from './ec2.js';

/**
 * SDK clients, one per region, built on first use and kept for the life of the process (a Lambda
 * execution environment serves many invocations). Endpoints come from the standard SDK settings,
 * so AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL point the same code at a local emulator.
 *
 * Adaptive retries: EC2 throttles per account and region with token buckets; the adaptive mode
 * slows this client down when it sees RequestLimitExceeded instead of retrying at full speed.
 */
/**
 * An `Ec2ForRegion` that builds each region's client once. `config` adds to the defaults: tests and
 * benchmarks pass an `endpoint` and dummy `credentials` to talk to the local emulator.
 */
export function createEc2ForRegion(config: Omit<EC2ClientConfig, 'region'> = {}): Ec2ForRegion {
  const ports = new Map<string, Ec2Port>();
  return (region) => {
    let port = ports.get(region);
    if (port === undefined) {
      port = createEc2Port(
        new EC2Client({ maxAttempts: 6, retryMode: 'adaptive', ...config, region }),
        region,
      );
      ports.set(region, port);
    }
    return port;
  };
}

export const ec2ForRegion: Ec2ForRegion = createEc2ForRegion();

const eventBridgeClients = new Map<string, EventBridgeClient>();

export function eventBridgeClient(region: string): EventBridgeClient {
  let client = eventBridgeClients.get(region);
  if (client === undefined) {
    client = new EventBridgeClient({ region, maxAttempts: 5 });
    eventBridgeClients.set(region, client);
  }
  return client;
}
