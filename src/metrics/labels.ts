/**
 * Label values of flexysync's metrics. Every label is bounded: values come from a fixed set, or are
 * capped per metric, because each distinct value is one more time series in Prometheus forever.
 */

/** What a label becomes once its metric has seen `max` distinct values. */
export const OVERFLOW_LABEL = 'other';

/**
 * Keeps at most `max` distinct values of one label; later new values are reported as `other`.
 * A safety net: our callers already pass bounded values (route templates, configured units).
 */
export function boundedLabel(max: number) {
  const seen = new Set<string>();
  return (value: string): string => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return OVERFLOW_LABEL;
    seen.add(value);
    return value;
  };
}

/** `2xx`…`5xx` for an HTTP status, `none` when no response arrived (connection failure, timeout). */
export function statusClass(status: number | undefined): string {
  if (status === undefined || !Number.isInteger(status) || status < 100 || status > 599) return 'none';
  return `${Math.floor(status / 100)}xx`;
}

/**
 * Splits the FlexyKey client's operation name (`PUT /UnitIdEntries/{id}`) into method and path
 * template. The path never holds ids: the client names operations by template.
 */
export function splitRoute(method: string, route: string): { method: string; path: string } {
  const space = route.indexOf(' ');
  const path = space === -1 ? route : route.slice(space + 1);
  return { method: method.toUpperCase(), path: path === '' ? '/' : path };
}

/** Outcomes a job may report (return values of the processors, or how they ended by throwing). */
export const JOB_OUTCOMES = new Set([
  // bookings
  'applied',
  'skipped',
  'revoked',
  // unit-sync
  'completed',
  'no-changes',
  'lost-lease',
  // feeds
  'updated',
  'unchanged',
  'failed',
  'suspicious',
  'held',
  // thrown
  'delayed',
  'unrecoverable',
  'rate-limited',
  'error',
]);

/**
 * The outcome label of one finished job run: the processor's own word for it when it returns one
 * (`outcome` of a bookings or feeds result, `result` of a unit-sync result), `completed` for other
 * return values; for a throw, how BullMQ will treat it (re-delayed, failed for good, rate limited,
 * or retried after an error).
 */
export function jobOutcome(resultOrError: unknown): string {
  if (resultOrError instanceof Error) {
    // By name, not instanceof: a second copy of bullmq in node_modules would defeat instanceof.
    switch (resultOrError.name) {
      case 'DelayedError':
      case 'WaitingChildrenError':
      case 'WaitingError':
        return 'delayed';
      case 'UnrecoverableError':
        return 'unrecoverable';
      case 'RateLimitError':
        return 'rate-limited';
      default:
        return 'error';
    }
  }
  if (resultOrError !== null && typeof resultOrError === 'object') {
    const { outcome, result } = resultOrError as { outcome?: unknown; result?: unknown };
    const word = typeof outcome === 'string' ? outcome : typeof result === 'string' ? result : undefined;
    if (word !== undefined) return JOB_OUTCOMES.has(word) ? word : OVERFLOW_LABEL;
  }
  return 'completed';
}

/** Results a unit sync can end with (`SyncOutcome['result']` and the unit state's `lastResult`). */
export const SYNC_RESULTS = new Set([
  'completed',
  'no-changes',
  'failed',
  'timed-out',
  'deadline',
  'error',
  'lost-lease',
  'handed-back',
]);

/** Access states of the outcome stream. */
export const OUTCOME_STATES = new Set(['applied', 'synced', 'failed', 'revoked']);

/** Drift kinds of a reconciliation (`Drift['kind']`), plus orphans held back by the blast-radius guard. */
export const DRIFT_KINDS = ['missing', 'drifted', 'expired', 'orphaned', 'orphaned-held'] as const;

/** Webhook deliveries as the receiver judged them. */
export const WEBHOOK_RESULTS = new Set(['published', 'ignored', 'unauthorized', 'invalid', 'unavailable']);

export function oneOf(allowed: ReadonlySet<string>, value: string): string {
  return allowed.has(value) ? value : OVERFLOW_LABEL;
}
