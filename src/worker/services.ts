import { randomInt } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  createFeedPollProcessor,
  createFeedStateStore,
  FEEDS_QUEUE,
  type FeedSource,
  resolveFeedSources,
} from '../adapters';
import { createApplier } from '../applier';
import { type FlexysyncConfig, resolveResource } from '../config';
import { createLeaseManager, createRequestBudget } from '../coordination';
import { createOutcomeStream } from '../events';
import { createFlexyKeyClient, type FlexyKeyClientOptions, FlexyKeyRateLimitError } from '../flexykey';
import {
  BOOKINGS_QUEUE,
  bookingJobRetention,
  createBookingProcessor,
  createOutcomePublisher,
  createUnitSyncProcessor,
  enqueueBookings,
  type PublishOutcome,
  RECONCILE_QUEUE,
  UNIT_SYNC_JOB,
  UNIT_SYNC_QUEUE,
  unitSyncJobOptions,
} from '../jobs';
import type { Logger } from '../logging';
import { createMetrics, type Metrics } from '../metrics';
import type { RandomInt } from '../planner';
import { createReconciler } from '../reconcile';
import { createBookingStore, createUnitStore } from '../store';

export interface ServicesOptions {
  config: FlexysyncConfig;
  logger: Logger;
  /** @default crypto.randomInt */
  randomInt?: RandomInt;
  /** @default () => new Date() */
  now?: () => Date;
  /** Aborted when the process shuts down: long-running jobs hand their work back. */
  stopping?: AbortSignal;
  /** Collect Prometheus metrics (served by the worker's HTTP server). @default false */
  metrics?: boolean;
}

/**
 * The FlexyKey client's options from the configuration (credentials checked by the caller); `hooks`
 * are added by whoever shares a request budget.
 */
export function flexykeyClientOptions(
  config: FlexysyncConfig,
  credentials: { username: string; password: string },
  logger: Logger,
): FlexyKeyClientOptions {
  return {
    baseUrl: config.flexykey.baseUrl,
    ...credentials,
    timeouts: {
      connectMs: config.flexykey.timeouts.connectMs,
      headersMs: config.flexykey.timeouts.requestMs,
      bodyMs: config.flexykey.timeouts.requestMs,
    },
    maxConnections: config.flexykey.maxConnections,
    logger: logger.child({ component: 'flexykey' }),
  };
}

/** How long a unit's hand-made entries, once read, are trusted before they are read again. */
const FOREIGN_SCAN_TTL_MS = 15 * 60_000;

/**
 * Everything flexysync's jobs and commands use, wired from the configuration: Redis connections, the
 * FlexyKey client behind the shared request budget, stores, queues, the two processors and the
 * reconciler. The worker adds BullMQ workers on top; CLI commands use it as is. close() tears it down.
 */
