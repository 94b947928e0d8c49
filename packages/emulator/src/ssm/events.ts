import { randomUUID } from 'node:crypto';
import { parameterArn } from './names.js';
import {
  type DataType,
  latest,
  type ParameterRecord,
  type ParameterType,
  type RegionStore,
} from './store.js';

/**
 * `Parameter Store Change` events, which Parameter Store sends to EventBridge's default bus
 * (source `aws.ssm`) when a parameter is created, updated, deleted or labelled; see "Setting up
 * notifications or trigger actions based on Parameter Store events" in the SSM User Guide. The
 * detail names the parameter, its type and the operation, and its description when it has one;
 * for an `aws:ec2:image` parameter it also carries `dataType`, and `exception` when the value failed
 * validation and the parameter was not created or updated ("Native parameter support for Amazon
 * Machine Image IDs": `"exception": "Unable to Describe Resource"`).
 */
export type ParameterOperation = 'Create' | 'Update' | 'Delete' | 'LabelParameterVersion';

export interface ParameterStoreChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Parameter Store Change';
  source: 'aws.ssm';
  account: string;
  /** `YYYY-MM-DDTHH:MM:SSZ`. */
  time: string;
  region: string;
  resources: [string];
  detail: {
    operation: ParameterOperation;
    name: string;
    type: ParameterType;
    description?: string;
    dataType?: DataType;
    exception?: string;
  };
}

export type ParameterEventListener = (event: ParameterStoreChangeEvent) => void;

/** The `exception` AWS documents for an `aws:ec2:image` value it could not validate. */
export const IMAGE_VALIDATION_FAILURE = 'Unable to Describe Resource';

export function parameterStoreChange(input: {
  accountId: string;
  region: string;
  name: string;
  type: ParameterType;
  operation: ParameterOperation;
  time: Date;
  description?: string;
  dataType: DataType;
  exception?: string;
}): ParameterStoreChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account: input.accountId,
    time: `${input.time.toISOString().slice(0, 19)}Z`,
    region: input.region,
    resources: [parameterArn(input.region, input.accountId, input.name)],
    detail: {
      operation: input.operation,
      name: input.name,
      type: input.type,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.dataType === 'aws:ec2:image' ? { dataType: input.dataType } : {}),
      ...(input.exception !== undefined ? { exception: input.exception } : {}),
    },
  };
}

/** The event of an operation on a stored parameter, described by its latest version. */
export function parameterEvent(
  store: RegionStore,
  parameter: ParameterRecord,
  operation: ParameterOperation,
  time: Date,
): ParameterStoreChangeEvent {
  const last = latest(parameter);
  return parameterStoreChange({
    accountId: store.accountId,
    region: store.region,
    name: parameter.name,
    type: last.type,
    operation,
    time,
    dataType: last.dataType,
    ...(last.description !== undefined ? { description: last.description } : {}),
  });
}
