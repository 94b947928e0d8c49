import { createDynamoDbEmulator } from '@ami-lifecycle/emulator/dynamodb/index.js';
import { startLocalServer } from '@ami-lifecycle/emulator/server.js';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The local DynamoDB behind a loopback endpoint and a real client for it, for the adapters' tests:
 * `table(prefix)` creates a fresh table keyed `pk` (S), as the stack's distributions table is.
 */
export async function localDynamoDb(region = 'us-east-1') {
  const dynamodb = createDynamoDbEmulator({});
  const server = await startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    dynamodb: (request) => dynamodb.service(request),
  });
  const client = new DynamoDBClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  let n = 0;
  return {
    client,
    async table(prefix: string): Promise<string> {
      const name = `${prefix}-${++n}`;
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      return name;
    },
    async close(): Promise<void> {
      client.destroy();
      await server.close();
    },
  };
}
