export {
  BOOKING_EVENT_V1_SCHEMA_ID,
  type BookingEvent,
  type BookingEventInput,
  type BookingStatus,
  bookingEventV1Schema,
  bookingKey,
  E164_PATTERN,
  type Guest,
  isDateOnly,
  normalisePhone,
  type ParseBookingEventResult,
  parseBookingEvent,
  SOURCE_PATTERN,
} from './booking-event';
export { type IsoWhen, parseIsoWhen } from './iso-when';
export { bookingEventV1JsonSchema, bookingEventV1JsonSchemaText } from './json-schema';
export { ACTION_PATTERN, type PinSource, type ResolvedResource, type ResourceUnit } from './resource';
export {
  type FlexyId,
  flexyIdSchema,
  type StoredBooking,
  type StoredEntry,
  type StoredFlexyBooking,
  storedBookingSchema,
  storedEntrySchema,
  storedFlexyBookingSchema,
} from './stored-booking';
export { describeInput, formatIssuePath, formatZodIssues, typeError } from './zod-issues';
