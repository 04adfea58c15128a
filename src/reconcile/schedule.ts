import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import cron, { type ScheduledTask } from 'node-cron';
import { RECONCILE_JOB } from '../jobs';
import type { Logger } from '../logging';

export interface ReconcileScheduleOptions {
  /** Cron expression (5 fields, or 6 with seconds). */
  schedule: string;
  timeZone: string;
  redis: Redis;
  prefix: string;
  queue: Queue;
  logger: Logger;
  /** How far back a missed slot is caught up at start. @default 8 days */
  catchUpWindowMs?: number;
}

const lastSlotKey = (prefix: string) => `${prefix}:reconcile:last-slot`;
const electionKey = (prefix: string, slot: number) => `${prefix}:reconcile:slot:${slot}`;

/** How late a slot may still be triggered (node-cron never runs one past the next slot). */
const LATE_SLOT_TOLERANCE_MS = 10 * 60_000;

/** Records that the run of `slot` finished, so a restart does not catch it up again. */
export async function recordReconcileSlot(redis: Redis, prefix: string, slot: string): Promise<void> {
  const at = Date.parse(slot);
  const current = Number(await redis.get(lastSlotKey(prefix)));
  if (!Number.isFinite(current) || current < at) await redis.set(lastSlotKey(prefix), String(at));
}

/** The reconcile job of one slot: its id makes a second add of the same slot a no-op in BullMQ. */
export async function enqueueReconcileSlot(
  queue: Queue,
  slot: Date,
  trigger: 'schedule' | 'catch-up' = 'schedule',
): Promise<void> {
  await queue.add(
    RECONCILE_JOB,
    { slot: slot.toISOString(), trigger },
    {
      jobId: `slot-${slot.getTime()}`,
      attempts: 5,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: { count: 500 },
      removeOnFail: { count: 500 },
    },
  );
}

/**
 * Triggers reconciliation on a cron schedule (node-cron). With many processes on the same schedule each
 * slot runs once in the whole deployment: a process is elected per slot with a Redis `SET NX` (the run
 * coordinator), and the work is a BullMQ job whose id is the slot (durable, retried, never twice). A slot
 * missed while every process was down is caught up when one starts.
 */
export async function startReconcileSchedule(
  options: ReconcileScheduleOptions,
): Promise<{ stop(): Promise<void> }> {
  const { redis, prefix, queue, logger } = options;
  const trigger = async (slot: Date, why: 'schedule' | 'catch-up') => {
    const elected = await redis.set(electionKey(prefix, slot.getTime()), '1', 'PX', 24 * 3_600_000, 'NX');
    if (elected !== 'OK') return;
    logger.info({ slot: slot.toISOString(), why }, 'reconcile slot');
    await enqueueReconcileSlot(queue, slot, why);
  };

  const task = cron.schedule(
    options.schedule,
    async (context) => {
      const slot = new Date(context.date);
      slot.setMilliseconds(0);
      await trigger(slot, 'schedule').catch((error: unknown) =>
        logger.error({ err: (error as Error).message }, 'could not trigger reconcile'),
      );
    },
    {
      timezone: options.timeZone,
      name: `${prefix}-reconcile`,
      noOverlap: true,
      // node-cron skips a slot whose timer fires more than this late (1 s by default): a process busy
      // for a moment at the slot would skip the hour's reconcile. A late slot runs (never past the next).
      missedExecutionTolerance: LATE_SLOT_TOLERANCE_MS,
    },
  );
  // Said in our own log (node-cron would print to the console instead).
  task.on('execution:missed', (context) => {
    logger.warn(
      { slot: context.date.toISOString() },
      'reconcile slot missed: this process was too busy to trigger it in time (another may have)',
    );
  });

  const missed = previousSlot(task, Date.now(), options.catchUpWindowMs ?? 8 * 24 * 3_600_000);
  if (missed) {
    const last = Number(await redis.get(lastSlotKey(prefix)));
    if (!Number.isFinite(last) || last < missed.getTime()) await trigger(missed, 'catch-up');
  }
  return {
    async stop() {
      await task.destroy();
    },
  };
}

/** The latest slot of the task at or before `now` (scanning back minute by minute, then second by second). */
function previousSlot(task: ScheduledTask, now: number, windowMs: number): Date | undefined {
  const hasSeconds = task.getPattern().trim().split(/\s+/).length === 6;
  const step = hasSeconds ? 1_000 : 60_000;
  const limit = hasSeconds ? Math.min(windowMs, 24 * 3_600_000) : windowMs;
  for (let at = Math.floor(now / step) * step; at >= now - limit; at -= step) {
    const candidate = new Date(at);
    if (task.match(candidate)) return candidate;
  }
  return undefined;
}
