import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Queue names, job names, payloads and default options in one place. The bookings queue and its job
 * name are a public contract (DESIGN: fixed names): other services enqueue into it.
 */
export const BOOKINGS_QUEUE = 'bookings';
export const BOOKING_JOB = 'booking';
export const UNIT_SYNC_QUEUE = 'unit-sync';
export const UNIT_SYNC_JOB = 'sync';
export const RECONCILE_QUEUE = 'reconcile';
export const RECONCILE_JOB = 'reconcile';

export const reconcilePayloadSchema = z.object({
  /** The schedule slot (ISO time) this run belongs to; absent for a run asked for by hand. */
  slot: z.string().optional(),
  /** What started it: the schedule, a catch-up of a slot missed while no process ran, or a person. */
  trigger: z.enum(['schedule', 'catch-up', 'manual']).optional(),
  force: z.boolean().optional(),
});
export type ReconcilePayload = z.infer<typeof reconcilePayloadSchema>;

export const unitSyncPayloadSchema = z.object({
  unitId: z.int().positive(),
  /** Why the sync was asked for (for logs and the dashboard). */
  reason: z.string().max(200).optional(),
});
export type UnitSyncPayload = z.infer<typeof unitSyncPayloadSchema>;

/**
 * Finished jobs are kept for inspection but bounded, or Redis grows without end. Failed bookings (bad
 * input) are the dead-letter place: kept longer and in larger number.
 */
export const bookingJobRetention: Pick<DefaultJobOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { count: 10_000, age: 7 * 24 * 3600 },
  removeOnFail: { count: 50_000, age: 30 * 24 * 3600 },
};

export const unitSyncJobOptions = (unitId: number) =>
  ({
    // At most one active and one waiting sync per unit; changes made while a sync runs get exactly
    // one more sync after it (BullMQ keeps the last add while the winner is active).
    deduplication: { id: `unit-${unitId}`, keepLastIfActive: true },
    removeOnComplete: { count: 5_000, age: 24 * 3600 },
    removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
  }) as const;
