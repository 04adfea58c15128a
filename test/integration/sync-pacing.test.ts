import { type Engine, startEngine } from '../helpers/engine';

const ZONE = 'Europe/Stockholm';
/**
 * Long next to what a push takes (well under a second even on a busy machine), so that "at once" and
 * "after the interval" cannot be mistaken for each other, and the three later bookings are surely
 * applied before the unit may be pushed again.
 */
const MIN_PUSH_INTERVAL_MS = 4_000;

const booking = (externalId: string) => ({
  source: 'pms',
  externalId,
  resource: 'room',
  start: '2037-03-01T15:00:00+01:00',
  end: '2037-03-04T11:00:00+01:00',
  status: 'confirmed',
  guest: { name: `Guest ${externalId}` },
});

describe('sync pacing (sync.minPushIntervalMs)', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('pushes an idle unit at once, and a unit pushed a moment ago only after the interval, with every change made meanwhile', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      sync: { minPushIntervalMs: MIN_PUSH_INTERVAL_MS },
    });
    const enqueuedFirst = Date.now();
    await engine.enqueue([booking('P-1')]);
    await engine.waitForState('pms/P-1', 'synced');
    const firstPush = Date.parse(engine.sim.simulator.unit(7001).sync.history[0]?.startedIso ?? '');
    // Idle unit: no waiting for the interval.
    expect(firstPush - enqueuedFirst).toBeLessThan(MIN_PUSH_INTERVAL_MS);

    await engine.enqueue([booking('P-2'), booking('P-3'), booking('P-4')]);
    for (const key of ['pms/P-2', 'pms/P-3', 'pms/P-4']) await engine.waitForState(key, 'synced', 15_000);

    const { history } = engine.sim.simulator.unit(7001).sync;
    expect(history.map((run) => run.rowsApplied)).toEqual([1, 3]);
    const secondPush = Date.parse(history[1]?.startedIso ?? '');
    expect(secondPush - firstPush).toBeGreaterThanOrEqual(MIN_PUSH_INTERVAL_MS);
    expect(engine.device(7001)).toHaveLength(4);
  });
});
