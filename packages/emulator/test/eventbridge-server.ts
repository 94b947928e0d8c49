import { createEventBridgeService } from '../src/eventbridge/api.js';
import { createLocalEventBus, type PutRecord } from '../src/eventbridge/bus.js';
import { type LocalServer, startLocalServer } from '../src/server.js';

/** The home account of `serveEventBridge`'s bus. */
export const EVENTBRIDGE_ACCOUNT = '111122223333';

/**
 * A local server with only EventBridge behind it: a bus of account `111122223333` in us-east-1,
 * with the custom bus `ami-lifecycle-dev` and no rules; every put is appended to `puts`.
 */
export function serveEventBridge(puts: PutRecord[]): Promise<LocalServer> {
  const bus = createLocalEventBus({
    accountId: EVENTBRIDGE_ACCOUNT,
    region: 'us-east-1',
    customBusName: 'ami-lifecycle-dev',
    rules: [],
    invoke: async () => {},
  });
  bus.subscribe((record) => puts.push(record));
  return startLocalServer({
    ec2: async () => ({ status: 501, headers: {}, body: 'not this test' }),
    eventbridge: createEventBridgeService({ bus }),
  });
}
