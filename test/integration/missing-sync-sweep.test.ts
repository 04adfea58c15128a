import type { StoredBooking } from '../../src/domain';
import { createLogger } from '../../src/logging';
import { type RunningWorker, startWorker } from '../../src/worker';
import { requestMissingSyncs } from '../../src/worker/missing-syncs';
import { type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';

/**
 * The safety net under "every marked unit gets a sync": a unit that a booking's change still has to
 * reach, but whose sync request was lost (here: the queued sync jobs are drained away, and one unit's
 * deduplication id is left naming a job that no longer exists), is found by the worker's periodic sweep
 * and synced, so the entry reaches the door and the booking is announced synced.
 */
describe('worker sweep for units that wait for a change with no sync queued', () => {
  let engine: Engine | undefined;
  let worker: RunningWorker | undefined;
  afterEach(async () => {
    await worker?.close();
    await engine?.close();
    engine = undefined;
    worker = undefined;
  });

  it('requests the lost syncs, and the entries reach the simulated units', async () => {
    engine = await startEngine({
      seed: engineSeed(2),
      resources: {
        flat: {
          timeZone: ZONE,
          units: [
            { unitId: 7001, action: 'R1' },
            { unitId: 7002, action: 'R1' },
          ],
        },
      },
      startWorker: false,
    });
    worker = await startWorker({
      config: engine.config,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      missingSyncSweepMs: 250,
    });
    const queue = worker.unitSyncQueue;
    // No unit syncs until the requests are lost.
    await queue.pause();
    await engine.enqueue([
      {
        source: 'pms',
        externalId: 'LOST-1',
        resource: 'flat',
        start: '2037-03-01T15:00:00+01:00',
        end: '2037-03-04T11:00:00+01:00',
        status: 'confirmed',
        guest: { name: 'Guest Lost' },
      },
    ]);
    const applied = await engine.waitForState('pms/LOST-1', 'applied', 30_000);
    expect(await queue.getDeduplicationJobId('unit-7001')).not.toBeNull();

    // The sync requests are lost: the jobs go, and unit 7002's id is left naming a job that is gone.
    await queue.drain(true);
    expect(await queue.getDeduplicationJobId('unit-7001')).toBeNull();
    await engine.redis.set(`${queue.keys.de}:unit-7002`, 'gone-job');
    expect(await worker.services.units.unitsWithAwaiting()).toEqual([7001, 7002]);
    await queue.resume();

    const synced = await engine.waitForState('pms/LOST-1', 'synced', 60_000);
    expect(synced.units).toEqual([
      { unitId: 7001, state: 'synced' },
      { unitId: 7002, state: 'synced' },
    ]);
    for (const unitId of [7001, 7002]) {
      expect(engine.device(unitId)).toEqual([
        expect.objectContaining({ action: 'R1', codeTag: applied.pin }),
      ]);
    }
    await waitFor(async () => (await worker?.services.units.unitsWithAwaiting())?.length === 0, {
      timeoutMs: 30_000,
      description: 'no unit waiting any more',
    });
  }, 120_000);
  /**
   * Not every mark is a lost request. A booking being applied marks its units in its write-ahead,
   * before its FlexyKey calls, and its job asks for the sync once they are done: a sweep pushing such a
   * unit early (under load, applies take long) only adds a push, and the confirmation would keep the
   * `applying` booking waiting anyway. A booking whose record is unreadable stays waiting on purpose:
   * no sync makes it readable, so syncing its unit at every sweep would push it for ever.
   */
  describe('units whose marks no sync can confirm yet', () => {
    async function startOneUnit() {
      engine = await startEngine({
        seed: engineSeed(2),
        resources: { flat: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
        startWorker: false,
      });
      worker = await startWorker({
        config: engine.config,
        logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
        // The tests run the sweep themselves.
        missingSyncSweepMs: 3_600_000,
      });
      return { e: engine, w: worker };
    }

    const record = (key: string, applying: boolean): StoredBooking => ({
      key,
      source: 'pms',
      externalId: key.slice('pms/'.length),
      resource: 'flat',
      status: 'confirmed',
      entries: [],
      applying,
      updatedIso: new Date().toISOString(),
    });

    it('leaves a unit alone while its booking is being applied (lease held or record applying)', async () => {
      const { w } = await startOneUnit();
      const key = 'pms/SLOW-1';
      // A bookings job in the middle of its calls: lease held, write-ahead done (record applying, unit marked).
      const lease = await w.services.leases.tryAcquire(`booking:${key}`, 60_000);
      expect(lease).not.toBeNull();
      await w.services.bookings.putClaiming(record(key, true), {
        indexed: false,
        claims: new Map(),
        awaitingUnits: [7001],
      });
      expect(await w.services.units.unitsWithAwaiting()).toEqual([7001]);
      expect(await requestMissingSyncs(w.services)).toEqual([]);

      // The record alone says so (a job retried after its process died asks for the sync itself)…
      await lease?.release();
      expect(await requestMissingSyncs(w.services)).toEqual([]);
      // …and so does the lease alone (the next event of the booking, before its write-ahead).
      await w.services.bookings.put(record(key, false), { indexed: true });
      const next = await w.services.leases.tryAcquire(`booking:${key}`, 60_000);
      expect(await requestMissingSyncs(w.services)).toEqual([]);

      // Neither: the mark is a lost request, and the unit is synced.
      await next?.release();
      expect(await requestMissingSyncs(w.services)).toEqual([7001]);
      expect(await w.unitSyncQueue.getDeduplicationJobId('unit-7001')).not.toBeNull();
    }, 30_000);

    it('never syncs a unit for a booking whose record is unreadable, only for the readable ones beside it', async () => {
      const { e, w } = await startOneUnit();
      const broken = 'pms/BROKEN-1';
      await w.services.units.markAwaiting(7001, broken);
      await e.redis.set(`${e.prefix}:booking:${broken}`, '{not json');
      await e.redis.sadd(`${e.prefix}:bookings`, broken);
      expect(await w.services.units.unitsWithAwaiting()).toEqual([7001]);
      expect(await requestMissingSyncs(w.services)).toEqual([]);
      expect(await requestMissingSyncs(w.services)).toEqual([]);
      expect((await w.services.units.state(7001)).pushes ?? 0).toBe(0);

      // A lost request of a readable booking on the same unit is synced, once.
      const lost = 'pms/LOST-2';
      await w.services.units.markAwaiting(7001, lost);
      expect(await requestMissingSyncs(w.services)).toEqual([7001]);
      await waitFor(
        async () => ((await w.services.units.awaitingUnitsOf(lost)).length === 0 ? true : undefined),
        {
          timeoutMs: 30_000,
          description: 'the readable booking confirmed on the unit',
        },
      );
      await waitFor(async () => ((await w.services.units.state(7001)).syncing ? undefined : true), {
        timeoutMs: 20_000,
        description: 'the sync finished',
      });
      expect((await w.services.units.state(7001)).pushes).toBe(1);
      // The unreadable record keeps its mark (by design), and no more syncs come for it.
      expect([...(await w.services.units.awaiting(7001)).keys()]).toEqual([broken]);
      expect(await requestMissingSyncs(w.services)).toEqual([]);
    }, 60_000);
  });
});
