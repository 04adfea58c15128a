import { decideRetry, parseRetryAfter } from './retry';

/** Stable machine-readable error codes; callers switch on these, never on messages. */
export type FlexyKeyErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'invalid_request'
  | 'rate_limited'
  | 'server_error'
  | 'connection_refused'
  | 'connection_reset'
  | 'timeout'
  | 'invalid_response'
  | 'unexpected_status';

/** Where a failed call was going. `path` never carries the query string (it can hold phone numbers). */
export interface ErrorContext {
  method: string;
  path: string;
}

interface BaseInit extends ErrorContext {
  statusCode?: number | undefined;
  retryable: boolean;
  detail?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/** Raised when any call to the FlexyKey API fails; every error of this client is one of its subclasses. */
export class FlexyKeyError extends Error {
  readonly code: FlexyKeyErrorCode;
  /** HTTP status, when the server answered. */
  readonly statusCode: number | undefined;
  /** Whether the same request may succeed if tried again (and is safe to replay). */
  readonly retryable: boolean;
  readonly method: string;
  readonly path: string;
  /** The server's explanation (problem-details `detail`/`title`, or the start of a non-JSON body). */
  readonly detail: string | undefined;
  /** How long the server asked us to wait (`Retry-After`), when it said so. */
  readonly retryAfterMs: number | undefined;

