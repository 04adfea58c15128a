import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createFeedPollProcessor,
  FEED_POLL_JOB,
  FEEDS_QUEUE,
  type FeedSource,
  readFeedStatus,
  registerFeedSchedulers,
} from '../../src/adapters';
import { BOOKING_JOB, createBookingsQueue, enqueueBookings } from '../../src/jobs';
import { silentLogger } from '../../src/logging';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';
import { type FeedServer, startFeedServer } from '../unit/adapters/feed-server';
import { fixture, testSource } from '../unit/adapters/helpers';

describe('the feeds queue: schedulers and the poll processor with BullMQ', () => {
  let redis: Redis;
  let prefix: string;
  let server: FeedServer;
  let source: FeedSource;
  const closers: (() => Promise<unknown>)[] = [];
  /** A connection of its own, closed after the test (BullMQ does not close connections it was given). */
  const connection = () => {
    const duplicate = redis.duplicate({ maxRetriesPerRequest: null });
    closers.unshift(() => duplicate.quit());
    return duplicate;
  };

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('feedjob');
    server = await startFeedServer((_req, res) => res.end(fixture('airbnb-export.ics')));
    source = testSource({ url: `${server.url}/cal.ics`, allowHttp: true, schedule: '*/5 * * * *' });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await server.close();
    await deleteKeysWithPrefix(redis, prefix);
  });

  it('registers one scheduler per feed, idempotently, and removes those of feeds no longer configured', async () => {
    const queue = new Queue(FEEDS_QUEUE, { connection: redis, prefix });
    closers.push(() => queue.close());
    const other = testSource({ url: 'https://other.example/x.ics' });
    const renamed: FeedSource = { ...other, name: 'old-feed' };
    await registerFeedSchedulers(queue, [source, renamed]);
    await registerFeedSchedulers(queue, [source, renamed]); // a second process starting: no duplicates
    let schedulers = await queue.getJobSchedulers(0, -1);
    expect(schedulers.map((s) => [s.key, s.pattern]).sort()).toEqual([
      ['feed:feed', '*/5 * * * *'],
      ['feed:old-feed', '*/10 * * * *'],
    ]);
    const result = await registerFeedSchedulers(queue, [source]);
    expect(result).toEqual({ registered: ['feed:feed'], removed: ['feed:old-feed'] });
    schedulers = await queue.getJobSchedulers(0, -1);
    expect(schedulers.map((s) => s.key)).toEqual(['feed:feed']);
    // The next run is waiting as a delayed job carrying the source name.
    const delayed = await queue.getDelayed();
    expect(delayed.map((job) => [job.name, job.data])).toEqual([[FEED_POLL_JOB, { source: 'feed' }]]);
  });

  it('a poll job hands the feed’s bookings to the bookings queue (never enqueued by the adapter itself)', async () => {
    const feeds = new Queue(FEEDS_QUEUE, { connection: redis, prefix });
    const bookings = createBookingsQueue(redis, prefix);
    const events = new QueueEvents(FEEDS_QUEUE, { connection: connection(), prefix });
    closers.push(
      () => feeds.close(),
      () => bookings.close(),
      () => events.close(),
    );
    const emitted: number[] = [];
    const processor = createFeedPollProcessor({
      sources: [source],
      redis,
      prefix,
      logger: silentLogger,
      now: () => new Date('2025-10-19T12:00:00Z'),
      emit: async (list) => {
        emitted.push(list.length);
        const result = await enqueueBookings(bookings, list);
        if (result.rejected.length > 0) throw new Error('rejected');
      },
    });
    const worker = new Worker(FEEDS_QUEUE, processor, { connection: connection(), prefix });
    closers.push(() => worker.close());
    await events.waitUntilReady();

    const job = await feeds.add(FEED_POLL_JOB, { source: 'feed' });
    const result = await job.waitUntilFinished(events, 15_000);
    expect(result).toMatchObject({ source: 'feed', outcome: 'updated', emitted: 25 });
    const waiting = await waitFor(async () => {
      const jobs = await bookings.getWaiting(0, 100);
      return jobs.length === 25 ? jobs : undefined;
    });
    expect(new Set(waiting.map((j) => j.name))).toEqual(new Set([BOOKING_JOB]));
    expect(waiting.map((j) => j.data.source)).toEqual(Array(25).fill('feed'));

    // Again: unchanged, nothing more enqueued.
    const again = await (await feeds.add(FEED_POLL_JOB, { source: 'feed' })).waitUntilFinished(
      events,
      15_000,
    );
    expect(again).toMatchObject({ outcome: 'unchanged', emitted: 0 });
    expect(await bookings.getWaitingCount()).toBe(25);
    expect(emitted).toEqual([25]);

    // A job for a source that is no longer configured is ignored, not failed.
    const stale = await (await feeds.add(FEED_POLL_JOB, { source: 'gone' })).waitUntilFinished(
      events,
      15_000,
    );
    expect(stale).toMatchObject({ outcome: 'skipped', reason: 'not configured' });
    expect((await readFeedStatus(redis, prefix)).map((s) => s.source)).toEqual(['feed']);
  });

  it('a failing hand-over fails the job (retried) and commits nothing', async () => {
    const feeds = new Queue(FEEDS_QUEUE, { connection: redis, prefix });
    const events = new QueueEvents(FEEDS_QUEUE, { connection: connection(), prefix });
    closers.push(
      () => feeds.close(),
      () => events.close(),
    );
    let fail = true;
    const processor = createFeedPollProcessor({
      sources: [source],
      redis,
      prefix,
      logger: silentLogger,
      now: () => new Date('2025-10-19T12:00:00Z'),
      emit: async () => {
        if (fail) throw new Error('bookings queue unavailable');
      },
    });
    const worker = new Worker(FEEDS_QUEUE, processor, { connection: connection(), prefix });
    closers.push(() => worker.close());
    await events.waitUntilReady();
    const job = await feeds.add(FEED_POLL_JOB, { source: 'feed' });
    await expect(job.waitUntilFinished(events, 15_000)).rejects.toThrow('bookings queue unavailable');
    const [status] = await readFeedStatus(redis, prefix, { sources: ['feed'] });
    expect(status?.snapshotBookings).toBe(0);
    expect(status?.lastSuccessAt).toBeUndefined();
    fail = false;
    const retry = await (await feeds.add(FEED_POLL_JOB, { source: 'feed' })).waitUntilFinished(
      events,
      15_000,
    );
    expect(retry).toMatchObject({ outcome: 'updated', emitted: 25 });
  });
});
