export {
  type Applier,
  type ApplierDeps,
  type ApplyInput,
  type ApplyResult,
  ClaimsTakenError,
  createApplier,
  IdNumberTakenError,
  LeaseLostError,
  OwnEntryFoundError,
} from './applier';
