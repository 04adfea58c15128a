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
export { type PlanAroundTakenOptions, planAroundTaken, takenBy } from './plan-around-taken';
