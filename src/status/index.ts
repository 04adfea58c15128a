export {
  type BookingStatus,
  collectBookingStatus,
  collectStatus,
  type QueueCounts,
  type StatusReport,
  type UnitStatus,
} from './status';
