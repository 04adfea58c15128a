export {
  type Applier,
  type ApplierDeps,
  type ApplyInput,
  type ApplyResult,
  createApplier,
  IdNumberTakenError,
  OwnEntryFoundError,
} from './applier';
