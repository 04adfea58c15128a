import { z } from 'zod';
import { BOOKING_EVENT_V1_SCHEMA_ID, bookingEventV1Schema } from './booking-event';

/**
 * The JSON Schema (draft 2020-12) of what a producer may send as a BookingEvent v1, generated
 * from the zod schema so the two cannot disagree. It describes the input side: `null` allowed
 * for optional fields, the phone before normalisation.
 */
export function bookingEventV1JsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(bookingEventV1Schema, { target: 'draft-2020-12', io: 'input' });
  const { $schema, ...rest } = generated as Record<string, unknown>;
  return { $schema, $id: BOOKING_EVENT_V1_SCHEMA_ID, ...rest };
}

/** The committed file's exact text (2-space JSON and a final newline). */
export function bookingEventV1JsonSchemaText(): string {
  return `${JSON.stringify(bookingEventV1JsonSchema(), null, 2)}\n`;
}
