/**
 * flexysync's public API for other TypeScript/JavaScript code: the enqueue contract (schema, producer),
 * the outcome events, the FlexyKey client, the simulator and the worker.
 */

export { type FlexysyncConfig, loadConfig, parseConfig } from './config';
export {
  type BookingEvent,
  type BookingEventInput,
  bookingEventV1JsonSchema,
  bookingEventV1Schema,
  bookingKey,
  parseBookingEvent,
} from './domain';
export { createOutcomeStream, type OutcomeEvent, outcomeEventSchema } from './events';
export { createFlexyKeyClient, FlexyKeyClient, type FlexyKeyClientOptions, FlexyKeyError } from './flexykey';
export {
  BOOKING_JOB,
  BOOKINGS_QUEUE,
  createBookingsQueue,
  type EnqueueResult,
  enqueueBookings,
} from './jobs';
export { type RunningSimulator, type SimulatorOptions, startSimulator } from './simulator';
export { type RunningWorker, type StartWorkerOptions, startWorker } from './worker';
