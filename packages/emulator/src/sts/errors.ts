/** An STS API error: the Query error envelope's code and message, and the HTTP status. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  /**
   * The coral-style validation message STS shares with other AWS Query services:
   * `1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …`.
   */
  static validation(member: string, value: string | undefined, constraint: string): StsError {
    const shown = value === undefined ? 'null' : `'${value}'`;
    return new StsError(
      'ValidationError',
      `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
    );
  }
}
