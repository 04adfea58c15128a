import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../server';

/**
 * `GET /healthz`: the process is alive and serving (liveness; never touches Redis, so a Redis outage
 * does not get the process restarted). `GET /readyz`: it can do its work (readiness).
 */
export function registerHealthRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get('/healthz', async (_request, reply) => {
    return reply.header('Cache-Control', 'no-store').send({ status: 'ok' });
  });

  app.get('/readyz', async (_request, reply) => {
    const state = await context.readiness();
    const failing = [
      ...(state.redis ? [] : ['redis']),
      ...(state.flexykey ? [] : ['flexykey']),
      ...(state.shuttingDown ? ['shuttingDown'] : []),
    ];
    const ready = failing.length === 0 && state.error === undefined;
    return reply
      .header('Cache-Control', 'no-store')
      .code(ready ? 200 : 503)
      .send({
        ready,
        redis: state.redis,
        flexykey: state.flexykey,
        shuttingDown: state.shuttingDown,
        ...(ready ? {} : { failing }),
        ...(state.error !== undefined ? { error: state.error } : {}),
      });
  });
}
