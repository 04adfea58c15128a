import { createLogger } from '../../src/logging';
import { type RunningWorker, startWorker } from '../../src/worker';
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
});
