import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { type Job, Worker } from 'bullmq';
import { request } from 'undici';
import { createFeedStateStore, readFeedStatus } from '../../src/adapters';
import { type FlexysyncConfig, parseConfig } from '../../src/config';
import { createOutcomeStream } from '../../src/events';
import { createFlexyKeyClient, type FlexyKeyClient } from '../../src/flexykey';
import { createHttpServer, type HttpServer, METRICS_PATH, metricsRoutes } from '../../src/http';
import { BOOKINGS_QUEUE, enqueueBookings, UNIT_SYNC_QUEUE, type UnitSyncJobResult } from '../../src/jobs';
import { silentLogger } from '../../src/logging';
import { createMetrics, type Metrics } from '../../src/metrics';
import { createServices, type Services } from '../../src/worker';
import { ENGINE_USER, engineSeed, FAST_SYNC } from '../helpers/engine';
import { deleteKeysWithPrefix, testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

const ONLINE = 7001;
const OFFLINE = 7002;

/** `promtool check metrics` on an exposition: exit status and everything it said. */
function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The value of one sample of a text exposition, or undefined when there is no such series. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      found[pair[1] as string] = pair[2] as string;
    }
    const wanted = Object.entries(labels);
    if (wanted.length === Object.keys(found).length && wanted.every(([key, value]) => found[key] === value)) {
      return Number(match[3]);
    }
  }
  return undefined;
}

function booking(externalId: string, resource: string) {
  return {
    source: 'pms',
    externalId,
    resource,
    start: '2037-05-01T15:00:00+02:00',
    end: '2037-05-03T11:00:00+02:00',
    status: 'confirmed',
    guest: { name: 'Ada Lovelace', phone: `+4670${externalId.replace(/\D/g, '').padStart(7, '1')}` },
  };
}

