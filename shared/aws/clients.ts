import { EC2Client } from '@aws-sdk/client-ec2';
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
const ec2Ports = new Map<string, Ec2Port>();

export const ec2ForRegion: Ec2ForRegion = (region) => {
  let port = ec2Ports.get(region);
  if (port === undefined) {
    port = createEc2Port(new EC2Client({ region, maxAttempts: 6, retryMode: 'adaptive' }), region);
    ec2Ports.set(region, port);
  }
  return port;
};

const eventBridgeClients = new Map<string, EventBridgeClient>();

export function eventBridgeClient(region: string): EventBridgeClient {
  let client = eventBridgeClients.get(region);
  if (client === undefined) {
    client = new EventBridgeClient({ region, maxAttempts: 5 });
    eventBridgeClients.set(region, client);
  }
  return client;
}
