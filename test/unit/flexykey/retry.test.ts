import {
  backoffDelayMs,
  decideRetry,
  type FlexyKeyErrorCode,
  parseRetryAfter,
  type RetryFailure,
} from '../../../src/flexykey';

const policy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 };

type Row = [name: string, failure: RetryFailure, idempotent: boolean, retryable: boolean];

const f = (code: FlexyKeyErrorCode, extra: Partial<RetryFailure> = {}): RetryFailure => ({ code, ...extra });

describe('decideRetry: is the failure retryable at all', () => {
  const rows: Row[] = [
    // rule 1–2: never sent / unusable answer
    ['invalid request, GET', f('invalid_request'), true, false],
    ['invalid response, GET', f('invalid_response', { statusCode: 200 }), true, false],
    // rule 3: 429 was not processed → any method
    ['429 GET', f('rate_limited', { statusCode: 429 }), true, true],
    ['429 non-idempotent POST', f('rate_limited', { statusCode: 429 }), false, true],
    // rule 4: connection failed before sending → any method
    ['refused GET', f('connection_refused', { requestSent: false }), true, true],
    ['refused non-idempotent POST', f('connection_refused', { requestSent: false }), false, true],
    ['connect timeout non-idempotent POST', f('timeout', { requestSent: false }), false, true],
    // rule 5: may have reached the server → never replay a non-idempotent POST
    ['reset non-idempotent POST', f('connection_reset', { requestSent: true }), false, false],
    ['headers timeout non-idempotent POST', f('timeout', { requestSent: true }), false, false],
    ['500 non-idempotent POST', f('server_error', { statusCode: 500 }), false, false],
    [
      '503 non-idempotent POST even with Retry-After',
      f('server_error', { statusCode: 503, retryAfterMs: 1 }),
      false,
      false,
    ],
    // rules 6–7: idempotent replays are fine
    ['500 GET', f('server_error', { statusCode: 500 }), true, true],
    ['502 idempotent POST (Abort/Tools)', f('server_error', { statusCode: 502 }), true, true],
    ['reset GET', f('connection_reset', { requestSent: true }), true, true],
    ['headers timeout PUT', f('timeout', { requestSent: true }), true, true],
    // rule 8: other statuses get the same answer again
    ['400 GET', f('validation_failed', { statusCode: 400 }), true, false],
    ['401 GET', f('unauthorized', { statusCode: 401 }), true, false],
    ['403 GET', f('forbidden', { statusCode: 403 }), true, false],
    ['404 DELETE', f('not_found', { statusCode: 404 }), true, false],
    ['409 POST', f('conflict', { statusCode: 409 }), false, false],
    ['422 PUT', f('validation_failed', { statusCode: 422 }), true, false],
    ['405 GET', f('unexpected_status', { statusCode: 405 }), true, false],
  ];

  it.each(rows)('%s → retryable %s', (_name, failure, idempotent, retryable) => {
    const decision = decideRetry(failure, { idempotent, attempt: 1, policy });
    expect(decision.retryable).toBe(retryable);
    expect(decision.retry).toBe(retryable);
    if (!retryable) expect(decision.delayMs).toBe(0);
  });

  it('names the rule that refused a non-idempotent replay', () => {
    const decision = decideRetry(f('connection_reset', { requestSent: true }), {
      idempotent: false,
      attempt: 1,
      policy,
    });
    expect(decision.reason).toMatch(/never replayed/);
  });

  it('treats an unknown connection state as sent (a missing requestSent is not "not sent")', () => {
    expect(decideRetry(f('connection_reset'), { idempotent: false }).retryable).toBe(false);
  });

  it('answers retryability without a schedule when no attempt is given', () => {
    const decision = decideRetry(f('server_error', { statusCode: 503 }), { idempotent: true });
    expect(decision).toMatchObject({ retryable: true, retry: false });
  });
});

describe('decideRetry: when to retry', () => {
  it('stops when the attempt budget is spent but keeps the failure retryable', () => {
    const decision = decideRetry(f('server_error', { statusCode: 503 }), {
      idempotent: true,
      attempt: 3,
      policy,
    });
    expect(decision).toMatchObject({ retryable: true, retry: false });
    expect(decision.reason).toMatch(/attempts exhausted/);
  });

  it('retries on attempt 2 of 3', () => {
    expect(
      decideRetry(f('server_error', { statusCode: 503 }), { idempotent: true, attempt: 2, policy }).retry,
    ).toBe(true);
  });

  it('waits exactly Retry-After when it is within the cap', () => {
    const decision = decideRetry(f('rate_limited', { statusCode: 429, retryAfterMs: 800 }), {
      idempotent: false,
      attempt: 1,
      policy,
    });
    expect(decision).toMatchObject({ retry: true, delayMs: 800 });
  });

  it('honours Retry-After on a 503 of an idempotent request', () => {
    const decision = decideRetry(f('server_error', { statusCode: 503, retryAfterMs: 300 }), {
      idempotent: true,
      attempt: 1,
      policy,
    });
    expect(decision).toMatchObject({ retry: true, delayMs: 300 });
  });

  it('does not wait for a Retry-After above the cap: the caller gets it', () => {
    const decision = decideRetry(f('rate_limited', { statusCode: 429, retryAfterMs: 1001 }), {
      idempotent: true,
      attempt: 1,
      policy,
    });
    expect(decision).toMatchObject({ retryable: true, retry: false });
    expect(decision.reason).toMatch(/Retry-After above cap/);
  });

  it('uses jittered backoff when no Retry-After was given', () => {
    const decision = decideRetry(f('connection_refused', { requestSent: false }), {
      idempotent: false,
      attempt: 2,
      policy: { ...policy, random: () => 0.5 },
    });
    // attempt 2: ceiling min(1000, 100 * 2) = 200; half of it.
    expect(decision).toMatchObject({ retry: true, delayMs: 100 });
  });
});

describe('backoffDelayMs', () => {
  const p = { baseDelayMs: 200, maxDelayMs: 5000 };

  it.each([
    [1, 200],
    [2, 400],
    [3, 800],
    [5, 3200],
    [6, 5000],
    [30, 5000],
  ])('attempt %i stays below its ceiling %i', (attempt, ceiling) => {
    expect(backoffDelayMs(attempt, p, () => 0)).toBe(0);
    const high = backoffDelayMs(attempt, p, () => 0.999999);
    expect(high).toBeLessThan(ceiling);
    expect(high).toBeGreaterThanOrEqual(ceiling - 1);
  });

  it('spreads delays (full jitter) rather than returning a constant', () => {
    const delays = [0.1, 0.4, 0.9].map((r) => backoffDelayMs(3, p, () => r));
    expect(delays).toEqual([80, 320, 720]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
  });

  it('never returns a negative wait for a date in the past', () => {
    expect(parseRetryAfter('Fri, 20 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  it('takes the first of repeated headers', () => {
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });
});