describe('GET /metrics after real activity passes promtool check metrics', () => {
  const redis = testRedis();
  let sim: TestSimulator;
  let prefix: string;
  let config: FlexysyncConfig;
  let services: Services;
  let metrics: Metrics;
  let workers: Worker[] = [];
  let server: HttpServer | undefined;
  let observed: FlexyKeyClient;
  let refused: FlexyKeyClient;

  beforeAll(() => {
    const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (version.error) {
      throw new Error(
        "promtool not found: install Debian's prometheus package (apt-get install prometheus); .ci/run does",
      );
    }
  });

  beforeEach(async () => {
    sim = await startTestSimulator({
      seed: engineSeed(2),
      statusCacheGuardMs: FAST_SYNC.statusCacheGuardMs,
      syncTimeoutMs: 500,
    });
    sim.simulator.updateUnit(OFFLINE, { online: false });
    prefix = uniquePrefix('metrics');
    config = parseConfig(
      {
        redis: { prefix },
        flexykey: { username: ENGINE_USER.username, requestBudget: { maxRequests: 5_000, perSeconds: 1 } },
        // One failed sync makes a unit unreachable, so the gauge moves within the test.
        sync: { ...FAST_SYNC, maxAttempts: 1, unreachableRetryMs: 60_000 },
        reconcile: { enabled: false },
        http: { port: 0 },
        resources: {
          room: { timeZone: 'Europe/Stockholm', units: [{ unitId: ONLINE, action: 'R1' }] },
          gate: { timeZone: 'Europe/Stockholm', units: [{ unitId: OFFLINE, action: 'R1' }] },
        },
      },
      { REDIS_URL: testRedisUrl(), FLEXYKEY_BASE_URL: sim.baseUrl, FLEXYKEY_PASSWORD: ENGINE_USER.password },
    );
    services = createServices({ config, logger: silentLogger });
    metrics = createMetrics({
      queues: [services.bookingsQueue, services.unitSyncQueue, services.reconcileQueue],
      units: services.units,
      feeds: () => readFeedStatus(services.storeRedis, prefix),
      logger: silentLogger,
    });
    // A client observed the way the composition root observes its own (hooks.afterResponse), and one
    // whose server is gone, for the "no response" class.
    observed = createFlexyKeyClient({
      baseUrl: sim.baseUrl,
      ...ENGINE_USER,
      retry: { maxAttempts: 1 },
      hooks: { afterResponse: (info) => metrics.observeFlexykeyCall(info) },
    });
    refused = createFlexyKeyClient({
      baseUrl: 'http://127.0.0.1:9/v1/',
      ...ENGINE_USER,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      hooks: { afterResponse: (info) => metrics.observeFlexykeyCall(info) },
    });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await Promise.all(workers.map((worker) => worker.close()));
    workers = [];
    await Promise.all([observed.close(), refused.close()]);
    await services.close();
    await deleteKeysWithPrefix(redis, prefix);
    await sim.close();
  });

  afterAll(() => redis.quit());

  /** The workers with processors observed as the composition root is told to wire them. */
  function startWorkers(): void {
    const syncObserved = async (job: Job, token?: string): Promise<UnitSyncJobResult> => {
      const started = performance.now();
      const result = await services.unitSyncProcessor(job, token);
      metrics.observeSync({ ...result, durationMs: performance.now() - started });
      return result;
    };
    const common = { connection: services.workerConnection, prefix };
    workers = [
      new Worker(BOOKINGS_QUEUE, metrics.instrument(BOOKINGS_QUEUE, services.bookingProcessor), common),
      new Worker(UNIT_SYNC_QUEUE, metrics.instrument(UNIT_SYNC_QUEUE, syncObserved), common),
    ];
  }

  async function scrape(): Promise<{ status: number; contentType: string; text: string }> {
    server ??= createHttpServer({
      config,
      bookingsQueue: services.bookingsQueue,
      logger: silentLogger,
      readiness: () => ({ redis: true, flexykey: true, shuttingDown: false }),
      routes: [metricsRoutes(metrics)],
    });
    const { url } = server.address ?? (await server.listen());
    const response = await request(`${url}${METRICS_PATH}`);
    return {
      status: response.statusCode,
      contentType: String(response.headers['content-type']),
      text: await response.body.text(),
    };
  }

  it('bookings applied and synced, an unreachable unit, API calls of every class, feeds, a reconcile', async () => {
    startWorkers();
    const { accepted } = await enqueueBookings(services.bookingsQueue, [
      booking('M-1', 'room'),
      booking('M-2', 'gate'),
      { ...booking('M-3', 'room'), resource: 'no-such-resource' },
    ]);
    expect(accepted).toHaveLength(3);

    // The booking on the online unit gets synced; the offline unit becomes unreachable.
    const outcomes = createOutcomeStream({ redis, prefix });
    await waitFor(
      async () => (await outcomes.read()).some((e) => e.externalId === 'M-1' && e.state === 'synced'),
      {
        timeoutMs: 15_000,
        description: 'M-1 synced',
      },
    );
    await waitFor(async () => (await services.units.state(OFFLINE)).unreachable, {
      timeoutMs: 15_000,
      description: 'the offline unit reported unreachable',
    });
    // The composition root calls observeOutcome for each event it publishes, with the record's enqueue time.
    for (const event of await outcomes.read()) {
      const record = await services.bookings.get(`${event.source}/${event.externalId}`);
      metrics.observeOutcome(event.state, record?.lastEvent?.at);
    }

    // API calls answered 2xx and 4xx, and attempts that got no answer at all.
    await observed.units.list();
    await expect(observed.units.get(999_999)).rejects.toThrow();
    await expect(refused.units.list()).rejects.toThrow();

    const report = await services.reconciler.reconcile({ dryRun: false, unitIds: [ONLINE] });
    metrics.observeReconcile(report);

    const feeds = createFeedStateStore(redis, prefix);
    await feeds.writeMeta('airbnb-flat', {
      lastSuccessAt: '2026-11-25T10:00:00.000Z',
      lastAttemptAt: '2026-11-25T10:00:00.000Z',
      consecutiveFailures: 0,
    });
    await feeds.writeMeta('broken-feed', {
      lastAttemptAt: '2026-11-25T10:00:00.000Z',
      consecutiveFailures: 3,
    });

    const { status, contentType, text } = await scrape();
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    const lint = promtool(text);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);

    // The activity is really in what promtool checked.
    const jobs = (queue: string, outcome: string) =>
      sample(text, 'flexysync_jobs_total', { queue, outcome }) ?? 0;
    expect(jobs('bookings', 'applied')).toBe(2);
    expect(jobs('bookings', 'unrecoverable')).toBe(1);
    expect(jobs('unit-sync', 'completed') + jobs('unit-sync', 'no-changes')).toBeGreaterThanOrEqual(1);
    expect(jobs('unit-sync', 'delayed')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flexysync_job_duration_seconds_count', { queue: 'bookings' })).toBe(3);
    expect(sample(text, 'flexysync_unit_syncs_total', { result: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flexysync_unit_pushes_total', { unit_id: String(ONLINE) })).toBeGreaterThanOrEqual(
      1,
    );
    expect(sample(text, 'flexysync_units_unreachable')).toBe(1);
    expect(sample(text, 'flexysync_units_known')).toBe(2);
    expect(sample(text, 'flexysync_queue_jobs', { queue: 'bookings', state: 'failed' })).toBe(1);
    expect(sample(text, 'flexysync_queue_jobs', { queue: 'unit-sync', state: 'delayed' })).toBe(1);
    expect(sample(text, 'flexysync_booking_outcomes_total', { state: 'synced' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flexysync_booking_outcomes_total', { state: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flexysync_booking_received_to_synced_seconds_count')).toBeGreaterThanOrEqual(1);
    const latency = sample(text, 'flexysync_booking_received_to_synced_seconds_sum') ?? -1;
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(60);
    const call = (method: string, route: string, statusClass: string) =>
      sample(text, 'flexysync_flexykey_request_duration_seconds_count', {
        method,
        route,
        status_class: statusClass,
      });
    expect(call('GET', '/Units', '2xx')).toBe(1);
    expect(call('GET', '/Units/{id}', '4xx')).toBe(1);
    expect(call('GET', '/Units', 'none')).toBe(2);
    expect(text).not.toMatch(/="999999"/);
    expect(sample(text, 'flexysync_reconcile_runs_total')).toBe(1);
    expect(sample(text, 'flexysync_reconcile_last_run_timestamp_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'flexysync_feed_last_success_timestamp_seconds', { source: 'airbnb-flat' })).toBe(
      Date.parse('2026-11-25T10:00:00.000Z') / 1000,
    );
    expect(sample(text, 'flexysync_feed_last_success_timestamp_seconds', { source: 'broken-feed' })).toBe(0);
    expect(sample(text, 'flexysync_feed_consecutive_failures', { source: 'broken-feed' })).toBe(3);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('promtool really checks: an exposition that breaks the conventions fails it', () => {
    const bad = promtool(
      '# HELP flexysync_things_total Things.\n# TYPE flexysync_things_total gauge\nflexysync_things_total 1\n',
    );
    expect(bad.status).not.toBe(0);
    expect(bad.output).toContain('flexysync_things_total');
  });

  it('a scrape still answers when Redis reads are too slow: their series are left out or NaN, never 0', async () => {
    const slow = createMetrics({
      defaultMetrics: false,
      queues: [{ name: 'bookings', getJobCounts: () => new Promise(() => {}) }],
      units: { knownUnits: () => new Promise(() => {}), state: async () => ({ unreachable: false }) },
      feeds: () => Promise.reject(new Error('redis down')),
      collectTimeoutMs: 100,
    });
    server = createHttpServer({
      config,
      bookingsQueue: services.bookingsQueue,
      logger: silentLogger,
      readiness: () => ({ redis: true, flexykey: true, shuttingDown: false }),
      routes: [metricsRoutes(slow)],
    });
    const { url } = await server.listen();
    const started = Date.now();
    const response = await request(`${url}${METRICS_PATH}`);
    const text = await response.body.text();
    expect(response.statusCode).toBe(200);
    // Answered after the 100 ms collect deadline, not held by the reads that never finish; the bound
    // leaves room for a busy machine.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sample(text, 'flexysync_queue_jobs', { queue: 'bookings', state: 'waiting' })).toBeUndefined();
    expect(sample(text, 'flexysync_units_unreachable')).toBeNaN();
    expect(sample(text, 'flexysync_units_known')).toBeNaN();
    expect(text).not.toContain('flexysync_feed_last_success_timestamp_seconds{');
    expect(sample(text, 'flexysync_metrics_collect_errors_total', { collector: 'queues' })).toBe(1);
    expect(sample(text, 'flexysync_metrics_collect_errors_total', { collector: 'units' })).toBe(1);
    expect(sample(text, 'flexysync_metrics_collect_errors_total', { collector: 'feeds' })).toBe(1);
    expect(promtool(text).status).toBe(0);
  });
});
