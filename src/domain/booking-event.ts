import { z } from 'zod';
import { parseIsoWhen } from './iso-when';
import { describeInput, formatZodIssues, typeError } from './zod-issues';

/** `$id` of the published JSON Schema; bump the path segment with the version. */
export const BOOKING_EVENT_V1_SCHEMA_ID = 'urn:flexysync:schema:booking-event:v1';

/** Source names end up in Redis keys and job ids, so they are kept to a safe alphabet. */
export const SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** E.164: `+`, a country code that does not start with 0, at most 15 digits in all. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

/** A date-time with an explicit offset (or `Z`), or a plain calendar date. */
const DATE_OR_DATETIME_PATTERN =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?))?$/;
const DATE_ONLY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** No control characters (C0, DEL, C1). */
const PRINTABLE_PATTERN = /^\P{Cc}+$/u;

const WHEN_RULE =
  'must be an ISO 8601 date-time with an offset or Z (e.g. 2026-12-01T15:00:00+01:00) or a date (e.g. 2026-12-01)';

/** True for a plain `YYYY-MM-DD` value (an all-day booking boundary). */
export function isDateOnly(value: string): boolean {
  return DATE_ONLY_PATTERN.test(value);
}

function isRealDateOrDateTime(value: string): boolean {
  return parseIsoWhen(value) !== undefined;
}

/**
 * Strips the formatting people type around phone numbers (spaces, dashes, dots, parentheses,
 * and the trunk prefix written as `(0)` in `+46 (0)70 123 45 67`). The result must then be E.164.
 */
export function normalisePhone(raw: string): string {
  return raw
    .trim()
    .replace(/\(0\)/g, '')
    .replace(/[\s\u00a0\-.()]/g, '');
}

/** Optional field that also accepts `null` (other languages' serializers emit it), normalised to absent. */
function optional<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value) => (value === null ? undefined : value))
    .optional();
}

const when = (field: 'start' | 'end') =>
  z
    .string({ error: typeError('a string') })
    .regex(DATE_OR_DATETIME_PATTERN, { error: WHEN_RULE, abort: true })
    .refine(isRealDateOrDateTime, { error: `${WHEN_RULE}; this one is not a real date or time` })
    .describe(
      field === 'start'
        ? "Start of the booking. An ISO 8601 date-time with an offset or Z, or a date (YYYY-MM-DD) meaning the resource's check-in time on that day in the resource's time zone."
        : "End of the booking (exclusive). An ISO 8601 date-time with an offset or Z, or a date (YYYY-MM-DD) meaning the resource's check-out time on that day, as in iCal's exclusive DTEND.",
    );

const phoneSchema = z
  .string({ error: typeError('a string') })
  .max(32, { error: 'must be E.164, e.g. +46701234567 (at most 32 characters with formatting)', abort: true })
  .transform(normalisePhone)
  .pipe(z.string().regex(E164_PATTERN, { error: 'must be E.164, e.g. +46701234567' }))
  .describe(
    'Guest phone number in E.164 (+46701234567). Spaces, dashes, dots, parentheses and a "(0)" trunk prefix are removed before checking.',
  );

const guestSchema = z
  .object(
    {
      name: optional(
        z
          .string({ error: typeError('a string') })
          .max(200, { error: 'must be at most 200 characters' })
          .describe('Guest name; shortened to 25 characters on the door unit.'),
      ),
      phone: optional(phoneSchema),
      email: optional(
        z
          .email({ error: 'must be an e-mail address' })
          .max(254, { error: 'must be at most 254 characters' })
          .describe('Guest e-mail address.'),
      ),
    },
    { error: typeError('an object') },
  )
  .describe('The guest, all fields optional. Unknown fields are ignored.');

const pinSchema = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? 'must be a string of 4–7 digits, got a number: send it as a string (e.g. "0123") so leading zeros survive'
        : typeError('a string of 4–7 digits')(issue),
  })
  .regex(/^\d{4,7}$/, { error: 'must be 4–7 digits (0–9 only)' })
  .describe(
    'PIN chosen by the booking system, 4–7 digits as a string. Used when the resource\'s pin.source is "booking"; validated (not trivial, not in use on the units), never silently replaced.',
  );

/**
 * BookingEvent v1: the one shape every source (BullMQ producers in any language, HTTP intake,
 * calendar feeds) hands to flexysync. Field names are a public contract. Unknown fields are
 * stripped; `null` is accepted wherever a field is optional.
 */
