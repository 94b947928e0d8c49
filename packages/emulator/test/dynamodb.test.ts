import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDbEmulator, type DynamoDbEmulator } from '../src/dynamodb/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { rejectionOf } from './rejection.js';

let server: LocalServer;
let dynamodb: DynamoDbEmulator;
let table: string;
let tableCounter = 0;

beforeAll(async () => {
  dynamodb = createDynamoDbEmulator({ accountId: '111122223333' });
  server = await startLocalServer({
    ec2: async () => ({ status: 500, headers: {}, body: 'not this test' }),
    dynamodb: (request) => dynamodb.service(request),
  });
});

afterAll(() => server.close());

function client(region = 'eu-west-1') {
  return new DynamoDBClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
}

beforeEach(async () => {
  table = `claims-${++tableCounter}`;
  await client().send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    }),
  );
});

const validation = async (promise: Promise<unknown>) => {
  const error = await rejectionOf(promise, DynamoDBServiceException);
  expect(error.name).toBe('ValidationException');
  return error.message;
};

describe('tables', () => {
  it('describes a created table with its ARN in the signed region, and keeps regions apart', async () => {
    const { Table } = await client().send(new DescribeTableCommand({ TableName: table }));
    expect(Table).toMatchObject({
      TableName: table,
      TableStatus: 'ACTIVE',
      TableArn: `arn:aws:dynamodb:eu-west-1:111122223333:table/${table}`,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      ItemCount: 0,
    });
    const missing = await rejectionOf(
      client('us-west-2').send(new DescribeTableCommand({ TableName: table })),
      ResourceNotFoundException,
    );
    expect(missing.message).toBe(`Requested resource not found: Table: ${table} not found`);
    expect(dynamodb.listTables('eu-west-1')).toContain(table);
    expect(dynamodb.listTables('us-west-2')).toEqual([]);
  });

  it('refuses to create a table twice', async () => {
    const error = await rejectionOf(
      client().send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        }),
      ),
      ResourceInUseException,
    );
    expect(error.message).toBe(`Table already exists: ${table}`);
  });

  it('answers ResourceNotFoundException for items of a table that does not exist', async () => {
    const error = await rejectionOf(
      client().send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'a' } } })),
      ResourceNotFoundException,
    );
    expect(error.message).toBe('Requested resource not found');
  });
});

describe('items', () => {
  it('puts and gets an item of every storable type, numbers in canonical form', async () => {
    const item = {
      pk: { S: 'family#1' },
      n: { N: '01.50' },
      big: { N: '12345678901234567890123456789012345678' },
      flag: { BOOL: true },
      nothing: { NULL: true },
      list: { L: [{ S: 'a' }, { N: '2' }] },
      map: { M: { nested: { S: 'x' } } },
      ss: { SS: ['b', 'a'] },
      ns: { NS: ['1', '2.0'] },
    };
    await client().send(new PutItemCommand({ TableName: table, Item: item }));
    const { Item } = await client().send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'family#1' } }, ConsistentRead: true }),
    );
    expect(Item).toEqual({ ...item, n: { N: '1.5' }, ns: { NS: ['1', '2'] } });
    const none = await client().send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'other' } } }));
    expect(none.Item).toBeUndefined();
    const projected = await client().send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'family#1' } },
        ProjectionExpression: 'flag, #m.nested',
        ExpressionAttributeNames: { '#m': 'map' },
      }),
    );
    expect(projected.Item).toEqual({ flag: { BOOL: true }, map: { M: { nested: { S: 'x' } } } });
  });

  it('checks keys against the schema', async () => {
    expect(
      await validation(client().send(new PutItemCommand({ TableName: table, Item: { other: { S: 'x' } } }))),
    ).toBe('One or more parameter values were invalid: Missing the key pk in the item');
    expect(
      await validation(client().send(new PutItemCommand({ TableName: table, Item: { pk: { N: '1' } } }))),
    ).toBe('One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N');
    expect(
      await validation(
        client().send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, x: { S: 'b' } } })),
      ),
    ).toBe('The provided key element does not match the schema');
  });
});

