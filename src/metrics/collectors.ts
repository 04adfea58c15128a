import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logging';

/** A BullMQ `Queue` as far as metrics need it. */
export interface QueueCountsSource {
  readonly name: string;
  getJobCounts(...types: JobState[]): Promise<Record<string, number>>;
}

/** The unit store as far as metrics need it (`createUnitStore` fits). */
export interface UnitStateSource {
  knownUnits(): Promise<readonly number[]>;
  state(unitId: number): Promise<{ unreachable: boolean }>;
}

/** One feed's health as `readFeedStatus` reports it. */
export interface FeedFreshness {
  readonly source: string;
  /** ISO time of the last successful fetch; absent when the feed never succeeded. */
  readonly lastSuccessAt?: string | undefined;
  readonly consecutiveFailures?: number | undefined;
}

/** Job states whose counts are exported, in BullMQ's words (BullMQ 6 keeps a paused queue's jobs in `waiting`). */
export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface ScrapeCollectorOptions {
  registry: Registry;
  queues?: readonly QueueCountsSource[] | undefined;
  units?: UnitStateSource | undefined;
  feeds?: (() => Promise<readonly FeedFreshness[]>) | undefined;
  collectTimeoutMs: number;
  logger?: Logger | undefined;
}

/**
 * Gauges read at scrape time (prom-client's async `collect`), each read bounded by `collectTimeoutMs`.
 * A read that fails or is too slow leaves its labelled series out of that scrape (Prometheus shows a
 * gap, never a stale value), sets its unlabelled gauges to NaN (unknown, not 0), and counts the failure
 * in `flexysync_metrics_collect_errors_total`.
 */
export function registerScrapeCollectors(options: ScrapeCollectorOptions): void {
  const { registry, collectTimeoutMs, logger } = options;
  /** Reads of the current scrape still running; the error counter waits for them (below). */
  const inFlight = new Set<Promise<unknown>>();
  const failures = new Map<string, number>();

  /**
   * One read per scrape, shared by the gauges it feeds (prom-client collects every metric of a
   * scrape at once), bounded by the deadline; undefined when it failed (counted and logged once).
   */
  function sharedRead<T>(collector: string, read: () => Promise<T>): () => Promise<T | undefined> {
    let pending: Promise<T | undefined> | undefined;
    return () => {
      if (pending) return pending;
      const current = withTimeout(read(), collectTimeoutMs, `${collector} collector`)
        .catch((error: unknown) => {
          failures.set(collector, (failures.get(collector) ?? 0) + 1);
          logger?.warn({ collector, err: (error as Error).message }, 'metrics collector failed');
          return undefined;
        })
        .finally(() => {
          pending = undefined;
          inFlight.delete(current);
        });
      pending = current;
      inFlight.add(current);
      return current;
    };
  }

  const queues = options.queues;
  if (queues && queues.length > 0) {
    const readQueues = sharedRead('queues', () =>
      Promise.all(queues.map((queue) => queue.getJobCounts(...JOB_STATES))),
    );
    const depth: Gauge<'queue' | 'state'> = new Gauge({
      name: 'flexysync_queue_jobs',
      help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, failed, ...), read at scrape time.',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        const counts = await readQueues();
        depth.reset();
        if (!counts) return;
        queues.forEach((queue, index) => {
          for (const state of JOB_STATES)
            depth.set({ queue: queue.name, state }, counts[index]?.[state] ?? 0);
        });
      },
    });
  }

  const units = options.units;
  if (units) {
    const readUnits = sharedRead('units', async () => {
      const ids = await units.knownUnits();
      const states = await Promise.all(ids.map((unitId) => units.state(unitId)));
      return { known: ids.length, unreachable: states.filter((state) => state.unreachable).length };
    });
    const known: Gauge = new Gauge({
      name: 'flexysync_units_known',
      help: 'Units flexysync has synced or is waiting to sync, read at scrape time.',
      registers: [registry],
      async collect() {
        const read = await readUnits();
        // An unlabelled gauge always has a sample: NaN says "unknown", where 0 would say "none".
        known.set(read ? read.known : Number.NaN);
      },
    });
    const unreachable: Gauge = new Gauge({
      name: 'flexysync_units_unreachable',
      help: 'Units reported unreachable (sync.maxAttempts failed syncs in a row), read at scrape time.',
      registers: [registry],
      async collect() {
        const read = await readUnits();
        unreachable.set(read ? read.unreachable : Number.NaN);
      },
    });
  }

  const feeds = options.feeds;
  if (feeds) {
    const readFeeds = sharedRead('feeds', feeds);
    const lastSuccess: Gauge<'source'> = new Gauge({
      name: 'flexysync_feed_last_success_timestamp_seconds',
      help: 'Unix time of the last successful fetch of each calendar feed (0: never), read at scrape time.',
      labelNames: ['source'] as const,
      registers: [registry],
      async collect() {
        const list = await readFeeds();
        lastSuccess.reset();
        for (const feed of list ?? []) {
          const at = feed.lastSuccessAt === undefined ? Number.NaN : Date.parse(feed.lastSuccessAt);
          lastSuccess.set({ source: feed.source }, Number.isFinite(at) ? at / 1000 : 0);
        }
      },
    });
    const feedFailures: Gauge<'source'> = new Gauge({
      name: 'flexysync_feed_consecutive_failures',
      help: 'Failed fetches of each calendar feed since its last good one, read at scrape time.',
      labelNames: ['source'] as const,
      registers: [registry],
      async collect() {
        const list = await readFeeds();
        feedFailures.reset();
        for (const feed of list ?? [])
          feedFailures.set({ source: feed.source }, feed.consecutiveFailures ?? 0);
      },
    });
  }

  // Registered after the gauges: prom-client starts every metric's collect of a scrape in registration
  // order, so the reads above are in flight when this one waits for them, and a failure shows up in the
  // same scrape as its gap.
  const collectErrors: Counter<'collector'> = new Counter({
    name: 'flexysync_metrics_collect_errors_total',
    help: 'Scrape-time reads that failed or timed out (their series are missing from that scrape).',
    labelNames: ['collector'] as const,
    registers: [registry],
    async collect() {
      await Promise.allSettled([...inFlight]);
      for (const [collector, count] of failures) collectErrors.inc({ collector }, count);
      failures.clear();
    },
  });
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
