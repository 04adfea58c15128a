import { DelayedError, UnrecoverableError } from 'bullmq';
import { Registry } from 'prom-client';
import { createMetrics, JOB_STATES, type MetricsOptions } from '../../../src/metrics';

/** Every sample of `name` in a text exposition, with its labels. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const found: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

/** The value of the sample of `name` whose labels are exactly `labels`. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  return samples(text, name).find(
    (s) => Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v),
  )?.value;
}

function metricsFor(options: MetricsOptions = {}) {
  return createMetrics({ defaultMetrics: false, ...options });
}

describe('createMetrics', () => {
  describe('naming', () => {
    it('uses its own registry, flexysync_ names, _total counters and _seconds durations', async () => {
      const metrics = metricsFor();
      expect(metrics.registry).toBeInstanceOf(Registry);
      const { register } = await import('prom-client');
      expect(register.getMetricsAsArray()).toHaveLength(0);
      const list = await metrics.registry.getMetricsAsJSON();
      for (const metric of list) {
        expect(metric.name).toMatch(/^flexysync_[a-z_]+$/);
        if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
        else expect(metric.name).not.toMatch(/_total$/);
        if (String(metric.type) === 'histogram') expect(metric.name).toMatch(/_seconds$/);
        expect(metric.help.length).toBeGreaterThan(10);
      }
    });

    it('leaves out the default metrics that are gauges named like counters', async () => {
      const text = await createMetrics().render();
      expect(text).toContain('process_cpu_seconds_total');
      expect(text).toContain('nodejs_active_handles ');
      expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);
      expect(await metricsFor().render()).not.toContain('process_cpu');
    });

    it('accepts a registry of the caller', async () => {
      const registry = new Registry();
      const metrics = metricsFor({ registry });
      metrics.observeOutcome('applied');
      expect(await registry.metrics()).toContain('flexysync_booking_outcomes_total{state="applied"} 1');
    });
  });

  describe('FlexyKey calls', () => {
    it('times each attempt by method, path template and status class, and counts errors by code', async () => {
      const metrics = metricsFor();
      metrics.observeFlexykeyCall({
        method: 'PUT',
        route: 'PUT /UnitIdEntries/{id}',
        status: 200,
        elapsedMs: 120,
      });
      metrics.observeFlexykeyCall({
        method: 'POST',
        route: 'POST /UnitIdEntries',
        status: 409,
        elapsedMs: 30,
        error: { code: 'conflict' },
      });
      metrics.observeFlexykeyCall({
        method: 'GET',
        route: 'GET /UnitSync/Status',
        status: undefined,
        elapsedMs: 5_000,
        attempt: 2,
        error: { code: 'timeout' },
      });
      const text = await metrics.render();
      const name = 'flexysync_flexykey_request_duration_seconds';
      expect(
        value(text, `${name}_sum`, { method: 'PUT', route: '/UnitIdEntries/{id}', status_class: '2xx' }),
      ).toBe(0.12);
      expect(
        value(text, `${name}_bucket`, {
          method: 'PUT',
          route: '/UnitIdEntries/{id}',
          status_class: '2xx',
          le: '0.1',
        }),
      ).toBe(0);
      expect(
        value(text, `${name}_bucket`, {
          method: 'PUT',
          route: '/UnitIdEntries/{id}',
          status_class: '2xx',
          le: '0.25',
        }),
      ).toBe(1);
      expect(
        value(text, `${name}_count`, { method: 'POST', route: '/UnitIdEntries', status_class: '4xx' }),
      ).toBe(1);
      expect(
        value(text, `${name}_count`, { method: 'GET', route: '/UnitSync/Status', status_class: 'none' }),
      ).toBe(1);
      const errors = 'flexysync_flexykey_request_errors_total';
      expect(value(text, errors, { method: 'POST', route: '/UnitIdEntries', code: 'conflict' })).toBe(1);
      expect(value(text, errors, { method: 'GET', route: '/UnitSync/Status', code: 'timeout' })).toBe(1);
      expect(samples(text, errors)).toHaveLength(2);
    });

    it('keeps the route label bounded even if a caller passed raw paths', async () => {
      const metrics = metricsFor();
      for (let id = 0; id < 250; id++) {
        metrics.observeFlexykeyCall({
          method: 'GET',
          route: `GET /UnitIdEntries/${id}`,
          status: 200,
          elapsedMs: 1,
        });
      }
      const text = await metrics.render();
      const routes = new Set(
        samples(text, 'flexysync_flexykey_request_duration_seconds_count').map((s) => s.labels.route),
      );
      expect(routes.size).toBe(201);
      expect(routes.has('other')).toBe(true);
    });
  });

  describe('jobs', () => {
    it('instrument() observes what a processor returns or throws and passes it through unchanged', async () => {
      const metrics = metricsFor();
      const result = { key: 'pms/1', outcome: 'applied' as const };
      const applied = metrics.instrument('bookings', async (_job: unknown, _token?: string) => result);
      await expect(applied({}, 'token')).resolves.toBe(result);

      const delayed = new DelayedError();
      const deferring = metrics.instrument('bookings', async () => {
        throw delayed;
      });
      await expect(deferring()).rejects.toBe(delayed);
      const invalid = metrics.instrument('bookings', async () => {
        throw new UnrecoverableError('invalid BookingEvent');
      });
      await expect(invalid()).rejects.toBeInstanceOf(UnrecoverableError);
      const failing = metrics.instrument('unit-sync', async () => {
        throw new Error('redis down');
      });
      await expect(failing()).rejects.toThrow('redis down');

      const text = await metrics.render();
      expect(value(text, 'flexysync_jobs_total', { queue: 'bookings', outcome: 'applied' })).toBe(1);
      expect(value(text, 'flexysync_jobs_total', { queue: 'bookings', outcome: 'delayed' })).toBe(1);
      expect(value(text, 'flexysync_jobs_total', { queue: 'bookings', outcome: 'unrecoverable' })).toBe(1);
      expect(value(text, 'flexysync_jobs_total', { queue: 'unit-sync', outcome: 'error' })).toBe(1);
      expect(value(text, 'flexysync_job_duration_seconds_count', { queue: 'bookings' })).toBe(3);
    });

    it('passes every argument BullMQ gives through to the processor', async () => {
      const metrics = metricsFor();
      const seen: unknown[] = [];
      const signal = new AbortController().signal;
      const wrapped = metrics.instrument('feeds', async (...args: [unknown, string?, AbortSignal?]) => {
        seen.push(...args);
        return { source: 'x', outcome: 'unchanged' };
      });
      await wrapped('job', 'token', signal);
      expect(seen).toEqual(['job', 'token', signal]);
      expect(await metrics.render()).toContain('flexysync_jobs_total{queue="feeds",outcome="unchanged"} 1');
    });

    it('observeJob records the duration in seconds', async () => {
      const metrics = metricsFor();
      metrics.observeJob('reconcile', { slot: null }, 2_500);
      const text = await metrics.render();
      expect(value(text, 'flexysync_job_duration_seconds_sum', { queue: 'reconcile' })).toBe(2.5);
      expect(value(text, 'flexysync_jobs_total', { queue: 'reconcile', outcome: 'completed' })).toBe(1);
    });
  });

  describe('unit syncs', () => {
    it('counts results, times them and counts PushChanges per unit', async () => {
      const metrics = metricsFor();
      metrics.observeSync({ unitId: 3023, result: 'completed', pushes: 1, durationMs: 4_200 });
      metrics.observeSync({ unitId: 3023, result: 'completed', pushes: 2, durationMs: 800 });
      metrics.observeSync({ unitId: 3025, result: 'timed-out', pushes: 1, durationMs: 120_000 });
      metrics.observeSync({ unitId: 3026, result: 'lost-lease', pushes: 0 });
      metrics.observeSync({ result: 'something-new' });
      const text = await metrics.render();
      expect(value(text, 'flexysync_unit_syncs_total', { result: 'completed' })).toBe(2);
      expect(value(text, 'flexysync_unit_syncs_total', { result: 'timed-out' })).toBe(1);
      expect(value(text, 'flexysync_unit_syncs_total', { result: 'lost-lease' })).toBe(1);
      expect(value(text, 'flexysync_unit_syncs_total', { result: 'other' })).toBe(1);
      expect(value(text, 'flexysync_unit_sync_duration_seconds_sum', { result: 'completed' })).toBe(5);
      expect(
        value(text, 'flexysync_unit_sync_duration_seconds_count', { result: 'lost-lease' }),
      ).toBeUndefined();
      expect(value(text, 'flexysync_unit_pushes_total', { unit_id: '3023' })).toBe(3);
      expect(value(text, 'flexysync_unit_pushes_total', { unit_id: '3025' })).toBe(1);
      expect(value(text, 'flexysync_unit_pushes_total', { unit_id: '3026' })).toBeUndefined();
    });

    it('caps the unit_id label at maxUnits', async () => {
      const metrics = metricsFor({ maxUnits: 2 });
      for (const unitId of [1, 2, 3, 4]) metrics.observeSync({ unitId, result: 'completed', pushes: 1 });
      const text = await metrics.render();
      expect(samples(text, 'flexysync_unit_pushes_total').map((s) => s.labels.unit_id)).toEqual([
        '1',
        '2',
        'other',
      ]);
      expect(value(text, 'flexysync_unit_pushes_total', { unit_id: 'other' })).toBe(2);
    });
  });

  describe('booking outcomes', () => {
    it('counts every state from zero and times received → synced', async () => {
      let now = 1_000_000;
      const metrics = metricsFor({ now: () => now });
      const before = await metrics.render();
      for (const state of ['applied', 'synced', 'failed', 'revoked']) {
        expect(value(before, 'flexysync_booking_outcomes_total', { state })).toBe(0);
      }
      metrics.observeOutcome('applied', now - 500);
      now += 90_000;
      metrics.observeOutcome('synced', now - 90_500);
      metrics.observeOutcome('synced');
      metrics.observeOutcome('failed', now - 10);
      const text = await metrics.render();
      expect(value(text, 'flexysync_booking_outcomes_total', { state: 'synced' })).toBe(2);
      expect(value(text, 'flexysync_booking_outcomes_total', { state: 'applied' })).toBe(1);
      expect(value(text, 'flexysync_booking_received_to_synced_seconds_count')).toBe(1);
      expect(value(text, 'flexysync_booking_received_to_synced_seconds_sum')).toBe(90.5);
      expect(value(text, 'flexysync_booking_received_to_synced_seconds_bucket', { le: '60' })).toBe(0);
      expect(value(text, 'flexysync_booking_received_to_synced_seconds_bucket', { le: '120' })).toBe(1);
    });

    it('never observes a negative latency (clocks of two machines)', async () => {
      const metrics = metricsFor({ now: () => 1_000 });
      metrics.observeOutcome('synced', 5_000);
      expect(value(await metrics.render(), 'flexysync_booking_received_to_synced_seconds_sum')).toBe(0);
    });
  });

  describe('reconciliation', () => {
    const report = (kinds: string[][], held: number[] = []) => ({
      dryRun: false,
      units: kinds.map((list, index) => ({
        drifts: list.map((kind) => ({ kind })),
        held: Array.from({ length: held[index] ?? 0 }, () => ({ kind: 'orphaned' })),
      })),
    });

    it('counts drift by kind, keeps the last run apart, and ignores dry runs', async () => {
      let now = 1_700_000_000_000;
      const metrics = metricsFor({ now: () => now });
      metrics.observeReconcile(
        report(
          [
            ['missing', 'drifted'],
            ['missing', 'expired'],
          ],
          [0, 3],
        ),
      );
      now += 3_600_000;
      metrics.observeReconcile(report([['orphaned']]));
      metrics.observeReconcile({ ...report([['missing', 'missing']]), dryRun: true });
      const text = await metrics.render();
      const total = (kind: string) => value(text, 'flexysync_reconcile_drifts_total', { kind });
      const last = (kind: string) => value(text, 'flexysync_reconcile_last_drifts', { kind });
      expect(value(text, 'flexysync_reconcile_runs_total')).toBe(2);
      expect([
        total('missing'),
        total('drifted'),
        total('expired'),
        total('orphaned'),
        total('orphaned-held'),
      ]).toEqual([2, 1, 1, 1, 3]);
      expect([
        last('missing'),
        last('drifted'),
        last('expired'),
        last('orphaned'),
        last('orphaned-held'),
      ]).toEqual([0, 0, 0, 1, 0]);
      expect(value(text, 'flexysync_reconcile_last_run_timestamp_seconds')).toBe(now / 1000);
    });
  });

  describe('scrape-time gauges', () => {
    it('reads queue depths, units and feed freshness at each scrape', async () => {
      let waiting = 3;
      const unreachable = new Set([2]);
      const metrics = metricsFor({
        queues: [
          { name: 'bookings', getJobCounts: async () => ({ waiting, active: 1, failed: 2 }) },
          { name: 'unit-sync', getJobCounts: async () => ({ delayed: 4 }) },
        ],
        units: {
          knownUnits: async () => [1, 2, 3],
          state: async (unitId) => ({ unreachable: unreachable.has(unitId) }),
        },
        feeds: async () => [
          { source: 'airbnb', lastSuccessAt: '2026-11-25T10:00:00.000Z', consecutiveFailures: 0 },
          { source: 'never', consecutiveFailures: 5 },
          { source: 'garbled', lastSuccessAt: 'not a time' },
        ],
      });
      let text = await metrics.render();
      expect(value(text, 'flexysync_queue_jobs', { queue: 'bookings', state: 'waiting' })).toBe(3);
      expect(value(text, 'flexysync_queue_jobs', { queue: 'bookings', state: 'failed' })).toBe(2);
      expect(value(text, 'flexysync_queue_jobs', { queue: 'unit-sync', state: 'delayed' })).toBe(4);
      expect(value(text, 'flexysync_queue_jobs', { queue: 'unit-sync', state: 'active' })).toBe(0);
      expect(samples(text, 'flexysync_queue_jobs')).toHaveLength(2 * JOB_STATES.length);
      expect(value(text, 'flexysync_units_known')).toBe(3);
      expect(value(text, 'flexysync_units_unreachable')).toBe(1);
      expect(value(text, 'flexysync_feed_last_success_timestamp_seconds', { source: 'airbnb' })).toBe(
        Date.parse('2026-11-25T10:00:00.000Z') / 1000,
      );
      expect(value(text, 'flexysync_feed_last_success_timestamp_seconds', { source: 'never' })).toBe(0);
      expect(value(text, 'flexysync_feed_last_success_timestamp_seconds', { source: 'garbled' })).toBe(0);
      expect(value(text, 'flexysync_feed_consecutive_failures', { source: 'never' })).toBe(5);

      waiting = 0;
      unreachable.clear();
      text = await metrics.render();
      expect(value(text, 'flexysync_queue_jobs', { queue: 'bookings', state: 'waiting' })).toBe(0);
      expect(value(text, 'flexysync_units_unreachable')).toBe(0);
    });

    it('reads the unit store once per scrape for both unit gauges', async () => {
      let reads = 0;
      const metrics = metricsFor({
        units: {
          knownUnits: async () => {
            reads++;
            return [1];
          },
          state: async () => ({ unreachable: true }),
        },
      });
      await metrics.render();
      expect(reads).toBe(1);
      await metrics.render();
      expect(reads).toBe(2);
    });

    it('a failed or slow read leaves its series out (NaN when unlabelled), counted, and spares the others', async () => {
      let fail = true;
      const warnings: unknown[] = [];
      const logger = {
        warn: (entry: unknown) => warnings.push(entry),
      } as unknown as MetricsOptions['logger'];
      const metrics = metricsFor({
        collectTimeoutMs: 50,
        logger,
        queues: [
          {
            name: 'bookings',
            getJobCounts: () => (fail ? new Promise(() => {}) : Promise.resolve({ waiting: 1 })),
          },
        ],
        units: {
          knownUnits: async () => {
            if (fail) throw new Error('redis down');
            return [1];
          },
          state: async () => ({ unreachable: false }),
        },
        feeds: async () => [{ source: 'airbnb', lastSuccessAt: '2026-11-25T10:00:00.000Z' }],
      });
      metrics.observeOutcome('applied');
      let text = await metrics.render();
      expect(samples(text, 'flexysync_queue_jobs')).toEqual([]);
      expect(value(text, 'flexysync_units_known')).toBeNaN();
      expect(value(text, 'flexysync_units_unreachable')).toBeNaN();
      expect(
        value(text, 'flexysync_feed_last_success_timestamp_seconds', { source: 'airbnb' }),
      ).toBeGreaterThan(0);
      expect(value(text, 'flexysync_booking_outcomes_total', { state: 'applied' })).toBe(1);
      expect(value(text, 'flexysync_metrics_collect_errors_total', { collector: 'queues' })).toBe(1);
      expect(value(text, 'flexysync_metrics_collect_errors_total', { collector: 'units' })).toBe(1);
      expect(value(text, 'flexysync_metrics_collect_errors_total', { collector: 'feeds' })).toBeUndefined();
      expect(warnings).toHaveLength(2);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ collector: 'queues', err: expect.stringContaining('longer than 50 ms') }),
          expect.objectContaining({ collector: 'units', err: 'redis down' }),
        ]),
      );

      fail = false;
      text = await metrics.render();
      expect(value(text, 'flexysync_queue_jobs', { queue: 'bookings', state: 'waiting' })).toBe(1);
      expect(value(text, 'flexysync_units_known')).toBe(1);
      // The count keeps its value; it does not grow without new failures.
      expect(value(text, 'flexysync_metrics_collect_errors_total', { collector: 'queues' })).toBe(1);
    });

    it('exports no scrape-time gauges for sources it was not given', async () => {
      const text = await metricsFor().render();
      expect(text).not.toContain('flexysync_queue_jobs');
      expect(text).not.toContain('flexysync_units_unreachable');
      expect(text).not.toContain('flexysync_feed_');
    });
  });

  describe('webhooks', () => {
    it('counts deliveries by a bounded result', async () => {
      const metrics = metricsFor();
      metrics.observeWebhook('published');
      metrics.observeWebhook('published');
      metrics.observeWebhook('made-up');
      const text = await metrics.render();
      expect(value(text, 'flexysync_webhook_deliveries_total', { result: 'published' })).toBe(2);
      expect(value(text, 'flexysync_webhook_deliveries_total', { result: 'unauthorized' })).toBe(0);
      expect(value(text, 'flexysync_webhook_deliveries_total', { result: 'made-up' })).toBeUndefined();
    });
  });
});
