import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2ForRegion, sharedConnections } from '../../shared/aws/clients.js';

/**
 * The member accounts' clients (`createMembersFor`) share one set of keep-alive connections: an
 * account's calls reuse the connection an earlier account's opened, where a client of its own
 * would open (on AWS, TLS-handshake) a new one for each account.
 */

const server = createServer((_request, response) => {
  response.setHeader('content-type', 'text/xml');
  response.end(
    '<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><imagesSet/></DescribeImagesResponse>',
  );
});
let connections = 0;
server.on('connection', () => {
  connections += 1;
});
let endpoint = '';

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const accountClient = (accessKeyId: string, shared?: ReturnType<typeof sharedConnections>) =>
  createEc2ForRegion({
    ...shared,
    endpoint,
    credentials: { accessKeyId, secretAccessKey: 'local' },
  })('eu-west-1');

describe('sharedConnections', () => {
  it('three accounts one after another: one connection with it, one per account without', async () => {
    const shared = sharedConnections();
    connections = 0;
    for (const account of ['111111111111', '222222222222', '333333333333']) {
      await accountClient(account, shared).listImages({ owners: ['self'] });
    }
    expect(connections).toBe(1);

    connections = 0;
    for (const account of ['111111111111', '222222222222', '333333333333']) {
      await accountClient(account).listImages({ owners: ['self'] });
    }
    expect(connections).toBe(3);
  });
});
