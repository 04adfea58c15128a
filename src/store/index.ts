export {
  type BookingStore,
  CorruptRecordError,
  createBookingStore,
  type RecordEntries,
} from './booking-store';
export { FOREIGN_OWNER, type StoreKeys, storeKeys } from './keys';
export {
  createUnitStore,
  type UnitState,
  type UnitStore,
  unitStateSchema,
} from './unit-store';
export {
  type EntryClaim,
  FencedOutError,
  type WriteAheadInput,
  type WriteFence,
  writeAhead,
} from './write-ahead';
