import type { EmulatedRequest } from './http.js';

/**
 * Which account a request acts for, the rule every emulator shares. The SigV4 access key id of the
 * `Authorization` header (`Credential=<key>/…`) decides:
 *
 * - a key the emulator's STS issued (AssumeRole) acts for the role's account, which `issued`
 *   answers (it answers undefined for every other key);
 * - a key of exactly 12 digits is that account id (as LocalStack does), so one endpoint serves
 *   several accounts for sharing scenarios;
 * - any other key (`test`, `AKIA…`), or an unsigned request, acts for `fallback`, the emulator's
 *   default account.
 */

export const ACCOUNT_ID = /^\d{12}$/;

/** The account of a key the emulator issued, or undefined for a key it did not issue. */
export type IssuedKeyAccount = (accessKeyId: string) => string | undefined;

/** The access key id of a signed request, or undefined for an unsigned one. */
export function accessKeyIdOf(headers: EmulatedRequest['headers']): string | undefined {
  const auth = headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  return value?.match(/Credential=([^/,\s]+)\//)?.[1];
}

/** The account an access key id acts for (undefined: an unsigned request). */
export function accountOfAccessKey(
  accessKeyId: string | undefined,
  fallback: string,
  issued?: IssuedKeyAccount,
): string {
  if (accessKeyId === undefined) return fallback;
  const session = issued?.(accessKeyId);
  if (session !== undefined) return session;
  return ACCOUNT_ID.test(accessKeyId) ? accessKeyId : fallback;
}

/** The calling account of a request, by the rule above. */
export function callerAccount(
  headers: EmulatedRequest['headers'],
  fallback: string,
  issued?: IssuedKeyAccount,
): string {
  return accountOfAccessKey(accessKeyIdOf(headers), fallback, issued);
}
