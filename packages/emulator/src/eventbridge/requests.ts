import {
  compilePattern,
  type EventPattern,
  InvalidEventPatternError,
  parseJson,
} from '@ami-lifecycle/event-pattern';

/** An EventBridge API error: awsJson's `__type` and message, and the HTTP status. */
export class RequestError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  /** A required member that is absent, in the coral-style wording of AWS's JSON services. */
  static missing(member: string): RequestError {
    return new RequestError(
      'ValidationException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
}

/** An event pattern's JSON text, compiled; `InvalidEventPatternException` with the reason otherwise. */
export function compileEventPattern(text: string): EventPattern {
  let pattern: unknown;
  try {
    pattern = parseJson(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RequestError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
  }
  try {
    return compilePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError)
      throw new RequestError('InvalidEventPatternException', error.message);
    throw error;
  }
}
