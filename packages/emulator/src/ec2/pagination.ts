import { Ec2Error } from './errors.js';

/**
 * `MaxResults`/`NextToken` paging
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-pagination).
 * Results are ordered by a stable key (the resource id) and the token carries the last key
 * returned, so a page boundary survives resources being added or removed between calls. A token
 * names the action and region it was issued for; a token that is not one of ours, or is replayed
 * elsewhere, is refused with `InvalidPaginationToken` (EC2 lists both that and `InvalidNextToken`;
 * this emulator uses the former everywhere).
 */
interface TokenBody {
  a: string;
  r: string;
  k: string;
}

export function encodeToken(action: string, region: string, lastKey: string): string {
  const body: TokenBody = { a: action, r: region, k: lastKey };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function decodeToken(token: string, action: string, region: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw Ec2Error.invalidPaginationToken(token);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('a' in parsed && 'r' in parsed && 'k' in parsed) ||
    parsed.a !== action ||
    parsed.r !== region ||
    typeof parsed.k !== 'string'
  ) {
    throw Ec2Error.invalidPaginationToken(token);
  }
  return parsed.k;
}

export interface PageRequest {
  action: string;
  region: string;
  maxResults: number | undefined;
  nextToken: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

/**
 * One page of `items` (which need not be sorted). Without MaxResults everything after the token
 * is returned, as EC2 does for unpaginated calls.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, request: PageRequest): Page<T> {
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const after =
    request.nextToken === undefined
      ? undefined
      : decodeToken(request.nextToken, request.action, request.region);
  const remaining = after === undefined ? sorted : sorted.filter((item) => compare(keyOf(item), after) > 0);
  if (request.maxResults === undefined || remaining.length <= request.maxResults) {
    return { items: remaining, nextToken: undefined };
  }
  const page = remaining.slice(0, request.maxResults);
  const last = page[page.length - 1];
  return {
    items: page,
    nextToken: last === undefined ? undefined : encodeToken(request.action, request.region, keyOf(last)),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Validates `MaxResults` against an action's documented range. */
export function checkMaxResults(value: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (value < min || value > max) {
    throw Ec2Error.invalidParameterValue(
      `Value ( ${value} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`,
    );
  }
  return value;
}
