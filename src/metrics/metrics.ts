import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../logging';
import {
  type FeedFreshness,
  type QueueCountsSource,
  registerScrapeCollectors,
  type UnitStateSource,
} from './collectors';
import {
  boundedLabel,
  DRIFT_KINDS,
  jobOutcome,
  OUTCOME_STATES,
  oneOf,
  SYNC_RESULTS,
  splitRoute,
  statusClass,
  WEBHOOK_RESULTS,
} from './labels';

export interface MetricsOptions {
  /** Where the metrics live. @default a new `Registry` (never prom-client's global one) */
  registry?: Registry;
  /** Also export prom-client's `process_*` and `nodejs_*` metrics. @default true */
  defaultMetrics?: boolean;
  /** Queues whose job counts are read at each scrape (BullMQ `getJobCounts`). @default [] */
  queues?: readonly QueueCountsSource[];
  /** Read at each scrape for `flexysync_units_known` and `flexysync_units_unreachable`. */
  units?: UnitStateSource;
  /** Read at each scrape for the feed freshness gauges, e.g. `() => readFeedStatus(redis, prefix)`. */
  feeds?: () => Promise<readonly FeedFreshness[]>;
  /** Longest a scrape-time read (queues, units, feeds) may take; a slower one is left out. @default 2_000 */
  collectTimeoutMs?: number;
  /**
   * Most distinct `unit_id` values of `flexysync_unit_pushes_total`; later units count as `other`.
   * The configuration bounds the units anyway; this is a safety net. @default 10_000
   */
  maxUnits?: number;
  /** Logs collectors that fail (never a secret: they carry none). */
  logger?: Logger;
  /** For the received→synced latency. @default Date.now */
  now?: () => number;
}

/** What the FlexyKey client's `afterResponse` hook reports (`AfterResponseInfo` fits). */
export interface FlexykeyCallInfo {
  method: string;
  /** The operation by path template, e.g. `PUT /UnitIdEntries/{id}`. */
  route: string;
  /** Undefined when no response arrived. */
  status: number | undefined;
  elapsedMs: number;
  attempt?: number;
  error?: { code?: string } | undefined;
}

/** One finished unit sync (a `UnitSyncJobResult` plus its duration fits). */
export interface SyncObservation {
  unitId?: number;
  /** `completed`, `no-changes`, `failed`, `timed-out`, `deadline`, `error`, `lost-lease`, `handed-back`. */
  result: string;
  /** PushChanges calls the sync made. */
  pushes?: number;
  durationMs?: number;
}

/** A reconciliation report (`ReconcileReport` fits); dry runs are not counted. */
export interface ReconcileObservation {
  dryRun?: boolean;
  units: readonly {
    drifts: readonly { kind: string }[];
    held?: readonly { kind: string }[] | undefined;
  }[];
}

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const FLEXYKEY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SYNC_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** From "the booking system handed it over" to "every unit has it": seconds to a day (unit offline). */
const RECEIVED_TO_SYNCED_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];

