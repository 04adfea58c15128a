import { createUnitStore } from '../../src/store';
import { type Engine, engineSeed, startEngine, testBooking } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';

const booking = testBooking;

describe('sync engine under faults', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('an offline unit times out, is aborted, retried, reported unreachable, and synced once back; its neighbour is not held up', async () => {
    engine = await startEngine({
      resources: {
        duo: {
          timeZone: ZONE,
          units: [
            { unitId: 7001, action: 'R1' },
            { unitId: 7002, action: 'R1' },
          ],
        },
      },
    });
    const { sim } = engine;
    sim.simulator.updateUnit(7001, { online: false });
    await engine.enqueue([booking('OFF-1', 'duo')]);

    // The online neighbour gets its entry while 7001 is still failing.
    await waitFor(() => engine?.device(7002).length === 1, { description: 'entry on the online unit' });
    const failed = await engine.waitForState('pms/OFF-1', 'failed');
    expect(failed.units).toEqual([expect.objectContaining({ unitId: 7001, state: 'unreachable' })]);
    expect(failed.reason).toMatch(/unit 7001 unreachable after 2 attempts/);
    const state = await createUnitStore(engine.redis, engine.prefix).state(7001);
    expect(state.unreachable).toBe(true);
    expect(engine.device(7001)).toEqual([]);
    const history = sim.simulator.unit(7001).sync.history;
    expect(history.some((h) => h.state === 'TimedOut')).toBe(true);
    // Abort before pushing again: no push ever answered AlreadyRunning because packets were left pending.
    expect(sim.simulator.unit(7001).sync.pushesWhilePending).toBe(0);

    sim.simulator.updateUnit(7001, { online: true });
    const synced = await engine.waitForState('pms/OFF-1', 'synced', 20_000);
    expect(synced.units.map((u) => u.unitId).sort()).toEqual([7001, 7002]);
    expect(engine.device(7001)).toHaveLength(1);
    expect((await createUnitStore(engine.redis, engine.prefix).state(7001)).unreachable).toBe(false);
    expect(sim.simulator.unit(7001).sync.overlapViolations).toBe(0);
  });

  it('coalesces: 100 changes arriving during a slow sync reach the device with at most 3 pushes', async () => {
    engine = await startEngine({
      seed: engineSeed(2, 5),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      // The first sync lasts as long as the test needs: neither FlexyKey nor the worker gives up on it.
      simulator: { syncTimeoutMs: 60_000 },
      sync: { deadlineMs: 60_000 },
    });
    const { sim } = engine;
    const queue = engine.worker?.bookingsQueue;
    // A slow unit: it takes none of the first sync's packets until all 100 changes are applied, however
    // long applying them takes on a busy machine.
    sim.simulator.updateUnit(7001, { online: false });
    await engine.enqueue([booking('C-0', 'room')]);
    await waitFor(() => sim.simulator.unit(7001).sync.status.state === 'InProgress', {
      description: 'first sync in progress',
    });
    await engine.enqueue(Array.from({ length: 100 }, (_, i) => booking(`C-${i + 1}`, 'room')));
    await waitFor(async () => (await queue?.getCompletedCount()) === 101, {
      timeoutMs: 60_000,
      description: 'all 101 events applied',
    });
    // Nothing was pushed while the first sync ran.
    expect(sim.simulator.unit(7001).sync.history.length).toBe(1);
    expect(sim.simulator.unit(7001).sync.status.state).toBe('InProgress');
    sim.simulator.updateUnit(7001, { online: true });

    await waitFor(() => engine?.device(7001).length === 101, {
      timeoutMs: 30_000,
      description: '101 entries on the device',
    });
    await waitFor(async () => {
      const events = await engine?.outcomes();
      return (
        events && new Set(events.filter((e) => e.state === 'synced').map((e) => e.externalId)).size === 101
      );
    });
    const unit = sim.simulator.unit(7001);
    expect(unit.sync.history.length).toBeGreaterThanOrEqual(2);
    expect(unit.sync.history.length).toBeLessThanOrEqual(3);
    expect(unit.sync.overlapViolations).toBe(0);
    expect(unit.rows.every((row) => row.syncState === 'Synced')).toBe(true);
  });

  it('a sync that completes while a booking is still being applied does not announce that booking', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
    });
    const { sim, redis, prefix } = engine;
    // SLOW-1's create reaches the server 5 s late; meanwhile FAST-1 is applied and its sync runs with
    // SLOW-1 already marked as waiting for the unit (its write-ahead came first). FAST-1 usually takes
    // well under a second; the margin is for a busy machine.
    sim.simulator.setFaults([{ match: 'POST /v1/UnitIdEntries', latencyMs: 5_000, count: 1 }]);
    await engine.enqueue([booking('SLOW-1', 'room')]);
    await waitFor(async () => (await redis.exists(`${prefix}:booking:pms/SLOW-1`)) === 1, {
      description: 'SLOW-1 written ahead',
    });
    await engine.enqueue([booking('FAST-1', 'room')]);
    await engine.waitForState('pms/FAST-1', 'synced');
    // The scenario holds only if FAST-1's sync ran before SLOW-1's row existed on the server.
    expect(sim.simulator.unit(7001).rows).toHaveLength(1);
    // From now on nothing reaches the unit: SLOW-1's row cannot be on the device.
    sim.simulator.updateUnit(7001, { online: false });

    const statesOfSlow = async () =>
      (await engine?.outcomes())?.filter((e) => e.externalId === 'SLOW-1').map((e) => e.state) ?? [];
    await waitFor(async () => (await statesOfSlow()).includes('applied'), {
      timeoutMs: 20_000,
      description: 'SLOW-1 applied',
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await statesOfSlow()).not.toContain('synced');
    expect(engine.device(7001)).toHaveLength(1);

    sim.simulator.updateUnit(7001, { online: true });
    const synced = await engine.waitForState('pms/SLOW-1', 'synced', 20_000);
    expect(engine.device(7001).map((e) => e.codeTag)).toContain(synced.pin);
  });

  it('a booking a dead process left noted for announcement is announced by the sweep, though no sync comes', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
    });
    await engine.enqueue([booking('SWEEP-1', 'room')]);
    await engine.waitForState('pms/SWEEP-1', 'synced');
    const syncsBefore = engine.sim.simulator.callCount('POST /v1/UnitSync/PushChanges');
    // What a process killed between clearing a unit's marks and announcing leaves behind.
    await engine.redis.sadd(`${engine.prefix}:to-announce`, 'pms/SWEEP-1');

    await waitFor(
      async () =>
        (await engine?.outcomes())?.filter((e) => e.externalId === 'SWEEP-1' && e.state === 'synced')
          .length === 2,
      { timeoutMs: 10_000, description: 'the left-behind announcement published' },
    );
    expect(await engine.redis.sismember(`${engine.prefix}:to-announce`, 'pms/SWEEP-1')).toBe(0);
    expect(engine.sim.simulator.callCount('POST /v1/UnitSync/PushChanges')).toBe(syncsBefore);
  });

  it('a create whose answer was lost is adopted on retry: no duplicate entry, same PIN', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
    });
    engine.sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', dropRate: 1, dropPhase: 'after', count: 1 },
    ]);
    await engine.enqueue([
      booking('LOST-1', 'room', { guest: { name: 'Lost Answer', phone: '+46709998877' } }),
    ]);
    const synced = await engine.waitForState('pms/LOST-1', 'synced');
    const rows = engine.sim.simulator.unit(7001).rows;
    expect(rows.filter((row) => row.idNumber === '+46709998877')).toHaveLength(1);
    expect(engine.device(7001)).toHaveLength(1);
    expect(engine.device(7001)[0]?.codeTag).toBe(synced.pin);
    expect(engine.sim.simulator.callCount('POST /v1/UnitIdEntries')).toBe(2);
  });

  it('a hand-made entry holding the guest’s phone is never touched: the booking gets a synthetic idNumber', async () => {
    const handMade = {
      unitId: 7001,
      idNumber: '+46705550000',
      name: 'Caretaker',
      description: 'hand-made',
      action: 'R2',
      codeTag: '271828',
    };
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      seed: { ...engineSeed(4), idEntries: [handMade] },
    });
    await engine.enqueue([
      booking('PHONE-1', 'room', { guest: { name: 'Same Phone', phone: '+46705550000' } }),
    ]);
    const synced = await engine.waitForState('pms/PHONE-1', 'synced');
    const device = engine.device(7001);
    expect(device).toHaveLength(2);
    expect(device.find((e) => e.idNumber === '+46705550000')).toMatchObject({
      action: 'R2',
      codeTag: '271828',
    });
    const ours = device.find((e) => e.idNumber !== '+46705550000');
    expect(ours?.idNumber).toMatch(/^fs/);
    expect(ours?.codeTag).toBe(synced.pin);
    expect(synced.pin).not.toBe('271828');
  });

  it('a storm of 429s and 10% 5xx: every booking lands exactly once, within the budget', async () => {
    engine = await startEngine({
      seed: engineSeed(4, 5),
      resources: {
        a: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
        b: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R1' }] },
      },
      config: { flexykey: { username: 'engine', requestBudget: { maxRequests: 200, perSeconds: 1 } } },
    });
    engine.sim.simulator.setFaults([
      { match: '*', errorRate: 0.1, errorStatus: 503 },
      { match: 'GET /v1/UnitSync/Status', errorRate: 0.3, errorStatus: 429, retryAfterSeconds: 1 },
      { match: 'POST /v1/UnitIdEntries', errorRate: 0.2, errorStatus: 429, retryAfterSeconds: 1 },
    ]);
    const events = Array.from({ length: 40 }, (_, i) => booking(`S-${i}`, i % 2 === 0 ? 'a' : 'b'));
    await engine.enqueue(events);
    await waitFor(
      async () => {
        const outcomes = await engine?.outcomes();
        return (
          outcomes &&
          new Set(outcomes.filter((e) => e.state === 'synced').map((e) => e.externalId)).size === 40
        );
      },
      { timeoutMs: 60_000, description: '40 bookings synced through the storm' },
    );
    engine.sim.simulator.clearFaults();
    const rows = [...engine.sim.simulator.unit(7001).rows, ...engine.sim.simulator.unit(7002).rows];
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => `${r.unitId}/${r.idNumber}`)).size).toBe(40);
    expect(engine.device(7001)).toHaveLength(20);
    expect(engine.device(7002)).toHaveLength(20);
  }, 90_000);

  it('the unit lease vanishing mid-sync with nobody taking over: the job is handed back and the sync confirmed', async () => {
    engine = await startEngine({
      // Two packets of 1.5 s: the sync runs for ~3 s.
      seed: engineSeed(2, 1_500),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      simulator: { syncTimeoutMs: 60_000 },
      sync: { deadlineMs: 60_000 },
      // Lease TTL 3 s: the keep-alive extends it every second and finds it gone soon after.
      config: {
        queues: { bookings: { concurrency: 4 }, unitSync: { concurrency: 8 }, lockDurationMs: 3_000 },
      },
    });
    const { sim, redis, prefix } = engine;
    await engine.enqueue([booking('LEASE-1', 'room')]);
    await waitFor(() => sim.simulator.unit(7001).sync.status.state === 'InProgress', {
      timeoutMs: 30_000,
      description: 'sync in progress',
    });
    // Lost without anyone else taking it (as after an expiry during a long pause, or a Redis failover).
    expect(await redis.del(`${prefix}:lease:{unit:7001}`)).toBe(1);

    await engine.waitForState('pms/LEASE-1', 'synced', 60_000);
    expect(engine.device(7001)).toHaveLength(1);
    const queue = engine.worker?.unitSyncQueue;
    await waitFor(
      async () => {
        const counts = (await queue?.getJobCounts('waiting', 'delayed', 'active')) ?? {};
        return Object.values(counts).every((count) => count === 0);
      },
      { timeoutMs: 30_000, description: 'unit-sync queue idle' },
    );
    // The job that lost the lease did not end there: it ran again and confirmed the sync.
    const results = ((await queue?.getCompleted()) ?? []).map((job) => job.returnvalue?.result);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((result) => result !== 'completed' && result !== 'no-changes')).toEqual([]);
    expect(sim.simulator.unit(7001).sync.overlapViolations).toBe(0);
  }, 120_000);
});

describe('PIN uniqueness on a unit, checked against the claims in Redis', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('a random PIN that another booking on the unit already holds is drawn again', async () => {
    // Every booking's first draw is 482916; the second booking must not keep it.
    const draws = [482_916, 482_916, 604_173];
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      randomInt: (min, max) => {
        const next = draws.shift() ?? 731_905;
        return Math.min(Math.max(next, min), max - 1);
      },
    });
    await engine.enqueue([booking('PIN-1', 'room')]);
    const first = await engine.waitForState('pms/PIN-1', 'synced');
    await engine.enqueue([booking('PIN-2', 'room')]);
    const second = await engine.waitForState('pms/PIN-2', 'synced');
    expect(first.pin).toBe('482916');
    expect(second.pin).toBe('604173');
    expect(new Set(engine.device(7001).map((e) => e.codeTag)).size).toBe(2);
  });
});
