export { changedEntryFields, type DiffOptions, diffBooking, SYNCED_ENTRY_FIELDS } from './diff';
export { chooseIdNumber, isPhoneIdNumber, MAX_ID_NUMBER_LENGTH, syntheticIdNumber } from './id-number';
export { COMMON_PINS, drawPin, isTrivialPin, MAX_PIN_DRAWS, trivialPinReason } from './pin';
export { planBooking } from './plan';
export { redactPlan } from './redact';
export {
  cleanText,
  entryDescription,
  entryName,
  externalRef,
  MAX_DESCRIPTION_LENGTH,
  MAX_DESCRIPTION_TAG_LENGTH,
  MAX_EXTERNAL_REF_LENGTH,
  MAX_NAME_LENGTH,
  shortRef,
  truncateUtf16,
} from './text';
export type {
  BookingPlan,
  CreateEntryOperation,
  CreateFlexyBookingOperation,
  DeleteEntryOperation,
  DeleteFlexyBookingOperation,
  DeleteReason,
  DesiredBooking,
  DesiredEntry,
  DesiredFlexyBooking,
  EntryField,
  Operation,
  PlanInput,
  PlannedPlan,
  RandomInt,
  RejectedPlan,
  SkippedPlan,
  UnitsInUse,
  UnitUsage,
} from './types';
export { mergeUnitsInUse } from './units-in-use';
export { type BookingWindow, computeWindow, formatIso, localDateTime, resolveBoundary } from './window';
