/**
 * `npm run bench:sync` — the sync engine end to end: 20,000 booking events over 200 units, one worker
 * process (`flexysync worker` from dist/, as an operator runs it: `npm run bench:sync` builds first),
 * against the simulator in another process (with FlexyKey's real 2 s status cache guard). This process
 * only enqueues and reads the outcome stream. Prints bookings/s until applied and until synced, the
 * worker's CPU time per booking, FlexyKey calls per booking by endpoint, PushChanges per unit, p50/p99
 * enqueue→applied and enqueue→synced, and peak RSS. In the same run, a naive baseline (per booking:
 * create, push, poll until done; bookings of one unit one after another, units in parallel) on the same
 * data, and the ratio.
 *
 * Environment: BENCH_BOOKINGS (20000), BENCH_UNITS (200), BENCH_NAIVE_SHARE (0.1: the naive baseline
 * runs on the first share of each unit's bookings, as it takes minutes on all), REDIS_URL (else a
 * private redis-server), BENCH_WORKER_NODE_ARGS (node flags of the worker process, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { Redis } from 'ioredis';
import { createOutcomeStream } from '../src/events';
import { createFlexyKeyClient, type FlexyKeyClient } from '../src/flexykey';
import { createBookingsQueue, enqueueBookings } from '../src/jobs';
import { startEmbeddedRedis } from '../src/redis';
import {
  BENCH_CREDENTIALS,
  benchSeed,
  type SimulatorProcess,
  simulatorCalls,
  startSimulatorProcess,
} from './lib/simulator-process';
import { formatMiB, formatMs, line, percentile } from './lib/stats';
import { startWorkerProcess } from './lib/worker-process';

const BOOKINGS = Number(process.env.BENCH_BOOKINGS ?? 20_000);
const UNITS = Number(process.env.BENCH_UNITS ?? 200);
const NAIVE_SHARE = Number(process.env.BENCH_NAIVE_SHARE ?? 0.1);
const BOOKINGS_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const STATUS_GUARD_MS = 2_000;
const POLL_INTERVAL_MS = 2_500;
const PACKET_LATENCY_MS = 20;
const FIRST_UNIT = 10_001;
const GOALS = { appliedPerSecond: 1_000, callsPerBooking: 1.1, speedup: 10 };

interface BenchEvent {
  source: string;
  externalId: string;
  resource: string;
  start: string;
  end: string;
  status: 'confirmed';
  guest: { name: string; phone: string };
}

function makeEvents(): BenchEvent[] {
  return Array.from({ length: BOOKINGS }, (_, i) => {
    const day = 1 + (Math.floor(i / UNITS) % 28);
    return {
      source: 'bench',
      externalId: `B${i}`,
      resource: `room-${i % UNITS}`,
      start: `2037-05-${String(day).padStart(2, '0')}T15:00:00+02:00`,
      end: `2037-06-${String(day).padStart(2, '0')}T11:00:00+02:00`,
      status: 'confirmed',
      guest: { name: `Guest number ${i}`, phone: `+4670${String(1_000_000 + i).slice(-7)}` },
    };
  });
}

async function adminReset(adminUrl: string): Promise<void> {
  await fetch(`${adminUrl}reset`, { method: 'POST' });
  await fetch(`${adminUrl}calls`, { method: 'DELETE' });
}

async function overlapViolations(adminUrl: string): Promise<number> {
  let total = 0;
  for (let i = 0; i < UNITS; i++) {
    const response = await fetch(`${adminUrl}units/${FIRST_UNIT + i}`);
    total += ((await response.json()) as { sync: { overlapViolations: number } }).sync.overlapViolations;
  }
  return total;
}

function diffCalls(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [key, count] of Object.entries(after)) {
    const delta = count - (before[key] ?? 0);
    if (delta > 0) result[key] = delta;
  }
  return result;
}

/** Commands Redis has executed, by name (`INFO commandstats`; scripts' own commands included). */
async function redisCommandCounts(redis: Redis): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    counts[match[1] as string] = Number(match[2]);
  }
  return counts;
}

