import { createLogger } from '../../src/logging';
import { type RunningWorker, startWorker } from '../../src/worker';
import { ENGINE_USER, type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';

/**
 * close() promises to stay within closeTimeoutMs (below the ~10 s an orchestrator grants before
 * SIGKILL) as a whole: its stages share one deadline. A FlexyKey call that hangs (not abortable) keeps
 * both the in-flight job and the client's close busy; each stage then only gets the time left.
 */
describe('worker close with a FlexyKey call hanging', () => {
  let engine: Engine | undefined;
  let worker: RunningWorker | undefined;
  afterEach(async () => {
    await worker?.close();
    // What close() left going in the background (the client waiting out the hanging call) ends too.
    await worker?.services.close();
    await engine?.close();
    engine = undefined;
    worker = undefined;
  });

  it('returns within closeTimeoutMs, not once per stage', async () => {
    engine = await startEngine({
      seed: engineSeed(2, 2_000),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      simulator: { syncTimeoutMs: 60_000 },
      sync: { deadlineMs: 60_000 },
      startWorker: false,
      config: {
        flexykey: {
          username: ENGINE_USER.username,
          requestBudget: { maxRequests: 5_000, perSeconds: 1 },
          timeouts: { requestMs: 30_000 },
        },
      },
    });
    const { sim } = engine;
    // Two stages of 4 s each would take 8 s; one deadline keeps it to 4 s (2 s of slack for a slow machine).
    const closeTimeoutMs = 4_000;
    worker = await startWorker({
      config: engine.config,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      closeTimeoutMs,
    });
    await engine.enqueue([
      {
        source: 'pms',
        externalId: 'SHUT-1',
        resource: 'room',
        start: '2037-02-01T15:00:00+01:00',
        end: '2037-02-03T11:00:00+01:00',
        status: 'confirmed',
        guest: { name: 'Guest SHUT-1' },
      },
    ]);
    await waitFor(() => sim.simulator.unit(7001).sync.status.state === 'InProgress', {
      timeoutMs: 30_000,
      description: 'sync in progress',
    });
    // FlexyKey turns slow: the next Status poll hangs for 10 s, longer than the whole close may take.
    sim.simulator.setFaults([{ match: 'GET /v1/UnitSync/Status', latencyMs: 10_000, count: 1 }]);
    await waitFor(() => (sim.simulator.faults()[0]?.fired ?? 0) >= 1, {
      timeoutMs: 30_000,
      description: 'a poll hanging',
    });

    const started = Date.now();
    await worker.close();
    const tookMs = Date.now() - started;
    expect(tookMs).toBeLessThan(closeTimeoutMs + 2_000);
  }, 120_000);
});
