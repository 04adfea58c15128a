export {
  type BookingStore,
  CorruptRecordError,
  createBookingStore,
  type RecordEntries,
} from './booking-store';
export { FOREIGN_OWNER, type StoreKeys, storeKeys } from './keys';
export {
  createUnitStore,
  type EntryClaim,
  type UnitState,
  type UnitStore,
  unitStateSchema,
} from './unit-store';
