import { SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { createSsmEmulator, type SsmEmulator, type SsmEmulatorOptions } from '../src/ssm/index.js';

/**
 * The local SSM behind the local server, driven by `@aws-sdk/client-ssm` (AWS JSON 1.1), a client
 * nobody here wrote. Each test file starts its own.
 */
export interface SsmHarness {
  server: LocalServer;
  ssm: SsmEmulator;
  client(region?: string, accessKeyId?: string): SSMClient;
  close(): Promise<void>;
}

export const REGION = 'eu-west-1';

export async function startSsm(options: SsmEmulatorOptions = {}): Promise<SsmHarness> {
  const ssm = createSsmEmulator(options);
  const server = await startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    ssm: (request) => ssm.service(request),
  });
  return {
    server,
    ssm,
    client: (region = REGION, accessKeyId = 'AKIDLOCAL') =>
      new SSMClient({
        region,
        endpoint: server.endpoint,
        credentials: { accessKeyId, secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      }),
    async close() {
      ssm.close();
      await server.close();
    },
  };
}

/** What `promise` rejects with, which must be an SSM service error. */
export async function ssmError(promise: Promise<unknown>): Promise<SSMServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SSMServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}
