/**
 * A local DynamoDB: DynamoDB's JSON 1.0 protocol (`POST /`, `x-amz-target:
 * DynamoDB_20120810.<Operation>`, `application/x-amz-json-1.0`) for CreateTable, DescribeTable,
 * ListTables, DeleteTable, PutItem, GetItem, UpdateItem and DeleteItem, with condition, update and
 * projection expressions. Tables live per region (the SigV4 scope's; `defaultRegion` when unsigned)
 * in one account.
 *
 * Each item operation runs synchronously from validation to write, with no `await` in between, so
 * it is atomic per item as DynamoDB's are: of concurrent conditional writes to one key exactly the
 * ones whose condition holds at their turn succeed.
 */
import { randomUUID } from 'node:crypto';
import { credentialScope, type EmulatedService, headerValue } from '../http.js';
import { DynamoDbError } from './errors.js';
import { applyUpdate, evaluateCondition, project, updatedAttributes } from './evaluate.js';
import {
  type Condition,
  type DocumentPath,
  ExpressionContext,
  parseCondition,
  parseProjection,
  parseUpdate,
  type UpdateActions,
} from './expressions.js';
import {
  type AttributeValue,
  cloneValue,
  type Item,
  itemBytes,
  MAX_ITEM_BYTES,
  parseAttributeMap,
  typeOf,
} from './values.js';

export type KeyType = 'HASH' | 'RANGE';
export type ScalarType = 'S' | 'N' | 'B';

export interface TableDefinition {
  tableName: string;
  /** The partition key first, then the optional sort key. */
  keySchema: ReadonlyArray<{ attributeName: string; keyType: KeyType }>;
  attributeDefinitions: ReadonlyArray<{ attributeName: string; attributeType: ScalarType }>;
  billingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
}

export interface TableInfo extends TableDefinition {
  region: string;
  tableArn: string;
  itemCount: number;
}

export interface DynamoDbEmulatorOptions {
  accountId?: string;
  /** The region of unsigned requests; default `us-east-1`. */
  defaultRegion?: string;
  now?: () => Date;
  newRequestId?: () => string;
}

export interface DynamoDbEmulator {
  /** The HTTP face, for `startLocalServer({ dynamodb })`. */
  readonly service: EmulatedService;
  readonly accountId: string;
  /** Creates a table, as CreateTable does (`ResourceInUseException` if it exists). */
  createTable(region: string, definition: TableDefinition): TableInfo;
  describeTable(region: string, tableName: string): TableInfo | undefined;
  listTables(region: string): string[];
  /** A copy of the item with this key (key attributes only are read), or undefined. */
  getItem(region: string, tableName: string, key: Item): Item | undefined;
  /** Copies of every item of a table, in the order they were first written. */
  items(region: string, tableName: string): Item[];
  /** Writes an item without conditions, for seeding a test (validated like PutItem's). */
  putItem(region: string, tableName: string, item: Item): void;
  /** Requests served per operation, failed ones included: `{ PutItem: 3 }`. */
  calls(): Readonly<Record<string, number>>;
}

interface Table {
  definition: TableDefinition;
  region: string;
  arn: string;
  id: string;
  createdAt: Date;
  items: Map<string, Item>;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw DynamoDbError.serialization(`${name} must be a string`);
  return value;
}

