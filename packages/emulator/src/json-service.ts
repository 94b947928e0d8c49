import { type EmulatedRequest, type EmulatedService, headerValue } from './http.js';

/**
 * The AWS JSON 1.1 frame the small read-only emulators share (Organizations, KMS): `POST /` with
 * `X-Amz-Target: <prefix><Operation>` and a JSON object body; answered 200 with the output as JSON,
 * or 400 with `{"__type": "<Code>", "<message member>": "…", …}` and `x-amzn-errortype`, both with
 * `x-amzn-requestid`. An operation the emulator does not implement is `UnknownOperationException`;
 * a body that is not a JSON object is `SerializationException`.
 */

/** A refusal the service answers as a 400 error; `extra` members go into the error body as they are. */
export class JsonServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export interface JsonServiceOptions {
  /** `AWSOrganizationsV20161128.`, `TrentService.`, … */
  targetPrefix: string;
  /** The service's name in the UnknownOperationException message ("The local KMS does not implement …"). */
  name: string;
  /** How the service's error shapes spell the message member: `Message` or `message`. */
  messageMember: 'Message' | 'message';
  /** The operations emulated. */
  operations: readonly string[];
  newRequestId: () => string;
  /** Answers one call of an emulated operation, or throws a `JsonServiceError`. */
  handle(operation: string, input: Record<string, unknown>, request: EmulatedRequest): unknown;
}

export function jsonService(options: JsonServiceOptions): EmulatedService {
  const { targetPrefix } = options;
  const operations = new Set(options.operations);
  return async (request) => {
    const requestId = options.newRequestId();
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId };
    try {
      const target = headerValue(request, 'x-amz-target') ?? '';
      const operation = target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : '';
      if (!operations.has(operation))
        throw new JsonServiceError(
          'UnknownOperationException',
          `The local ${options.name} does not implement ${target === '' ? 'requests without x-amz-target' : target}.`,
        );
      let input: unknown;
      try {
        input = request.body.trim() === '' ? {} : JSON.parse(request.body);
      } catch {
        throw new JsonServiceError('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw new JsonServiceError('SerializationException', 'The request body must be a JSON object.');
      const output = options.handle(operation, { ...input }, request);
      return { status: 200, headers, body: JSON.stringify(output) };
    } catch (error) {
      if (!(error instanceof JsonServiceError)) throw error;
      return {
        status: 400,
        headers: { ...headers, 'x-amzn-errortype': error.code },
        body: JSON.stringify({ __type: error.code, [options.messageMember]: error.message, ...error.extra }),
      };
    }
  };
}
