export { type BackoffPolicy, backoffMs } from './backoff';
export { createOutcomePublisher, type OutcomeOptions, type PublishOutcome } from './booking-outcomes';
export {
  type BookingJobResult,
  type BookingProcessorDeps,
  createBookingProcessor,
} from './booking-processor';
export { createBookingsQueue, type EnqueueResult, enqueueBookings } from './producer';
export {
  BOOKING_JOB,
  BOOKINGS_QUEUE,
  bookingJobRetention,
  RECONCILE_JOB,
  RECONCILE_QUEUE,
  type ReconcilePayload,
  reconcilePayloadSchema,
  UNIT_SYNC_JOB,
  UNIT_SYNC_QUEUE,
  type UnitSyncPayload,
  unitSyncJobOptions,
  unitSyncPayloadSchema,
} from './queues';
export { runUnitSync, type SyncOutcome, type UnitSyncTiming } from './run-unit-sync';
export {
  createUnitSyncProcessor,
  type UnitSyncJobResult,
  type UnitSyncProcessorDeps,
  type UnitSyncRetryPolicy,
} from './unit-sync-processor';
