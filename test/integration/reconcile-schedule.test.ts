import { Queue } from 'bullmq';
import { type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';
import { spawnWorker, stopWorker, type WorkerProcess, writeConfigFile } from '../helpers/worker-processes';

const EVERY_TWO_SECONDS = '*/2 * * * * *';

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
    workers = [];

    const slots = await slotsRun();
    expect(new Set(slots).size).toBe(slots.length);
    // Consecutive 2-second slots: none run twice, none skipped while processes were up.
    for (let i = 1; i < slots.length; i++)
      expect((slots[i] as number) - (slots[i - 1] as number)).toBe(2_000);
    const results = await queue.getCompleted();
    for (const job of results) expect(job.returnvalue).toMatchObject({ units: 1, drifts: 0 });

    // Nobody runs for a while: slots are missed. The next process to start catches up the latest one.
    const lastBefore = slots.at(-1) as number;
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    workers = [spawnWorker(configFile, engine.env)];
    const later = async () =>
      (await queue.getCompleted()).filter((job) => Number(String(job.id).slice(5)) > lastBefore);
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
  }, 60_000);
});
