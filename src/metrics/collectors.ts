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

/** Job states whose counts are exported, in BullMQ's words. */
export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'paused',
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
 * A read that fails or is too slow reports no series for that scrape (Prometheus then shows a gap,
 * never a stale value) and counts the failure in `flexysync_metrics_collect_errors_total`.
 */
export function registerScrapeCollectors(options: ScrapeCollectorOptions): void {
  const { registry, collectTimeoutMs, logger } = options;
  const collectErrors = new Counter({
    name: 'flexysync_metrics_collect_errors_total',
    help: 'Scrape-time collectors that failed or timed out (their series are missing from that scrape).',
    labelNames: ['collector'] as const,
    registers: [registry],
  });

  /**
   * One read per scrape, shared by the gauges it feeds (prom-client collects every metric of a
   * scrape at once), bounded by the deadline; undefined when it failed (counted and logged once).
   */
  function sharedRead<T>(collector: string, read: () => Promise<T>): () => Promise<T | undefined> {
    let pending: Promise<T | undefined> | undefined;
    return () => {
      pending ??= withTimeout(read(), collectTimeoutMs, `${collector} collector`)
        .catch((error: unknown) => {
          collectErrors.inc({ collector });
          logger?.warn({ collector, err: (error as Error).message }, 'metrics collector failed');
          return undefined;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
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
        known.reset();
        if (read) known.set(read.known);
      },
    });
    const unreachable: Gauge = new Gauge({
      name: 'flexysync_units_unreachable',
      help: 'Units reported unreachable (sync.maxAttempts failed syncs in a row), read at scrape time.',
      registers: [registry],
      async collect() {
        const read = await readUnits();
        unreachable.reset();
        if (read) unreachable.set(read.unreachable);
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
    const failures: Gauge<'source'> = new Gauge({
      name: 'flexysync_feed_consecutive_failures',
      help: 'Failed fetches of each calendar feed since its last good one, read at scrape time.',
      labelNames: ['source'] as const,
      registers: [registry],
      async collect() {
        const list = await readFeeds();
        failures.reset();
        for (const feed of list ?? []) failures.set({ source: feed.source }, feed.consecutiveFailures ?? 0);
      },
    });
  }
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