/**
 * flexysync's Prometheus metrics on prom-client (docs/metrics.md lists them): plain `observe…`
 * methods the composition root calls where things happen, plus gauges read at scrape time from
 * the queues, the unit store and the feeds. Names follow Prometheus conventions: `flexysync_`
 * prefix, base units (`_seconds`), `_total` counters, and only bounded labels.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = options.registry ?? new Registry();
  const now = options.now ?? Date.now;
  const registers = [registry];
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters (`promtool check metrics` rejects them); their per-type
    // counterparts (`nodejs_active_handles{type}` …) carry the same numbers.
    for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }

  const flexykeyDuration = new Histogram({
    name: 'flexysync_flexykey_request_duration_seconds',
    help: 'FlexyKey API call attempts (retries included) by method, path template and status class (none: no response).',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: FLEXYKEY_BUCKETS,
    registers,
  });
  const flexykeyErrors = new Counter({
    name: 'flexysync_flexykey_request_errors_total',
    help: "Failed FlexyKey API call attempts by method, path template and the client's error code.",
    labelNames: ['method', 'route', 'code'] as const,
    registers,
  });
  const jobs = new Counter({
    name: 'flexysync_jobs_total',
    help: 'Job runs by queue and outcome (delayed: re-delayed without spending an attempt).',
    labelNames: ['queue', 'outcome'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'flexysync_job_duration_seconds',
    help: 'Time one job run took, by queue.',
    labelNames: ['queue'] as const,
    buckets: JOB_BUCKETS,
    registers,
  });
  const syncs = new Counter({
    name: 'flexysync_unit_syncs_total',
    help: 'Unit syncs (PushChanges and polling until a finished state) by result.',
    labelNames: ['result'] as const,
    registers,
  });
  const syncDuration = new Histogram({
    name: 'flexysync_unit_sync_duration_seconds',
    help: 'Time from the start of a unit sync to its result, by result.',
    labelNames: ['result'] as const,
    buckets: SYNC_BUCKETS,
    registers,
  });
  const pushes = new Counter({
    name: 'flexysync_unit_pushes_total',
    help: 'PushChanges calls per unit (one series per configured unit).',
    labelNames: ['unit_id'] as const,
    registers,
  });
  const outcomes = new Counter({
    name: 'flexysync_booking_outcomes_total',
    help: 'Outcome events published, by access state.',
    labelNames: ['state'] as const,
    registers,
  });
  const receivedToSynced = new Histogram({
    name: 'flexysync_booking_received_to_synced_seconds',
    help: 'Time from a booking event being enqueued to its access being on every unit.',
    buckets: RECEIVED_TO_SYNCED_BUCKETS,
    registers,
  });
  const reconcileRuns = new Counter({
    name: 'flexysync_reconcile_runs_total',
    help: 'Reconciliations applied (dry runs not counted).',
    registers,
  });
  const reconcileDrifts = new Counter({
    name: 'flexysync_reconcile_drifts_total',
    help: 'Drift found by reconciliations, by kind (orphaned-held: orphan deletions held back by the guard).',
    labelNames: ['kind'] as const,
    registers,
  });
  const reconcileLastDrifts = new Gauge({
    name: 'flexysync_reconcile_last_drifts',
    help: 'Drift found by the last reconciliation of this process, by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const reconcileLastRun = new Gauge({
    name: 'flexysync_reconcile_last_run_timestamp_seconds',
    help: 'Unix time the last reconciliation of this process finished (0: none yet).',
    registers,
  });
  const webhooks = new Counter({
    name: 'flexysync_webhook_deliveries_total',
    help: 'FlexyKey webhook deliveries received, by result.',
    labelNames: ['result'] as const,
    registers,
  });

  // Known label values start at 0, so rate() and absent-series alerts work from the first scrape.
  for (const state of OUTCOME_STATES) outcomes.inc({ state }, 0);
  for (const kind of DRIFT_KINDS) {
    reconcileDrifts.inc({ kind }, 0);
    reconcileLastDrifts.set({ kind }, 0);
  }
  for (const result of WEBHOOK_RESULTS) webhooks.inc({ result }, 0);
  reconcileLastRun.set(0);

  registerScrapeCollectors({
    registry,
    queues: options.queues,
    units: options.units,
    feeds: options.feeds,
    collectTimeoutMs: options.collectTimeoutMs ?? 2_000,
    logger: options.logger,
  });

  const routeLabel = boundedLabel(200);
  const codeLabel = boundedLabel(50);
  const queueLabel = boundedLabel(20);
  const unitLabel = boundedLabel(options.maxUnits ?? 10_000);

  const metrics = {
    registry,
    /** The exposition format's Content-Type. */
    contentType: registry.contentType,

    /** The text exposition of every metric (runs the scrape-time reads). */
    render(): Promise<string> {
      return registry.metrics();
    },

    /** Call from the FlexyKey client's `hooks.afterResponse`: one call per attempt. */
    observeFlexykeyCall(info: FlexykeyCallInfo): void {
      const { method, path } = splitRoute(info.method, info.route);
      const route = routeLabel(path);
      flexykeyDuration.observe(
        { method, route, status_class: statusClass(info.status) },
        Math.max(0, info.elapsedMs) / 1000,
      );
      if (info.error) flexykeyErrors.inc({ method, route, code: codeLabel(info.error.code ?? 'unknown') });
    },

    /**
     * Call when a job run ends, with what the processor returned or threw (outcome: see
     * `jobOutcome`) and how long it ran. {@link instrument} does it for a processor.
     */
    observeJob(queue: string, resultOrError: unknown, durationMs: number): void {
      const name = queueLabel(queue);
      jobs.inc({ queue: name, outcome: jobOutcome(resultOrError) });
      jobDuration.observe({ queue: name }, Math.max(0, durationMs) / 1000);
    },

    /** Call when a unit sync reaches a result (its PushChanges calls count per unit). */
    observeSync(sync: SyncObservation): void {
      const result = oneOf(SYNC_RESULTS, sync.result);
      syncs.inc({ result });
      if (sync.durationMs !== undefined) {
        syncDuration.observe({ result }, Math.max(0, sync.durationMs) / 1000);
      }
      if (sync.unitId !== undefined && sync.pushes !== undefined && sync.pushes > 0) {
        pushes.inc({ unit_id: unitLabel(String(sync.unitId)) }, sync.pushes);
      }
    },

    /**
     * Call for every outcome event published. `enqueuedAtMs` (the booking job's timestamp, kept as
     * the record's `lastEvent.at`) feeds the received→synced latency when the state is `synced`.
     */
    observeOutcome(state: string, enqueuedAtMs?: number): void {
      outcomes.inc({ state: oneOf(OUTCOME_STATES, state) });
      if (state === 'synced' && enqueuedAtMs !== undefined && Number.isFinite(enqueuedAtMs)) {
        receivedToSynced.observe(Math.max(0, now() - enqueuedAtMs) / 1000);
      }
    },

    /** Call with the report of each applied reconciliation. */
    observeReconcile(report: ReconcileObservation): void {
      if (report.dryRun) return;
      const counts = new Map<string, number>(DRIFT_KINDS.map((kind) => [kind, 0]));
      for (const unit of report.units) {
        for (const drift of unit.drifts) counts.set(drift.kind, (counts.get(drift.kind) ?? 0) + 1);
        const held = unit.held?.length ?? 0;
        if (held > 0) counts.set('orphaned-held', (counts.get('orphaned-held') ?? 0) + held);
      }
      reconcileRuns.inc();
      for (const [kind, count] of counts) {
        if (!(DRIFT_KINDS as readonly string[]).includes(kind)) continue;
        reconcileDrifts.inc({ kind }, count);
        reconcileLastDrifts.set({ kind }, count);
      }
      reconcileLastRun.set(now() / 1000);
    },

    /** Called by the webhook receiver for each delivery. */
    observeWebhook(result: string): void {
      webhooks.inc({ result: oneOf(WEBHOOK_RESULTS, result) });
    },

    /**
     * Wraps a BullMQ processor so each run is observed with {@link observeJob}; what the processor
     * returns or throws passes through unchanged.
     */
    instrument<A extends unknown[], R>(
      queue: string,
      processor: (...args: A) => Promise<R>,
    ): (...args: A) => Promise<R> {
      return async (...args: A) => {
        const started = performance.now();
        try {
          const result = await processor(...args);
          metrics.observeJob(queue, result, performance.now() - started);
          return result;
        } catch (error) {
          metrics.observeJob(queue, error, performance.now() - started);
          throw error;
        }
      };
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
