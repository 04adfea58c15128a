import { Queue } from 'bullmq';
import type { StoredBooking } from '../../src/domain';
import { createBookingStore, createUnitStore } from '../../src/store';
import { type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';
import { spawnWorker, stopWorker, type WorkerProcess, writeConfigFile } from '../helpers/worker-processes';

const UNITS = 20;
const BOOKINGS = 500;
const ZONE = 'Europe/Stockholm';

const resources = Object.fromEntries(
  Array.from({ length: UNITS }, (_, i) => [
    `room-${i}`,
    { timeZone: ZONE, units: [{ unitId: 7001 + i, action: 'R1' }] },
  ]),
);

function events(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    source: 'pms',
    externalId: `MP-${i}`,
    resource: `room-${(i * 7) % UNITS}`,
    start: `2037-03-${String(1 + (i % 27)).padStart(2, '0')}T15:00:00+01:00`,
    end: `2037-03-${String(2 + (i % 27)).padStart(2, '0')}T11:00:00+01:00`,
    status: 'confirmed',
    guest: { name: `Guest ${i}` },
  }));
}

/** What is missing, for the failure message when a run does not converge. */
async function diagnose(engine: Engine): Promise<string> {
  const outcomes = await engine.outcomes();
  const synced = new Set(outcomes.filter((e) => e.state === 'synced').map((e) => e.externalId));
  const missing = events(BOOKINGS)
    .filter((e) => !synced.has(e.externalId))
    .slice(0, 5);
  const store = createUnitStore(engine.redis, engine.prefix);
  const lines = [];
  for (const e of missing) {
    const last = outcomes.filter((o) => o.externalId === e.externalId).at(-1);
    lines.push(
      `${e.externalId}: last=${last?.state ?? 'none'} awaiting=${(await store.awaitingUnitsOf(`pms/${e.externalId}`)).join(',')}`,
    );
  }
  const bookingsQueue = new Queue('bookings', { connection: engine.redis, prefix: engine.prefix });
  const syncQueue = new Queue('unit-sync', { connection: engine.redis, prefix: engine.prefix });
  lines.push(`bookings ${JSON.stringify(await bookingsQueue.getJobCounts())}`);
  lines.push(`unit-sync ${JSON.stringify(await syncQueue.getJobCounts())}`);
  await Promise.all([bookingsQueue.close(), syncQueue.close()]);
  return lines.join('\n');
}

async function waitForAllSynced(engine: Engine): Promise<void> {
  try {
    await waitFor(async () => (await syncedCount(engine)) === BOOKINGS, {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: `${BOOKINGS} bookings synced`,
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await diagnose(engine)}`);
  }
}

async function syncedCount(engine: Engine): Promise<number> {
  const outcomes = await engine.outcomes();
  return new Set(outcomes.filter((e) => e.state === 'synced').map((e) => e.externalId)).size;
}

/** Every unit's device memory holds exactly what the records say, and nothing twice. */
async function expectDevicesEqualRecords(engine: Engine): Promise<void> {
  const store = createBookingStore(engine.redis, engine.prefix);
  const records = (await Promise.all((await store.keys()).map((key) => store.get(key)))) as StoredBooking[];
  expect(records).toHaveLength(BOOKINGS);
  const expected = new Map<number, string[]>();
  for (const record of records) {
    for (const entry of record.entries) {
      const list = expected.get(entry.unitId) ?? [];
      list.push(
        `${entry.idNumber}|${entry.codeTag}|${Date.parse(entry.validFromIso)}|${Date.parse(entry.validToIso)}`,
      );
      expected.set(entry.unitId, list);
    }
  }
  for (let i = 0; i < UNITS; i++) {
    const unitId = 7001 + i;
    const unit = engine.sim.simulator.unit(unitId);
    const device = unit.deviceMemory.entries
      .map(
        (e) =>
          `${e.idNumber}|${e.codeTag}|${Date.parse(e.validFromIso ?? '')}|${Date.parse(e.validToIso ?? '')}`,
      )
      .sort();
    expect(device).toEqual((expected.get(unitId) ?? []).sort());
    expect(unit.sync.overlapViolations).toBe(0);
  }
}

describe('several worker processes share one Redis', () => {
  let engine: Engine;
  let workers: WorkerProcess[] = [];

  beforeEach(async () => {
    engine = await startEngine({
      seed: engineSeed(UNITS, 5),
      resources,
      startWorker: false,
      config: {
        queues: {
          bookings: { concurrency: 4 },
          unitSync: { concurrency: 8 },
          lockDurationMs: 3_000,
          stalledIntervalMs: 1_000,
        },
      },
    });
    const configFile = writeConfigFile(engine.configInput);
    workers = Array.from({ length: 3 }, () => spawnWorker(configFile, engine.env));
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await engine.close();
  });

  it('3 processes, 500 bookings over 20 units: never two syncs of one unit at once, every device equals the plan', async () => {
    const { accepted } = await engine.enqueue(events(BOOKINGS));
    expect(accepted).toHaveLength(BOOKINGS);
    await waitForAllSynced(engine);
    await expectDevicesEqualRecords(engine);
    for (const worker of workers) expect(worker.child.exitCode).toBeNull();
  }, 120_000);

  it('kill -9 of one worker mid-run: the others finish and the end state is exact', async () => {
    await engine.enqueue(events(BOOKINGS));
    await waitFor(async () => (await syncedCount(engine)) >= 100, { timeoutMs: 60_000, intervalMs: 100 });
    const victim = workers[0] as WorkerProcess;
    victim.child.kill('SIGKILL');
    await waitForAllSynced(engine);
    expect(victim.child.signalCode).toBe('SIGKILL');
    await expectDevicesEqualRecords(engine);
  }, 150_000);
});