  constructor(code: FlexyKeyErrorCode, message: string, init: BaseInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = init.statusCode;
    this.retryable = init.retryable;
    this.method = init.method;
    this.path = init.path;
    this.detail = init.detail;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** A server answer: `title` and `detail` come from problem details when the body had them. */
type HttpInit = ErrorContext & { title?: string | undefined; detail?: string | undefined };

/** Raised when the server rejects the credentials (401): wrong username/password or no API access. */
export class FlexyKeyAuthError extends FlexyKeyError {
  constructor(init: HttpInit) {
    super('unauthorized', describe(init, 401), { ...init, statusCode: 401, retryable: false });
  }
}

/** Raised when the user may not touch the unit or booking object (403): it belongs to another company. */
export class FlexyKeyForbiddenError extends FlexyKeyError {
  constructor(init: HttpInit) {
    super('forbidden', describe(init, 403), { ...init, statusCode: 403, retryable: false });
  }
}

/** Raised when the addressed unit, entry, webhook or booking does not exist (404). */
export class FlexyKeyNotFoundError extends FlexyKeyError {
  constructor(init: HttpInit) {
    super('not_found', describe(init, 404), { ...init, statusCode: 404, retryable: false });
  }
}

/** Raised when the change clashes with existing data (409), e.g. a duplicate `idNumber` on the unit. */
export class FlexyKeyConflictError extends FlexyKeyError {
  constructor(init: HttpInit) {
    super('conflict', describe(init, 409), { ...init, statusCode: 409, retryable: false });
  }
}

/** Raised when the server refuses the request's content (400 or 422), with its per-field reasons. */
export class FlexyKeyValidationError extends FlexyKeyError {
  /** Problem-details `errors`: field name (as the server spells it) → messages. Empty when absent. */
  readonly fieldErrors: Readonly<Record<string, readonly string[]>>;

  constructor(init: HttpInit & { statusCode: 400 | 422; fieldErrors?: Record<string, string[]> }) {
    const fieldErrors = init.fieldErrors ?? {};
    const fields = Object.entries(fieldErrors).map(([field, messages]) => `${field}: ${messages.join('; ')}`);
    const message = [describe(init, init.statusCode), ...fields].join(' — ');
    super('validation_failed', message, { ...init, retryable: false });
    this.fieldErrors = fieldErrors;
  }
}

/** One broken rule of a request, found before sending it. */
export interface RequestIssue {
  /** Dotted path of the field, e.g. `codeTag` or `params.id`; `(request)` for the whole input. */
  field: string;
  /** The rule it breaks, e.g. `must be 4–7 digits`. Never echoes the value (it may be a PIN). */
  rule: string;
}

/** Raised before sending when a request breaks a rule of the vendor guide; nothing reached the server. */
export class FlexyKeyRequestValidationError extends FlexyKeyError {
  /** The first offending field. */
  readonly field: string;
  /** The rule the first offending field breaks. */
  readonly rule: string;
  readonly issues: readonly RequestIssue[];

  constructor(init: ErrorContext & { issues: RequestIssue[] }) {
    const [first = { field: '(request)', rule: 'invalid' }] = init.issues;
    const list = init.issues.map((issue) => `${issue.field}: ${issue.rule}`).join('; ');
    super('invalid_request', `Invalid request for ${init.method} ${init.path}: ${list}`, {
      ...init,
      retryable: false,
    });
    this.field = first.field;
    this.rule = first.rule;
    this.issues = init.issues;
  }
}

/** Raised when the server throttles us (429); it did not process the request, so any method may be resent. */
export class FlexyKeyRateLimitError extends FlexyKeyError {
  constructor(init: HttpInit & { retryAfterMs?: number | undefined }) {
    super('rate_limited', describe(init, 429), { ...init, statusCode: 429, retryable: true });
  }
}

/** Raised when the server fails (5xx); retryable only for idempotent requests, since it may have acted. */
export class FlexyKeyServerError extends FlexyKeyError {
  constructor(
    init: HttpInit & { statusCode: number; retryable: boolean; retryAfterMs?: number | undefined },
  ) {
    super('server_error', describe(init, init.statusCode), init);
  }
}

/** Raised when the server answers a status this client does not expect (e.g. 405, 410, a 3xx). */
export class FlexyKeyUnexpectedStatusError extends FlexyKeyError {
  constructor(init: HttpInit & { statusCode: number }) {
    super('unexpected_status', describe(init, init.statusCode), { ...init, retryable: false });
  }
}

/**
 * Raised when the connection fails: `connection_refused` before any byte was sent (safe to retry for
 * any method), `connection_reset` after the request may have been sent (safe only when idempotent).
 */
export class FlexyKeyConnectionError extends FlexyKeyError {
  /** False only when the request provably never reached the server. */
  readonly requestSent: boolean;

  constructor(
    init: ErrorContext & {
      code?: 'connection_refused' | 'connection_reset' | 'timeout';
      requestSent: boolean;
      retryable: boolean;
      message: string;
      cause?: unknown;
    },
  ) {
    const code = init.code ?? (init.requestSent ? 'connection_reset' : 'connection_refused');
    super(code, init.message, init);
    this.requestSent = init.requestSent;
  }
}

/** Raised when connecting, waiting for response headers, or reading the body takes longer than allowed. */
export class FlexyKeyTimeoutError extends FlexyKeyConnectionError {
  readonly phase: 'connect' | 'headers' | 'body';

  constructor(
    init: ErrorContext & { phase: 'connect' | 'headers' | 'body'; retryable: boolean; cause?: unknown },
  ) {
    super({
      ...init,
      code: 'timeout',
      requestSent: init.phase !== 'connect',
      message: `${init.method} ${init.path}: ${init.phase} timeout`,
    });
    this.phase = init.phase;
  }
}

/** Raised when a response does not match what this client relies on; `issuePath` names the bad field. */
export class FlexyKeyInvalidResponseError extends FlexyKeyError {
  /** Path of the first bad field in the response body, e.g. `items[3].id`; `(body)` for the whole body. */
  readonly issuePath: string;
  readonly issues: readonly RequestIssue[];

  constructor(init: ErrorContext & { statusCode: number; issues: RequestIssue[]; cause?: unknown }) {
    const [first = { field: '(body)', rule: 'invalid' }] = init.issues;
    const list = init.issues
      .slice(0, 5)
      .map((issue) => `${issue.field}: ${issue.rule}`)
      .join('; ');
    super(
      'invalid_response',
      `Unexpected response from ${init.method} ${init.path} (${init.statusCode}): ${list}`,
      { ...init, retryable: false },
    );
    this.issuePath = first.field;
    this.issues = init.issues;
  }
}

/** What {@link errorFromResponse} needs: the request it answered and what came back. */
export interface ResponseFailure extends ErrorContext {
  status: number;
  headers?: Record<string, string | string[] | undefined>;
  /** Raw body text; JSON problem details are parsed, anything else is quoted briefly. */
  body?: string;
  /** Whether the request was idempotent (decides `retryable` of 5xx). @default method is GET/PUT/DELETE/HEAD */
  idempotent?: boolean;
  /** Clock for HTTP-date `Retry-After`. @default Date.now() */
  nowMs?: number;
}

/** Parsed ASP.NET-style problem details (`{ status, title, detail, errors }`), all parts optional. */
export interface ProblemDetails {
  title?: string;
  detail?: string;
  errors?: Record<string, string[]>;
}

/** The one factory from a non-2xx response to the matching {@link FlexyKeyError} subclass. */
export function errorFromResponse(failure: ResponseFailure): FlexyKeyError {
  const { method, path, status } = failure;
  const problem = parseProblemDetails(failure.body);
  const detail = problem?.detail ?? problem?.title ?? quoteBody(failure.body);
  const init: HttpInit = { method, path, title: problem?.title, detail };
  const retryAfterMs = parseRetryAfter(failure.headers?.['retry-after'], failure.nowMs);
  const idempotent = failure.idempotent ?? isIdempotentMethod(method);

  switch (status) {
    case 400:
    case 422:
      return new FlexyKeyValidationError({
        ...init,
        statusCode: status,
        fieldErrors: problem?.errors ?? {},
      });
    case 401:
      return new FlexyKeyAuthError(init);
    case 403:
      return new FlexyKeyForbiddenError(init);
    case 404:
      return new FlexyKeyNotFoundError(init);
    case 409:
      return new FlexyKeyConflictError(init);
    case 429:
      return new FlexyKeyRateLimitError({ ...init, retryAfterMs });
  }
  if (status >= 500) {
    const { retryable } = decideRetry({ code: 'server_error', statusCode: status }, { idempotent });
    return new FlexyKeyServerError({ ...init, statusCode: status, retryable, retryAfterMs });
  }
  return new FlexyKeyUnexpectedStatusError({ ...init, statusCode: status });
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Maps what undici or the socket threw to a {@link FlexyKeyConnectionError}. Only failures that happen
 * before a connection exists count as "not sent"; anything unknown is assumed to have been sent.
 */
export function errorFromConnectionFailure(
  cause: unknown,
  context: ErrorContext & { idempotent: boolean },
): FlexyKeyConnectionError {
  const { method, path, idempotent } = context;
  const code = typeof cause === 'object' && cause !== null ? String((cause as { code?: unknown }).code) : '';
  const retryableWhen = (requestSent: boolean, errorCode: FlexyKeyErrorCode) =>
    decideRetry({ code: errorCode, requestSent }, { idempotent }).retryable;

  const phase =
    code === 'UND_ERR_CONNECT_TIMEOUT'
      ? 'connect'
      : code === 'UND_ERR_HEADERS_TIMEOUT'
        ? 'headers'
        : code === 'UND_ERR_BODY_TIMEOUT'
          ? 'body'
          : undefined;
  if (phase) {
    const retryable = retryableWhen(phase !== 'connect', 'timeout');
    return new FlexyKeyTimeoutError({ method, path, phase, retryable, cause });
  }
  const requestSent = !NOT_SENT_CODES.has(code);
  const errorCode = requestSent ? 'connection_reset' : 'connection_refused';
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new FlexyKeyConnectionError({
    method,
    path,
    code: errorCode,
    requestSent,
    retryable: retryableWhen(requestSent, errorCode),
    message: `${method} ${path}: ${requestSent ? 'connection lost' : 'could not connect'} (${code || reason})`,
    cause,
  });
}

/** GET, HEAD, PUT, DELETE and OPTIONS are idempotent by HTTP semantics (RFC 9110 §9.2.2); POST is not. */
export function isIdempotentMethod(method: string): boolean {
  return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method.toUpperCase());
}

/** Reads a problem-details body; undefined when the body is not a JSON object. */
export function parseProblemDetails(body: string | undefined): ProblemDetails | undefined {
  if (!body) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
  const problem: ProblemDetails = {};
  const title = text(record.title);
  // FLEXYKEY: some ASP.NET error paths answer `{ message }` instead of problem details.
  const detail = text(record.detail) ?? text(record.message);
  if (title) problem.title = title;
  if (detail) problem.detail = detail;
  if (typeof record.errors === 'object' && record.errors !== null && !Array.isArray(record.errors)) {
    const errors: Record<string, string[]> = {};
    for (const [field, value] of Object.entries(record.errors)) {
      const messages = (Array.isArray(value) ? value : [value]).filter((m) => typeof m === 'string');
      if (messages.length > 0) errors[field] = messages;
    }
    problem.errors = errors;
  }
  return problem;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function describe(init: HttpInit, status: number): string {
  const title = init.title ?? STATUS_TEXT[status] ?? 'HTTP error';
  const detail = init.detail && init.detail !== title ? `: ${init.detail}` : '';
  return `${init.method} ${init.path} → ${status} ${title}${detail}`;
}

/** A short, single-line excerpt of a non-JSON body (an HTML error page, a proxy's text). */
function quoteBody(body: string | undefined): string | undefined {
  const text = body?.replace(/\s+/g, ' ').trim();
  if (!text) return undefined;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
