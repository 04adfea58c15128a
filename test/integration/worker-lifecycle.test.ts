import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config';
import { createOutcomeStream, type StoredOutcomeEvent } from '../../src/events';
import { BOOKINGS_QUEUE, createBookingsQueue, enqueueBookings, UNIT_SYNC_QUEUE } from '../../src/jobs';
import { silentLogger } from '../../src/logging';
import { type EmbeddedRedis, startEmbeddedRedis } from '../../src/redis';
import { type RunningWorker, startWorker } from '../../src/worker';
import { captureOutput, closedOf } from '../helpers/child-output';
import { ENGINE_USER, type Engine, engineSeed, FAST_SYNC, startEngine } from '../helpers/engine';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';
import { spawnWorker, stopWorker, type WorkerProcess, writeConfigFile } from '../helpers/worker-processes';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'src/cli/main.ts');
const ZONE = 'Europe/Stockholm';

function booking(externalId: string, resource: string, overrides: Record<string, unknown> = {}) {
  return {
    source: 'pms',
    externalId,
    resource,
    start: '2037-04-01T15:00:00+02:00',
    end: '2037-04-03T11:00:00+02:00',
    status: 'confirmed',
    guest: { name: `Guest ${externalId}` },
    ...overrides,
  };
}

/** The latest outcome state of every booking, by `source/externalId`. */
function latestStates(events: readonly StoredOutcomeEvent[]): Map<string, StoredOutcomeEvent> {
  const latest = new Map<string, StoredOutcomeEvent>();
  for (const event of events) latest.set(`${event.source}/${event.externalId}`, event);
  return latest;
}

function countIn(events: readonly StoredOutcomeEvent[], state: StoredOutcomeEvent['state']): number {
  return new Set(events.filter((e) => e.state === state).map((e) => e.externalId)).size;
}

/** Every server row of the unit is on the device exactly once, and no idNumber is there twice. */
function expectUnitExact(sim: TestSimulator, unitId: number, expectedEntries: number): void {
  const unit = sim.simulator.unit(unitId);
  expect(unit.rows).toHaveLength(expectedEntries);
  expect(new Set(unit.rows.map((row) => row.idNumber)).size).toBe(expectedEntries);
  expect(unit.rows.every((row) => row.syncState === 'Synced')).toBe(true);
  const device = unit.deviceMemory.entries.map((e) => `${e.idNumber}|${e.codeTag}`).sort();
  expect(device).toEqual(unit.rows.map((row) => `${row.idNumber}|${row.codeTag}`).sort());
  expect(unit.sync.overlapViolations).toBe(0);
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; afterMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
    // Its output read to the end too: the last log lines are what the test looks at.
    void closedOf(child).then((code) => {
      clearTimeout(timer);
      resolve({ code, afterMs: Date.now() - started });
    });
  });
}

/** The worker's JSON log lines, in order. */
function logLines(output: string): { level: number; msg: string; [key: string]: unknown }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

