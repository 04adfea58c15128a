export {
  type Applier,
  type ApplierDeps,
  type ApplyInput,
  type ApplyResult,
  ClaimsTakenError,
  createApplier,
  IdNumberTakenError,
  OwnEntryFoundError,
} from './applier';
