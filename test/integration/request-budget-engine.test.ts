import { type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';
import { spawnWorker, stopWorker, type WorkerProcess, writeConfigFile } from '../helpers/worker-processes';

const ZONE = 'Europe/Stockholm';

describe('the FlexyKey request budget is shared by every worker process', () => {
  let engine: Engine;
  let workers: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await engine.close();
  });

  it('two processes together stay within the budget the server enforces (no 429 from it)', async () => {
    engine = await startEngine({
      seed: engineSeed(4, 5),
      resources: Object.fromEntries(
        [0, 1, 2, 3].map((i) => [`r${i}`, { timeZone: ZONE, units: [{ unitId: 7001 + i, action: 'R1' }] }]),
      ),
      startWorker: false,
      config: {
        // Our budget: 40 requests per second for the whole deployment; the server allows 60 per second.
        flexykey: { username: 'engine', requestBudget: { maxRequests: 40, perSeconds: 1 } },
      },
    });
    engine.sim.simulator.setBudget({ maxRequests: 60, windowMs: 1_000 });
    const configFile = writeConfigFile(engine.configInput);
    workers = [spawnWorker(configFile, engine.env), spawnWorker(configFile, engine.env)];
    const events = Array.from({ length: 120 }, (_, i) => ({
      source: 'pms',
      externalId: `BUD-${i}`,
      resource: `r${i % 4}`,
      start: '2037-04-01T15:00:00+02:00',
      end: '2037-04-03T11:00:00+02:00',
      status: 'confirmed',
    }));
    const started = Date.now();
    await engine.enqueue(events);
    await waitFor(
      async () => {
        const outcomes = await engine.outcomes();
        return new Set(outcomes.filter((e) => e.state === 'synced').map((e) => e.externalId)).size === 120;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: '120 bookings synced' },
    );
    const elapsedSeconds = (Date.now() - started) / 1000;
    const calls = engine.sim.simulator.calls().total;
    expect(engine.sim.simulator.budget().rejected).toBe(0);
    // At least 120 creates went through a 40/s budget (plus a burst of 40): it cannot have been faster.
    expect(calls).toBeGreaterThanOrEqual(120);
    expect(calls / elapsedSeconds).toBeLessThanOrEqual(40 * 1.5 + 40 / elapsedSeconds);
  }, 90_000);
});
