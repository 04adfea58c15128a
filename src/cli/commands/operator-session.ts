import type { FlexysyncConfig } from '../../config';
import {
  createFlexyKeyClient,
  FlexyKeyAuthError,
  type FlexyKeyClient,
  FlexyKeyConnectionError,
  FlexyKeyError,
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  FlexyKeyRateLimitError,
  FlexyKeyServerError,
  type IoPoint,
  type Unit,
} from '../../flexykey';
import type { Logger } from '../../logging';
// The services alone, not the worker module's index: that one brings the HTTP server and dashboard
// (fastify, bull-board), which no operator verb needs and every CLI start-up would load.
import { createServices, flexykeyClientOptions, type Services } from '../../worker/services';
import { CliError, connectCliRedis, RedisUnreachableError } from '../context';

/** What an operator command talks through: the FlexyKey client and, when Redis answered, the services. */
export interface OperatorSession {
  config: FlexysyncConfig;
  flexykey: FlexyKeyClient;
  /** Stores, queues and `requestSync`; undefined when Redis was unreachable (see `redisProblem`). */
  services: Services | undefined;
  /** Why Redis could not be used (the URL's password is never in it). */
  redisProblem: string | undefined;
}

export interface SessionOptions {
  /**
   * Whether the command cannot work without Redis (it queues or reads unit state). Commands that
   * only call FlexyKey still run when Redis is down, without the shared request budget: a guest
   * locked out at midnight must not wait for Redis to come back.
   */
  needRedis: boolean;
  /** Say on stderr that FlexyKey is called without the budget. @default true */
  announceFallback?: boolean;
}

/**
 * Opens a session, runs `body`, and closes everything again. A FlexyKey error that `body` lets
 * through becomes a {@link CliError} whose message says what it means for the operator.
 */
export async function withSession<T>(
  config: FlexysyncConfig,
  logger: Logger,
  options: SessionOptions,
  body: (session: OperatorSession) => Promise<T>,
): Promise<T> {
  const { username, password } = config.flexykey;
  if (!username || !password) {
    throw new CliError(
      'FlexyKey credentials missing: set FLEXYKEY_USERNAME (or flexykey.username) and FLEXYKEY_PASSWORD (or FLEXYKEY_PASSWORD_FILE)',
    );
  }
  let services: Services | undefined;
  let flexykey: FlexyKeyClient;
  let redisProblem: string | undefined;
  try {
    // createServices' connections retry forever; a short-lived probe fails fast and says why.
    const probe = await connectCliRedis(config.redis.url);
    await probe.quit().catch(() => probe.disconnect());
  } catch (error) {
    if (!(error instanceof RedisUnreachableError)) throw error;
    redisProblem = error.message;
  }
  if (redisProblem === undefined) {
    services = createServices({ config, logger });
    flexykey = services.flexykey;
  } else {
    if (options.needRedis) throw new CliError(redisProblem);
    if (options.announceFallback !== false) {
      console.error(`warning: ${redisProblem}; calling FlexyKey without the shared request budget`);
    }
    flexykey = createFlexyKeyClient(flexykeyClientOptions(config, { username, password }, logger));
  }
  try {
    return await body({ config, flexykey, services, redisProblem });
  } catch (error) {
    if (error instanceof FlexyKeyError) throw new CliError(explainFlexyKeyError(error, config));
    throw error;
  } finally {
    if (services) await services.close();
    else await flexykey.close();
  }
}

/** One sentence an operator can act on, for a FlexyKey failure that is not about a particular unit. */
export function explainFlexyKeyError(error: FlexyKeyError, config: FlexysyncConfig): string {
  const user = config.flexykey.username ?? '(unset)';
  if (error instanceof FlexyKeyAuthError) {
    return `FlexyKey rejected the credentials of user '${user}' (401): check FLEXYKEY_USERNAME and FLEXYKEY_PASSWORD, and that the user has API access`;
  }
  if (error instanceof FlexyKeyForbiddenError) {
    return `FlexyKey refused: user '${user}' has no rights to it — it belongs to another company (403; ${error.method} ${error.path})`;
  }
  if (error instanceof FlexyKeyRateLimitError) {
    const wait = error.retryAfterMs ? ` in ${Math.ceil(error.retryAfterMs / 1_000)} s` : ' later';
    return `FlexyKey is rate limiting this user (429): try again${wait}`;
  }
  if (error instanceof FlexyKeyConnectionError) {
    return `cannot reach FlexyKey at ${config.flexykey.baseUrl}: ${error.message}`;
  }
  if (error instanceof FlexyKeyServerError) {
    return `FlexyKey failed (HTTP ${error.statusCode}) on ${error.method} ${error.path}${error.detail ? `: ${error.detail}` : ''}`;
  }
  return `FlexyKey: ${error.message}`;
}

/**
 * `GET /Units/{id}`, with the two answers an operator most often gets wrong spelled out: no such
 * unit (404) and a unit of another company (403).
 */
export async function lookUpUnit(session: OperatorSession, unitId: number): Promise<Unit> {
  try {
    return await session.flexykey.units.get(unitId);
  } catch (error) {
    if (error instanceof FlexyKeyNotFoundError) throw new CliError(unitNotFoundMessage(unitId));
    if (error instanceof FlexyKeyForbiddenError) {
      throw new CliError(unitForbiddenMessage(unitId, session.config.flexykey.username));
    }
    throw error;
  }
}

export function unitNotFoundMessage(unitId: number): string {
  return `unit ${unitId} not found: the FlexyKey account has no such unit (list the units with: flexysync units)`;
}

export function unitForbiddenMessage(unitId: number, username: string | undefined): string {
  return `unit ${unitId}: forbidden — it belongs to another company; FlexyKey user '${username ?? '(unset)'}' has no rights to it`;
}

/** An output of a unit, with where it sits (`main` or the expansion module). */
export interface UnitOutput extends IoPoint {
  board: string;
}

/** Every relay of a unit: the main ones (F1, F2) and those of its expansion modules (X…). */
export function outputsOf(unit: Unit): UnitOutput[] {
  return [
    ...unit.relays.map((io) => ({ ...io, board: 'main' })),
    ...unit.expansions.flatMap((expansion) =>
      expansion.relays.map((io) => ({
        ...io,
        board: `${expansion.type ?? 'expansion'}${expansion.number == null ? '' : ` ${expansion.number}`}`,
      })),
    ),
  ];
}

/** `F1 (Door)` — an output with its description, for messages. */
export function describeOutput(output: Pick<IoPoint, 'globalNumber' | 'description'>): string {
  return output.description ? `${output.globalNumber} (${output.description})` : output.globalNumber;
}

/** A URL fit to print: no user info, and the query (where tokens live) reduced to `?…`. */
export function maskUrlQuery(url: string | null | undefined): string {
  if (!url) return '-';
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
