import { randomInt } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createApplier } from '../applier';
import { type FlexysyncConfig, resolveResource } from '../config';
import { createLeaseManager, createRequestBudget } from '../coordination';
import { createOutcomeStream } from '../events';
import { createFlexyKeyClient, FlexyKeyRateLimitError } from '../flexykey';
import {
  BOOKINGS_QUEUE,
  bookingJobRetention,
  createBookingProcessor,
  createOutcomePublisher,
  createUnitSyncProcessor,
  UNIT_SYNC_JOB,
  UNIT_SYNC_QUEUE,
  unitSyncJobOptions,
} from '../jobs';
import type { Logger } from '../logging';
import type { RandomInt } from '../planner';
import { createBookingStore, createUnitStore } from '../store';

export interface StartWorkerOptions {
  config: FlexysyncConfig;
  logger: Logger;
  /** @default crypto.randomInt */
  randomInt?: RandomInt;
  /** @default () => new Date() */
  now?: () => Date;
  /** How long close() waits for in-flight jobs before giving up on them (they are then retried elsewhere). @default 20_000 */
  closeTimeoutMs?: number;
}

export interface RunningWorker {
  bookingsQueue: Queue;
  unitSyncQueue: Queue;
  /** Stops taking jobs, lets in-flight ones finish (bounded), closes every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * The composition root: configuration → connections → stores → FlexyKey client (with the shared request
 * budget) → processors → BullMQ workers. Torn down in reverse order by close().
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config, logger } = options;
  const prefix = config.redis.prefix;
  const now = options.now ?? (() => new Date());
  const password = config.flexykey.password;
  const username = config.flexykey.username;
  if (!username || !password) {
    throw new Error(
      'FlexyKey credentials missing: set FLEXYKEY_USERNAME and FLEXYKEY_PASSWORD (or FLEXYKEY_PASSWORD_FILE)',
    );
  }

  // Workers block on Redis and must retry forever. Queues get their own connection; the stores' one
  // pipelines automatically, so the commands a job issues together travel in one round trip.
  const workerConnection = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const storeRedis = new Redis(config.redis.url, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  for (const connection of [workerConnection, redis, storeRedis]) {
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  }

  const budget = createRequestBudget({
    redis: storeRedis,
    key: `${prefix}:budget:flexykey`,
    maxRequests: config.flexykey.requestBudget.maxRequests,
    perMs: config.flexykey.requestBudget.perSeconds * 1_000,
  });
  const flexykey = createFlexyKeyClient({
    baseUrl: config.flexykey.baseUrl,
    username,
    password,
    timeouts: {
      connectMs: config.flexykey.timeouts.connectMs,
      headersMs: config.flexykey.timeouts.requestMs,
      bodyMs: config.flexykey.timeouts.requestMs,
    },
    logger: logger.child({ component: 'flexykey' }),
    hooks: {
      beforeRequest: () => budget.acquire(),
      afterResponse: (info) => {
        if (info.error instanceof FlexyKeyRateLimitError && info.error.retryAfterMs) {
          void budget.pauseFor(info.error.retryAfterMs).catch(() => {});
        }
      },
    },
  });

  const bookings = createBookingStore(storeRedis, prefix);
  const units = createUnitStore(storeRedis, prefix);
  const leases = createLeaseManager(storeRedis, prefix);
  const publishOutcome = createOutcomePublisher(createOutcomeStream({ redis: storeRedis, prefix }), {
    includePin: config.events.includePin,
    now,
  });
  const bookingsQueue = new Queue(BOOKINGS_QUEUE, {
    connection: redis,
    prefix,
    defaultJobOptions: bookingJobRetention,
  });
  const unitSyncQueue = new Queue(UNIT_SYNC_QUEUE, { connection: redis, prefix });
  const requestSync = async (unitId: number, reason: string) => {
    await unitSyncQueue.add(UNIT_SYNC_JOB, { unitId, reason }, unitSyncJobOptions(unitId));
  };

  const tags = [
    ...new Set(
      Object.keys(config.resources).map((key) => resolveResource(config, key)?.descriptionTag ?? ''),
    ),
  ].filter((tag) => tag !== '');
  const bookingProcessor = createBookingProcessor({
    flexykey,
    applier: createApplier({ flexykey, bookings, units, logger, now }),
    bookings,
    units,
    leases,
    publishOutcome,
    logger: logger.child({ queue: BOOKINGS_QUEUE }),
    resolveResource: (key) => resolveResource(config, key),
    isOwnedDescription: (description) => !!description && tags.some((tag) => description.startsWith(tag)),
    requestSync,
    randomInt: options.randomInt ?? randomInt,
    backoff: config.sync.backoff,
    foreignScanTtlMs: 15 * 60_000,
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
    retry: {
      maxAttempts: config.sync.maxAttempts,
      backoff: config.sync.backoff,
      unreachableRetryMs: config.sync.unreachableRetryMs,
    },
    requestSync,
    leaseTtlMs: config.queues.lockDurationMs,
    now,
  });

  const bookingWorker = new Worker(BOOKINGS_QUEUE, bookingProcessor, {
    connection: workerConnection,
    prefix,
    concurrency: config.queues.bookings.concurrency,
    lockDuration: config.queues.lockDurationMs,
    stalledInterval: config.queues.stalledIntervalMs,
    // A job whose worker died goes back to the queue; only a job that keeps killing workers fails.
    maxStalledCount: 10,
  });
  const unitSyncWorker = new Worker(UNIT_SYNC_QUEUE, unitSyncProcessor, {
    connection: workerConnection,
    prefix,
    concurrency: config.queues.unitSync.concurrency,
    lockDuration: config.queues.lockDurationMs,
    stalledInterval: config.queues.stalledIntervalMs,
    // A job whose worker died goes back to the queue; only a job that keeps killing workers fails.
    maxStalledCount: 10,
  });
  for (const worker of [bookingWorker, unitSyncWorker]) {
    worker.on('error', (error) => logger.error({ err: error.message, queue: worker.name }, 'worker error'));
    worker.on('failed', (job, error) => {
      if (job) logger.warn({ jobId: job.id, queue: worker.name, reason: error.message }, 'job failed');
    });
  }
  await Promise.all([bookingWorker.waitUntilReady(), unitSyncWorker.waitUntilReady()]);
  logger.info(
    {
      prefix,
      bookingsConcurrency: config.queues.bookings.concurrency,
      unitSyncConcurrency: config.queues.unitSync.concurrency,
    },
    'worker started',
  );

  let closing: Promise<void> | undefined;
  return {
    bookingsQueue,
    unitSyncQueue,
    close() {
      closing ??= (async () => {
        const timeoutMs = options.closeTimeoutMs ?? 20_000;
        const bounded = (promise: Promise<unknown>) =>
          Promise.race([promise, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
        // Workers first (stop taking jobs, finish in-flight ones), then what they used.
        await bounded(Promise.all([bookingWorker.close(), unitSyncWorker.close()]));
        await bounded(Promise.all([bookingsQueue.close(), unitSyncQueue.close()]));
        await flexykey.close();
        await Promise.all([workerConnection, redis, storeRedis].map((c) => c.quit().catch(() => {})));
        logger.info('worker stopped');
      })();
      return closing;
    },
  };
}
