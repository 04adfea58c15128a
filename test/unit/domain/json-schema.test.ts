import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BOOKING_EVENT_V1_SCHEMA_ID,
  bookingEventV1JsonSchema,
  bookingEventV1JsonSchemaText,
} from '../../../src/domain';

const committedPath = join(__dirname, '..', '..', '..', 'schemas', 'booking-event.v1.json');

describe('schemas/booking-event.v1.json', () => {
  it('is exactly what the zod schema generates (run `npx tsx scripts/generate-json-schema.ts` after a change)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(bookingEventV1JsonSchemaText());
  });

  it('is draft 2020-12 with an $id, a title and a description', () => {
    const schema = bookingEventV1JsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(BOOKING_EVENT_V1_SCHEMA_ID);
    expect(schema.title).toBe('BookingEvent v1');
    expect(typeof schema.description).toBe('string');
  });

  it('requires exactly the required contract fields and describes every property', () => {
    const schema = bookingEventV1JsonSchema() as {
      required: string[];
      properties: Record<string, { description?: string; anyOf?: { description?: string }[] }>;
    };
    expect([...schema.required].sort()).toEqual([
      'end',
      'externalId',
      'resource',
      'source',
      'start',
      'status',
    ]);
    expect(Object.keys(schema.properties).sort()).toEqual(
      [
        'end',
        'externalId',
        'guest',
        'pin',
        'resource',
        'revision',
        'source',
        'start',
        'status',
        'version',
      ].sort(),
    );
    for (const [name, property] of Object.entries(schema.properties)) {
      const description =
        property.description ?? property.anyOf?.find((branch) => branch.description)?.description;
      expect({ name, described: typeof description === 'string' && description.length > 0 }).toEqual({
        name,
        described: true,
      });
    }
  });

  it('carries the patterns a non-TypeScript producer can check', () => {
    const properties = (bookingEventV1JsonSchema() as { properties: Record<string, Record<string, unknown>> })
      .properties;
    expect(properties.source?.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9._-]*$');
    expect(properties.status?.enum).toEqual(['confirmed', 'cancelled']);
    const pin = ((properties.pin?.anyOf ?? []) as Record<string, unknown>[])[0];
    expect(pin?.type).toBe('string');
    expect(pin?.pattern).toBe('^\\d{4,7}$');
  });
});
