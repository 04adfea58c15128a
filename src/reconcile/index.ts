export { formatReconcileReport } from './format';
export { createReconcileProcessor } from './job';
export { createReconciler, type ReconcileOptions, type ReconcileReport, type Reconciler } from './reconciler';
export { enqueueReconcileSlot, recordReconcileSlot, startReconcileSchedule } from './schedule';
export { type ActualRow, type Drift, type FieldChange, planUnit, type UnitReconcilePlan } from './unit-plan';
