/**
 * The contract between the local server (`server.ts`) and each emulated AWS service.
 * A service sees one buffered request and returns one response; it never touches sockets, so it
 * can be unit-tested without a server and several services can share one loopback port.
 */
export interface EmulatedRequest {
  method: string;
  /** Path and query string, as received (for example `/` or `/?Action=DescribeRegions&Version=2016-11-15`). */
  url: string;
  /** Header names lower-cased, as Node delivers them. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface EmulatedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type EmulatedService = (request: EmulatedRequest) => Promise<EmulatedResponse>;

/** The SigV4 credential scope of a request: `Credential=AKID/20260101/eu-west-1/ec2/aws4_request`. */
export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  /** The signing name: `ec2`, `events`, `dynamodb`, `sqs`, `sns`, … */
  service: string;
}

/** The credential scope of the `Authorization` header, or undefined for an unsigned request. */
export function credentialScope(headers: EmulatedRequest['headers']): CredentialScope | undefined {
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  const match = value?.match(/Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/);
  if (match === null || match === undefined) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = ''] = match;
  return { accessKeyId, date, region, service };
}

/**
 * The region a request was signed for, read from the SigV4 credential scope
 * (`Credential=AKID/20260101/eu-west-1/ec2/aws4_request`). One endpoint serves every region, as
 * AWS_ENDPOINT_URL does for the SDK, so the scope is the only place the region is written.
 */
export function signedRegion(headers: EmulatedRequest['headers']): string | undefined {
  return credentialScope(headers)?.region;
}

/** A header's first value (Node gives repeated headers as arrays). */
export function headerValue(request: EmulatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
