/**
 * SQS errors as the JSON protocol carries them: a JSON body `{"__type":"com.amazonaws.sqs#<Shape>",
 * "message"}` plus the `x-amzn-query-error: <QueryCode>;Sender` header of AWS's query-compatible
 * JSON services. The SDK (awsQueryCompatible) reads the header's code first and finds the modeled
 * exception by it (`AWS.SimpleQueueService.NonExistentQueue` → `QueueDoesNotExist`); codes it does
 * not model (`InvalidParameterValue`, `MissingParameter`) become an `SQSServiceException` of that name.
 */
export class SqsError extends Error {
  constructor(
    /** The shape name in `__type` (`QueueDoesNotExist`). */
    readonly shape: string,
    /** The query-protocol code (`AWS.SimpleQueueService.NonExistentQueue`). */
    readonly queryCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  static queueDoesNotExist(): SqsError {
    return new SqsError(
      'QueueDoesNotExist',
      'AWS.SimpleQueueService.NonExistentQueue',
      'The specified queue does not exist.',
    );
  }

  static invalidParameterValue(message: string): SqsError {
    return new SqsError('InvalidParameterValue', 'InvalidParameterValue', message);
  }

  static missingParameter(name: string): SqsError {
    return new SqsError(
      'MissingParameter',
      'MissingParameter',
      `The request must contain the parameter ${name}.`,
    );
  }

  static invalidAttributeName(name: string): SqsError {
    return new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
  }

  static invalidAttributeValue(name: string): SqsError {
    return new SqsError(
      'InvalidAttributeValue',
      'InvalidAttributeValue',
      `Invalid value for the parameter ${name}.`,
    );
  }

  static receiptHandleIsInvalid(handle: string): SqsError {
    return new SqsError(
      'ReceiptHandleIsInvalid',
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
      404,
    );
  }

  static messageNotInflight(): SqsError {
    return new SqsError(
      'MessageNotInflight',
      'AWS.SimpleQueueService.MessageNotInflight',
      'The message referred to is not in flight.',
    );
  }

  static unsupported(message: string): SqsError {
    return new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', message);
  }

  static batch(shape: string, message: string): SqsError {
    return new SqsError(shape, `AWS.SimpleQueueService.${shape}`, message);
  }
}