export function createServices(options: ServicesOptions) {
  const { config, logger } = options;
  const prefix = config.redis.prefix;
  const now = options.now ?? (() => new Date());
  // Feed secrets come from the environment: a missing one stops the start before anything connects.
  const feedSources: FeedSource[] = resolveFeedSources(config);
  const { username, password } = config.flexykey;
  // Filled in once the queues and stores exist; the client's hook reads it lazily.
  let metrics: Metrics | undefined;
  if (!username || !password) {
    throw new Error(
      'FlexyKey credentials missing: set FLEXYKEY_USERNAME and FLEXYKEY_PASSWORD (or FLEXYKEY_PASSWORD_FILE)',
    );
  }

  // Workers block on Redis and must retry forever. Queues get their own connection; the stores' one
  // pipelines automatically, so the commands a job issues together travel in one round trip.
  const workerConnection = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const queueRedis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const storeRedis = new Redis(config.redis.url, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  const connections = [workerConnection, queueRedis, storeRedis];
  for (const connection of connections) {
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  }

  // Reachability for /readyz: FlexyKey is unreachable only when its latest answer-less attempt is more
  // recent than its latest answer (an idle worker that has not called it for a while is still ready).
  const reachability = { lastAnswerMs: 0, lastSilenceMs: 0 };
  const flexykeyReachable = () => reachability.lastSilenceMs <= reachability.lastAnswerMs;

  const budget = createRequestBudget({
    redis: storeRedis,
    key: `${prefix}:budget:flexykey`,
    maxRequests: config.flexykey.requestBudget.maxRequests,
    perMs: config.flexykey.requestBudget.perSeconds * 1_000,
  });
  const flexykey = createFlexyKeyClient({
    ...flexykeyClientOptions(config, { username, password }, logger),
    hooks: {
      beforeRequest: () => budget.acquire(),
      afterResponse: (info) => {
        if (info.status === undefined) reachability.lastSilenceMs = Date.now();
        else reachability.lastAnswerMs = Date.now();
        metrics?.observeFlexykeyCall(info);
        if (info.error instanceof FlexyKeyRateLimitError && info.error.retryAfterMs) {
          void budget.pauseFor(info.error.retryAfterMs).catch(() => {});
        }
      },
    },
  });

  const bookings = createBookingStore(storeRedis, prefix);
  const units = createUnitStore(storeRedis, prefix);
  const leases = createLeaseManager(storeRedis, prefix);
  const publish = createOutcomePublisher(createOutcomeStream({ redis: storeRedis, prefix }), {
    includePin: config.events.includePin,
    now,
  });
  const publishOutcome: PublishOutcome = async (record, state, extra) => {
    await publish(record, state, extra);
    metrics?.observeOutcome(state, (record as { lastEvent?: { at: number } }).lastEvent?.at);
  };
  const bookingsQueue = new Queue(BOOKINGS_QUEUE, {
    connection: queueRedis,
    prefix,
    defaultJobOptions: bookingJobRetention,
  });
  const unitSyncQueue = new Queue(UNIT_SYNC_QUEUE, { connection: queueRedis, prefix });
  const reconcileQueue = new Queue(RECONCILE_QUEUE, { connection: queueRedis, prefix });
  const feedsQueue = new Queue(FEEDS_QUEUE, { connection: queueRedis, prefix });
  if (options.metrics) {
    const feedState = createFeedStateStore(storeRedis, prefix);
    metrics = createMetrics({
      defaultMetrics: config.metrics.defaultMetrics,
      collectTimeoutMs: config.metrics.collectTimeoutMs,
      queues: [bookingsQueue, unitSyncQueue, reconcileQueue, feedsQueue],
      units,
      // Feed health only (not the snapshots): cheap enough for every scrape.
      feeds: async () =>
        Promise.all(
          feedSources.map(async (f) => ({ source: f.name, ...(await feedState.readMeta(f.name)) })),
        ),
      logger: logger.child({ component: 'metrics' }),
    });
  }
  const requestSync = async (unitId: number, reason: string) => {
    await unitSyncQueue.add(UNIT_SYNC_JOB, { unitId, reason }, unitSyncJobOptions(unitId));
  };

  const resources = Object.keys(config.resources).map((key) => resolveResource(config, key));
  const tags = [...new Set(resources.map((resource) => resource?.descriptionTag ?? ''))].filter(
    (t) => t !== '',
  );
  const isOwnedDescription = (description: string | null | undefined) =>
    !!description && tags.some((tag) => description.startsWith(tag));
  const configuredUnits = [
    ...new Set(resources.flatMap((resource) => resource?.units ?? []).map((u) => u.unitId)),
  ];
  const draw = options.randomInt ?? randomInt;
  const applier = createApplier({ flexykey, bookings, units, logger, now });

  const bookingProcessor = createBookingProcessor({
    flexykey,
    applier,
    bookings,
    units,
    leases,
    publishOutcome,
    logger: logger.child({ queue: BOOKINGS_QUEUE }),
    resolveResource: (key) => resolveResource(config, key),
    isOwnedDescription,
    requestSync,
    randomInt: draw,
    backoff: config.sync.backoff,
    foreignScanTtlMs: FOREIGN_SCAN_TTL_MS,
    leaseTtlMs: config.queues.lockDurationMs,
    now,
  });
  const unitSyncProcessor = createUnitSyncProcessor({
    flexykey,
    bookings,
    units,
    leases,
    publishOutcome,
    logger: logger.child({ queue: UNIT_SYNC_QUEUE }),
    timing: {
      pollIntervalMs: config.sync.pollIntervalMs,
      statusCacheGuardMs: config.sync.statusCacheGuardMs,
      deadlineMs: config.sync.deadlineMs,
    },
    minPushIntervalMs: config.sync.minPushIntervalMs,
    retry: {
      maxAttempts: config.sync.maxAttempts,
      backoff: config.sync.backoff,
      unreachableRetryMs: config.sync.unreachableRetryMs,
    },
    requestSync,
    leaseTtlMs: config.queues.lockDurationMs,
    now,
    ...(options.stopping ? { stopping: options.stopping } : {}),
    onSyncFinished: (sync) => metrics?.observeSync(sync),
  });
  const reconciler = createReconciler({
    flexykey,
    applier,
    bookings,
    units,
    leases,
    publishOutcome,
    logger: logger.child({ component: 'reconcile' }),
    resolveResource: (key) => resolveResource(config, key),
    isOwnedDescription,
    configuredUnits,
    requestSync,
    randomInt: draw,
    expiredGraceMs: config.reconcile.expiredGraceMinutes * 60_000,
    forgetEndedAfterMs: config.reconcile.forgetEndedAfterDays * 86_400_000,
    maxDeleteShare: config.reconcile.maxDeleteShare,
    leaseTtlMs: config.queues.lockDurationMs,
  });

  // Feeds hand their BookingEvents to the bookings queue like any other producer.
  const feedPollProcessor = createFeedPollProcessor({
    sources: feedSources,
    redis: storeRedis,
    prefix,
    now,
    logger: logger.child({ component: 'feeds' }),
    emit: async (events) => {
      const result = await enqueueBookings(bookingsQueue, events);
      if (result.rejected.length > 0) {
        throw new Error(
          `feed events rejected: ${result.rejected.map((r) => `#${r.index}: ${r.errors.join('; ')}`).join(' | ')}`,
        );
      }
    },
  });

  let closed: Promise<void> | undefined;
  return {
    config,
    prefix,
    logger,
    workerConnection,
    queueRedis,
    storeRedis,
    flexykey,
    bookings,
    units,
    leases,
    applier,
    publishOutcome,
    bookingsQueue,
    unitSyncQueue,
    reconcileQueue,
    feedsQueue,
    feedSources,
    feedPollProcessor,
    requestSync,
    bookingProcessor,
    unitSyncProcessor,
    reconciler,
    metrics,
    /** Whether FlexyKey answered its latest calls (any status counts: it is reachable). */
    flexykeyReachable,
    /** Whether every Redis connection is up. */
    redisReady: () => connections.every((connection) => connection.status === 'ready'),
    /** Closes queues, the FlexyKey client and every connection (workers must be closed first). */
    close(): Promise<void> {
      closed ??= (async () => {
        await Promise.all([bookingsQueue, unitSyncQueue, reconcileQueue, feedsQueue].map((q) => q.close()));
        await flexykey.close();
        await Promise.all(connections.map((c) => c.quit().catch(() => {})));
      })();
      return closed;
    },
  };
}

export type Services = ReturnType<typeof createServices>;
