import { setMaxListeners } from 'node:events';
import { type Job, type Queue, Worker, type WorkerOptions } from 'bullmq';
import { FEEDS_QUEUE, registerFeedSchedulers } from '../adapters';
import type { FlexysyncConfig } from '../config';
import {
  createDoorEventStream,
  createHttpServer,
  dashboardRoutes,
  type HttpRoutes,
  type HttpServer,
  metricsRoutes,
  readDashboardCredentials,
  readIntakeToken,
  readWebhookSecrets,
  webhookRoutes,
} from '../http';
import { BOOKINGS_QUEUE, RECONCILE_QUEUE, UNIT_SYNC_QUEUE } from '../jobs';
import type { Logger } from '../logging';
import type { RandomInt } from '../planner';
import { createReconcileProcessor, startReconcileSchedule } from '../reconcile';
import { requestMissingSyncs } from './missing-syncs';
import { createServices, type Services } from './services';

/** How often a worker announces bookings that a process dying mid-confirmation left noted. */
const ANNOUNCEMENT_SWEEP_MS = 5_000;
/** How often a worker looks for units that wait for a change but have no sync coming. */
const MISSING_SYNC_SWEEP_MS = 30_000;

export interface StartWorkerOptions {
  config: FlexysyncConfig;
  logger: Logger;
  /** @default crypto.randomInt */
  randomInt?: RandomInt;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * How long close() waits for in-flight jobs before giving up on them (they are then retried elsewhere).
   * Bounds the whole of close(), below the usual 10 s an orchestrator grants before SIGKILL.
   * @default 8_000
   */
  closeTimeoutMs?: number;
  /**
   * How often to look for units that some booking's change still has to reach but that have no sync
   * queued, and ask for one (see requestMissingSyncs). @default 30_000
   */
  missingSyncSweepMs?: number;
}

export interface RunningWorker {
  services: Services;
  /** Where the HTTP server listens, when `http.enabled`. */
  httpUrl?: string;
  bookingsQueue: Queue;
  unitSyncQueue: Queue;
  reconcileQueue: Queue;
  /** Stops taking jobs, lets in-flight ones finish (bounded), closes every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs `task` every `ms` (never two runs at once: a slow run makes the next tick wait), reporting its
 * failures to `onError`. The timer does not keep the process alive.
 */
function repeatEvery(
  ms: number,
  task: () => Promise<void>,
  onError: (error: unknown) => void,
): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return timer;
}

