import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError } from '../../config';
import type { Logger } from '../../logging';
import { constantTimeEqual } from '../auth';
import { HttpError } from '../errors';
import type { HttpRoutes } from '../server';
import { type ReadSecretOptions, readSecretFromEnv } from './webhooks';

/** Environment variables holding the dashboard's Basic auth credentials (never the configuration file). */
export const DASHBOARD_ENV = {
  user: 'FLEXYSYNC_DASHBOARD_USER',
  password: 'FLEXYSYNC_DASHBOARD_PASSWORD',
  passwordFile: 'FLEXYSYNC_DASHBOARD_PASSWORD_FILE',
} as const;

/** Shorter passwords are refused at start-up: the dashboard can retry, remove and clean jobs. */
export const MIN_DASHBOARD_PASSWORD_LENGTH = 12;

export interface DashboardCredentials {
  user: string;
  password: string;
}

/**
 * The dashboard's Basic auth credentials from `FLEXYSYNC_DASHBOARD_USER` and
 * `FLEXYSYNC_DASHBOARD_PASSWORD` (or `…_PASSWORD_FILE`); undefined when neither is set (the dashboard is
 * then not served). Throws {@link ConfigError} when only one is set or a value is unusable; messages
 * never contain the password.
 */
export function readDashboardCredentials(options: ReadSecretOptions = {}): DashboardCredentials | undefined {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const user = env[DASHBOARD_ENV.user] === '' ? undefined : env[DASHBOARD_ENV.user];
  const password = readSecretFromEnv(DASHBOARD_ENV.password, DASHBOARD_ENV.passwordFile, problems, {
    ...options,
    minLength: MIN_DASHBOARD_PASSWORD_LENGTH,
  });
  const passwordSet = password !== undefined || problems.length > 0;
  if (user !== undefined) {
    // RFC 7617 §2: the user-id cannot contain a colon.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (!/^[^:\u0000-\u001f\u007f]{1,100}$/.test(user)) {
      problems.push(
        `${DASHBOARD_ENV.user} (environment): must be 1–100 characters without ':' or control characters`,
      );
    }
    if (!passwordSet) {
      problems.push(
        `${DASHBOARD_ENV.password} (environment): ${DASHBOARD_ENV.user} is set but no password (${DASHBOARD_ENV.password} or ${DASHBOARD_ENV.passwordFile})`,
      );
    }
  } else if (passwordSet) {
    problems.push(`${DASHBOARD_ENV.user} (environment): a dashboard password is set but no user`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return user !== undefined && password !== undefined ? { user, password } : undefined;
}

export interface DashboardRoutesDeps {
  /** The queues shown (bookings, unit-sync, reconcile, feeds). */
  queues: readonly Queue[];
  credentials: DashboardCredentials;
  logger: Logger;
  /** Where the dashboard is served. @default '/dashboard' */
  basePath?: string;
  /** Show jobs only: no retry, remove, clean, pause or add (enforced by bull-board's API too). @default false */
  readOnly?: boolean;
}

const REALM = 'Basic realm="flexysync dashboard", charset="UTF-8"';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The bull-board dashboard of the queues under `basePath`, every page and API call of it behind HTTP
 * Basic auth (checked in constant time before anything else). Actions that change a queue are also
 * refused when a browser says they come from another site, since browsers replay Basic credentials
 * on cross-site requests.
 */
export function dashboardRoutes(deps: DashboardRoutesDeps): HttpRoutes {
  const basePath = deps.basePath ?? '/dashboard';
  const { credentials, logger } = deps;

  async function guard(request: FastifyRequest, reply: FastifyReply) {
    const given = parseBasic(request.headers.authorization);
    // Both comparisons always run, so the time taken does not tell which one failed.
    const userOk = constantTimeEqual(given?.user ?? '', credentials.user);
    const passwordOk = constantTimeEqual(given?.password ?? '', credentials.password);
    if (given === undefined || !userOk || !passwordOk) {
      logger.info(
        { reqId: request.id, ip: request.ip, reason: given ? 'wrong credentials' : 'no credentials' },
        'dashboard request refused',
      );
      const answer = new HttpError(
        401,
        'unauthorized',
        given ? 'the dashboard credentials are not valid' : 'the dashboard needs HTTP Basic credentials',
      );
      return reply.code(401).header('WWW-Authenticate', REALM).send(answer.toBody());
    }
    if (!SAFE_METHODS.has(request.method) && isCrossSite(request)) {
      logger.warn({ reqId: request.id, ip: request.ip }, 'cross-site dashboard action refused');
      return reply.code(403).send({
        statusCode: 403,
        error: 'Forbidden',
        code: 'forbidden',
        message: 'dashboard actions must come from the dashboard itself',
      });
    }
  }

  return async (app: FastifyInstance) => {
    // Added before bull-board registers, so it covers every route bull-board adds (its pages, assets, API).
    app.addHook('onRequest', guard);
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(basePath);
    createBullBoard({
      queues: deps.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: deps.readOnly === true })),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'flexysync' } },
    });
    await app.register(serverAdapter.registerPlugin(), { prefix: basePath });
  };
}

/** `Authorization: Basic base64(user:password)` (RFC 7617), or undefined when absent or malformed. */
export function parseBasic(header: string | undefined): DashboardCredentials | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '')?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Whether a browser says the request comes from another site: `Sec-Fetch-Site` when sent (every
 * current browser), else an `Origin` whose host is not the one asked for. Non-browser clients
 * (curl, scripts) send neither and are judged by their credentials alone.
 */
function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}
