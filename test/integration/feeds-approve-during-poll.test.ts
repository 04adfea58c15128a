import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import {
  approveHeldCancellations,
  createFeedStateStore,
  type FeedSource,
  type FetchFeedResult,
  feedKeys,
  pollFeed,
  readFeedStatus,
} from '../../src/adapters';
import type { BookingEvent } from '../../src/domain';
import { createLogger } from '../../src/logging';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { fixture, testSource } from '../unit/adapters/helpers';

const AIRBNB = fixture('airbnb-export.ics');
const EMPTY = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n';

describe('approving held cancellations while a poll runs (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let source: FeedSource;
  let body: string;
  let clock: Date;
  let emitted: BookingEvent[];
  /** Runs inside the poll, after it read the feed's state and before it commits. */
  let duringFetch: (() => Promise<unknown>) | undefined;
  const logger = createLogger({
    level: 'error',
    destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
  });

  const poll = (minute: number) => {
    clock = new Date(`2025-10-19T12:${String(minute).padStart(2, '0')}:00Z`);
    return pollFeed(source, {
      state: createFeedStateStore(redis, prefix),
      emit: async (events) => {
        emitted.push(...events);
      },
      logger,
      now: () => clock,
      fetch: async (): Promise<FetchFeedResult> => {
        await duringFetch?.();
        return { kind: 'ok', body, status: 200, bytes: body.length, redirects: 0 };
      },
    });
  };
  const feedStatus = async () => (await readFeedStatus(redis, prefix, { sources: ['feed'], now: clock }))[0];
  const cancelled = () => emitted.filter((e) => e.status === 'cancelled');

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('feeds-approve');
    source = testSource();
    emitted = [];
    duringFetch = undefined;
    body = AIRBNB;
    await poll(0);
    // Every booking gone at once, poll after poll: the blast-radius rule holds the cancellations back.
    body = EMPTY;
    for (const minute of [10, 20, 30]) await poll(minute);
    expect(await feedStatus()).toMatchObject({ lastOutcome: 'held', held: [{ wouldCancel: 25 }] });
    expect(cancelled()).toEqual([]);
  });
  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
  });

  it('an approval given during a poll that did not see it stays for the next poll', async () => {
    duringFetch = async () => expect(await approveHeldCancellations(redis, prefix, 'feed')).toBe(true);
    expect(await poll(40)).toMatchObject({ outcome: 'held', cancelled: 0 });
    duringFetch = undefined;
    expect(cancelled()).toEqual([]);
    expect((await feedStatus())?.approveHeld).toBe(true);

    expect(await poll(50)).toMatchObject({ outcome: 'updated', cancelled: 25 });
    expect(cancelled()).toHaveLength(25);
    const after = await feedStatus();
    expect(after?.held).toBeUndefined();
    expect(after?.approveHeld).toBeUndefined();
  });

  it('a poll clears the approval it applied, not a second one given while it ran', async () => {
    expect(await approveHeldCancellations(redis, prefix, 'feed')).toBe(true);
    duringFetch = () => approveHeldCancellations(redis, prefix, 'feed');
    expect(await poll(40)).toMatchObject({ outcome: 'updated', cancelled: 25 });
    duringFetch = undefined;
    expect((await feedStatus())?.approveHeld).toBe(true);
    // The next poll uses it up (nothing is held any more) and clears it.
    await poll(50);
    expect((await feedStatus())?.approveHeld).toBeUndefined();
    expect(cancelled()).toHaveLength(25);
  });

  it('reads and clears an approval stored by earlier versions (`approveHeld 1`)', async () => {
    const meta = feedKeys(prefix, 'feed').meta;
    await redis.hset(meta, 'approveHeld', '1');
    const status = await feedStatus();
    expect(status?.approveHeld).toBe(true);
    expect(status).not.toHaveProperty('approveHeldMark');
    expect(await poll(40)).toMatchObject({ outcome: 'updated', cancelled: 25 });
    expect(await redis.hget(meta, 'approveHeld')).toBeNull();
  });

  it('a new approval on top of a stored `1` counts up; a value that is not a count is no approval', async () => {
    const meta = feedKeys(prefix, 'feed').meta;
    await redis.hset(meta, 'approveHeld', '1');
    await approveHeldCancellations(redis, prefix, 'feed');
    expect(await redis.hget(meta, 'approveHeld')).toBe('2');
    await redis.hset(meta, 'approveHeld', 'yes');
    expect((await feedStatus())?.approveHeld).toBe(false);
    expect(await poll(40)).toMatchObject({ outcome: 'held', cancelled: 0 });
    await approveHeldCancellations(redis, prefix, 'feed');
    expect(await redis.hget(meta, 'approveHeld')).toBe('1');
  });
});
