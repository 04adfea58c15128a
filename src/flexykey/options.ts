import { z } from 'zod';
import type { Logger } from '../logging';
import type { RetryOptions } from './retry';
import type { Dispatcher, FlexyKeyHooks, TimeoutOptions } from './transport';
import { formatIssuePath } from './validate';

/** The vendor's production API. */
export const DEFAULT_BASE_URL = 'https://api.flexykey.se/v1/';
/** @default User-Agent of every call. */
export const DEFAULT_USER_AGENT = 'flexysync-flexykey-client/0.1';

export interface FlexyKeyClientOptions {
  /** Absolute http(s) URL of the API root; a trailing slash is optional. @default 'https://api.flexykey.se/v1/' */
  baseUrl?: string;
  /** FlexyWeb user with API access (HTTP Basic). */
  username: string;
  /** Its password. Only ever sent in the Authorization header; never logged. */
  password: string;
  /**
   * An undici dispatcher to send through (a shared `Agent`, a `MockAgent`, a proxy). When given, the
   * client does not create or close a pool, and `timeouts.connectMs` is the dispatcher's business.
   * @default a keep-alive `Pool` for the base URL's origin, closed by `close()`
   */
  dispatcher?: Dispatcher;
  /** @default { connectMs: 5000, headersMs: 10000, bodyMs: 10000 } */
  timeouts?: TimeoutOptions;
  /** @default { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5000 } */
  retry?: RetryOptions;
  /** Receives one debug line per attempt. @default silent */
  logger?: Logger;
  /** @default 'flexysync-flexykey-client/0.1' */
  userAgent?: string;
  /** Request budget and metrics hooks. @default none */
  hooks?: FlexyKeyHooks;
  /** Sockets of the pool the client creates. @default 10 */
  maxConnections?: number;
}

const rule = (text: string) => ({ error: text });
const positiveInt = (text: string) => z.number(rule(text)).int(rule(text)).positive(rule(text));
const nonNegativeInt = (text: string) => z.number(rule(text)).int(rule(text)).nonnegative(rule(text));

const optionsDataSchema = z.object({
  baseUrl: z
    .string(rule('must be an absolute http(s) URL'))
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
      } catch {
        return false;
      }
    }, rule('must be an absolute http(s) URL without query or fragment'))
    .default(DEFAULT_BASE_URL),
  // RFC 7617: the user-id of Basic auth cannot contain a colon.
  username: z
    .string(rule('is required'))
    .min(1, rule('is required'))
    .refine((value) => !value.includes(':'), rule('must not contain ":"')),
  password: z.string(rule('is required')).min(1, rule('is required')),
  timeouts: z
    .object({
      connectMs: positiveInt('must be a positive number of milliseconds').optional(),
      headersMs: positiveInt('must be a positive number of milliseconds').optional(),
      bodyMs: positiveInt('must be a positive number of milliseconds').optional(),
    })
    .optional(),
  retry: z
    .object({
      maxAttempts: positiveInt('must be an integer ≥ 1').optional(),
      baseDelayMs: nonNegativeInt('must be an integer ≥ 0').optional(),
      maxDelayMs: nonNegativeInt('must be an integer ≥ 0').optional(),
      random: z.custom((value) => typeof value === 'function', rule('must be a function')).optional(),
      sleep: z.custom((value) => typeof value === 'function', rule('must be a function')).optional(),
    })
    .optional(),
  userAgent: z.string(rule('must be a string')).min(1, rule('must not be empty')).optional(),
  maxConnections: positiveInt('must be an integer ≥ 1').optional(),
});

/** Checks the plain-data options; throws a TypeError naming every bad key (never echoing a value). */
export function validateClientOptions(options: FlexyKeyClientOptions): z.output<typeof optionsDataSchema> {
  const result = optionsDataSchema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${formatIssuePath(issue.path, '(options)')}: ${issue.message}`,
  );
  throw new TypeError(`Invalid FlexyKey client options: ${problems.join('; ')}`);
}