/** DynamoDB's own wording for a missing required member: `Value null at 'tableName' …`. */
function requiredString(input: Record<string, unknown>, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined) {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw DynamoDbError.validation(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function enumValue<T extends string>(
  input: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = optionalString(input, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw DynamoDbError.validation(
      `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
}

const LEGACY_PARAMETERS = [
  'Expected',
  'ConditionalOperator',
  'AttributeUpdates',
  'AttributesToGet',
  'KeyConditions',
  'QueryFilter',
  'ScanFilter',
];

function refuseLegacy(input: Record<string, unknown>): void {
  const legacy = LEGACY_PARAMETERS.filter((name) => input[name] !== undefined && input[name] !== null);
  if (legacy.length > 0)
    throw DynamoDbError.validation(
      `The local DynamoDB does not implement the legacy parameters {${legacy.join(', ')}}: use expressions`,
    );
}

/** The placeholders of a request: both maps non-empty when given, and only alongside an expression. */
function expressionContext(input: Record<string, unknown>, expressions: string[]): ExpressionContext {
  const rawNames = input.ExpressionAttributeNames;
  const rawValues = input.ExpressionAttributeValues;
  let names: Record<string, string> | undefined;
  let values: Item | undefined;
  if (rawNames !== undefined && rawNames !== null) {
    if (!isRecord(rawNames)) throw DynamoDbError.serialization('ExpressionAttributeNames must be a map');
    if (expressions.length === 0)
      throw DynamoDbError.validation('ExpressionAttributeNames can only be specified when using expressions');
    if (Object.keys(rawNames).length === 0)
      throw DynamoDbError.validation('ExpressionAttributeNames must not be empty');
    names = {};
    for (const [key, value] of Object.entries(rawNames)) {
      if (typeof value !== 'string')
        throw DynamoDbError.serialization('ExpressionAttributeNames values must be strings');
      names[key] = value;
    }
  }
  if (rawValues !== undefined && rawValues !== null) {
    if (expressions.length === 0)
      throw DynamoDbError.validation(
        'ExpressionAttributeValues can only be specified when using expressions',
      );
    if (isRecord(rawValues) && Object.keys(rawValues).length === 0)
      throw DynamoDbError.validation('ExpressionAttributeValues must not be empty');
    values = parseAttributeMap(rawValues);
  }
  return new ExpressionContext(names, values);
}

function consumed(input: Record<string, unknown>, tableName: string, units: number): Record<string, unknown> {
  const mode = enumValue(input, 'ReturnConsumedCapacity', ['INDEXES', 'TOTAL', 'NONE']);
  return mode === 'TOTAL' || mode === 'INDEXES'
    ? { ConsumedCapacity: { TableName: tableName, CapacityUnits: units } }
    : {};
}

export function createDynamoDbEmulator(options: DynamoDbEmulatorOptions = {}): DynamoDbEmulator {
  const accountId = options.accountId ?? '123456789012';
  const defaultRegion = options.defaultRegion ?? 'us-east-1';
  const now = options.now ?? (() => new Date());
  const newRequestId = options.newRequestId ?? randomUUID;
  const regions = new Map<string, Map<string, Table>>();
  const counts: Record<string, number> = {};

  const tablesIn = (region: string): Map<string, Table> => {
    let tables = regions.get(region);
    if (tables === undefined) {
      tables = new Map();
      regions.set(region, tables);
    }
    return tables;
  };

  const tableOf = (region: string, name: string): Table => {
    const table = tablesIn(region).get(name);
    if (table === undefined) throw DynamoDbError.resourceNotFound();
    return table;
  };

  const info = (table: Table): TableInfo => ({
    ...table.definition,
    region: table.region,
    tableArn: table.arn,
    itemCount: table.items.size,
  });

  const description = (table: Table): Record<string, unknown> => {
    const { definition } = table;
    const billingMode = definition.billingMode ?? 'PAY_PER_REQUEST';
    return {
      TableName: definition.tableName,
      TableArn: table.arn,
      TableId: table.id,
      TableStatus: 'ACTIVE',
      CreationDateTime: table.createdAt.getTime() / 1000,
      KeySchema: definition.keySchema.map((k) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
      AttributeDefinitions: definition.attributeDefinitions.map((a) => ({
        AttributeName: a.attributeName,
        AttributeType: a.attributeType,
      })),
      ItemCount: table.items.size,
      TableSizeBytes: [...table.items.values()].reduce((n, item) => n + itemBytes(item), 0),
      BillingModeSummary: {
        BillingMode: billingMode,
        ...(billingMode === 'PAY_PER_REQUEST'
          ? { LastUpdateToPayPerRequestDateTime: table.createdAt.getTime() / 1000 }
          : {}),
      },
      ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
      DeletionProtectionEnabled: false,
    };
  };

  function createTable(region: string, definition: TableDefinition): Table {
    if (!TABLE_NAME.test(definition.tableName))
      throw DynamoDbError.validation(
        `1 validation error detected: Value '${definition.tableName}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
      );
    const [hash, range, ...extra] = definition.keySchema;
    if (
      hash === undefined ||
      hash.keyType !== 'HASH' ||
      extra.length > 0 ||
      (range !== undefined && range.keyType !== 'RANGE')
    )
      throw DynamoDbError.validation(
        'Invalid KeySchema: The first KeySchemaElement is not a HASH key type, or there are more than one HASH or RANGE keys',
      );
    const keyNames = definition.keySchema.map((k) => k.attributeName);
    const defined = definition.attributeDefinitions.map((a) => a.attributeName);
    if (keyNames.some((name) => !defined.includes(name)))
      throw DynamoDbError.validation(
        'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. ' +
          `Keys: [${keyNames.join(', ')}], AttributeDefinitions: [${defined.join(', ')}]`,
      );
    if (defined.length !== keyNames.length)
      throw DynamoDbError.validation(
        'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
      );
    const tables = tablesIn(region);
    if (tables.has(definition.tableName))
      throw DynamoDbError.resourceInUse(`Table already exists: ${definition.tableName}`);
    const table: Table = {
      definition: structuredClone(definition),
      region,
      arn: `arn:aws:dynamodb:${region}:${accountId}:table/${definition.tableName}`,
      id: randomUUID(),
      createdAt: now(),
      items: new Map(),
    };
    tables.set(definition.tableName, table);
    return table;
  }

  function keyAttributeTypes(table: Table): Array<{ name: string; type: ScalarType }> {
    return table.definition.keySchema.map((key) => {
      const type =
        table.definition.attributeDefinitions.find((a) => a.attributeName === key.attributeName)
          ?.attributeType ?? 'S';
      return { name: key.attributeName, type };
    });
  }

  /** The storage key of an item or key: its key attributes' types and values. */
  function storageKey(table: Table, item: Item): string {
    return JSON.stringify(keyAttributeTypes(table).map(({ name }) => item[name]));
  }

  /** Checks a full item's key attributes (PutItem). */
  function checkItemKey(table: Table, item: Item): void {
    for (const { name, type } of keyAttributeTypes(table)) {
      const value = item[name];
      if (value === undefined)
        throw DynamoDbError.validation(
          `One or more parameter values were invalid: Missing the key ${name} in the item`,
        );
      if (typeOf(value) !== type)
        throw DynamoDbError.validation(
          `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${type} actual: ${typeOf(value)}`,
        );
      if (('S' in value && value.S === '') || ('B' in value && value.B === ''))
        throw DynamoDbError.validation(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in value ? 'string' : 'binary'} value. Key: ${name}`,
        );
    }
  }

  /** Checks a `Key` parameter: exactly the key attributes, with their types. */
  function checkKey(table: Table, key: Item): void {
    const expected = keyAttributeTypes(table);
    const names = Object.keys(key);
    if (
      names.length !== expected.length ||
      expected.some(({ name, type }) => {
        const value = key[name];
        return value === undefined || typeOf(value) !== type;
      })
    )
      throw DynamoDbError.validation('The provided key element does not match the schema');
    checkItemKey(table, key);
  }

  function checkSize(item: Item): void {
    if (itemBytes(item) > MAX_ITEM_BYTES)
      throw DynamoDbError.validation('Item size has exceeded the maximum allowed size');
  }

  /** Parses and checks the request's expressions together, so unused placeholders are seen across all. */
  function expressionsOf(
    input: Record<string, unknown>,
    allowed: { update?: boolean; projection?: boolean; condition?: boolean },
  ) {
    refuseLegacy(input);
    const conditionText = allowed.condition ? optionalString(input, 'ConditionExpression') : undefined;
    const updateText = allowed.update ? optionalString(input, 'UpdateExpression') : undefined;
    const projectionText = allowed.projection ? optionalString(input, 'ProjectionExpression') : undefined;
    const texts = [conditionText, updateText, projectionText].filter((t): t is string => t !== undefined);
    const context = expressionContext(input, texts);
    const update: UpdateActions | undefined =
      updateText === undefined ? undefined : parseUpdate(updateText, context);
    const condition: Condition | undefined =
      conditionText === undefined ? undefined : parseCondition(conditionText, context);
    const projection: DocumentPath[] | undefined =
      projectionText === undefined ? undefined : parseProjection(projectionText, context);
    context.checkAllUsed();
    return { context, condition, update, projection };
  }

  function failCondition(input: Record<string, unknown>, existing: Item | undefined): never {
    const onFailure = enumValue(input, 'ReturnValuesOnConditionCheckFailure', ['ALL_OLD', 'NONE']);
    throw DynamoDbError.conditionalCheckFailed(
      onFailure === 'ALL_OLD' && existing !== undefined ? cloneValue(existing) : undefined,
    );
  }

  /**
   * PutItem (`next` set) and DeleteItem (`next` undefined): ReturnValues NONE or ALL_OLD, the
   * condition checked against the item there, then the write, with no await in between.
   */
  function replaceItem(
    input: Record<string, unknown>,
    table: Table,
    key: string,
    next: Item | undefined,
  ): Record<string, unknown> {
    const returnValues = enumValue(input, 'ReturnValues', [
      'NONE',
      'ALL_OLD',
      'UPDATED_OLD',
      'ALL_NEW',
      'UPDATED_NEW',
    ]);
    if (returnValues !== undefined && returnValues !== 'NONE' && returnValues !== 'ALL_OLD')
      throw DynamoDbError.validation('ReturnValues can only be ALL_OLD or NONE');
    const { context, condition } = expressionsOf(input, { condition: true });
    const existing = table.items.get(key);
    if (condition !== undefined && !evaluateCondition(condition, existing ?? {}, context.values))
      failCondition(input, existing);
    if (next === undefined) table.items.delete(key);
    else table.items.set(key, next);
    return {
      ...(returnValues === 'ALL_OLD' && existing !== undefined ? { Attributes: existing } : {}),
      ...consumed(input, table.definition.tableName, 1),
    };
  }

  // ---- operations (synchronous: each is atomic)

  const operations: Record<
    string,
    (region: string, input: Record<string, unknown>) => Record<string, unknown>
  > = {
    CreateTable(region, input) {
      const tableName = requiredString(input, 'TableName');
      const keySchema = Array.isArray(input.KeySchema) ? input.KeySchema : [];
      const attributeDefinitions = Array.isArray(input.AttributeDefinitions)
        ? input.AttributeDefinitions
        : [];
      const billingMode = enumValue(input, 'BillingMode', ['PROVISIONED', 'PAY_PER_REQUEST']);
      if ((billingMode ?? 'PROVISIONED') === 'PROVISIONED' && !isRecord(input.ProvisionedThroughput))
        throw DynamoDbError.validation(
          'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
        );
      const table = createTable(region, {
        tableName,
        keySchema: keySchema.map((k: unknown) => {
          const element = isRecord(k) ? k : {};
          const keyType =
            element.KeyType === 'RANGE' ? 'RANGE' : element.KeyType === 'HASH' ? 'HASH' : undefined;
          if (typeof element.AttributeName !== 'string' || keyType === undefined)
            throw DynamoDbError.validation(
              'Invalid KeySchema: every element needs AttributeName and KeyType HASH or RANGE',
            );
          return { attributeName: element.AttributeName, keyType };
        }),
        attributeDefinitions: attributeDefinitions.map((a: unknown) => {
          const definition = isRecord(a) ? a : {};
          const type = definition.AttributeType;
          if (typeof definition.AttributeName !== 'string' || (type !== 'S' && type !== 'N' && type !== 'B'))
            throw DynamoDbError.validation(
              'One or more parameter values were invalid: every AttributeDefinition needs AttributeName and AttributeType S, N or B',
            );
          return { attributeName: definition.AttributeName, attributeType: type };
        }),
        billingMode: billingMode ?? 'PROVISIONED',
      });
      return { TableDescription: description(table) };
    },

    DescribeTable(region, input) {
      const tableName = requiredString(input, 'TableName');
      const table = tablesIn(region).get(tableName);
      if (table === undefined)
        throw DynamoDbError.resourceNotFound(`Requested resource not found: Table: ${tableName} not found`);
      return { Table: description(table) };
    },

    ListTables(region, input) {
      const start = optionalString(input, 'ExclusiveStartTableName');
      const limit = typeof input.Limit === 'number' ? input.Limit : 100;
      const names = [...tablesIn(region).keys()].sort().filter((name) => start === undefined || name > start);
      const page = names.slice(0, limit);
      return {
        TableNames: page,
        ...(names.length > page.length && page.length > 0
          ? { LastEvaluatedTableName: page[page.length - 1] }
          : {}),
      };
    },

    DeleteTable(region, input) {
      const table = tableOf(region, requiredString(input, 'TableName'));
      tablesIn(region).delete(table.definition.tableName);
      return { TableDescription: { ...description(table), TableStatus: 'DELETING' } };
    },

    PutItem(region, input) {
      const table = tableOf(region, requiredString(input, 'TableName'));
      const item = parseAttributeMap(input.Item ?? {});
      checkItemKey(table, item);
      checkSize(item);
      return replaceItem(input, table, storageKey(table, item), item);
    },

    GetItem(region, input) {
      const table = tableOf(region, requiredString(input, 'TableName'));
      const key = parseAttributeMap(input.Key ?? {});
      checkKey(table, key);
      if (input.ConsistentRead !== undefined && typeof input.ConsistentRead !== 'boolean')
        throw DynamoDbError.serialization('ConsistentRead must be a boolean');
      // Every read is consistent locally: there are no replicas to lag behind.
      const { projection } = expressionsOf(input, { projection: true });
      const item = table.items.get(storageKey(table, key));
      return {
        ...(item !== undefined
          ? { Item: projection === undefined ? cloneValue(item) : project(item, projection) }
          : {}),
        ...consumed(input, table.definition.tableName, input.ConsistentRead === true ? 1 : 0.5),
      };
    },

    UpdateItem(region, input) {
      const table = tableOf(region, requiredString(input, 'TableName'));
      const key = parseAttributeMap(input.Key ?? {});
      checkKey(table, key);
      const returnValues =
        enumValue(input, 'ReturnValues', ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']) ??
        'NONE';
      const { context, condition, update } = expressionsOf(input, { condition: true, update: true });
      const keyNames = new Set(keyAttributeTypes(table).map((k) => k.name));
      for (const name of update === undefined ? [] : updatedAttributes(update))
        if (keyNames.has(name))
          throw DynamoDbError.validation(
            `One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`,
          );
      const storage = storageKey(table, key);
      const existing = table.items.get(storage);
      if (condition !== undefined && !evaluateCondition(condition, existing ?? {}, context.values))
        failCondition(input, existing);
      const base = existing ?? cloneValue(key);
      const next = update === undefined ? cloneValue(base) : applyUpdate(base, update, context.values);
      checkSize(next);
      table.items.set(storage, next);
      const touched = update === undefined ? new Set<string>() : updatedAttributes(update);
      const pick = (item: Item | undefined): Item | undefined => {
        if (item === undefined) return undefined;
        const out: Item = {};
        for (const name of touched) {
          const value = item[name];
          if (value !== undefined) out[name] = cloneValue(value);
        }
        return Object.keys(out).length === 0 ? undefined : out;
      };
      const attributes =
        returnValues === 'ALL_NEW'
          ? cloneValue(next)
          : returnValues === 'ALL_OLD'
            ? existing && cloneValue(existing)
            : returnValues === 'UPDATED_NEW'
              ? pick(next)
              : returnValues === 'UPDATED_OLD'
                ? pick(existing)
                : undefined;
      return {
        ...(attributes !== undefined ? { Attributes: attributes } : {}),
        ...consumed(input, table.definition.tableName, 1),
      };
    },

    DeleteItem(region, input) {
      const table = tableOf(region, requiredString(input, 'TableName'));
      const key = parseAttributeMap(input.Key ?? {});
      checkKey(table, key);
      return replaceItem(input, table, storageKey(table, key), undefined);
    },
  };

  const service: EmulatedService = async (request) => {
    const requestId = newRequestId();
    const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };
    const target = headerValue(request, 'x-amz-target') ?? '';
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    counts[operation || target] = (counts[operation || target] ?? 0) + 1;
    try {
      const handler = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (handler === undefined) throw DynamoDbError.unknownOperation(target);
      if (request.method !== 'POST') throw DynamoDbError.serialization('Requests must be POST.');
      let input: unknown;
      try {
        input = request.body.trim() === '' ? {} : JSON.parse(request.body);
      } catch {
        throw DynamoDbError.serialization('The request body is not valid JSON.');
      }
      if (!isRecord(input)) throw DynamoDbError.serialization('The request body must be a JSON object.');
      const region = credentialScope(request.headers)?.region ?? defaultRegion;
      const output = handler(region, input);
      return { status: 200, headers, body: JSON.stringify(output) };
    } catch (error) {
      if (!(error instanceof DynamoDbError)) throw error;
      return {
        status: error.status,
        headers,
        body: JSON.stringify({ __type: error.type, message: error.message, ...error.members }),
      };
    }
  };

  return {
    service,
    accountId,
    createTable: (region, definition) => info(createTable(region, definition)),
    describeTable(region, tableName) {
      const table = tablesIn(region).get(tableName);
      return table === undefined ? undefined : info(table);
    },
    listTables: (region) => [...tablesIn(region).keys()].sort(),
    getItem(region, tableName, key) {
      const table = tableOf(region, tableName);
      const lookup: Item = {};
      for (const { name } of keyAttributeTypes(table)) {
        const value: AttributeValue | undefined = key[name];
        if (value !== undefined) lookup[name] = value;
      }
      const item = table.items.get(storageKey(table, parseAttributeMap(lookup)));
      return item === undefined ? undefined : cloneValue(item);
    },
    items: (region, tableName) =>
      [...tableOf(region, tableName).items.values()].map((item) => cloneValue(item)),
    putItem(region, tableName, raw) {
      const table = tableOf(region, tableName);
      const item = parseAttributeMap(raw);
      checkItemKey(table, item);
      table.items.set(storageKey(table, item), item);
    },
    calls: () => ({ ...counts }),
  };
}
