/**
 * SSM errors as the AWS JSON 1.1 protocol carries them: an HTTP status (400 for every client
 * error here) and a body `{"__type": "<Code>", "message": "…"}`. SSM sends the bare code as
 * `__type` (`ParameterNotFound`, `ValidationException`), which the SDKs map to their exception
 * classes. Some errors carry no message at all: GetParameter's `ParameterNotFound` reaches every
 * client as an empty message (the AWS CLI prints `…when calling the GetParameter operation: ` and
 * nothing after), so `message` is optional and left out of the body when undefined.
 */
export class SsmError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string | undefined,
    readonly status = 400,
  ) {
    super(detail ?? code);
  }

  body(): Record<string, string> {
    return this.detail === undefined ? { __type: this.code } : { __type: this.code, message: this.detail };
  }

  static validation(message: string): SsmError {
    return new SsmError('ValidationException', message);
  }

  /**
   * A request member that breaks the API model's constraint, in the wording AWS's request
   * validation uses for every JSON service: the member is named in lower camel case.
   */
  static constraint(member: string, value: unknown, constraint: string): SsmError {
    const shown = value === null || value === undefined ? 'null' : `'${String(value)}'`;
    return SsmError.validation(
      `1 validation error detected: Value ${shown} at '${lowerCamel(member)}' failed to satisfy constraint: ${constraint}`,
    );
  }

  /** A member of the wrong JSON type, which AWS rejects before validating anything else. */
  static serialization(message: string): SsmError {
    return new SsmError('SerializationException', message);
  }

  /** GetParameter, DeleteParameter, GetParameterHistory…: AWS sends no message with it. */
  static parameterNotFound(): SsmError {
    return new SsmError('ParameterNotFound', undefined);
  }

  static versionNotFound(name: string, selector: string): SsmError {
    return new SsmError(
      'ParameterVersionNotFound',
      `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`,
    );
  }

  static invalidNextToken(): SsmError {
    return new SsmError('InvalidNextToken', "The specified token isn't valid.");
  }
}

/** `ParameterFilters` → `parameterFilters`, as AWS names members in validation messages. */
export function lowerCamel(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}
