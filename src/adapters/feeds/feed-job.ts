import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { Logger } from '../../logging';
import { type EmitBookings, type FeedPollResult, pollFeed } from './poll';
import type { FeedSource } from './source';
import { createFeedStateStore } from './state';

/** The queue feed polls run on, its job name, payload and options, together (STYLE: jobs). */
export const FEEDS_QUEUE = 'feeds';
export const FEED_POLL_JOB = 'poll';
/** Job scheduler ids are `feed:<source>`: stable, so N replicas upserting them never double-fire. */
export const FEED_SCHEDULER_PREFIX = 'feed:';

export const feedPollPayloadSchema = z.object({ source: z.string().min(1).max(64) });
export type FeedPollPayload = z.infer<typeof feedPollPayloadSchema>;

export const feedPollJobOptions = {
  // Redis or the hand-over failing is worth a few quick retries; the next slot comes anyway.
  attempts: 3,
  backoff: { type: 'exponential' as const, delay: 10_000 },
  removeOnComplete: { count: 1_000, age: 24 * 3600 },
  removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
};

export interface FeedPollProcessorDeps {
  /** The configured feeds (from `resolveFeedSources(config)`). */
  readonly sources: readonly FeedSource[];
  /** Connection for the feeds' state (`<prefix>:feed:<source>:…`). */
  readonly redis: Redis;
  readonly prefix: string;
  /** Hands BookingEvents over, e.g. `(events) => enqueueBookings(bookingsQueue, events)`. */
  readonly emit: EmitBookings;
  readonly logger: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** An undici dispatcher for every fetch (proxies, tests). */
  readonly dispatcher?: Dispatcher;
}

/**
 * The processor of the `feeds` queue: one job = one poll of the source it names. Fetch and parse
 * trouble is recorded in the feed's state and reported, not thrown (the next slot tries again);
 * Redis or hand-over failures throw so BullMQ retries the job.
 */
export function createFeedPollProcessor(deps: FeedPollProcessorDeps): (job: Job) => Promise<FeedPollResult> {
  const byName = new Map(deps.sources.map((source) => [source.name, source]));
  const state = createFeedStateStore(deps.redis, deps.prefix);
  return async (job: Job) => {
    const payload = feedPollPayloadSchema.safeParse(job.data);
    if (!payload.success) throw new UnrecoverableError('feed poll job without a valid { source }');
    const source = byName.get(payload.data.source);
    const logger = deps.logger.child({ jobId: job.id, queue: FEEDS_QUEUE, source: payload.data.source });
    if (!source) {
      logger.warn('feed poll for a source that is not configured (any more); ignored');
      return {
        source: payload.data.source,
        outcome: 'skipped',
        emitted: 0,
        cancelled: 0,
        held: 0,
        rejected: 0,
        reason: 'not configured',
      };
    }
    return pollFeed(source, {
      state,
      emit: deps.emit,
      logger,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    });
  };
}

/**
 * One BullMQ job scheduler per feed (`feed:<source>`, cron = the source's `schedule`), upserted
 * idempotently; schedulers of feeds no longer configured are removed. Safe to call from every
 * process at start.
 */
export async function registerFeedSchedulers(
  queue: Queue,
  sources: readonly FeedSource[],
): Promise<{ registered: string[]; removed: string[] }> {
  const wanted = new Set(sources.map((source) => `${FEED_SCHEDULER_PREFIX}${source.name}`));
  for (const source of sources) {
    await queue.upsertJobScheduler(
      `${FEED_SCHEDULER_PREFIX}${source.name}`,
      { pattern: source.schedule },
      {
        name: FEED_POLL_JOB,
        data: { source: source.name } satisfies FeedPollPayload,
        opts: feedPollJobOptions,
      },
    );
  }
  const removed: string[] = [];
  const existing = await queue.getJobSchedulers(0, -1);
  for (const scheduler of existing) {
    const id = scheduler.key ?? scheduler.id;
    if (id?.startsWith(FEED_SCHEDULER_PREFIX) && !wanted.has(id)) {
      await queue.removeJobScheduler(id);
      removed.push(id);
    }
  }
  return { registered: [...wanted], removed };
}
