import { type Dispatcher, Pool } from 'undici';
import type { z } from 'zod';
import type { Logger } from '../logging';
import {
  errorFromConnectionFailure,
  errorFromResponse,
  FlexyKeyError,
  FlexyKeyInvalidResponseError,
  isIdempotentMethod,
} from './errors';
import { decideRetry, type RetryPolicy } from './retry';
import { issuesOf } from './validate';

export type { Dispatcher } from 'undici';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Socket-level limits of every call. */
export interface TimeoutOptions {
  /** Establishing the TCP/TLS connection (only for the pool the client creates itself). @default 5000 */
  connectMs?: number;
  /** From sending the request until the response headers have arrived. @default 10000 */
  headersMs?: number;
  /** Longest silence while reading the response body. @default 10000 */
  bodyMs?: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Required<TimeoutOptions>> = {
  connectMs: 5000,
  headersMs: 10_000,
  bodyMs: 10_000,
};

/** Given to `beforeRequest` before every attempt, retries included. */
export interface BeforeRequestInfo {
  method: HttpMethod;
  /** The operation: method and path template, e.g. `PUT /UnitIdEntries/{id}` (bounded, fit for metrics). */
  route: string;
}

/** Given to `afterResponse` after every attempt, successful or not. */
export interface AfterResponseInfo extends BeforeRequestInfo {
  /** HTTP status; undefined when no response arrived (connection failure, timeout). */
  status: number | undefined;
  elapsedMs: number;
  /** 1-based attempt number within this call. */
  attempt: number;
  /** Set when the attempt failed (including an unusable 2xx body). */
  error?: FlexyKeyError;
}

/** Extension points for cross-cutting concerns the client should not know about. */
export interface FlexyKeyHooks {
  /**
   * Awaited before every attempt, retries included: a shared request budget can delay (or reject by
   * throwing) each call here. Not called for requests that fail client-side validation.
   */
  beforeRequest?(info: BeforeRequestInfo): Promise<void> | void;
  /** Called after every attempt (for metrics). Exceptions it throws are logged and ignored. */
  afterResponse?(info: AfterResponseInfo): void;
}

export interface TransportOptions {
  /** Absolute http(s) base URL, e.g. `https://api.flexykey.se/v1/`. */
  baseUrl: string;
  username: string;
  password: string;
  dispatcher?: Dispatcher | undefined;
  timeouts: Required<TimeoutOptions>;
  retry: RetryPolicy;
  logger: Logger;
  userAgent: string;
  hooks: FlexyKeyHooks;
  maxConnections: number;
}

type QueryValue = string | number | boolean | null | undefined;

/** One API call as a resource method describes it. */
export interface RequestSpec {
  method: HttpMethod;
  /** Path template relative to the base URL, e.g. `/UnitIdEntries/{id}`; `{name}` is filled from `params`. */
  path: string;
  params?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  /** JSON-encoded as the request body when present. */
  body?: unknown;
  /**
   * Whether replaying the call cannot do anything twice. @default true for GET, PUT and DELETE, false
   * for POST; mark POSTs that are safe (Abort, Tools) explicitly.
   */
  idempotent?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

/**
 * The only code that talks HTTP: one keep-alive undici pool (or an injected dispatcher), Basic auth,
 * JSON, timeouts, schema-checked responses, typed errors, retries, hooks and one debug line per attempt.
 */
export class Transport {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  // Built once; private fields are not enumerable, so logging the transport cannot leak it.
  readonly #authorization: string;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #options: Omit<TransportOptions, 'password' | 'username' | 'dispatcher'>;
  #closed = false;

  constructor(options: TransportOptions) {
    const base = new URL(options.baseUrl);
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Pool(this.#origin, {
        connections: options.maxConnections,
        connect: { timeout: options.timeouts.connectMs },
        headersTimeout: options.timeouts.headersMs,
        bodyTimeout: options.timeouts.bodyMs,
      });
    const { password: _password, username: _username, dispatcher: _dispatcher, ...rest } = options;
    this.#options = rest;
  }

