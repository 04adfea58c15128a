import { Queue } from 'bullmq';
import { createLogger } from '../../src/logging';
import { startReconcileSchedule } from '../../src/reconcile/schedule';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

/** Blocks the event loop, as a long synchronous piece of work (or a starved machine) would. */
function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe('reconcile schedule: a process busy at a slot still triggers it late', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('late-slot');
  const queue = new Queue('reconcile', { connection: redis, prefix });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('a slot whose timer fires 2.5 s late (node-cron skips it from 1 s by default) is still enqueued', async () => {
    const schedule = await startReconcileSchedule({
      schedule: '*/10 * * * * *',
      timeZone: 'UTC',
      redis,
      prefix,
      queue,
      logger: createLogger({ level: 'silent' }),
      catchUpWindowMs: 1,
    });
    try {
      // Busy from 0.5 s before the next slot until 2.5 s after it.
      const nextSlot = Math.ceil((Date.now() + 1_000) / 10_000) * 10_000;
      await new Promise((resolve) => setTimeout(resolve, nextSlot - 500 - Date.now()));
      busyFor(nextSlot + 2_500 - Date.now());
      const job = await waitFor(() => queue.getJob(`slot-${nextSlot}`), {
        timeoutMs: 5_000,
        description: `the slot ${new Date(nextSlot).toISOString()} enqueued`,
      });
      expect(job.data).toEqual({ slot: new Date(nextSlot).toISOString(), trigger: 'schedule' });
    } finally {
      await schedule.stop();
    }
  }, 30_000);
});
