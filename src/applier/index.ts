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
  type UnrecordedRow,
} from './applier';
export { type PlanAroundTakenOptions, planAroundTaken, takenBy } from './plan-around-taken';
export { removeUnrecordedRows, type UnrecordedRowsDeps } from './unrecorded-rows';
