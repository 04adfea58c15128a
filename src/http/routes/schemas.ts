import type { FastifyInstance } from 'fastify';
import { bookingEventV1JsonSchemaText } from '../../domain';

/** Where the BookingEvent v1 JSON Schema is served (a public contract). */
export const BOOKING_EVENT_SCHEMA_PATH = '/v1/schemas/booking-event.v1.json';

/** `GET /v1/schemas/booking-event.v1.json`: the JSON Schema (draft 2020-12), public like the contract. */
export function registerSchemaRoutes(app: FastifyInstance): void {
  const text = bookingEventV1JsonSchemaText();
  app.get(BOOKING_EVENT_SCHEMA_PATH, async (_request, reply) => {
    return reply
      .type('application/schema+json; charset=utf-8')
      .header('Cache-Control', 'public, max-age=3600')
      .send(text);
  });
}
