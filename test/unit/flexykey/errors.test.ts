import {
  errorFromConnectionFailure,
  errorFromResponse,
  FlexyKeyAuthError,
  FlexyKeyConflictError,
  FlexyKeyConnectionError,
  FlexyKeyError,
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  FlexyKeyRateLimitError,
  FlexyKeyServerError,
  FlexyKeyTimeoutError,
  FlexyKeyUnexpectedStatusError,
  FlexyKeyValidationError,
} from '../../../src/flexykey';

const ctx = { method: 'GET', path: '/v1/Units' };

describe('errorFromResponse: status → class, code, retryable', () => {
  it.each([
    [400, FlexyKeyValidationError, 'validation_failed', false],
    [401, FlexyKeyAuthError, 'unauthorized', false],
    [403, FlexyKeyForbiddenError, 'forbidden', false],
    [404, FlexyKeyNotFoundError, 'not_found', false],
    [409, FlexyKeyConflictError, 'conflict', false],
    [422, FlexyKeyValidationError, 'validation_failed', false],
    [429, FlexyKeyRateLimitError, 'rate_limited', true],
    [500, FlexyKeyServerError, 'server_error', true],
    [502, FlexyKeyServerError, 'server_error', true],
    [503, FlexyKeyServerError, 'server_error', true],
    [504, FlexyKeyServerError, 'server_error', true],
    [405, FlexyKeyUnexpectedStatusError, 'unexpected_status', false],
    [302, FlexyKeyUnexpectedStatusError, 'unexpected_status', false],
  ] as const)('%i → %p %s retryable=%s (GET)', (status, type, code, retryable) => {
    const error = errorFromResponse({ ...ctx, status, body: '' });
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(FlexyKeyError);
    expect(error).toMatchObject({ code, statusCode: status, retryable, method: 'GET', path: '/v1/Units' });
    expect(error.name).toBe(type.name);
  });

  it('a 5xx answering a non-idempotent POST is not retryable; 429 still is', () => {
    const post = { method: 'POST', path: '/v1/UnitIdEntries' };
    expect(errorFromResponse({ ...post, status: 503 }).retryable).toBe(false);
    expect(errorFromResponse({ ...post, status: 429 }).retryable).toBe(true);
  });

  it('an idempotent-marked POST (Abort) keeps 5xx retryable', () => {
    const error = errorFromResponse({
      method: 'POST',
      path: '/v1/UnitSync/Abort',
      status: 500,
      idempotent: true,
    });
    expect(error.retryable).toBe(true);
  });
});

describe('problem details', () => {
  it('takes title and detail from a problem-details body', () => {
    const body = JSON.stringify({
      status: 409,
      title: 'Conflict',
      detail: 'idNumber FS-1 already exists on unit 3023',
    });
    const error = errorFromResponse({ method: 'POST', path: '/v1/UnitIdEntries', status: 409, body });
    expect(error).toBeInstanceOf(FlexyKeyConflictError);
    expect(error.detail).toBe('idNumber FS-1 already exists on unit 3023');
    expect(error.message).toBe(
      'POST /v1/UnitIdEntries → 409 Conflict: idNumber FS-1 already exists on unit 3023',
    );
  });

  it('parses field errors of a 400 and lists them in the message', () => {
    const body = JSON.stringify({
      type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
      title: 'One or more validation errors occurred.',
      status: 400,
      errors: { Setting: ['Setting is not approved.'], Value: ['Too long', 'Bad chars'], Ignored: 5 },
    });
    const error = errorFromResponse({ method: 'PUT', path: '/v1/UnitSettings', status: 400, body });
    expect(error).toBeInstanceOf(FlexyKeyValidationError);
    const validation = error as FlexyKeyValidationError;
    expect(validation.fieldErrors).toEqual({
      Setting: ['Setting is not approved.'],
      Value: ['Too long', 'Bad chars'],
    });
    expect(validation.detail).toBe('One or more validation errors occurred.');
    expect(validation.message).toContain('Setting: Setting is not approved.');
    expect(validation.message).toContain('Value: Too long; Bad chars');
  });

  it('gives an empty fieldErrors when the 422 has none', () => {
    const error = errorFromResponse({
      ...ctx,
      status: 422,
      body: JSON.stringify({ title: 'Unprocessable' }),
    });
    expect((error as FlexyKeyValidationError).fieldErrors).toEqual({});
  });

  it('falls back to { message } bodies', () => {
    const error = errorFromResponse({
      ...ctx,
      status: 403,
      body: JSON.stringify({ message: 'No access to unit' }),
    });
    expect(error.detail).toBe('No access to unit');
  });

  it('keeps a non-JSON body as a short detail and still maps the status', () => {
    const html = `<html><body><h1>502 Bad Gateway</h1>${'x'.repeat(500)}</body></html>`;
    const error = errorFromResponse({ ...ctx, status: 502, body: html });
    expect(error).toBeInstanceOf(FlexyKeyServerError);
    expect(error.statusCode).toBe(502);
    expect(error.detail?.startsWith('<html><body><h1>502 Bad Gateway</h1>')).toBe(true);
    expect(error.detail?.length).toBeLessThanOrEqual(201);
  });

  it('maps an empty body by status alone', () => {
    const error = errorFromResponse({ ...ctx, status: 404 });
    expect(error).toBeInstanceOf(FlexyKeyNotFoundError);
    expect(error.detail).toBeUndefined();
    expect(error.message).toBe('GET /v1/Units → 404 Not Found');
  });

  it('treats a JSON array or scalar body as not problem details', () => {
    expect(errorFromResponse({ ...ctx, status: 500, body: '[1,2]' }).detail).toBe('[1,2]');
    expect(errorFromResponse({ ...ctx, status: 500, body: '"oops"' }).detail).toBe('"oops"');
  });
});

