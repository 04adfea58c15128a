import { z } from 'zod';
import { bookingEventV1Schema } from './booking-event';

/** FlexyKey's id of an ID entry row or a booking. FLEXYKEY: its type is not documented; both accepted. */
export const flexyIdSchema = z.union([z.int(), z.string().min(1)]);
export type FlexyId = z.output<typeof flexyIdSchema>;

/** One ID entry flexysync created on one unit for a booking, as last written to the server. */
export const storedEntrySchema = z.object({
  unitId: z.int().positive(),
  /** Row id on the server; absent if the create's answer was never recorded. */
  entryId: flexyIdSchema.optional(),
  idNumber: z.string().min(1).max(20),
  action: z.string().min(1),
  name: z.string().max(25),
  description: z.string().max(25),
  codeTag: z.string().regex(/^\d{4,7}$/),
  codeTagCalendar: z.string().optional(),
  validFromIso: z.string().min(1),
  validToIso: z.string().min(1),
});
export type StoredEntry = z.output<typeof storedEntrySchema>;

/** A FlexyKey booking flexysync created on a booking object. */
export const storedFlexyBookingSchema = z.object({
  /** Absent if the create's answer was never recorded. */
  bookingId: flexyIdSchema.optional(),
  bookingObjectId: z.int().positive(),
  startIso: z.string().min(1),
  endIso: z.string().min(1),
});
export type StoredFlexyBooking = z.output<typeof storedFlexyBookingSchema>;

/**
 * What the applier records per booking (in Redis) after acting on a plan: what exists on the
 * FlexyKey server according to flexysync. It is the planner's `previous`.
 * `pin` and the window are absent only for a booking that was never planned with access
 * (e.g. its first event was a cancellation, recorded to keep its revision).
 */
export const storedBookingSchema = z.object({
  key: z.string().min(1),
  source: z.string().min(1),
  externalId: z.string().min(1),
  revision: z.int().min(0).optional(),
  resource: z.string().min(1),
  status: z.enum(['confirmed', 'cancelled']),
  pin: z
    .string()
    .regex(/^\d{4,7}$/)
    .optional(),
  validFromIso: z.string().min(1).optional(),
  validToIso: z.string().min(1).optional(),
  entries: z.array(storedEntrySchema),
  flexyBooking: storedFlexyBookingSchema.optional(),
  /**
   * Where the last applied event stood in its booking's enqueue order (enqueue time in ms and
   * job id): orders events that carry no `revision`. Written by the bookings processor; the
   * planner does not read it.
   */
  lastEvent: z.object({ at: z.number(), jobId: z.string().optional() }).optional(),
  /** The event last applied, so the booking can be planned again (reconciliation, configuration changes). */
  event: bookingEventV1Schema.optional(),
  /**
   * True from the write-ahead save until every operation of the latest plan went through: while set,
   * the booking is never announced as synced (a unit may hold only part of the change).
   */
  applying: z.boolean().optional(),
  /**
   * Why the latest event failed part-way (FlexyKey refused a call for good, or the plan was rejected
   * after part of it was applied). The units then hold only part of the change: the booking is not
   * announced as synced (`revoked` still is, once nothing of it is left). Cleared by the next apply.
   */
  failure: z.string().min(1).optional(),
  updatedIso: z.string().min(1),
});
export type StoredBooking = z.output<typeof storedBookingSchema>;