describe('conditional writes', () => {
  const claim = (pk: string, owner: string) =>
    new PutItemCommand({
      TableName: table,
      Item: { pk: { S: pk }, owner: { S: owner } },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });

  it('refuses a second claim with ConditionalCheckFailedException carrying the existing item', async () => {
    await client().send(claim('ami-1', 'first'));
    const error = await rejectionOf(client().send(claim('ami-1', 'second')), ConditionalCheckFailedException);
    expect(error.message).toBe('The conditional request failed');
    expect(error.Item).toEqual({ pk: { S: 'ami-1' }, owner: { S: 'first' } });
    expect(dynamodb.getItem('eu-west-1', table, { pk: { S: 'ami-1' } })).toEqual({
      pk: { S: 'ami-1' },
      owner: { S: 'first' },
    });
  });

  it('omits Item from the exception without ReturnValuesOnConditionCheckFailure', async () => {
    await client().send(claim('ami-2', 'first'));
    const error = await rejectionOf(
      client().send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'ami-2' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
      ConditionalCheckFailedException,
    );
    expect(error.Item).toBeUndefined();
  });

  it('lets exactly one of 20 concurrent conditional puts on one key win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => client().send(claim('ami-race', `writer-${i}`))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const reason of lost) expect(reason).toBeInstanceOf(ConditionalCheckFailedException);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(dynamodb.getItem('eu-west-1', table, { pk: { S: 'ami-race' } })?.owner).toEqual({
      S: `writer-${winner}`,
    });
    // Every loser saw the winner's item.
    for (const reason of lost)
      expect((reason as ConditionalCheckFailedException).Item?.owner).toEqual({ S: `writer-${winner}` });
  });

  it('evaluates comparisons, AND/OR/NOT and parentheses with placeholders', async () => {
    await client().send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'c' }, count: { N: '5' }, state: { S: 'pending' }, region: { S: 'eu-west-1' } },
      }),
    );
    const put = (condition: string, values: Record<string, { S: string } | { N: string }>) =>
      client().send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'c' }, count: { N: '5' }, state: { S: 'pending' }, region: { S: 'eu-west-1' } },
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#c': 'count', '#s': 'state' },
          ExpressionAttributeValues: values,
        }),
      );
    await expect(
      put('#c = :five AND #s <> :done', { ':five': { N: '5.0' }, ':done': { S: 'done' } }),
    ).resolves.toBeDefined();
    await expect(
      put('#c < :four OR #s = :p', { ':four': { N: '4' }, ':p': { S: 'pending' } }),
    ).resolves.toBeDefined();
    await expect(
      put('NOT (#c >= :six) AND #s > :a', { ':six': { N: '6' }, ':a': { S: 'a' } }),
    ).resolves.toBeDefined();
    await expect(
      put('#c <= :four OR #s = :done', { ':four': { N: '4' }, ':done': { S: 'done' } }),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    // Numbers compare as numbers, not strings: 10 > 5.
    await expect(
      put('#c < :ten AND #s = :p', { ':ten': { N: '10' }, ':p': { S: 'pending' } }),
    ).resolves.toBeDefined();
  });

  it('deletes only when the condition holds', async () => {
    await client().send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'd' }, v: { N: '1' } } }));
    const remove = (value: string) =>
      client().send(
        new DeleteItemCommand({
          TableName: table,
          Key: { pk: { S: 'd' } },
          ConditionExpression: 'v = :v',
          ExpressionAttributeValues: { ':v': { N: value } },
          ReturnValues: 'ALL_OLD',
        }),
      );
    await expect(remove('2')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(dynamodb.getItem('eu-west-1', table, { pk: { S: 'd' } })).toBeDefined();
    const { Attributes } = await remove('1');
    expect(Attributes).toEqual({ pk: { S: 'd' }, v: { N: '1' } });
    expect(dynamodb.getItem('eu-west-1', table, { pk: { S: 'd' } })).toBeUndefined();
  });
});

