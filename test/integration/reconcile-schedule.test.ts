import { Queue } from 'bullmq';
import { type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';
import { spawnWorker, stopWorker, type WorkerProcess, writeConfigFile } from '../helpers/worker-processes';

const EVERY_TWO_SECONDS = '*/2 * * * * *';

/**
 * Slots a worker logged as missed: node-cron runs no slot whose timer fires when the next slot is
 * already due (an event loop stalled on a starved machine), and the worker logs each one it skipped.
 */
function slotsReportedMissed(output: string): Set<number> {
  return new Set(
    [...output.matchAll(/"slot":"([^"]+)"[^\n]*"msg":"reconcile slot missed/g)].map((m) =>
      Date.parse(m[1] as string),
    ),
  );
}

describe('reconcile schedule across processes', () => {
  let engine: Engine;
  let workers: WorkerProcess[] = [];
  let queue: Queue;

  beforeEach(async () => {
    engine = await startEngine({
      seed: engineSeed(2),
      resources: { room: { timeZone: 'Europe/Stockholm', units: [{ unitId: 7001, action: 'R1' }] } },
      startWorker: false,
    });
    queue = new Queue('reconcile', { connection: engine.redis, prefix: engine.prefix });
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    workers = [];
    await queue.close();
    await engine.close();
  });

  const slotsRun = async () =>
    (await queue.getCompleted())
      .map((job) => Number(String(job.id).replace('slot-', '')))
      .sort((a, b) => a - b);

  it('3 processes on the same cron schedule run each slot exactly once; a missed slot is caught up at start', async () => {
    const configFile = writeConfigFile({
      ...engine.configInput,
      reconcile: { enabled: true, schedule: EVERY_TWO_SECONDS, timeZone: 'UTC' },
    });
    workers = Array.from({ length: 3 }, () => spawnWorker(configFile, engine.env));
    await waitFor(async () => (await slotsRun()).length >= 4, {
      timeoutMs: 30_000,
      description: '4 reconcile slots',
    });
    await Promise.all(workers.map((w) => stopWorker(w)));
    const stoppedAt = Date.now();
    const missedByCron = new Set(workers.flatMap((w) => [...slotsReportedMissed(w.output())]));
    workers = [];

    const slots = await slotsRun();
    expect(new Set(slots).size).toBe(slots.length);
    // Consecutive 2-second slots: none run twice, none skipped while processes were up — unless
    // node-cron itself reported the slot missed (a process too starved to notice it in time).
    for (let i = 1; i < slots.length; i++) {
      const gap = (slots[i] as number) - (slots[i - 1] as number);
      expect(gap % 2_000).toBe(0);
      for (let slot = (slots[i - 1] as number) + 2_000; slot < (slots[i] as number); slot += 2_000)
        expect({ skipped: new Date(slot), reportedMissed: missedByCron.has(slot) }).toEqual({
          skipped: new Date(slot),
          reportedMissed: true,
        });
    }
    const results = await queue.getCompleted();
    for (const job of results) expect(job.returnvalue).toMatchObject({ units: 1, drifts: 0 });

    // Nobody runs for a while: slots are missed. The next process to start catches up the latest one.
    // Only slots whose time came after every process had exited count as missed: a process stopping
    // may still have enqueued a slot it was triggering when the signal came (the next worker runs it).
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    workers = [spawnWorker(configFile, engine.env)];
    const later = async () =>
      (await queue.getCompleted()).filter((job) => Number(String(job.id).slice(5)) > stoppedAt);
    await waitFor(async () => (await later()).length >= 2, {
      timeoutMs: 20_000,
      description: 'runs after the restart',
    });
    const jobs = (await later()).sort(
      (a, b) => Number(String(a.id).slice(5)) - Number(String(b.id).slice(5)),
    );
    expect(jobs[0]?.data.trigger).toBe('catch-up');
    expect(jobs.slice(1).every((job) => job.data.trigger === 'schedule')).toBe(true);
    expect(slots.every((slot) => !jobs.some((job) => Number(String(job.id).slice(5)) === slot))).toBe(true);
  }, 90_000);
});