/** CPU time Redis has used so far (`INFO cpu`, main thread and children). */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

function cpuMsOfThisProcess(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function runEngine(redisUrl: string, simulator: SimulatorProcess, events: BenchEvent[]) {
  const { baseUrl, adminUrl } = simulator;
  const prefix = `bench-${Date.now()}`;
  const resources = Object.fromEntries(
    Array.from({ length: UNITS }, (_, i) => [
      `room-${i}`,
      { timeZone: 'Europe/Stockholm', units: [{ unitId: FIRST_UNIT + i, action: 'R1' }] },
    ]),
  );
  const config = {
    redis: { prefix },
    flexykey: {
      username: BENCH_CREDENTIALS.username,
      // As many connections as bookings in flight (the naive baseline's client has as many).
      maxConnections: BOOKINGS_CONCURRENCY,
      requestBudget: { maxRequests: 100_000, perSeconds: 1 },
    },
    queues: { bookings: { concurrency: BOOKINGS_CONCURRENCY }, unitSync: { concurrency: UNITS } },
    sync: { pollIntervalMs: POLL_INTERVAL_MS, statusCacheGuardMs: STATUS_GUARD_MS },
    reconcile: { enabled: false },
    resources,
  };
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const stream = createOutcomeStream({ redis, prefix });
  const producer = createBookingsQueue(redis, prefix);
  const worker = await startWorkerProcess(config, {
    REDIS_URL: redisUrl,
    FLEXYKEY_BASE_URL: baseUrl,
    FLEXYKEY_PASSWORD: BENCH_CREDENTIALS.password,
  });
  await worker.ready(producer);
  const callsBefore = await simulatorCalls(adminUrl);
  const redisBefore = await redisCommandCounts(redis);
  const cpuBefore = {
    redis: await redisCpuMs(redis),
    simulator: (await simulator.usage()).cpuMs,
    driver: cpuMsOfThisProcess(),
  };

  const enqueuedAt = new Map<string, number>();
  const appliedAt = new Map<string, number>();
  const syncedAt = new Map<string, number>();
  const started = Date.now();
  for (let offset = 0; offset < events.length; offset += 1_000) {
    const chunk = events.slice(offset, offset + 1_000);
    const now = Date.now();
    const { accepted, rejected } = await enqueueBookings(producer, chunk);
    if (rejected.length > 0) throw new Error(`bench data rejected: ${JSON.stringify(rejected[0])}`);
    for (const item of accepted) enqueuedAt.set(item.key, now);
  }
  const enqueueMs = Date.now() - started;

  let cursor = '-';
  while (syncedAt.size < events.length) {
    const batch = await stream.read(cursor, 5_000);
    if (batch.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    cursor = batch.at(-1)?.id ?? cursor;
    for (const event of batch) {
      const key = `${event.source}/${event.externalId}`;
      const at = Date.parse(event.at);
      if (event.state === 'applied' && !appliedAt.has(key)) appliedAt.set(key, at);
      if (event.state === 'synced' && !syncedAt.has(key)) syncedAt.set(key, at);
      if (event.state === 'failed') throw new Error(`booking failed in the bench: ${key}: ${event.reason}`);
    }
  }
  const lastApplied = Math.max(...appliedAt.values());
  const lastSynced = Math.max(...syncedAt.values());
  const calls = diffCalls(await simulatorCalls(adminUrl), callsBefore);
  const redisCommands = diffCalls(await redisCommandCounts(redis), redisBefore);
  const cpuMs = {
    redis: (await redisCpuMs(redis)) - cpuBefore.redis,
    simulator: (await simulator.usage()).cpuMs - cpuBefore.simulator,
    driver: cpuMsOfThisProcess() - cpuBefore.driver,
  };
  const violations = await overlapViolations(adminUrl);
  // Each unit's hand-made entries are read once (a GET /UnitIdEntries page) and remembered with a marker.
  const unitScans = (await redis.keys(`${prefix}:unit:*:scanned`)).length;
  const workerUsage = await worker.usage();
  await worker.stop();
  await producer.close();
  await redis.quit();

  const latencies = (at: Map<string, number>) => [...at].map(([key, t]) => t - (enqueuedAt.get(key) ?? t));
  return {
    enqueueMs,
    appliedPerSecond: events.length / ((lastApplied - started) / 1000),
    syncedPerSecond: events.length / ((lastSynced - started) / 1000),
    applied: latencies(appliedAt),
    synced: latencies(syncedAt),
    calls,
    violations,
    unitScans,
    workerUsage,
    redisCommands,
    cpuMs,
  };
}

/** The naive integration: each booking on its own, create → push → poll until done; a unit's bookings in turn. */
async function runNaive(client: FlexyKeyClient, events: BenchEvent[]) {
  const byUnit = new Map<number, BenchEvent[]>();
  for (const event of events) {
    const unitId = FIRST_UNIT + Number(event.resource.slice('room-'.length));
    byUnit.set(unitId, [...(byUnit.get(unitId) ?? []), event]);
  }
  const perUnit = Math.max(1, Math.round((events.length / UNITS) * NAIVE_SHARE));
  const latencies: number[] = [];
  let done = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const started = Date.now();
  await Promise.all(
    [...byUnit].map(async ([unitId, list]) => {
      for (const [index, event] of list.slice(0, perUnit).entries()) {
        const t0 = Date.now();
        await client.unitIdEntries.create({
          unitId,
          idNumber: `N${event.externalId}`.slice(0, 20),
          name: event.guest.name.slice(0, 25),
          description: `naive:${index}`,
          action: 'R1',
          codeTag: String(100_000 + ((index * 7919) % 900_000)),
          validFromIso: event.start,
          validToIso: event.end,
        });
        await client.unitSync.pushChanges({ unitId });
        await sleep(STATUS_GUARD_MS + 100);
        for (;;) {
          const status = await client.unitSync.status({ unitId });
          if (status.state === 'Completed') break;
          if (status.state === 'Failed' || status.state === 'TimedOut')
            throw new Error(`naive sync ${status.state}`);
          await sleep(POLL_INTERVAL_MS);
        }
        latencies.push(Date.now() - t0);
        done++;
      }
    }),
  );
  return { bookings: done, perSecond: done / ((Date.now() - started) / 1000), latencies };
}

async function main() {
  const embedded = process.env.REDIS_URL ? undefined : await startEmbeddedRedis();
  const redisUrl = process.env.REDIS_URL ?? (embedded?.url as string);
  const simulator = await startSimulatorProcess(benchSeed(UNITS, PACKET_LATENCY_MS), {
    statusCacheGuardMs: STATUS_GUARD_MS,
  });
  const events = makeEvents();
  try {
    console.log(
      `\nsync engine: ${BOOKINGS} bookings over ${UNITS} units, one worker process, Node ${process.version}`,
    );
    console.log(
      `simulator: status cache guard ${STATUS_GUARD_MS} ms, ${PACKET_LATENCY_MS} ms per packet; poll every ${POLL_INTERVAL_MS} ms\n`,
    );
    const engine = await runEngine(redisUrl, simulator, events);

    await adminReset(simulator.adminUrl);
    const client = createFlexyKeyClient({
      baseUrl: simulator.baseUrl,
      ...BENCH_CREDENTIALS,
      maxConnections: 64,
    });
    const naive = await runNaive(client, events);
    await client.close();

    const calls = (key: string) => engine.calls[key] ?? 0;
    const entryCalls =
      calls('POST /v1/UnitIdEntries') +
      calls('PUT /v1/UnitIdEntries/{id}') +
      calls('DELETE /v1/UnitIdEntries/{id}');
    const pushes = calls('POST /v1/UnitSync/PushChanges');
    // Sync polling: the Status polls, and the rows read after a completed sync to confirm they are Synced.
    const statusPolls = calls('GET /v1/UnitSync/Status');
    const rowChecks = calls('GET /v1/UnitIdEntries') - engine.unitScans;
    const allCalls = Object.values(engine.calls).reduce((sum, n) => sum + n, 0);
    const apartFromPolling = allCalls - statusPolls - rowChecks;
    const per = (n: number) => (n / BOOKINGS).toFixed(3);

    line('enqueue (addBulk, 1,000 per call)', `${engine.enqueueMs} ms`);
    line('bookings/s until all applied', engine.appliedPerSecond.toFixed(0));
    line('bookings/s until all synced', engine.syncedPerSecond.toFixed(0));
    const perBooking = (ms: number) => (ms / BOOKINGS).toFixed(2);
    line(
      'CPU per booking: worker · Redis · simulator · bench',
      `${[engine.workerUsage.cpuMs, engine.cpuMs.redis, engine.cpuMs.simulator, engine.cpuMs.driver].map(perBooking).join(' · ')} ms`,
    );
    line(
      'enqueue→applied p50 / p99',
      `${formatMs(percentile(engine.applied, 50))} / ${formatMs(percentile(engine.applied, 99))} ms`,
    );
    line(
      'enqueue→synced p50 / p99',
      `${formatMs(percentile(engine.synced, 50))} / ${formatMs(percentile(engine.synced, 99))} ms`,
    );
    console.log('\nFlexyKey calls (engine run):');
    for (const [key, n] of Object.entries(engine.calls).sort((a, b) => b[1] - a[1])) {
      line(`  ${key}`, `${n}  (${(n / BOOKINGS).toFixed(3)} per booking)`);
    }
    line(
      'calls per booking apart from sync polling',
      `${per(apartFromPolling)} (entries ${per(entryCalls)} · PushChanges ${per(pushes)} · unit scans ${per(engine.unitScans)})`,
    );
    line(
      'sync polling per booking',
      `${per(statusPolls + rowChecks)} (Status ${per(statusPolls)} · rows read after a sync ${per(rowChecks)})`,
    );
    line('PushChanges per unit', (pushes / UNITS).toFixed(1));
    const redisTotal = Object.values(engine.redisCommands).reduce((sum, n) => sum + n, 0);
    const topRedis = Object.entries(engine.redisCommands)
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(process.env.BENCH_REDIS_TOP ?? 8))
      .map(([name, n]) => `${name} ${(n / BOOKINGS).toFixed(1)}`)
      .join(' · ');
    line('Redis commands per booking (all clients)', `${(redisTotal / BOOKINGS).toFixed(1)}: ${topRedis}`);
    line('overlapping syncs seen by the simulator', String(engine.violations));
    line('peak RSS: worker process', `${formatMiB(engine.workerUsage.peakRssBytes)} MiB`);
    line('peak RSS: simulator process', `${formatMiB(await simulator.peakRssBytes())} MiB`);

    console.log(
      `\nnaive baseline: ${naive.bookings} bookings (first ${Math.round(NAIVE_SHARE * 100)}% of each unit's), same simulator`,
    );
    line('naive bookings/s until synced', naive.perSecond.toFixed(1));
    line(
      'naive booking→synced p50 / p99',
      `${formatMs(percentile(naive.latencies, 50))} / ${formatMs(percentile(naive.latencies, 99))} ms`,
    );
    const speedup = engine.syncedPerSecond / naive.perSecond;
    line('engine ÷ naive (bookings/s until synced)', `${speedup.toFixed(1)}×`);

    console.log('\ngoals:');
    line(
      `  ≥ ${GOALS.appliedPerSecond} bookings/s applied`,
      engine.appliedPerSecond >= GOALS.appliedPerSecond ? 'met' : 'NOT met',
    );
    line(
      `  ≤ ${GOALS.callsPerBooking} calls per new booking apart from sync polling`,
      apartFromPolling / BOOKINGS <= GOALS.callsPerBooking ? 'met' : 'NOT met',
    );
    line(`  ≥ ${GOALS.speedup}× the naive baseline`, speedup >= GOALS.speedup ? 'met' : 'NOT met');
  } finally {
    await simulator.stop();
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