describe('flexysync worker process: shutdown and start-up', () => {
  let engine: Engine | undefined;
  const workers: WorkerProcess[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => stopWorker(w, 5_000)));
    await engine?.close();
    engine = undefined;
  });

  it('SIGTERM mid-run: exits 0 in bounded time, leaves no job locked, and a later worker finishes everything', async () => {
    const BOOKINGS = 50;
    engine = await startEngine({
      seed: engineSeed(2, 5),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      startWorker: false,
      // Packets seconds apart are normal for a slow unit: the engine's short simulated sync timeout
      // (1 s) must not cut them off.
      simulator: { syncTimeoutMs: 30_000 },
      sync: { deadlineMs: 10_000 },
      config: {
        queues: {
          bookings: { concurrency: 4 },
          unitSync: { concurrency: 4 },
          lockDurationMs: 3_000,
          stalledIntervalMs: 1_000,
        },
      },
    });
    const { sim } = engine;
    // A slow unit (10 entries per packet, 2 s each) and slow creates, so both queues have work in
    // flight. A packet takes long enough that the sync seen running is still running when the worker,
    // however busy the machine, gets to the signal.
    sim.simulator.updateUnit(7001, { packetLatencyMs: 2_000 });
    sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', latencyMs: 150 }]);
    const configFile = writeConfigFile(engine.configInput);
    const first = spawnWorker(configFile, engine.env, { logLevel: 'info' });
    workers.push(first);

    const { accepted } = await engine.enqueue(
      Array.from({ length: BOOKINGS }, (_, i) => booking(`T-${i}`, 'room')),
    );
    expect(accepted).toHaveLength(BOOKINGS);
    await waitFor(
      async () =>
        countIn((await engine?.outcomes()) ?? [], 'applied') >= 8 &&
        sim.simulator.unit(7001).sync.status.state === 'InProgress',
      { timeoutMs: 20_000, description: 'bookings applied and a sync of the slow unit running' },
    );

    first.child.kill('SIGTERM');
    const { code, afterMs } = await exitOf(first.child, 15_000);
    expect({ code, output: first.output() }).toEqual({ code: 0, output: expect.any(String) });
    // Bounded: in-flight applies take ~150 ms, the in-flight sync at most the sync deadline (10 s).
    expect(afterMs).toBeLessThan(12_000);
    const lines = logLines(first.output());
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    const messages = lines.map((line) => line.msg);
    const stopping = messages.indexOf('stopping: finishing in-flight jobs');
    expect(stopping).toBeGreaterThan(0);
    // The sync that was running when the signal came was handed back to the queue, not dropped.
    expect(messages.indexOf('shutting down: sync handed back to the queue', stopping)).toBeGreaterThan(
      stopping,
    );
    expect(messages.at(-1)).toBe('worker stopped');

    const bookingsQueue = new Queue(BOOKINGS_QUEUE, { connection: engine.redis, prefix: engine.prefix });
    const syncQueue = new Queue(UNIT_SYNC_QUEUE, { connection: engine.redis, prefix: engine.prefix });
    try {
      // A clean stop hands nothing over as a locked job waiting to be found stalled.
      expect(await bookingsQueue.getActiveCount()).toBe(0);
      expect(await syncQueue.getActiveCount()).toBe(0);
      const left = await bookingsQueue.getJobCounts('waiting', 'delayed', 'prioritized');
      const synced = countIn(await engine.outcomes(), 'synced');
      // The scenario is only meaningful if the first worker did not finish everything.
      expect(synced).toBeLessThan(BOOKINGS);
      expect((left.waiting ?? 0) + (left.delayed ?? 0) + (left.prioritized ?? 0)).toBeGreaterThan(0);
    } finally {
      await Promise.all([bookingsQueue.close(), syncQueue.close()]);
    }

    sim.simulator.clearFaults();
    sim.simulator.updateUnit(7001, { packetLatencyMs: 50 });
    const second = spawnWorker(configFile, engine.env);
    workers.push(second);
    await waitFor(async () => countIn((await engine?.outcomes()) ?? [], 'synced') === BOOKINGS, {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: `all ${BOOKINGS} bookings synced after the restart`,
    });
    const latest = latestStates(await engine.outcomes());
    expect([...latest.values()].every((e) => e.state === 'synced')).toBe(true);
    expectUnitExact(sim, 7001, BOOKINGS);
    // SIGINT (Ctrl-C) stops it as cleanly as SIGTERM.
    second.child.kill('SIGINT');
    expect((await exitOf(second.child, 15_000)).code).toBe(0);
  }, 90_000);

  it('SIGTERM while a sync waits on an offline unit: exits within 10 s and hands the sync back at once', async () => {
    engine = await startEngine({
      seed: engineSeed(2, 5),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      startWorker: false,
      // A unit that takes long to answer is normal (the production sync deadline is 2 minutes).
      simulator: { syncTimeoutMs: 60_000 },
      sync: { deadlineMs: 60_000 },
      config: { queues: { lockDurationMs: 3_000, stalledIntervalMs: 1_000 } },
    });
    const { sim } = engine;
    sim.simulator.updateUnit(7001, { online: false });
    const configFile = writeConfigFile(engine.configInput);
    const first = spawnWorker(configFile, engine.env, { logLevel: 'info' });
    workers.push(first);
    await engine.enqueue([booking('OFF-1', 'room')]);
    await waitFor(() => sim.simulator.unit(7001).sync.status.state === 'InProgress', {
      timeoutMs: 20_000,
      description: 'a sync of the offline unit running',
    });

    first.child.kill('SIGTERM');
    const { code, afterMs } = await exitOf(first.child, 30_000);
    expect(code).toBe(0);
    // Docker's default stop grace period: a worker still busy after it is killed mid-way.
    expect(afterMs).toBeLessThan(10_000);
    const syncQueue = new Queue(UNIT_SYNC_QUEUE, { connection: engine.redis, prefix: engine.prefix });
    try {
      // Handed back, not left locked until its lock expires and a stalled-job check finds it (each
      // such stall counts towards maxStalledCount, after which BullMQ fails the job for good).
      expect(await syncQueue.getActiveCount()).toBe(0);
    } finally {
      await syncQueue.close();
    }

    sim.simulator.updateUnit(7001, { online: true });
    workers.push(spawnWorker(configFile, engine.env));
    await engine.waitForState('pms/OFF-1', 'synced', 20_000);
    expectUnitExact(sim, 7001, 1);
  }, 90_000);

  it('a second signal while stopping exits at once with code 1; the abandoned booking is taken over later', async () => {
    engine = await startEngine({
      seed: engineSeed(2, 5),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      startWorker: false,
      config: { queues: { lockDurationMs: 3_000, stalledIntervalMs: 1_000 } },
    });
    const { sim } = engine;
    // A slow FlexyKey: the booking job is still waiting for its create when the worker is asked to stop.
    sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', latencyMs: 6_000, count: 1 }]);
    const configFile = writeConfigFile(engine.configInput);
    const first = spawnWorker(configFile, engine.env, { logLevel: 'info' });
    workers.push(first);
    await engine.enqueue([booking('TWICE-1', 'room')]);
    await waitFor(() => sim.simulator.callCount('POST /v1/UnitIdEntries') === 1, {
      timeoutMs: 20_000,
      description: 'the create in flight',
    });
    first.child.kill('SIGTERM');
    await waitFor(() => first.output().includes('stopping: finishing in-flight jobs'), {
      description: 'the worker stopping',
    });
    first.child.kill('SIGINT');
    const { code, afterMs } = await exitOf(first.child, 10_000);
    expect(code).toBe(1);
    expect(afterMs).toBeLessThan(3_000);
    expect(first.output()).toContain('second signal');

    workers.push(spawnWorker(configFile, engine.env));
    await engine.waitForState('pms/TWICE-1', 'synced', 30_000);
    expectUnitExact(sim, 7001, 1);
  }, 60_000);

  describe('refuses to start with a clear message and a non-zero exit', () => {
    /** Runs `flexysync worker` with exactly these variables (nothing inherited that could satisfy it). */
    function runWorker(env: Record<string, string>, timeoutMs = 20_000) {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = captureOutput(child);
      return exitOf(child, timeoutMs)
        .catch((error: unknown) => {
          child.kill('SIGKILL');
          throw new Error(
            `${(error as Error).message}: the worker hung instead of refusing\n${output.all()}`,
          );
        })
        .then(({ code }) => ({ code, output: output.all() }));
    }

    const validConfig = {
      redis: { prefix: uniquePrefix('refuse') },
      flexykey: { username: ENGINE_USER.username },
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
    };
    const baseEnv = () => ({ REDIS_URL: testRedisUrl(), FLEXYKEY_BASE_URL: 'http://127.0.0.1:9/v1/' });

    it('FLEXYKEY_PASSWORD missing', async () => {
      const { code, output } = await runWorker({
        ...baseEnv(),
        FLEXYSYNC_CONFIG: writeConfigFile(validConfig),
      });
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(output).toContain('FLEXYKEY_PASSWORD');
    });

    it('FLEXYKEY_PASSWORD_FILE unreadable', async () => {
      const missing = path.join(tmpdir(), `flexysync-no-secret-${validConfig.redis.prefix}`);
      const { code, output } = await runWorker({
        ...baseEnv(),
        FLEXYSYNC_CONFIG: writeConfigFile(validConfig),
        FLEXYKEY_PASSWORD_FILE: missing,
      });
      expect(code).not.toBe(0);
      expect(output).toContain(`FLEXYKEY_PASSWORD_FILE (environment): cannot read '${missing}'`);
    });

    it('no configuration file given', async () => {
      const { code, output } = await runWorker({ ...baseEnv(), FLEXYKEY_PASSWORD: ENGINE_USER.password });
      expect(code).not.toBe(0);
      expect(output).toContain('FLEXYSYNC_CONFIG');
    });

    it('configuration errors, each message naming its key and rule', async () => {
      const bad = {
        ...validConfig,
        queues: { bookings: { concurency: 4 } },
        sync: { pollIntervalMs: 'fast' },
        resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R9' }] } },
      };
      const { code, output } = await runWorker({
        ...baseEnv(),
        FLEXYKEY_PASSWORD: ENGINE_USER.password,
        FLEXYSYNC_CONFIG: writeConfigFile(bad),
      });
      expect(code).not.toBe(0);
      expect(output).toMatch(/resources\.room\.units\[0\]\.action: expected R1, R2 or G1–G99, got 'R9'/);
      expect(output).toMatch(/sync\.pollIntervalMs: must be an integer .*got 'fast'/);
      expect(output).toMatch(/queues\.bookings.*'concurency' \(did you mean 'concurrency'\?\)/);
    });

    it('a password written in the configuration file', async () => {
      const { code, output } = await runWorker({
        ...baseEnv(),
        FLEXYKEY_PASSWORD: ENGINE_USER.password,
        FLEXYSYNC_CONFIG: writeConfigFile({
          ...validConfig,
          flexykey: { username: 'engine', password: 'in-the-file' },
        }),
      });
      expect(code).not.toBe(0);
      expect(output).toMatch(/flexykey\.password: must not be in the configuration file/);
      expect(output).not.toContain('in-the-file');
    });

    it('a YAML syntax error, with line and column', async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'flexysync-yaml-')), 'broken.yaml');
      writeFileSync(file, `${stringify(validConfig)}resources: [unclosed\n`);
      const { code, output } = await runWorker({
        ...baseEnv(),
        FLEXYKEY_PASSWORD: ENGINE_USER.password,
        FLEXYSYNC_CONFIG: file,
      });
      expect(code).not.toBe(0);
      expect(output).toContain(`${file}:`);
      expect(output).toMatch(/broken\.yaml:\d+:\d+/);
    });
  });
});

