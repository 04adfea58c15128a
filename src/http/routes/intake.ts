import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseBookingEvent } from '../../domain';
import { type EnqueueResult, enqueueBookings } from '../../jobs';
import { constantTimeEqual, parseBearer } from '../auth';
import { HttpError } from '../errors';
import type { RouteContext } from '../server';

export const BOOKINGS_PATH = '/v1/bookings';

/** How long a client should wait before resending after a 503 (seconds). */
const RETRY_AFTER_S = '5';

/** RFC 6750 §3: a missing token gets the bare challenge, a wrong one `error="invalid_token"`. */
const REALM = 'Bearer realm="flexysync"';

/**
 * `POST /v1/bookings`: one BookingEvent or an array, all-or-nothing. Every event is validated first;
 * if any is invalid nothing is enqueued and the answer names each bad field, so the client can fix
 * the batch and send all of it again (resending is safe: an event carries a booking's whole state).
 */
export function registerIntakeRoutes(app: FastifyInstance, context: RouteContext): void {
  const { deps, logger } = context;
  const { config } = deps;
  const maxEvents = config.http.maxEventsPerRequest;
  const token = deps.intakeToken;

  // Scoped so the JSON-only parser and the auth hook apply to this route alone.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      const text = body as string;
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(malformedJson(error as Error), undefined);
      }
    });

    // onRequest runs before the body is read: no parsing (and no 413/415) for unauthenticated clients.
    scope.addHook('onRequest', async (request: FastifyRequest) => {
      if (token === undefined) {
        throw new HttpError(
          503,
          'intake_disabled',
          'the HTTP intake is disabled: the worker has no FLEXYSYNC_INTAKE_TOKEN (or FLEXYSYNC_INTAKE_TOKEN_FILE)',
        );
      }
      const given = parseBearer(request.headers.authorization);
      if (given === undefined) {
        throw new HttpError(
          401,
          'unauthorized',
          'send the intake token as Authorization: Bearer <token>',
          {},
          { 'WWW-Authenticate': REALM },
        );
      }
      if (!constantTimeEqual(given, token)) {
        throw new HttpError(
          401,
          'unauthorized',
          'the bearer token is not valid',
          {},
          {
            'WWW-Authenticate': `${REALM}, error="invalid_token"`,
          },
        );
      }
    });

    scope.post(BOOKINGS_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body;
      if (body === undefined) {
        throw new HttpError(
          400,
          'empty_body',
          'the body is empty: send one BookingEvent or an array of them',
        );
      }
      const events: unknown[] = Array.isArray(body) ? body : [body];
      if (events.length > maxEvents) {
        throw new HttpError(
          413,
          'too_many_events',
          `${events.length} events in one request; at most ${maxEvents} (http.maxEventsPerRequest): split the batch`,
        );
      }

      const rejected: { index: number; errors: string[] }[] = [];
      events.forEach((input, index) => {
        const parsed = parseBookingEvent(input);
        if (!parsed.ok) rejected.push({ index, errors: parsed.errors });
        else if (!Object.hasOwn(config.resources, parsed.event.resource)) {
          rejected.push({
            index,
            errors: [`resource: '${parsed.event.resource}' is not a resource in the worker's configuration`],
          });
        }
      });
      if (rejected.length > 0) {
        throw new HttpError(
          400,
          'invalid_events',
          `${rejected.length} of ${events.length} event(s) are invalid; nothing was enqueued: fix them and send the whole request again`,
          { rejected, accepted: [] },
        );
      }
      if (events.length === 0) return reply.code(202).send({ accepted: [] });

      const state = await context.readiness();
      if (state.shuttingDown || !state.redis) {
        throw new HttpError(
          503,
          'unavailable',
          state.shuttingDown
            ? 'the worker is shutting down: send again'
            : 'Redis is unreachable: send again later',
          {},
          { 'Retry-After': RETRY_AFTER_S },
        );
      }
      let result: EnqueueResult;
      try {
        result = await withTimeout(
          enqueueBookings(deps.bookingsQueue, events),
          deps.enqueueTimeoutMs ?? 5_000,
        );
      } catch (error) {
        logger.warn({ reqId: request.id, err: (error as Error).message }, 'http intake could not enqueue');
        throw new HttpError(
          503,
          'unavailable',
          'the events could not be queued: send the whole request again later',
          {},
          { 'Retry-After': RETRY_AFTER_S },
        );
      }
      // Validated above with the same rules, so nothing can be rejected here.
      logger.info({ reqId: request.id, count: result.accepted.length }, 'bookings accepted over HTTP');
      return reply.code(202).send({ accepted: result.accepted });
    });
  });
}

/** JSON.parse's message can quote the body (a PIN); keep only the position. */
function malformedJson(error: Error): HttpError {
  const position = /position (\d+)/.exec(error.message)?.[1];
  const where = position === undefined ? '' : ` (at character ${position})`;
  return new HttpError(400, 'malformed_json', `the body is not valid JSON${where}`);
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`enqueue took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
