import { createHash, timingSafeEqual } from 'node:crypto';

/** What RFC 6750 §2.1 allows in a bearer token (`b64token`). */
export const BEARER_TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Compares a secret someone sent with the one we hold, in time that depends on neither value.
 * Both sides are hashed first: `timingSafeEqual` needs equal lengths, and comparing the lengths
 * directly would tell an attacker how long the secret is.
 */
export function constantTimeEqual(given: string | Buffer, expected: string | Buffer): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive,
 * RFC 9110 §11.1), or undefined when the header is absent, of another scheme or malformed.
 */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
  return token !== undefined && BEARER_TOKEN_PATTERN.test(token) ? token : undefined;
}
