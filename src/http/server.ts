import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import type { FlexysyncConfig } from '../config';
import type { Logger } from '../logging';
import { HttpError } from './errors';
import { registerHealthRoutes } from './routes/health';
import { registerIntakeRoutes } from './routes/intake';
import { registerSchemaRoutes } from './routes/schemas';

/** What `/readyz` reports; the worker keeps it current. */
export interface Readiness {
  /** Redis answers. */
  redis: boolean;
  /** FlexyKey answered recently (any answer, even an error status, proves it is reachable). */
  flexykey: boolean;
  /** The process has been asked to stop. */
  shuttingDown: boolean;
}

/** Adds routes to the server (metrics, webhooks, a dashboard), in their own fastify scope. */
export type HttpRoutes = (app: FastifyInstance) => void | Promise<void>;

export interface HttpServerDeps {
  /** Uses `http` (host, port, limits) and `resources` (events naming an unknown resource are refused). */
  config: FlexysyncConfig;
  /** Where accepted events go (queue `bookings`, job name `booking`). */
  bookingsQueue: Queue;
  logger: Logger;
  /** Called by `/readyz` and before each enqueue; may be async. */
  readiness: () => Readiness | Promise<Readiness>;
  /**
   * Bearer token of `POST /v1/bookings`, from {@link readIntakeToken}. Undefined disables the intake:
   * it answers 503 `intake_disabled` and is never open without a token.
   */
  intakeToken?: string | undefined;
  /** Registered after the built-in routes. @default [] */
  routes?: readonly HttpRoutes[];
  /** How long an enqueue may take before the request is answered 503. @default 5_000 */
  enqueueTimeoutMs?: number;
  /** How long `readiness()` may take before it counts as not ready. @default 2_000 */
  readinessTimeoutMs?: number;
  /** Limit on the time to receive a whole request (slow clients). @default 30_000 */
  requestTimeoutMs?: number;
}

export interface HttpAddress {
  host: string;
  port: number;
  /** `http://host:port` (IPv6 hosts in brackets). */
  url: string;
}

export interface HttpServer {
  /** Starts listening on `config.http.host`/`port`; resolves once connections are accepted. */
  listen(): Promise<HttpAddress>;
  /**
   * Stops accepting connections, lets requests in flight finish, closes idle keep-alive connections.
   * Requests still arriving on open connections are answered by their routes, which see readiness
   * as shutting down (the intake answers `503 unavailable`, `/readyz` 503), with `Connection: close`.
   * Idempotent.
   */
  close(): Promise<void>;
  /** Where it listens; undefined before `listen()` resolves and after `close()`. */
  readonly address: HttpAddress | undefined;
}

/** Per-request context the routes share. */
export interface RouteContext {
  deps: HttpServerDeps;
  logger: Logger;
  /** `readiness()` bounded by `readinessTimeoutMs`; a throw or timeout reads as "not ready". */
  readiness(): Promise<Readiness & { error?: string }>;
}

/**
 * The worker's HTTP server: `POST /v1/bookings` (the booking intake), `GET
 * /v1/schemas/booking-event.v1.json`, `GET /healthz`, `GET /readyz`, and whatever `deps.routes` adds.
 * Nothing listens until `listen()`.
 */
export function createHttpServer(deps: HttpServerDeps): HttpServer {
  const http = deps.config.http;
  const logger = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Our own access log below: fastify's would be one more place that could grow a header.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: http.bodyLimitBytes,
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    // Fastify's own 503 while closing has none of our error shape (no `code`, no Retry-After): the
    // routes answer instead, seeing readiness as shutting down (fastify still adds Connection: close).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;

  // Set by close(): a readiness check begun from then on reads as shutting down, whatever
  // deps.readiness says (the intake then answers 503 unavailable, /readyz 503).
  let closing: Promise<void> | undefined;
  const readiness = boundedReadiness(deps);
  const context: RouteContext = {
    deps,
    logger,
    readiness: async () => {
      const closingAlready = closing !== undefined;
      const state = await readiness();
      return closingAlready ? { ...state, shuttingDown: true } : state;
    },
  };
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  app.addHook('onResponse', async (request, reply) => {
    // The path only: a query string is not ours to log (a client may put a secret there by mistake).
    const entry = {
      reqId: request.id,
      method: request.method,
      path: pathOf(request.url),
      statusCode: reply.statusCode,
      elapsedMs: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) logger.warn(entry, 'http request');
    else if (reply.statusCode >= 400) logger.info(entry, 'http request');
    else logger.debug(entry, 'http request');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toHttpError(error, http.bodyLimitBytes);
    if (!known) {
      logger.error(
        { reqId: request.id, err: error.message, path: pathOf(request.url) },
        'http request failed',
      );
    }
    const answer = known ?? new HttpError(500, 'internal', 'internal error; see the worker log');
    for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
    return reply.code(answer.statusCode).send(answer.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const allowed = methodsByPath.get(path);
    const answer = allowed
      ? new HttpError(
          405,
          'method_not_allowed',
          `${request.method} is not allowed on ${path}`,
          {},
          {
            Allow: [...allowed].sort().join(', '),
          },
        )
      : new HttpError(404, 'not_found', `no route ${request.method} ${path}`);
    for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
    return reply.code(answer.statusCode).send(answer.toBody());
  });

  registerHealthRoutes(app, context);
  registerSchemaRoutes(app);
  registerIntakeRoutes(app, context);
  for (const routes of deps.routes ?? []) {
    void app.register(async (scope) => routes(scope));
  }
  if (deps.intakeToken === undefined) {
    logger.warn(
      'HTTP intake disabled: set FLEXYSYNC_INTAKE_TOKEN or FLEXYSYNC_INTAKE_TOKEN_FILE to accept bookings over HTTP',
    );
  }

  let address: HttpAddress | undefined;
  let listening: Promise<HttpAddress> | undefined;
  return {
    listen() {
      if (closing) return Promise.reject(new Error('the HTTP server is closed'));
      listening ??= (async () => {
        await app.listen({ host: http.host, port: http.port });
        const info = app.server.address() as AddressInfo;
        const host = info.address;
        address = {
          host,
          port: info.port,
          url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        };
        return address;
      })();
      return listening;
    },
    close() {
      closing ??= (async () => {
        await app.close();
        if (address) logger.info('http server stopped');
        address = undefined;
      })();
      return closing;
    },
    get address() {
      return address;
    },
  };
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Framework errors as our answers; undefined for anything unexpected (a 500). */
function toHttpError(error: FastifyError, bodyLimitBytes: number): HttpError | undefined {
  if (error instanceof HttpError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        'payload_too_large',
        `the body is larger than ${bodyLimitBytes} bytes (http.bodyLimitBytes): send fewer events per request`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json');
    default:
      break;
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own client errors (a bad Content-Length, a request that timed out) carry no data.
    return new HttpError(status, status === 413 ? 'payload_too_large' : 'bad_request', error.message);
  }
  return undefined;
}

function boundedReadiness(deps: HttpServerDeps): RouteContext['readiness'] {
  const timeoutMs = deps.readinessTimeoutMs ?? 2_000;
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`readiness check took longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([Promise.resolve().then(() => deps.readiness()), timeout]);
    } catch (error) {
      return { redis: false, flexykey: false, shuttingDown: false, error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };
}
