import { z } from 'zod';
import {
  isoDateTimeSchema,
  listSchema,
  looseStringSchema,
  nonEmptyStringSchema,
  orderedRange,
  positiveIntSchema,
  responseIdSchema,
} from './common';

// ───────────── requests ─────────────

// FLEXYKEY: a booking object is assumed to be identified by a positive integer, like a unit.
const bookingObjectIdSchema = positiveIntSchema('must be a positive integer booking object id');

/** FLEXYKEY: `POST /Bookings` body `{ bookingObjectId, startIso, endIso, name, phone, externalRef }`. */
export const createBookingRequestSchema = z
  .object({
    bookingObjectId: bookingObjectIdSchema,
    startIso: isoDateTimeSchema,
    endIso: isoDateTimeSchema,
    name: z.string({ error: 'must be a string' }).optional(),
    phone: z.string({ error: 'must be a string' }).optional(),
    externalRef: z.string({ error: 'must be a string' }).optional(),
  })
  .superRefine(orderedRange('startIso', 'endIso'));
export type CreateBookingInput = z.input<typeof createBookingRequestSchema>;

/** FLEXYKEY: `GET /Bookings?bookingObjectId=&fromIso=&toIso=`. */
export const listBookingsQuerySchema = z
  .object({
    bookingObjectId: bookingObjectIdSchema,
    fromIso: isoDateTimeSchema.optional(),
    toIso: isoDateTimeSchema.optional(),
  })
  .superRefine(orderedRange('fromIso', 'toIso'));
export type ListBookingsQuery = z.input<typeof listBookingsQuerySchema>;

/** `DELETE /Bookings/{bookingId}`: the id the create call returned. */
export const deleteBookingParamsSchema = z.object({
  bookingId: z.union(
    [positiveIntSchema('must be a booking id'), nonEmptyStringSchema('must be a booking id')],
    {
      error: (issue) =>
        issue.input === undefined ? 'is required' : 'must be a booking id (number or string)',
    },
  ),
});
export type DeleteBookingParams = z.input<typeof deleteBookingParamsSchema>;

// ───────────── responses ─────────────

/**
 * A booking. The guide: "a success carries a unique bookingId" — it is required, and normalised to a
 * string (FLEXYKEY: its type is unknown; a number or a GUID both fit a string). Other fields are our
 * assumption.
 */
export const bookingSchema = z.looseObject({
  bookingId: looseStringSchema,
  bookingObjectId: responseIdSchema.nullish(),
  startIso: z.string().nullish(),
  endIso: z.string().nullish(),
  name: z.string().nullish(),
  phone: z.string().nullish(),
  externalRef: z.string().nullish(),
});
export type Booking = z.output<typeof bookingSchema>;
/** FLEXYKEY: `GET /Bookings` answers a bare array (an `{ items }` envelope is accepted too). */
export const bookingListSchema = listSchema(bookingSchema);
