/**
 * DynamoDB errors as the service sends them: HTTP 400 with a JSON body whose `__type` is the
 * shape id (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`, or
 * `com.amazon.coral.validate#ValidationException` for request validation), and `message`. The SDK
 * maps the part after `#` to its typed exception and copies the other members (`Item`) onto it.
 */
const DYNAMODB = 'com.amazonaws.dynamodb.v20120810';

export class DynamoDbError extends Error {
  constructor(
    /** The full `__type`. */
    readonly type: string,
    message: string,
    readonly status = 400,
    /** Other members of the error body (`Item` of a failed condition). */
    readonly members: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The short code (`ValidationException`). */
  get code(): string {
    return this.type.slice(this.type.indexOf('#') + 1);
  }

  static validation(message: string): DynamoDbError {
    return new DynamoDbError('com.amazon.coral.validate#ValidationException', message);
  }

  static serialization(message: string): DynamoDbError {
    return new DynamoDbError('com.amazon.coral.service#SerializationException', message);
  }

  static unknownOperation(operation: string): DynamoDbError {
    return new DynamoDbError(
      'com.amazon.coral.service#UnknownOperationException',
      `The local DynamoDB does not implement ${operation === '' ? 'requests without x-amz-target' : operation}`,
    );
  }

  static resourceNotFound(message = 'Requested resource not found'): DynamoDbError {
    return new DynamoDbError(`${DYNAMODB}#ResourceNotFoundException`, message);
  }

  static resourceInUse(message: string): DynamoDbError {
    return new DynamoDbError(`${DYNAMODB}#ResourceInUseException`, message);
  }

  static conditionalCheckFailed(item: Record<string, unknown> | undefined): DynamoDbError {
    return new DynamoDbError(
      `${DYNAMODB}#ConditionalCheckFailedException`,
      'The conditional request failed',
      400,
      item === undefined ? {} : { Item: item },
    );
  }
}
