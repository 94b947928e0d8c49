/**
 * The contract between the local server (`local/server.ts`) and each emulated AWS service.
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

/**
 * The region a request was signed for, read from the SigV4 credential scope
 * (`Credential=AKID/20260101/eu-west-1/ec2/aws4_request`). One endpoint serves every region, as
 * AWS_ENDPOINT_URL does for the SDK, so the scope is the only place the region is written.
 */
export function signedRegion(headers: EmulatedRequest['headers']): string | undefined {
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  const match = value?.match(/Credential=[^/]+\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/);
  return match?.[1];
}
