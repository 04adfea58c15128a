import { createUnitStore } from '../../src/store';
import { type Engine, engineSeed, startEngine, testBooking } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

// Trouble of the FlexyKey API itself (429, 5xx, a lost answer) around a unit's sync is not a failure of
// the unit: a healthy sync is never aborted for it, no unit failure is counted, and the unit-sync job
// (one BullMQ attempt) never ends failed: it is delayed and runs again.
const ZONE = 'Europe/Stockholm';

const booking = (externalId: string) => testBooking(externalId);

describe('unit sync when the FlexyKey API is in trouble', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('a failing GET /UnitIdEntries while confirming a completed sync: the job is retried, the booking announced synced', async () => {
    engine = await startEngine({
      seed: engineSeed(2, 5),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      simulator: { syncTimeoutMs: 60_000 },
      sync: { deadlineMs: 60_000 },
    });
    const { sim } = engine;
    // The sync stays in progress until the fault is in place.
    sim.simulator.updateUnit(7001, { online: false });
    await engine.enqueue([booking('CONF-1')]);
    await engine.waitForState('pms/CONF-1', 'applied', 30_000);
    await waitFor(() => sim.simulator.unit(7001).sync.status.state === 'InProgress', {
      timeoutMs: 30_000,
      description: 'sync in progress',
    });
    // The next three listings (all of the transport's attempts of the confirmation's call) answer 503.
    sim.simulator.setFaults([{ match: 'GET /v1/UnitIdEntries', errorRate: 1, errorStatus: 503, count: 3 }]);
    sim.simulator.updateUnit(7001, { online: true });

    await engine.waitForState('pms/CONF-1', 'synced', 30_000);
    expect(sim.simulator.faults().every((f) => f.remaining === 0)).toBe(true);
    expect(engine.device(7001)).toHaveLength(1);
    const queue = engine.worker?.unitSyncQueue;
    // Nothing left to do for the unit, and no job failed on the way.
    await waitFor(
      async () => {
        const counts = (await queue?.getJobCounts('waiting', 'delayed', 'active')) ?? {};
        return Object.values(counts).every((count) => count === 0);
      },
      { timeoutMs: 30_000, description: 'unit-sync queue idle' },
    );
    expect((await queue?.getFailed())?.map((job) => job.failedReason)).toEqual([]);
  }, 120_000);

  it('a Status poll rate limited beyond the client’s cap: the running sync is neither aborted nor counted as a failure', async () => {
    engine = await startEngine({
      // Each packet takes 3 s to reach the unit: the sync is in progress for a while.
      seed: engineSeed(2, 3_000),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      simulator: { syncTimeoutMs: 60_000 },
      sync: { deadlineMs: 60_000 },
    });
    const { sim } = engine;
    await engine.enqueue([booking('RL-1')]);
    await waitFor(() => sim.simulator.unit(7001).sync.status.state === 'InProgress', {
      timeoutMs: 30_000,
      description: 'sync in progress',
    });
    // One Status poll answers 429 with Retry-After: 6 (above the transport's 5 s cap: it is thrown).
    sim.simulator.setFaults([
      { match: 'GET /v1/UnitSync/Status', errorRate: 1, errorStatus: 429, retryAfterSeconds: 6, count: 1 },
    ]);
    await waitFor(() => sim.simulator.faults().every((f) => f.remaining === 0), {
      timeoutMs: 30_000,
      description: 'the 429 was answered',
    });
    const units = createUnitStore(engine.redis, engine.prefix);
    // What the worker made of the attempt that met the 429.
    const state = await waitFor(
      async () => {
        const s = await units.state(7001);
        return s.lastResult ? s : undefined;
      },
      { timeoutMs: 60_000, description: 'the sync attempt ended' },
    );
    await engine.waitForState('pms/RL-1', 'synced', 60_000);
    expect({
      result: state.lastResult,
      failures: state.failures,
      history: sim.simulator.unit(7001).sync.history.map((h) => h.state),
    }).toEqual({ result: 'completed', failures: 0, history: ['Completed'] });
  }, 120_000);

  it('a PushChanges whose answer is lost after the sync started: that sync is not aborted, and the next run confirms it', async () => {
    engine = await startEngine({
      // Slow packets: the sync the lost push started is still in progress when the job runs again.
      seed: engineSeed(2, 1_500),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      simulator: { syncTimeoutMs: 60_000 },
      sync: { deadlineMs: 60_000 },
    });
    const { sim } = engine;
    sim.simulator.setFaults([
      { match: 'POST /v1/UnitSync/PushChanges', dropRate: 1, dropPhase: 'after', count: 1 },
    ]);
    await engine.enqueue([booking('PUSH-1')]);
    await engine.waitForState('pms/PUSH-1', 'synced', 60_000);
    expect(sim.simulator.faults().every((f) => f.remaining === 0)).toBe(true);
    const state = await createUnitStore(engine.redis, engine.prefix).state(7001);
    expect({
      failures: state.failures,
      unreachable: state.unreachable,
      // One sync, the one the lost push started, ran to its end (an Abort would show as Aborted).
      history: sim.simulator.unit(7001).sync.history.map((h) => h.state),
    }).toEqual({ failures: 0, unreachable: false, history: ['Completed'] });
    expect(engine.device(7001)).toHaveLength(1);
    expect((await engine.worker?.unitSyncQueue.getFailed())?.length).toBe(0);
  }, 120_000);
});