describe('UpdateItem', () => {
  it('applies SET and REMOVE and returns ALL_NEW, ALL_OLD or nothing', async () => {
    await client().send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'u' }, a: { S: 'old' }, c: { S: 'gone soon' } },
      }),
    );
    const updated = await client().send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'u' } },
        UpdateExpression: 'SET a = :v, b = :w REMOVE c',
        ExpressionAttributeValues: { ':v': { S: 'new' }, ':w': { N: '2' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(updated.Attributes).toEqual({ pk: { S: 'u' }, a: { S: 'new' }, b: { N: '2' } });
    const old = await client().send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'u' } },
        UpdateExpression: 'SET b = b + :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(old.Attributes).toEqual({ pk: { S: 'u' }, a: { S: 'new' }, b: { N: '2' } });
    const none = await client().send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'u' } },
        UpdateExpression: 'SET a = :v',
        ExpressionAttributeValues: { ':v': { S: 'newer' } },
        ReturnValues: 'NONE',
      }),
    );
    expect(none.Attributes).toBeUndefined();
    expect(dynamodb.getItem('eu-west-1', table, { pk: { S: 'u' } })).toEqual({
      pk: { S: 'u' },
      a: { S: 'newer' },
      b: { N: '3' },
    });
  });

  it('creates the item when absent, unless the condition refuses', async () => {
    const update = (condition?: string) =>
      client().send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: 'new' } },
          UpdateExpression: 'SET claimedBy = if_not_exists(claimedBy, :me)',
          ...(condition !== undefined ? { ConditionExpression: condition } : {}),
          ExpressionAttributeValues: { ':me': { S: 'me' } },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    await expect(update('attribute_exists(pk)')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(dynamodb.getItem('eu-west-1', table, { pk: { S: 'new' } })).toBeUndefined();
    const { Attributes } = await update();
    expect(Attributes).toEqual({ pk: { S: 'new' }, claimedBy: { S: 'me' } });
    const refused = await rejectionOf(update('attribute_not_exists(pk)'), ConditionalCheckFailedException);
    expect(refused.Item).toEqual({ pk: { S: 'new' }, claimedBy: { S: 'me' } });
  });

  it('refuses to update a key attribute', async () => {
    expect(
      await validation(
        client().send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: 'k' } },
            UpdateExpression: 'SET pk = :v',
            ExpressionAttributeValues: { ':v': { S: 'other' } },
          }),
        ),
      ),
    ).toBe(
      'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
    );
  });
});

describe('expression errors', () => {
  const putWith = (input: {
    ConditionExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, { S: string }>;
  }) => client().send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'e' } }, ...input }));

  it('answers ValidationException for unparseable or inconsistent expressions', async () => {
    expect(
      await validation(
        putWith({ ConditionExpression: 'a = = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }),
      ),
    ).toBe('Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"');
    expect(await validation(putWith({ ConditionExpression: 'attribute_exists(pk' }))).toBe(
      'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "pk"',
    );
    expect(
      await validation(
        putWith({ ConditionExpression: 'status = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }),
      ),
    ).toBe('Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status');
    expect(
      await validation(
        putWith({ ConditionExpression: '#missing = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }),
      ),
    ).toBe(
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #missing',
    );
    expect(await validation(putWith({ ConditionExpression: 'a = :nope' }))).toBe(
      'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope',
    );
    expect(
      await validation(
        putWith({
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':unused': { S: 'x' } },
        }),
      ),
    ).toBe('Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}');
    expect(await validation(putWith({ ConditionExpression: 'frobnicate(pk)' }))).toBe(
      'Invalid ConditionExpression: Invalid function name; function: frobnicate',
    );
    expect(await validation(putWith({ ConditionExpression: 'attribute_exists(pk, pk)' }))).toBe(
      'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2',
    );
    expect(
      await validation(
        client().send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: 'e' } },
            UpdateExpression: 'SET a = :v, a = :v',
            ExpressionAttributeValues: { ':v': { S: 'x' } },
          }),
        ),
      ),
    ).toBe(
      'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]',
    );
    // Nothing was written by any of the refused requests.
    expect(dynamodb.items('eu-west-1', table)).toEqual([]);
  });
});
