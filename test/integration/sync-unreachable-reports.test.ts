import { createUnitStore } from '../../src/store';
import { type Engine, startEngine, testBooking } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

// A unit reported unreachable tells every booking waiting for it (`failed`, the unit `unreachable`):
// those waiting when it became unreachable and those that start waiting while it stays down, each once.
// Unit-sync timings of the test engine: 2 failed attempts make a unit unreachable, then it is tried
// every second; the simulator times a sync of an offline unit out after 1 s.
const ZONE = 'Europe/Stockholm';

const booking = (externalId: string) => testBooking(externalId);

describe('reports of an unreachable unit', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('a booking applied while the unit is already unreachable is told failed once, like the earlier ones', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
    });
    const { sim, redis, prefix } = engine;
    const units = createUnitStore(redis, prefix);
    const statesOf = async (externalId: string) =>
      (await engine?.outcomes())?.filter((e) => e.externalId === externalId).map((e) => e.state) ?? [];
    sim.simulator.updateUnit(7001, { online: false });
    await engine.enqueue([booking('EARLY-1')]);
    await engine.waitForState('pms/EARLY-1', 'failed', 60_000);
    expect((await units.state(7001)).unreachable).toBe(true);

    await engine.enqueue([booking('LATE-1')]);
    const late = await engine.waitForState('pms/LATE-1', 'failed', 60_000);
    expect(late.units).toEqual([expect.objectContaining({ unitId: 7001, state: 'unreachable' })]);
    expect(late.reason).toMatch(/unit 7001 unreachable after \d+ attempts/);

    // Two more failed attempts with both bookings waiting: nobody is told again.
    const failures = (await units.state(7001)).failures;
    await waitFor(async () => (await units.state(7001)).failures >= failures + 2, {
      timeoutMs: 60_000,
      description: 'two more failed attempts',
    });
    expect(await statesOf('EARLY-1')).toEqual(['applied', 'failed']);
    expect(await statesOf('LATE-1')).toEqual(['applied', 'failed']);

    // Back online: both synced, and what was told is forgotten with the unit reachable again.
    sim.simulator.updateUnit(7001, { online: true });
    await engine.waitForState('pms/EARLY-1', 'synced', 60_000);
    await engine.waitForState('pms/LATE-1', 'synced', 60_000);
    await waitFor(async () => !(await units.state(7001)).unreachable, {
      timeoutMs: 30_000,
      description: 'unit reachable again',
    });
    expect(await redis.exists(`${prefix}:unit:{7001}:told-unreachable`)).toBe(0);
  }, 180_000);

  it('an unreadable record waiting on the unit: the others are told, and the unit is still retried and synced', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
    });
    const { sim, redis, prefix } = engine;
    const units = createUnitStore(redis, prefix);
    // An unreadable record waiting on the unit (damaged, or written by another version).
    await redis.set(`${prefix}:booking:pms/BROKEN`, 'not json');
    await units.markAwaiting(7001, 'pms/BROKEN');

    sim.simulator.updateUnit(7001, { online: false });
    await engine.enqueue([booking('GOOD-1')]);
    const failed = await engine.waitForState('pms/GOOD-1', 'failed', 60_000);
    expect(failed.units).toEqual([expect.objectContaining({ unitId: 7001, state: 'unreachable' })]);
    expect((await units.state(7001)).unreachable).toBe(true);

    sim.simulator.updateUnit(7001, { online: true });
    await engine.waitForState('pms/GOOD-1', 'synced', 60_000);
    expect(engine.device(7001)).toHaveLength(1);
    const queue = engine.worker?.unitSyncQueue;
    expect((await queue?.getFailed())?.map((job) => job.failedReason)).toEqual([]);
    // The unreadable record is skipped, not synced again and again for.
    await waitFor(
      async () => {
        const counts = (await queue?.getJobCounts('waiting', 'delayed', 'active')) ?? {};
        return Object.values(counts).every((count) => count === 0);
      },
      { timeoutMs: 30_000, description: 'unit-sync queue idle' },
    );
  }, 180_000);
});
