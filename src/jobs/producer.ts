import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type BookingEvent, type BookingEventInput, bookingKey, parseBookingEvent } from '../domain';
import { BOOKING_JOB, BOOKINGS_QUEUE, bookingJobRetention } from './queues';

export interface EnqueueResult {
  accepted: { index: number; key: string; jobId: string }[];
  rejected: { index: number; errors: string[] }[];
}

/** A producer for the bookings queue, for services written in TypeScript/JavaScript. */
export function createBookingsQueue(connection: Redis, prefix = 'flexysync'): Queue {
  return new Queue(BOOKINGS_QUEUE, { connection, prefix, defaultJobOptions: bookingJobRetention });
}

/**
 * Validates and enqueues BookingEvents (job name `booking`, data = the event exactly). Invalid events are
 * not enqueued: each comes back with field-level reasons, and the valid ones still go in.
 */
export async function enqueueBookings(
  queue: Queue,
  events: readonly (BookingEventInput | BookingEvent | unknown)[],
): Promise<EnqueueResult> {
  const result: EnqueueResult = { accepted: [], rejected: [] };
  const valid: { index: number; event: BookingEvent }[] = [];
  events.forEach((input, index) => {
    const parsed = parseBookingEvent(input);
    if (parsed.ok) valid.push({ index, event: parsed.event });
    else result.rejected.push({ index, errors: parsed.errors });
  });
  if (valid.length === 0) return result;
  const jobs = await queue.addBulk(valid.map(({ event }) => ({ name: BOOKING_JOB, data: event })));
  jobs.forEach((job, i) => {
    const { index, event } = valid[i] as { index: number; event: BookingEvent };
    result.accepted.push({ index, key: bookingKey(event), jobId: String(job.id) });
  });
  return result;
}
