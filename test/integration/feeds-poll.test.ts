import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import {
  approveHeldCancellations,
  createFeedStateStore,
  type FeedSource,
  feedKeys,
  parseCalendar,
  pollFeed,
  readFeedBookings,
  readFeedStatus,
} from '../../src/adapters';
import { type BookingEvent, parseBookingEvent } from '../../src/domain';
import { createLogger } from '../../src/logging';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { type FeedServer, startFeedServer } from '../unit/adapters/feed-server';
import { fixture, testSource } from '../unit/adapters/helpers';

const TOKEN = 'TOKEN-SECRET-4711';
const QUERY_SECRET = 'QUERYSECRET0815';
const AIRBNB = fixture('airbnb-export.ics');
const EMPTY = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n';

/** The Airbnb export without the VEVENTs whose UID matches. */
function without(body: string, ...uids: string[]): string {
  return body.replace(/BEGIN:VEVENT[\s\S]*?END:VEVENT\r?\n/g, (block) =>
    uids.some((uid) => block.replace(/\r?\n[ \t]/g, '').includes(`UID:${uid}`)) ? '' : block,
  );
}

/** The Airbnb export with the VEVENT whose UID matches edited. */
function edited(body: string, uid: string, edit: (block: string) => string): string {
  return body.replace(/BEGIN:VEVENT[\s\S]*?END:VEVENT\r?\n/g, (block) =>
    block.replace(/\r?\n[ \t]/g, '').includes(`UID:${uid}`) ? edit(block) : block,
  );
}

/** Airbnb rewrites DTSTAMP on every export. */
const restamped = (body: string, stamp: string) => body.replace(/DTSTAMP:\d{8}T\d{6}Z/g, `DTSTAMP:${stamp}`);

const WINDOW = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2028-01-01T00:00:00Z') };
const FIRST_UID = '1418fb94e984-405f87fd6f7ed014c6ece8a82e8c6da3@airbnb.com'; // 2025-10-20 → 22
const LAST_UID = '1418fb94e984-758ba3dbe264ae4c1d453ea74f22b1dc@airbnb.com'; // 2025-11-21 → 23

