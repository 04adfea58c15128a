import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from '../logging';
import { type ProblemBody, SimProblem, titleFor } from './problem';
import { registerAdminRoutes } from './routes/admin';
import { registerApiRoutes } from './routes/api';
import type { Simulator } from './simulator';
import type { SimUser, World } from './world';

export const API_PREFIX = '/v1';
export const ADMIN_PREFIX = '/__admin';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export interface RouteConfig {
  api: boolean;
  /** `"PUT /v1/UnitIdEntries/{id}"` */
  callKey: string;
  /** `"/v1/UnitIdEntries/{id}"` */
  path: string;
}

export interface HandlerContext {
  world: World;
  user: SimUser;
  req: FastifyRequest;
  reply: FastifyReply;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Registers routes and remembers their patterns, so a wrong method can answer 405 with `Allow`. */
export class RouteTable {
  private readonly patterns: { method: string; regex: RegExp }[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly simulator: Simulator,
    private readonly users: WeakMap<FastifyRequest, SimUser>,
  ) {}

  private remember(method: string, url: string): void {
    const source = url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+');
    this.patterns.push({ method, regex: new RegExp(`^${source}/?$`, 'i') });
  }

  /** Methods registered for a concrete path (for 405). */
  allowed(path: string): string[] {
    return [...new Set(this.patterns.filter((p) => p.regex.test(path)).map((p) => p.method))];
  }

  /** An authenticated `/v1` route; `handler` returns the JSON body (undefined = empty). */
  api(method: Method, url: string, handler: (ctx: HandlerContext) => unknown, status = 200): void {
    const full = `${API_PREFIX}${url}`;
    const path = full.replace(/:(\w+)/g, '{$1}');
    const config: RouteConfig = { api: true, callKey: `${method} ${path}`, path };
    this.remember(method, full);
    this.app.route({
      method,
      url: full,
      config,
      handler: async (req, reply) => {
        const user = this.users.get(req) as SimUser;
        const body = await handler({ world: this.simulator.world, user, req, reply });
        if (reply.sent) return reply;
        if (reply.statusCode === 200 && status !== 200) reply.code(status);
        if (body === undefined) return reply.send();
        return reply.send(body);
      },
    });
  }

  /** An unauthenticated `/__admin` route, never faulted or budgeted. */
  admin(method: Method, url: string, handler: (req: FastifyRequest, reply: FastifyReply) => unknown): void {
    const full = `${ADMIN_PREFIX}${url}`;
    const config: RouteConfig = { api: false, callKey: `${method} ${full}`, path: full };
    this.remember(method, full);
    this.app.route({
      method,
      url: full,
      config,
      handler: async (req, reply) => {
        const body = await handler(req, reply);
        if (reply.sent) return reply;
        if (body === undefined) return reply.code(reply.statusCode === 200 ? 204 : reply.statusCode).send();
        return reply.send(body);
      },
    });
  }
}

function sendProblem(
  reply: FastifyReply,
  problem: ProblemBody,
  headers: Record<string, string> = {},
): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(problem.status).type(PROBLEM_TYPE).send(problem);
}

export interface BuildAppOptions {
  bodyLimitBytes: number;
  logger: Logger | null;
}

/** The fastify app: content parsing, the API guard (faults → auth → budget), routes and problem errors. */
export function buildApp(simulator: Simulator, options: BuildAppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    bodyLimit: options.bodyLimitBytes,
    forceCloseConnections: true,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    // FLEXYKEY: ASP.NET routing is case-insensitive (`/v1/units` works as well as `/v1/Units`).
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;

  // Only JSON is accepted (anything else → 415). An empty body is "no body", so a DELETE sent with a
  // JSON content type but nothing in it is not a parse error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const problem = new SimProblem(400, `Malformed JSON body: ${(error as Error).message}`, {
        body: ['is not valid JSON'],
      });
      done(problem, undefined);
    }
  });

  const users = new WeakMap<FastifyRequest, SimUser>();
  const dropAfterHandling = new WeakSet<FastifyRequest>();
  const delayed = new WeakMap<FastifyRequest, number>();

  // Injected latency is served after the body was read, so a client that gives up while waiting has
  // still delivered its request: like a slow real server, the change is made and only the answer is late.
  app.addHook('preHandler', async (req) => {
    const latencyMs = delayed.get(req);
    if (latencyMs !== undefined) await new Promise((resolve) => setTimeout(resolve, latencyMs));
  });

  // A fault with dropPhase 'after': the handler ran (the change is made), then the answer is lost.
  app.addHook('onSend', async (req, reply, payload) => {
    if (!dropAfterHandling.has(req)) return payload;
    reply.hijack();
    req.raw.socket.destroy();
    return payload;
  });

  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config as Partial<RouteConfig> | undefined;
    if (!config?.api) return;
    const world = simulator.world;
    const callKey = config.callKey as string;
    world.calls.record(callKey);
    if (world.faults.active) {
      const decision = world.faults.evaluate(callKey, config.path as string);
      if (decision.latencyMs > 0) delayed.set(req, decision.latencyMs);
      const outcome = decision.outcome;
      if (outcome?.type === 'drop' && outcome.phase === 'before') {
        reply.hijack();
        req.raw.socket.destroy();
        return;
      }
      if (outcome?.type === 'drop') dropAfterHandling.add(req);
      if (outcome?.type === 'error') {
        const headers: Record<string, string> = {};
        if (outcome.retryAfterSeconds !== undefined)
          headers['Retry-After'] = String(outcome.retryAfterSeconds);
        throw new SimProblem(
          outcome.status,
          `Injected fault: ${titleFor(outcome.status)}`,
          undefined,
          headers,
        );
      }
    }
    const user = world.authenticate(req.headers.authorization);
    if (!user) {
      // FLEXYKEY: HTTP Basic with a FlexyWeb API user; 401 = bad or missing credentials.
      throw new SimProblem(401, 'Missing or invalid credentials', undefined, {
        'WWW-Authenticate': 'Basic realm="FlexyKey API", charset="UTF-8"',
      });
    }
    const retryAfter = world.budget.check(user.username, Date.now());
    if (retryAfter !== null) {
      throw new SimProblem(429, 'API request budget exceeded', undefined, {
        'Retry-After': String(retryAfter),
      });
    }
    users.set(req, user);
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
    if (error instanceof SimProblem) return sendProblem(reply, error.toBody(), error.headers);
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const problem: ProblemBody = { status, title: titleFor(status), detail: error.message };
      // Framework-level 400s (bad Content-Length, empty body…) concern the request body.
      if (status === 400) problem.errors = { body: [error.message] };
      return sendProblem(reply, problem);
    }
    options.logger?.error({ err: error, url: req.url }, 'simulator request failed');
    return sendProblem(reply, { status: 500, title: titleFor(500), detail: 'Internal simulator error' });
  });

  const routes = new RouteTable(app, simulator, users);

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    const allowed = routes.allowed(path);
    if (allowed.length > 0) {
      return sendProblem(
        reply,
        { status: 405, title: titleFor(405), detail: `${req.method} is not allowed on ${path}` },
        { Allow: allowed.join(', ') },
      );
    }
    return sendProblem(reply, {
      status: 404,
      title: titleFor(404),
      detail: `No route ${req.method} ${path}`,
    });
  });

  registerApiRoutes(routes);
  registerAdminRoutes(routes, simulator);
  return app;
}
