import { z } from 'zod';
import { forbidden, notFound } from './problem';
import { parseIsoInstant, toIso, toIsoMs } from './time';
import { parseBody, type Query, queryInstant, requireQueryInt } from './validation';
import type { Booking, BookingObject, SimUser, World } from './world';

const ISO_MESSAGE = 'must be an ISO 8601 date-time with Z or an offset';
const isoField = z.string().refine((s) => parseIsoInstant(s) !== null, ISO_MESSAGE);
const optionalText = (max: number) =>
  z.string().max(max, `must be at most ${max} characters`).nullable().optional();

// FLEXYKEY: the guide only says a booking is created on a booking object and returns a unique
// bookingId; fields, list and cancel are the project's working assumptions.
const bookingBodySchema = z
  .object({
    bookingObjectId: z.int().positive(),
    startIso: isoField,
    endIso: isoField,
    name: optionalText(50),
    phone: z
      .string()
      .regex(/^\+?[0-9 ()-]{3,20}$/, 'must be a phone number (digits, optional leading +)')
      .nullable()
      .optional(),
    externalRef: optionalText(100),
  })
  .superRefine((body, ctx) => {
    const start = parseIsoInstant(body.startIso);
    const end = parseIsoInstant(body.endIso);
    if (start !== null && end !== null && end <= start) {
      ctx.addIssue({ code: 'custom', path: ['endIso'], message: 'must be after startIso' });
    }
  });

export type BookingApiRow = Omit<Booking, 'startMs' | 'endMs'>;

function toApi(b: Booking): BookingApiRow {
  const { startMs: _s, endMs: _e, ...api } = b;
  return api;
}

function requireObject(world: World, user: SimUser, id: number): BookingObject {
  const object = world.bookingObjects.get(id);
  if (!object) throw notFound(`Booking object ${id} not found`);
  if (object.companyId !== user.companyId) throw forbidden(`No access to booking object ${id}`);
  return object;
}

/** POST /Bookings → 201 with the booking. Overlapping bookings are allowed (the guide says nothing). */
export function createBooking(world: World, user: SimUser, rawBody: unknown): BookingApiRow {
  const body = parseBody(bookingBodySchema, rawBody);
  const object = requireObject(world, user, body.bookingObjectId);
  const startMs = parseIsoInstant(body.startIso) as number;
  const endMs = parseIsoInstant(body.endIso) as number;
  const booking: Booking = {
    bookingId: world.nextId('booking'),
    bookingObjectId: object.bookingObjectId,
    startIso: toIso(startMs),
    endIso: toIso(endMs),
    name: body.name ?? null,
    phone: body.phone ?? null,
    externalRef: body.externalRef ?? null,
    createdIso: toIsoMs(Date.now()),
    startMs,
    endMs,
  };
  object.bookings.set(booking.bookingId, booking);
  world.bookings.set(booking.bookingId, booking);
  return toApi(booking);
}

/** GET /Bookings?bookingObjectId&fromIso&toIso → bookings overlapping [fromIso, toIso), by start. */
export function listBookings(world: World, user: SimUser, query: Query): BookingApiRow[] {
  const object = requireObject(world, user, requireQueryInt(query, 'bookingObjectId', { min: 1 }));
  const fromMs = queryInstant(query, 'fromIso');
  const toMs = queryInstant(query, 'toIso');
  return [...object.bookings.values()]
    .filter((b) => (fromMs === undefined || b.endMs > fromMs) && (toMs === undefined || b.startMs < toMs))
    .sort((a, b) => a.startMs - b.startMs || a.bookingId - b.bookingId)
    .map(toApi);
}

/** DELETE /Bookings/{bookingId} → 204. */
export function deleteBooking(world: World, user: SimUser, bookingId: number): void {
  const booking = world.bookings.get(bookingId);
  if (!booking) throw notFound(`Booking ${bookingId} not found`);
  const object = world.bookingObjects.get(booking.bookingObjectId) as BookingObject;
  if (object.companyId !== user.companyId) throw forbidden(`No access to booking ${bookingId}`);
  object.bookings.delete(bookingId);
  world.bookings.delete(bookingId);
}