describe('polling a feed (local HTTP server, real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let server: FeedServer;
  let source: FeedSource;
  let body: string;
  let status: number;
  let emitted: BookingEvent[][];
  let clock: Date;
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    }),
  });

  const poll = () =>
    pollFeed(source, {
      state: createFeedStateStore(redis, prefix),
      emit: async (events) => {
        emitted.push([...events]);
      },
      logger,
      now: () => clock,
    });
  const all = () => emitted.flat();
  const cancelled = () => all().filter((e) => e.status === 'cancelled');
  const feedStatus = async () => (await readFeedStatus(redis, prefix, { sources: ['feed'], now: clock }))[0];

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(async () => {
    prefix = uniquePrefix('feeds');
    body = AIRBNB;
    status = 200;
    emitted = [];
    clock = new Date('2025-10-19T12:00:00Z');
    server = await startFeedServer((req, res) => {
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (status === 200 && req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(status, { 'content-type': 'text/calendar; charset=utf-8', etag });
      res.end(body);
    });
    source = testSource({
      url: `${server.url}/calendar/ical/${TOKEN}.ics?s=${QUERY_SECRET}`,
      allowHttp: true,
    });
  });
  afterEach(async () => {
    await server.close();
    await deleteKeysWithPrefix(redis, prefix);
  });

  it('hands over 25 bookings, not the 3 blocks, as plain dates; the same feed again costs nothing', async () => {
    expect(await poll()).toMatchObject({ outcome: 'updated', emitted: 25 });
    expect(all().every((e) => e.status === 'confirmed' && /^\d{4}-\d{2}-\d{2}$/.test(e.start))).toBe(true);
    expect((await feedStatus())?.counts).toMatchObject({ events: 28, bookings: 25, blocks: 3, rejected: 0 });
    const desired = await readFeedBookings(redis, prefix, 'feed');
    expect(desired.confirmed.map((e) => e.externalId).sort()).toEqual(
      all()
        .map((e) => e.externalId)
        .sort(),
    );
    expect(desired.cancelled).toEqual([]);
    const parsedAt = (await feedStatus())?.lastParsedAt;

    // A new export: only DTSTAMP changed. Same normalised hash: nothing parsed, nothing sent.
    body = restamped(AIRBNB, '20251019T130000Z');
    clock = new Date('2025-10-19T12:10:00Z');
    expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });
    expect((await feedStatus())?.lastParsedAt).toBe(parsedAt);

    // The server answers 304 to our If-None-Match.
    clock = new Date('2025-10-19T12:20:00Z');
    expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });
    expect(server.requests.at(-1)?.headers['if-none-match']).toBeDefined();
    expect(all()).toHaveLength(25);
    expect(await feedStatus()).toMatchObject({
      lastOutcome: 'unchanged',
      lastSuccessAt: clock.toISOString(),
      consecutiveFailures: 0,
    });
  });

  it('a feed that loses every booking once and then gets them back revokes nothing', async () => {
    await poll();
    body = EMPTY;
    clock = new Date('2025-10-19T12:10:00Z');
    expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });
    expect(await feedStatus()).toMatchObject({ missing: 25 });
    body = restamped(AIRBNB, '20251019T122000Z');
    clock = new Date('2025-10-19T12:20:00Z');
    expect(await poll()).toMatchObject({ emitted: 0 });
    expect(cancelled()).toEqual([]);
    expect(await feedStatus()).toMatchObject({ missing: 0 });
  });

  it('a booking missing from 2 consecutive healthy fetches is cancelled, once (a 304 counts as one)', async () => {
    await poll();
    body = without(AIRBNB, LAST_UID);
    clock = new Date('2025-10-19T12:10:00Z');
    expect(await poll()).toMatchObject({ emitted: 0 });
    expect(cancelled()).toEqual([]);
    clock = new Date('2025-10-19T12:20:00Z');
    expect(await poll()).toMatchObject({ outcome: 'updated', emitted: 1, cancelled: 1 });
    expect(server.requests.at(-1)?.headers['if-none-match']).toBeDefined();
    expect(cancelled()).toEqual([
      {
        source: 'feed',
        externalId: LAST_UID,
        resource: 'flat',
        start: '2025-11-21',
        end: '2025-11-23',
        status: 'cancelled',
      },
    ]);
    clock = new Date('2025-10-19T12:30:00Z');
    await poll();
    expect(cancelled()).toHaveLength(1);
  });

  it('holds back a fetch that would cancel most bookings, reports it, and applies it once approved', async () => {
    await poll();
    body = EMPTY;
    for (const minute of [10, 20, 30]) {
      clock = new Date(`2025-10-19T12:${minute}:00Z`);
      await poll();
    }
    expect(cancelled()).toEqual([]);
    const held = await feedStatus();
    expect(held).toMatchObject({
      lastOutcome: 'held',
      held: [{ resource: 'flat', wouldCancel: 25, futureBookings: 25 }],
    });
    expect(logLines.join('')).toContain('cancellations held back');

    expect(await approveHeldCancellations(redis, prefix, 'feed')).toBe(true);
    clock = new Date('2025-10-19T12:40:00Z');
    expect(await poll()).toMatchObject({ outcome: 'updated', cancelled: 25 });
    expect(cancelled()).toHaveLength(25);
    const after = await feedStatus();
    expect(after?.held).toBeUndefined();
    expect(after?.approveHeld).toBeUndefined();
    expect(await approveHeldCancellations(redis, prefix, 'feed')).toBe(false);
  });

  it('bookings that have ended are never cancelled by leaving the feed', async () => {
    await poll();
    // Airbnb drops past stays. On 2025-11-25 everything up to the stay ending 11-23 is over.
    clock = new Date('2025-11-25T12:00:00Z');
    const parsed = parseCalendar(AIRBNB, { propertyZone: 'Europe/Stockholm', window: WINDOW });
    const ended = parsed.ok ? parsed.occurrences.filter((o) => o.end <= '2025-11-23').map((o) => o.uid) : [];
    expect(ended).toHaveLength(16); // 14 stays and 2 blocks
    body = without(AIRBNB, ...ended);
    for (const minute of ['00', '10', '20']) {
      clock = new Date(`2025-11-25T12:${minute}:00Z`);
      await poll();
    }
    expect(cancelled()).toEqual([]);
    const after = await feedStatus();
    expect(after?.held).toBeUndefined(); // not merely held back: not due at all
    expect(after?.missing).toBe(0);
    const snapshot = await redis.hkeys(feedKeys(prefix, 'feed').snapshot);
    expect(snapshot).not.toContain(FIRST_UID);
  });

  it.each([
    ['shortens', 'confirmed', (block: string) => block],
    [
      'cancels',
      'cancelled',
      (block: string) => block.replace('SUMMARY:Reserved', 'SUMMARY:Reserved\nSTATUS:CANCELLED'),
    ],
  ])(
    'a feed that %s a stay so that it has already ended hands it over once (its code must not last until the old check-out)',
    async (_title, status, change) => {
      await poll(); // the last stay: 2025-11-21 → 23
      clock = new Date('2025-11-21T18:00:00Z');
      expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });

      // The guest left on the 22nd; at 13:00 the host alters the stay to 21 → 22 (check-out 11:00
      // Stockholm, already past). Without a word the door would keep the code until the 23rd.
      emitted = [];
      clock = new Date('2025-11-22T12:00:00Z');
      body = edited(AIRBNB, LAST_UID, (block) =>
        change(block.replace('DTEND;VALUE=DATE:20251123', 'DTEND;VALUE=DATE:20251122')),
      );
      expect(await poll()).toMatchObject({ outcome: 'updated', emitted: 1 });
      const [event] = all();
      expect(event).toMatchObject({
        externalId: LAST_UID,
        resource: 'flat',
        start: '2025-11-21',
        end: '2025-11-22',
      });
      expect(event?.status).toBe(status);
      expect(parseBookingEvent(event)).toMatchObject({ ok: true });

      // Handed over once: the ended stay is forgotten; later polls, the feed read again in full
      // after reparseAfterMs included, send nothing.
      expect(await redis.hkeys(feedKeys(prefix, 'feed').snapshot)).not.toContain(LAST_UID);
      body = restamped(body, '20251122T121000Z');
      clock = new Date('2025-11-22T12:10:00Z');
      expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });
      clock = new Date('2025-11-22T18:30:00Z');
      expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });
      expect((await feedStatus())?.lastParsedAt).toBe(clock.toISOString());
      expect(all()).toHaveLength(1);
    },
  );

  it.each([
    [
      'HTTP 500',
      () => {
        status = 500;
      },
      'HTTP 500',
    ],
    [
      'an HTML login page with 200',
      () => {
        body = fixture('synthetic-html-error-page-200.ics');
      },
      'body does not start with BEGIN:VCALENDAR (not a calendar)',
    ],
    [
      'an empty body',
      () => {
        body = '';
      },
      'empty body (not a calendar)',
    ],
    [
      'a truncated body',
      () => {
        body = AIRBNB.slice(0, 4000);
      },
      'body does not end with END:VCALENDAR (truncated or not a calendar)',
    ],
  ])(
    '%s is a failed fetch: reported, the last good snapshot kept, nothing revoked',
    async (_title, breakIt, reason) => {
      await poll();
      const before = await redis.hgetall(feedKeys(prefix, 'feed').snapshot);
      const good = await feedStatus();
      breakIt();
      for (const minute of [10, 20, 30]) {
        clock = new Date(`2025-10-19T12:${minute}:00Z`);
        expect(await poll()).toMatchObject({ outcome: 'failed', emitted: 0, reason });
      }
      expect(await redis.hgetall(feedKeys(prefix, 'feed').snapshot)).toEqual(before);
      expect(await feedStatus()).toMatchObject({
        lastOutcome: 'failed',
        lastError: reason,
        lastErrorAt: clock.toISOString(),
        lastSuccessAt: good?.lastSuccessAt,
        consecutiveFailures: 3,
        secondsSinceSuccess: 30 * 60,
      });
      status = 200;
      body = AIRBNB;
      clock = new Date('2025-10-19T12:40:00Z');
      expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });
      expect(cancelled()).toEqual([]);
      expect(await feedStatus()).toMatchObject({ consecutiveFailures: 0, lastError: reason });
    },
  );

  it('a feed that does not answer in time is a failed fetch', async () => {
    source = testSource({
      url: `${server.url}/calendar/ical/${TOKEN}.ics`,
      allowHttp: true,
      fetch: { headersTimeoutMs: 200, totalTimeoutMs: 2_000 },
    });
    await poll();
    server.handler = () => {};
    clock = new Date('2025-10-19T12:10:00Z');
    expect(await poll()).toMatchObject({
      outcome: 'failed',
      reason: 'timeout waiting for the response headers',
    });
    expect(cancelled()).toEqual([]);
    expect(await feedStatus()).toMatchObject({ snapshotBookings: 25, consecutiveFailures: 1 });
  });

  it('a fetch that rejects most of its events is suspicious and not used', async () => {
    await poll();
    body = AIRBNB.replace(/DTSTART;VALUE=DATE:(\d{6})\d\d/g, 'DTSTART;VALUE=DATE:$131');
    clock = new Date('2025-10-19T12:10:00Z');
    const result = await poll();
    expect(result.outcome).toBe('suspicious');
    expect((await feedStatus())?.rejectedReasons?.length).toBeGreaterThan(0);
    clock = new Date('2025-10-19T12:20:00Z');
    await poll();
    expect(cancelled()).toEqual([]);
  });

  it('a rejected event keeps its booking (never read as a deletion)', async () => {
    await poll();
    // Break the last stay's DTSTART (an impossible date): it is rejected alone, the rest kept.
    const broken = AIRBNB.replace('DTSTART;VALUE=DATE:20251121', 'DTSTART;VALUE=DATE:20251131');
    for (const minute of [10, 20]) {
      // A calendar-level change each time, so each fetch is parsed in full.
      body = broken.replace('VERSION:2.0', `VERSION:2.0\r\nX-POLL:${minute}`);
      clock = new Date(`2025-10-19T12:${minute}:00Z`);
      expect(await poll()).toMatchObject({ rejected: 1, emitted: 0 });
    }
    clock = new Date('2025-10-19T12:30:00Z');
    expect(await poll()).toMatchObject({ outcome: 'unchanged' }); // 304: the rejected UID stays protected
    expect(cancelled()).toEqual([]);
    expect((await feedStatus())?.rejectedReasons).toEqual([
      `${LAST_UID}: 20251131 is not a real calendar date (day is out of range for month)`,
    ]);
  });

  it('a METHOD:CANCEL body cancels the UIDs it names, nothing else', async () => {
    body = fixture('synthetic-cancelled-status.ics');
    clock = new Date('2026-06-20T12:00:00Z');
    // Anna, 2 room occurrences, and the cancellations of Bertil and of the 07-13 room occurrence.
    expect(await poll()).toMatchObject({ emitted: 5, cancelled: 2 });
    body = fixture('synthetic-method-cancel.ics');
    for (const minute of [10, 20, 30]) {
      clock = new Date(`2026-06-20T12:${minute}:00Z`);
      await poll();
    }
    expect(
      cancelled()
        .map((e) => e.externalId)
        .sort(),
    ).toEqual([
      '040000008200E00074C5B7101A82E00800000000SYNTHETIC0000000000000000000000',
      'room-weekly-003@example.test#2026-07-13T07:00:00Z',
      'stay-cancelled-002@example.test',
    ]);
  });

  it('never writes the feed URL, its token or the Basic auth password to the logs', async () => {
    source = testSource(
      {
        url: `${server.url}/calendar/ical/${TOKEN}.ics?s=${QUERY_SECRET}`,
        allowHttp: true,
        auth: { username: 'feeduser', passwordEnv: 'FEED_PW' },
      },
      { FEED_PW: 'PASSWORD-9876' },
    );
    await poll();
    status = 500;
    clock = new Date('2025-10-19T12:10:00Z');
    await poll();
    status = 200;
    body = '<html>';
    clock = new Date('2025-10-19T12:20:00Z');
    await poll();
    await server.close();
    clock = new Date('2025-10-19T12:30:00Z');
    await poll(); // connection refused
    server = await startFeedServer();
    const text = logLines.join('');
    expect(text).toContain('feed fetch not used');
    expect(text).toContain(`http://127.0.0.1:${new URL(source.url).port}/…/…/…?…`);
    for (const secret of [
      TOKEN,
      QUERY_SECRET,
      'PASSWORD-9876',
      Buffer.from('feeduser:PASSWORD-9876').toString('base64'),
    ]) {
      expect(text).not.toContain(secret);
    }
    const stored = JSON.stringify(await redis.hgetall(feedKeys(prefix, 'feed').meta));
    expect(stored).not.toContain(TOKEN);
  });
});
