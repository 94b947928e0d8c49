/** Organizations' errors, request ids and pagination. */
import { JsonServiceError } from '../json-service.js';

export class OrganizationsError extends JsonServiceError {
  constructor(
    code: string,
    message: string,
    /** `InvalidInputException`'s `Reason` (`INVALID_PATTERN`, `INVALID_NEXT_TOKEN`, …). */
    readonly reason?: string,
  ) {
    super(code, message, reason === undefined ? {} : { Reason: reason });
  }

  /** `InvalidInputException` with one of the reasons the API Reference lists, and its wording. */
  static invalidInput(reason: string, message: string): OrganizationsError {
    return new OrganizationsError('InvalidInputException', message, reason);
  }
}

/** A required id member: present (`INPUT_REQUIRED`) and of its pattern (`INVALID_PATTERN`). */
export function requiredId(input: Record<string, unknown>, member: string, pattern: RegExp): string {
  const value = input[member];
  if (value === undefined || value === null)
    throw OrganizationsError.invalidInput(
      'INPUT_REQUIRED',
      'You must include a value for all required parameters.',
    );
  if (typeof value !== 'string' || !pattern.test(value))
    throw OrganizationsError.invalidInput(
      'INVALID_PATTERN',
      "You provided a value that doesn't match the required pattern.",
    );
  return value;
}

/** The page size when `MaxResults` is not given [unverified: AWS documents no default]. */
const DEFAULT_PAGE = 20;
const MAX_PAGE = 20;

/**
 * One page of `items`. The token is opaque to clients: the operation (and its parent and child
 * type, for ListChildren) and the offset, base64url-encoded; a token of another listing, or not
 * one of ours, is `InvalidInputException` `INVALID_NEXT_TOKEN`.
 */
export function page<T>(
  input: Record<string, unknown>,
  listing: string,
  items: readonly T[],
): { items: T[]; nextToken?: string } {
  const max = input.MaxResults;
  let size = DEFAULT_PAGE;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max))
      throw new OrganizationsError('SerializationException', 'MaxResults must be an integer.');
    if (max < 1)
      throw OrganizationsError.invalidInput(
        'MIN_VALUE_EXCEEDED',
        'You provided a numeric parameter that has a smaller value than allowed.',
      );
    if (max > MAX_PAGE)
      throw OrganizationsError.invalidInput(
        'MAX_VALUE_EXCEEDED',
        'You provided a numeric parameter that has a larger value than allowed.',
      );
    size = max;
  }
  let offset = 0;
  const token = input.NextToken;
  if (token !== undefined && token !== null) {
    const decoded = typeof token === 'string' ? Buffer.from(token, 'base64url').toString('utf8') : '';
    const match = /^(.*)#(\d+)$/.exec(decoded);
    if (match === null || match[1] !== listing || Number(match[2]) > items.length)
      throw OrganizationsError.invalidInput(
        'INVALID_NEXT_TOKEN',
        'You specified an invalid value for nextToken.',
      );
    offset = Number(match[2]);
  }
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextToken: Buffer.from(`${listing}#${end}`).toString('base64url') } : {}),
  };
}
