import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { awsCall } from '../core/errors.js';
import type { TargetsMemory } from '../core/ports.js';

/**
 * The rules' last seen target accounts in the distributions table: one item per rule
 * (`targets/<rule>`), its `accounts` a string list (empty allowed, unlike a string set). UpdateItem
 * with `UPDATED_OLD` writes the new list and returns the old one in the same atomic operation.
 */
export function createTargetsMemory(
  client: DynamoDBClient,
  tableName: string,
  region: string,
): TargetsMemory {
  return {
    async swap(rule, accounts) {
      const output = await awsCall('UpdateItem', region, () =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: `targets/${rule}` } },
            UpdateExpression: 'SET accounts = :accounts',
            ExpressionAttributeValues: { ':accounts': { L: [...accounts].sort().map((id) => ({ S: id })) } },
            ReturnValues: 'UPDATED_OLD',
          }),
        ),
      );
      const old = output.Attributes?.accounts?.L;
      return old === undefined ? undefined : old.flatMap((v) => (v.S === undefined ? [] : [v.S]));
    },
  };
}