  /** Sends one call (retrying as {@link decideRetry} allows) and parses the 2xx body with `response`. */
  request<S extends z.ZodType>(spec: RequestSpec & { response: S }): Promise<ApiResponse<z.output<S>>>;
  /** Sends one call whose answer carries nothing we read (e.g. 204 No Content). */
  request(spec: RequestSpec & { response?: undefined }): Promise<ApiResponse<undefined>>;
  async request(spec: RequestSpec & { response?: z.ZodType }): Promise<ApiResponse<unknown>> {
    if (this.#closed) throw new Error('FlexyKey client is closed');
    const { method } = spec;
    const { retry, hooks, timeouts } = this.#options;
    const route = `${method} ${spec.path}`;
    const path = this.#basePath + fillPath(spec.path, spec.params);
    const search = toQueryString(spec.query);
    const idempotent = spec.idempotent ?? isIdempotentMethod(method);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: Record<string, string> = {
      authorization: this.#authorization,
      accept: 'application/json',
      'user-agent': this.#options.userAgent,
    };
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';

    for (let attempt = 1; ; attempt++) {
      await hooks.beforeRequest?.({ method, route });
      const started = performance.now();
      let status: number | undefined;
      let error: FlexyKeyError;
      try {
        const response = await this.#dispatcher.request({
          origin: this.#origin,
          path: path + search,
          method,
          headers,
          body,
          headersTimeout: timeouts.headersMs,
          bodyTimeout: timeouts.bodyMs,
        });
        status = response.statusCode;
        const text = await response.body.text();
        if (status >= 200 && status < 300) {
          const data = parseBody(text, spec.response, { method, path, status });
          this.#report({ method, route, path, status, attempt, started });
          return { status, data };
        }
        throw errorFromResponse({ method, path, status, headers: response.headers, body: text, idempotent });
      } catch (caught) {
        error =
          caught instanceof FlexyKeyError
            ? caught
            : errorFromConnectionFailure(caught, { method, path, idempotent });
      }
      const decision = decideRetry(error, { idempotent, attempt, policy: retry });
      this.#report({
        method,
        route,
        path,
        status,
        attempt,
        started,
        error,
        retryInMs: decision.retry ? decision.delayMs : undefined,
      });
      if (!decision.retry) throw error;
      await retry.sleep(decision.delayMs);
    }
  }

  /** Closes the pool this transport created; an injected dispatcher is left to its owner. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  #report(entry: {
    method: HttpMethod;
    route: string;
    path: string;
    status: number | undefined;
    attempt: number;
    started: number;
    error?: FlexyKeyError;
    retryInMs?: number | undefined;
  }): void {
    const elapsedMs = Math.round(performance.now() - entry.started);
    const { method, route, path, status, attempt, error } = entry;
    // One line per attempt. Path only: the query can hold phone numbers; bodies and headers never appear.
    this.#options.logger.debug(
      {
        method,
        path,
        status,
        elapsedMs,
        attempt,
        ...(error ? { code: error.code } : {}),
        ...(entry.retryInMs !== undefined ? { retryInMs: entry.retryInMs } : {}),
      },
      'flexykey call',
    );
    const afterResponse = this.#options.hooks.afterResponse;
    if (!afterResponse) return;
    try {
      afterResponse({ method, route, status, elapsedMs, attempt, ...(error ? { error } : {}) });
    } catch (hookError) {
      this.#options.logger.warn({ err: hookError, route }, 'flexykey afterResponse hook threw');
    }
  }
}

function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`path parameter ${name} missing for ${template}`);
    return encodeURIComponent(String(value));
  });
}

function toQueryString(query: Record<string, QueryValue> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function parseBody(
  text: string,
  schema: z.ZodType | undefined,
  context: { method: string; path: string; status: number },
): unknown {
  if (!schema) return undefined;
  let json: unknown;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new FlexyKeyInvalidResponseError({
        ...context,
        statusCode: context.status,
        issues: [{ field: '(body)', rule: 'is not valid JSON' }],
        cause,
      });
    }
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  throw new FlexyKeyInvalidResponseError({
    ...context,
    statusCode: context.status,
    issues: issuesOf(result.error, '(body)'),
  });
}