describe('the worker survives its peers being briefly unreachable', () => {
  it('FlexyKey drops every connection for ~2 s: every booking still reaches synced, no duplicate rows', async () => {
    const engine = await startEngine({
      seed: engineSeed(2, 5),
      resources: {
        a: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
        b: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R1' }] },
      },
    });
    try {
      const { sim } = engine;
      // Before the outage: four bookings fully synced.
      await engine.enqueue(Array.from({ length: 4 }, (_, i) => booking(`F-${i}`, i % 2 ? 'b' : 'a')));
      await waitFor(async () => countIn(await engine.outcomes(), 'synced') === 4);
      const before = await engine.outcomes();

      sim.simulator.setFaults([{ dropRate: 1 }]);
      const outageStarted = Date.now();
      await engine.enqueue([
        ...Array.from({ length: 10 }, (_, i) => booking(`G-${i}`, i % 2 ? 'b' : 'a')),
        // A move and a cancellation of bookings synced before the outage.
        booking('F-0', 'a', { revision: 2, end: '2037-04-05T11:00:00+02:00' }),
        booking('F-1', 'b', { revision: 2, status: 'cancelled' }),
      ]);
      // The outage lasts ~2 s, and the worker must have kept trying (and failing) meanwhile.
      await waitFor(
        () => Date.now() - outageStarted >= 2_000 && (sim.simulator.faults()[0]?.fired ?? 0) >= 5,
        { timeoutMs: 10_000, description: 'a 2 s outage the worker ran into' },
      );
      const during = (await engine.outcomes()).slice(before.length);
      expect(during.filter((e) => e.state === 'applied' || e.state === 'synced')).toEqual([]);
      sim.simulator.clearFaults();

      await waitFor(
        async () => {
          const latest = latestStates(await engine.outcomes());
          const gs = Array.from({ length: 10 }, (_, i) => latest.get(`pms/G-${i}`)?.state);
          return (
            gs.every((state) => state === 'synced') &&
            latest.get('pms/F-1')?.state === 'revoked' &&
            latest.get('pms/F-0')?.validTo === '2037-04-05T11:00:00+02:00' &&
            latest.get('pms/F-0')?.state === 'synced'
          );
        },
        { timeoutMs: 30_000, intervalMs: 100, description: 'every change made after the outage' },
      );
      // a: F-0, F-2, G-0, G-2, …, G-8; b: F-3, G-1, …, G-9 (F-1 cancelled).
      expectUnitExact(sim, 7001, 7);
      expectUnitExact(sim, 7002, 6);
      const moved = sim.simulator
        .unit(7001)
        .deviceMemory.entries.find((e) => e.codeTag === latestStates(before).get('pms/F-0')?.pin);
      expect(Date.parse(moved?.validToIso ?? '')).toBe(Date.parse('2037-04-05T11:00:00+02:00'));
      // Transient trouble never turns an accepted event into a failed (dead-letter) job.
      expect(await engine.worker?.bookingsQueue.getFailedCount()).toBe(0);
    } finally {
      await engine.close();
    }
  }, 60_000);

  it('FlexyKey drops every connection while a unit sync is in flight: the sync recovers, nothing is lost', async () => {
    const engine = await startEngine({
      seed: engineSeed(2, 5),
      resources: {
        a: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
        b: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R1' }] },
      },
    });
    try {
      const { sim } = engine;
      // A slow unit, so its sync is still running when the API disappears.
      sim.simulator.updateUnit(7001, { packetLatencyMs: 400 });
      await engine.enqueue(Array.from({ length: 24 }, (_, i) => booking(`H-${i}`, i % 2 ? 'b' : 'a')));
      await waitFor(() => sim.simulator.unit(7001).sync.status.state === 'InProgress', {
        description: 'a sync of the slow unit running',
      });
      sim.simulator.setFaults([{ dropRate: 1 }]);
      const outageStarted = Date.now();
      await waitFor(
        () => Date.now() - outageStarted >= 2_000 && (sim.simulator.faults()[0]?.fired ?? 0) >= 3,
        { timeoutMs: 10_000, description: 'a 2 s outage the worker ran into' },
      );
      sim.simulator.clearFaults();
      sim.simulator.updateUnit(7001, { packetLatencyMs: 20 });

      await waitFor(
        async () => {
          const latest = latestStates(await engine.outcomes());
          return Array.from({ length: 24 }, (_, i) => latest.get(`pms/H-${i}`)?.state).every(
            (state) => state === 'synced',
          );
        },
        { timeoutMs: 30_000, intervalMs: 100, description: 'all 24 bookings synced after the outage' },
      );
      expectUnitExact(sim, 7001, 12);
      expectUnitExact(sim, 7002, 12);
      expect(await engine.worker?.bookingsQueue.getFailedCount()).toBe(0);
      expect(await engine.worker?.unitSyncQueue.getFailedCount()).toBe(0);
    } finally {
      await engine.close();
    }
  }, 60_000);

  describe('Redis', () => {
    /** A private redis-server this test can pause (SIGSTOP) and resume without losing its data. */
    interface PrivateRedis extends EmbeddedRedis {
      paused: boolean;
    }
    let redisServer: PrivateRedis | undefined;
    let worker: RunningWorker | undefined;
    let client: Redis | undefined;
    let sim: TestSimulator;

    async function startPrivateRedis(): Promise<PrivateRedis> {
      return { ...(await startEmbeddedRedis()), paused: false };
    }

    async function startAll(): Promise<{ prefix: string; producer: Queue }> {
      redisServer = await startPrivateRedis();
      sim = await startTestSimulator({
        seed: engineSeed(2, 5),
        statusCacheGuardMs: FAST_SYNC.statusCacheGuardMs,
        syncTimeoutMs: 1_000,
      });
      const prefix = uniquePrefix('redis-blip');
      const config = parseConfig(
        {
          redis: { prefix },
          flexykey: { username: ENGINE_USER.username, requestBudget: { maxRequests: 5_000, perSeconds: 1 } },
          queues: {
            bookings: { concurrency: 4 },
            unitSync: { concurrency: 4 },
            lockDurationMs: 5_000,
            stalledIntervalMs: 1_000,
          },
          sync: FAST_SYNC,
          resources: {
            a: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
            b: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R1' }] },
          },
        },
        {
          REDIS_URL: redisServer.url,
          FLEXYKEY_BASE_URL: sim.baseUrl,
          FLEXYKEY_PASSWORD: ENGINE_USER.password,
        },
      );
      worker = await startWorker({ config, logger: silentLogger, closeTimeoutMs: 10_000 });
      client = new Redis(redisServer.url, { maxRetriesPerRequest: null });
      return { prefix, producer: createBookingsQueue(client, prefix) };
    }

    function pause(server: PrivateRedis) {
      process.kill(server.pid, 'SIGSTOP');
      server.paused = true;
    }

    function resume(server: PrivateRedis) {
      process.kill(server.pid, 'SIGCONT');
      server.paused = false;
    }

    afterEach(async () => {
      if (redisServer?.paused) resume(redisServer);
      await worker?.close();
      worker = undefined;
      client?.disconnect();
      client = undefined;
      const server = redisServer;
      redisServer = undefined;
      await server?.stop();
    });

    async function waitAllSynced(prefix: string, count: number): Promise<void> {
      const stream = createOutcomeStream({ redis: client as Redis, prefix });
      await waitFor(async () => countIn(await stream.read('-', 100_000), 'synced') === count, {
        timeoutMs: 40_000,
        intervalMs: 100,
        description: `${count} bookings synced`,
      });
    }

    it('Redis stops answering for ~2.5 s (SIGSTOP/SIGCONT): the worker stalls, then resumes and finishes', async () => {
      const { prefix, producer } = await startAll();
      const server = redisServer as PrivateRedis;
      try {
        sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', latencyMs: 100 }]);
        await enqueueBookings(
          producer,
          Array.from({ length: 20 }, (_, i) => booking(`R-${i}`, i % 2 ? 'b' : 'a')),
        );
        await waitFor(() => sim.simulator.callCount('POST /v1/UnitIdEntries') >= 3, {
          description: 'applying under way',
        });

        pause(server);
        const pausedAt = Date.now();
        // Every FlexyKey call first takes a request-budget token from Redis: with Redis silent, the
        // worker's calls must stop. Wait until they have, and the blip has lasted 2.5 s.
        let lastTotal = -1;
        let quietSince = Date.now();
        await waitFor(
          () => {
            const total = sim.simulator.calls().total;
            if (total !== lastTotal) {
              lastTotal = total;
              quietSince = Date.now();
            }
            return Date.now() - quietSince >= 1_000 && Date.now() - pausedAt >= 2_500;
          },
          { timeoutMs: 10_000, intervalMs: 50, description: 'the worker idle while Redis is silent' },
        );
        const createsWhilePaused = sim.simulator.callCount('POST /v1/UnitIdEntries');
        expect(createsWhilePaused).toBeLessThan(20);
        resume(server);

        await waitAllSynced(prefix, 20);
        expectUnitExact(sim, 7001, 10);
        expectUnitExact(sim, 7002, 10);
        expect(await worker?.bookingsQueue.getFailedCount()).toBe(0);
        expect(await worker?.unitSyncQueue.getFailedCount()).toBe(0);
      } finally {
        await producer.close();
      }
    }, 60_000);

    it('Redis drops every client connection twice mid-run (CLIENT KILL): the worker reconnects and finishes', async () => {
      const { prefix, producer } = await startAll();
      const admin = new Redis((redisServer as PrivateRedis).url, { maxRetriesPerRequest: null });
      try {
        sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', latencyMs: 100 }]);
        sim.simulator.updateUnit(7001, { packetLatencyMs: 200 });
        await enqueueBookings(
          producer,
          Array.from({ length: 20 }, (_, i) => booking(`K-${i}`, i % 2 ? 'b' : 'a')),
        );
        for (const threshold of [3, 12]) {
          await waitFor(() => sim.simulator.callCount('POST /v1/UnitIdEntries') >= threshold, {
            timeoutMs: 20_000,
            description: `${threshold} creates`,
          });
          // Every normal client but this one: the worker's blocking and command connections, the producer.
          const killed = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
          expect(killed).toBeGreaterThanOrEqual(2);
        }
        await waitAllSynced(prefix, 20);
        expectUnitExact(sim, 7001, 10);
        expectUnitExact(sim, 7002, 10);
        expect(await worker?.bookingsQueue.getFailedCount()).toBe(0);
        expect(await worker?.unitSyncQueue.getFailedCount()).toBe(0);
      } finally {
        admin.disconnect();
        await producer.close();
      }
    }, 60_000);
  });
});