describe('Retry-After on error responses', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');

  it('reads seconds on 429', () => {
    const error = errorFromResponse({ ...ctx, status: 429, headers: { 'retry-after': '3' }, nowMs: now });
    expect(error).toBeInstanceOf(FlexyKeyRateLimitError);
    expect(error.retryAfterMs).toBe(3000);
  });

  it('reads an HTTP-date on 503', () => {
    const error = errorFromResponse({
      ...ctx,
      status: 503,
      headers: { 'retry-after': 'Fri, 20 Nov 2026 10:01:00 GMT' },
      nowMs: now,
    });
    expect(error.retryAfterMs).toBe(60_000);
  });

  it('leaves retryAfterMs undefined when the header is absent', () => {
    expect(errorFromResponse({ ...ctx, status: 429 }).retryAfterMs).toBeUndefined();
  });
});

describe('errorFromConnectionFailure', () => {
  const failure = (code: string) => Object.assign(new Error(`boom ${code}`), { code });
  const get = { method: 'GET', path: '/v1/Units', idempotent: true };
  const post = { method: 'POST', path: '/v1/UnitIdEntries', idempotent: false };

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])(
    '%s happened before sending: connection_refused, retryable even for a POST',
    (code) => {
      const error = errorFromConnectionFailure(failure(code), post);
      expect(error).toBeInstanceOf(FlexyKeyConnectionError);
      expect(error).toMatchObject({ code: 'connection_refused', requestSent: false, retryable: true });
    },
  );

  it.each(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'SOMETHING_NEW'])(
    '%s may have been sent: connection_reset, retryable only when idempotent',
    (code) => {
      expect(errorFromConnectionFailure(failure(code), post)).toMatchObject({
        code: 'connection_reset',
        requestSent: true,
        retryable: false,
      });
      expect(errorFromConnectionFailure(failure(code), get)).toMatchObject({
        code: 'connection_reset',
        retryable: true,
      });
    },
  );

  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'connect', false, true],
    ['UND_ERR_HEADERS_TIMEOUT', 'headers', true, false],
    ['UND_ERR_BODY_TIMEOUT', 'body', true, false],
  ] as const)(
    '%s → timeout in phase %s (POST retryable only if not sent)',
    (code, phase, sent, retryable) => {
      const error = errorFromConnectionFailure(failure(code), post);
      expect(error).toBeInstanceOf(FlexyKeyTimeoutError);
      expect(error).toMatchObject({ code: 'timeout', phase, requestSent: sent, retryable });
      expect(errorFromConnectionFailure(failure(code), get).retryable).toBe(true);
    },
  );

  it('keeps the original error as cause', () => {
    const cause = failure('ECONNRESET');
    expect(errorFromConnectionFailure(cause, get).cause).toBe(cause);
  });
});