export const bookingEventV1Schema = z
  .object(
    {
      version: optional(
        z
          .literal(1, { error: 'must be 1 (this is BookingEvent v1)' })
          .describe('Schema version, 1 if given.'),
      ),
      source: z
        .string({ error: typeError('a string') })
        .min(1, { error: 'must not be empty', abort: true })
        .max(64, { error: 'must be at most 64 characters', abort: true })
        .regex(SOURCE_PATTERN, {
          error: "must start with a letter or digit and contain only letters, digits, '.', '_' or '-'",
        })
        .describe('Name of the system the booking comes from (used in keys): 1–64 of A–Z a–z 0–9 . _ -'),
      externalId: z
        .string({ error: typeError('a string') })
        .min(1, { error: 'must not be empty', abort: true })
        .max(255, { error: 'must be at most 255 characters', abort: true })
        .regex(PRINTABLE_PATTERN, { error: 'must not contain control characters' })
        .describe(
          "The booking's id in its source system, unique within the source: 1–255 printable characters.",
        ),
      resource: z
        .string({ error: typeError('a string') })
        .min(1, { error: 'must not be empty', abort: true })
        .max(100, { error: 'must be at most 100 characters' })
        .describe('Key of the resource (room, flat, gate…) in the flexysync configuration.'),
      start: when('start'),
      end: when('end'),
      status: z
        .enum(['confirmed', 'cancelled'], {
          error: (issue) =>
            issue.input === undefined
              ? 'is required'
              : typeof issue.input === 'string'
                ? "must be 'confirmed' or 'cancelled'"
                : `must be 'confirmed' or 'cancelled', got ${describeInput(issue.input)}`,
        })
        .describe('confirmed: access wanted; cancelled: any access of this booking is removed.'),
      guest: optional(guestSchema),
      pin: optional(pinSchema),
      revision: optional(
        z
          .number({ error: typeError('a non-negative integer') })
          .int({ error: 'must be a non-negative integer (at most 2^53 − 1)' })
          .min(0, { error: 'must be a non-negative integer (at most 2^53 − 1)' })
          .describe(
            'Monotonic revision per booking. An event with a lower revision than the one applied is skipped; an equal one re-applies idempotently.',
          ),
      ),
    },
    { error: typeError('an object (a BookingEvent)') },
  )
  .superRefine((event, ctx) => {
    // Only comparable pairs are checked here; a mixed date/date-time pair is checked by the
    // planner once the resource's check-in/check-out times are known.
    const bothDates = isDateOnly(event.start) && isDateOnly(event.end);
    const bothTimes = !isDateOnly(event.start) && !isDateOnly(event.end);
    if (bothDates && event.end < event.start) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must not be before start' });
    }
    if (bothTimes) {
      const start = parseIsoWhen(event.start)?.epochMs ?? Number.NaN;
      const end = parseIsoWhen(event.end)?.epochMs ?? Number.NaN;
      if (end <= start) {
        ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
      }
    }
  })
  .meta({
    title: 'BookingEvent v1',
    description:
      'A booking handed to flexysync (data of a job named "booking" on the "bookings" queue, or a body of the HTTP intake). Unknown fields are ignored; null counts as absent for optional fields.',
  });

/** A validated BookingEvent v1 (phone normalised to E.164, unknown fields stripped). */
export type BookingEvent = z.output<typeof bookingEventV1Schema>;
/** What a producer may send (before normalisation). */
export type BookingEventInput = z.input<typeof bookingEventV1Schema>;
export type BookingStatus = BookingEvent['status'];
export type Guest = NonNullable<BookingEvent['guest']>;

/** The identity of a booking across flexysync: `<source>/<externalId>`. */
export function bookingKey(event: { readonly source: string; readonly externalId: string }): string {
  return `${event.source}/${event.externalId}`;
}

export type ParseBookingEventResult =
  | { readonly ok: true; readonly event: BookingEvent }
  | { readonly ok: false; readonly errors: string[] };

/** Validates untrusted input; `errors` name each field and rule, never echoing values. */
export function parseBookingEvent(input: unknown): ParseBookingEventResult {
  const result = bookingEventV1Schema.safeParse(input);
  return result.success
    ? { ok: true, event: result.data }
    : { ok: false, errors: formatZodIssues(result.error) };
}
