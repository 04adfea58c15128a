/**
 * Writes schemas/booking-event.v1.json from the zod schema.
 * Run: `npx tsx scripts/generate-json-schema.ts` (a unit test fails when the committed file drifts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bookingEventV1JsonSchemaText } from '../src/domain/json-schema';

const target = join(__dirname, '..', 'schemas', 'booking-event.v1.json');
writeFileSync(target, bookingEventV1JsonSchemaText());
console.log(`wrote ${target}`);
