/** The local DynamoDB: see `createDynamoDbEmulator`. */
export {
  createDynamoDbEmulator,
  type DynamoDbEmulator,
  type DynamoDbEmulatorOptions,
  type KeyType,
  type ScalarType,
  type TableDefinition,
  type TableInfo,
} from './emulator.js';
export { DynamoDbError } from './errors.js';
export type { AttributeType, AttributeValue, Item } from './values.js';
