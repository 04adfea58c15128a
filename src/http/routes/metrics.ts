import type { FastifyInstance } from 'fastify';
import type { HttpRoutes } from '../server';

/** Where Prometheus scrapes the worker. */
export const METRICS_PATH = '/metrics';

/** What the route needs of `createMetrics(...)`'s result. */
export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

/**
 * `GET /metrics`: the Prometheus text exposition. Read-only and without secrets, so like
 * `/healthz` it takes no credentials; keep the server on a private network (docs/metrics.md).
 */
export function metricsRoutes(metrics: MetricsSource): HttpRoutes {
  return (app: FastifyInstance) => {
    app.get(METRICS_PATH, async (_request, reply) => {
      const text = await metrics.render();
      return reply.header('Content-Type', metrics.contentType).header('Cache-Control', 'no-store').send(text);
    });
  };
}