/**
 * The worker process: the services (see services.ts) plus one BullMQ worker per queue and the
 * reconcile schedule. Torn down in reverse order by close().
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config, logger } = options;
  // A bad intake token file stops the start before anything connects.
  const intakeToken = config.http.enabled ? readIntakeToken() : undefined;
  const webhookSecrets = config.http.enabled && config.webhooks.enabled ? readWebhookSecrets() : undefined;
  const dashboardCredentials =
    config.http.enabled && config.dashboard.enabled ? readDashboardCredentials() : undefined;
  const stopping = new AbortController();
  // Every running unit sync listens for the shutdown (hundreds at once on a large site).
  setMaxListeners(0, stopping.signal);
  const services = createServices({
    ...options,
    stopping: stopping.signal,
    metrics: config.http.enabled && config.metrics.enabled,
  });
  const m = services.metrics;
  const { prefix, workerConnection } = services;
  const common: WorkerOptions = {
    connection: workerConnection,
    prefix,
    lockDuration: config.queues.lockDurationMs,
    stalledInterval: config.queues.stalledIntervalMs,
    // A job whose worker died goes back to the queue; only a job that keeps killing workers fails.
    maxStalledCount: 10,
  };
  const instrumented = <T>(queue: string, processor: (job: Job, token?: string) => Promise<T>) =>
    m ? m.instrument(queue, processor) : processor;
  const workers = [
    new Worker(BOOKINGS_QUEUE, instrumented(BOOKINGS_QUEUE, services.bookingProcessor), {
      ...common,
      concurrency: config.queues.bookings.concurrency,
    }),
    new Worker(UNIT_SYNC_QUEUE, instrumented(UNIT_SYNC_QUEUE, services.unitSyncProcessor), {
      ...common,
      concurrency: config.queues.unitSync.concurrency,
    }),
    new Worker(
      RECONCILE_QUEUE,
      instrumented(
        RECONCILE_QUEUE,
        createReconcileProcessor({
          reconciler: {
            reconcile: async (o) => {
              const report = await services.reconciler.reconcile(o);
              m?.observeReconcile(report);
              return report;
            },
          },
          redis: services.storeRedis,
          prefix,
          logger: logger.child({ queue: RECONCILE_QUEUE }),
        }),
      ),
      // A full reconcile reads every unit: allow it a long lock.
      { ...common, concurrency: 1, lockDuration: Math.max(config.queues.lockDurationMs, 300_000) },
    ),
    new Worker(FEEDS_QUEUE, instrumented(FEEDS_QUEUE, services.feedPollProcessor), {
      ...common,
      concurrency: 2,
    }),
  ];
  for (const worker of workers) {
    worker.on('error', (error) => logger.error({ err: error.message, queue: worker.name }, 'worker error'));
    worker.on('failed', (job, error) => {
      if (job) logger.warn({ jobId: job.id, queue: worker.name, reason: error.message }, 'job failed');
    });
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  // One job scheduler per feed (idempotent across replicas); schedulers of removed feeds go.
  await registerFeedSchedulers(services.feedsQueue, services.feedSources);
  const schedule = config.reconcile.enabled
    ? await startReconcileSchedule({
        schedule: config.reconcile.schedule,
        timeZone: config.reconcile.timeZone,
        redis: services.storeRedis,
        prefix,
        queue: services.reconcileQueue,
        logger: logger.child({ component: 'reconcile-schedule' }),
      })
    : undefined;
  let shuttingDown = false;
  let http: HttpServer | undefined;
  let httpUrl: string | undefined;
  if (config.http.enabled) {
    const routes: HttpRoutes[] = [];
    if (m) routes.push(metricsRoutes(m));
    if (webhookSecrets) {
      const doorEvents = createDoorEventStream({
        redis: services.storeRedis,
        prefix,
        maxLength: config.webhooks.streamMaxLength,
      });
      routes.push(
        webhookRoutes({
          secrets: webhookSecrets,
          publish: doorEvents.publish,
          logger: logger.child({ component: 'webhooks' }),
          bodyLimitBytes: config.webhooks.bodyLimitBytes,
          ...(m ? { metrics: m } : {}),
        }),
      );
    }
    if (dashboardCredentials) {
      routes.push(
        dashboardRoutes({
          queues: [
            services.bookingsQueue,
            services.unitSyncQueue,
            services.reconcileQueue,
            services.feedsQueue,
          ],
          credentials: dashboardCredentials,
          basePath: config.dashboard.basePath,
          readOnly: config.dashboard.readOnly,
          logger: logger.child({ component: 'dashboard' }),
        }),
      );
    }
    http = createHttpServer({
      routes,
      config,
      bookingsQueue: services.bookingsQueue,
      logger: logger.child({ component: 'http' }),
      ...(intakeToken ? { intakeToken } : {}),
      readiness: () => ({
        redis: services.redisReady(),
        flexykey: services.flexykeyReachable(),
        shuttingDown,
      }),
    });
    try {
      const address = await http.listen();
      httpUrl = address.url;
      logger.info({ url: address.url }, 'http server listening');
    } catch (error) {
      await schedule?.stop();
      await Promise.all(workers.map((worker) => worker.close()));
      await services.close();
      throw error;
    }
  }
  logger.info(
    {
      prefix,
      bookingsConcurrency: config.queues.bookings.concurrency,
      unitSyncConcurrency: config.queues.unitSync.concurrency,
      reconcile: config.reconcile.enabled ? config.reconcile.schedule : 'off',
    },
    'worker started',
  );

  // Announcements left behind by a process that died while confirming a sync (at least once, soon).
  const sweeping = repeatEvery(
    ANNOUNCEMENT_SWEEP_MS,
    async () => {
      await services.unitSyncProcessor.sweepAnnouncements();
    },
    (error) => logger.warn({ err: (error as Error).message }, 'announcement sweep failed; next one retries'),
  );
  // Units marked as waiting for a change whose sync request was lost (at least once, eventually).
  const lookingForMissing = repeatEvery(
    options.missingSyncSweepMs ?? MISSING_SYNC_SWEEP_MS,
    async () => {
      const units = await requestMissingSyncs(services);
      if (units.length > 0) {
        logger.warn(
          { units: units.slice(0, 20), count: units.length },
          'units waited for a change with no sync queued; syncs requested',
        );
      }
    },
    (error) => logger.warn({ err: (error as Error).message }, 'missing-sync sweep failed; next one retries'),
  );

  let closing: Promise<void> | undefined;
  return {
    services,
    ...(httpUrl ? { httpUrl } : {}),
    bookingsQueue: services.bookingsQueue,
    unitSyncQueue: services.unitSyncQueue,
    reconcileQueue: services.reconcileQueue,
    close() {
      closing ??= (async () => {
        // One deadline for the whole close: each stage waits at most for the time left (a stage cut
        // short goes on in the background; what it held is retried elsewhere).
        const deadline = Date.now() + (options.closeTimeoutMs ?? 8_000);
        const bounded = async (promise: Promise<unknown> | undefined) => {
          let timer: NodeJS.Timeout | undefined;
          const timeLeft = new Promise((resolve) => {
            timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
            timer.unref();
          });
          try {
            await Promise.race([promise, timeLeft]);
          } finally {
            clearTimeout(timer);
          }
        };
        // Refuse new intake and report not ready, stop triggering work, then the workers (they finish
        // in-flight jobs), then what they used.
        shuttingDown = true;
        stopping.abort();
        clearInterval(sweeping);
        clearInterval(lookingForMissing);
        await bounded(http?.close());
        await bounded(schedule?.stop());
        await bounded(Promise.all(workers.map((worker) => worker.close())));
        await bounded(services.close());
        logger.info('worker stopped');
      })();
      return closing;
    },
  };
}
