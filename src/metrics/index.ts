export {
  type FeedFreshness,
  JOB_STATES,
  type JobState,
  type QueueCountsSource,
  type UnitStateSource,
} from './collectors';
export {
  boundedLabel,
  DRIFT_KINDS,
  JOB_OUTCOMES,
  jobOutcome,
  OVERFLOW_LABEL,
  SYNC_RESULTS,
  splitRoute,
  statusClass,
} from './labels';
export {
  createMetrics,
  type FlexykeyCallInfo,
  type Metrics,
  type MetricsOptions,
  type ReconcileObservation,
  type SyncObservation,
} from './metrics';
