import type { FlexyKeyErrorCode } from './errors';

/** How the transport retries a failed call itself, before an error reaches the caller. */
export interface RetryOptions {
  /** Attempts per call, the first included (1 disables retries). @default 3 */
  maxAttempts?: number;
  /** Backoff base: the n-th retry waits up to `baseDelayMs * 2^(n-1)`. @default 200 */
  baseDelayMs?: number;
  /**
   * Cap of one wait, backoff and `Retry-After` alike. A `Retry-After` above it is not waited for: the
   * error is thrown with `retryAfterMs` so the caller (a job) can delay instead of blocking here.
   * @default 5000
   */
  maxDelayMs?: number;
  /** Source of jitter in [0, 1). @default Math.random */
  random?: () => number;
  /** How to wait between attempts (tests inject a recorder). @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
}

/** {@link RetryOptions} with every default applied. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: Readonly<Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>> = {
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5000,
};

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function resolveRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? defaultSleep,
  };
}

/** What the retry rules need to know about one failed attempt. */
export interface RetryFailure {
  code: FlexyKeyErrorCode;
  statusCode?: number | undefined;
  /** False only when the request provably never left this process (refused, DNS, connect timeout). */
  requestSent?: boolean | undefined;
  retryAfterMs?: number | undefined;
}

export interface RetryContext {
  /** Whether replaying the request cannot do anything twice (GET, PUT, DELETE, marked POSTs). */
  idempotent: boolean;
  /** The attempt that just failed, 1-based. Omit to ask only whether the failure is retryable. */
  attempt?: number;
  policy?: Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'random'>;
}

export interface RetryDecision {
  /** Safe and useful to try the same request again (now or later); becomes `FlexyKeyError.retryable`. */
  retryable: boolean;
  /** The transport should retry now, after `delayMs`. */
  retry: boolean;
  delayMs: number;
  /** Which rule decided, for logs and tests. */
  reason: string;
}

/**
 * The one place that decides whether a failed call is retried. Rules are checked in order; the first
 * that matches decides. Rules 1–8 decide whether the failure is retryable at all (safety), rules 9–11
 * whether and when the transport retries it now.
 */
export function decideRetry(failure: RetryFailure, context: RetryContext): RetryDecision {
  const no = (reason: string): RetryDecision => ({ retryable: false, retry: false, delayMs: 0, reason });
  const status = failure.statusCode;
  const isServerError = failure.code === 'server_error' || (status !== undefined && status >= 500);
  const isConnection =
    failure.code === 'connection_refused' ||
    failure.code === 'connection_reset' ||
    failure.code === 'timeout';
  let reason: string;

  // 1. Our own validation failed: nothing was sent, and the same input fails the same way again.
  if (failure.code === 'invalid_request') return no('invalid request: never sent');
  // 2. The server answered but we cannot use the answer: asking again returns the same shape.
  if (failure.code === 'invalid_response') return no('invalid response: same answer expected');
  // 3. 429: the server declined before processing, so even a non-idempotent POST is safe to resend.
  if (failure.code === 'rate_limited' || status === 429) reason = 'rate limited: not processed';
  // 4. The connection failed before a byte of the request was written (refused, DNS, connect
  //    timeout): the server cannot have seen it, whatever the method.
  else if (isConnection && failure.requestSent === false) reason = 'not sent: connection failed first';
  // 5. Everything below may have reached the server (5xx, reset or timeout after sending). A
  //    non-idempotent POST (create entry, create booking, PushChanges, Control, …) is NEVER replayed:
  //    it could run twice. The caller re-reads the server's state and reconciles.
  else if (!context.idempotent && (isServerError || isConnection)) {
    return no('non-idempotent request may have been processed: never replayed');
  }
  // 6. Idempotent request and a 5xx: the server may recover; replaying cannot double an effect.
  else if (isServerError) reason = 'server error on idempotent request';
  // 7. Idempotent request and a reset or timeout after sending: same reasoning as 6.
  else if (isConnection) reason = 'connection lost on idempotent request';
  // 8. Any other status (400, 401, 403, 404, 409, 422, …): the same request gets the same answer.
  else return no(`not retryable: ${failure.code}`);

  const { attempt, policy } = context;
  if (attempt === undefined || policy === undefined) {
    return { retryable: true, retry: false, delayMs: 0, reason };
  }
  // 9. The attempt budget is spent: the error goes to the caller, still marked retryable.
  if (attempt >= policy.maxAttempts) {
    return { retryable: true, retry: false, delayMs: 0, reason: `${reason}; attempts exhausted` };
  }
  // 10. The server asked for a longer pause than we are willing to block for: hand it to the caller
  //     (the error carries `retryAfterMs`), which can delay its job without holding a worker.
  if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxDelayMs) {
    return { retryable: true, retry: false, delayMs: 0, reason: `${reason}; Retry-After above cap` };
  }
  // 11. Wait what the server asked for, else exponential backoff with full jitter.
  const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt, policy, policy.random);
  return { retryable: true, retry: true, delayMs, reason };
}

/**
 * Full-jitter exponential backoff: a uniform wait in [0, min(cap, base * 2^(attempt-1))), so that
 * many workers retrying after one outage spread out instead of arriving together.
 */
export function backoffDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds from
 * `nowMs`, never negative, or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names its weekday and month; Date.parse would read "-5" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
