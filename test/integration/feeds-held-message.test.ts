import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { createFeedStateStore, type FeedSource, pollFeed } from '../../src/adapters';
import { createLogger } from '../../src/logging';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { type FeedServer, startFeedServer } from '../unit/adapters/feed-server';
import { fixture, testSource } from '../unit/adapters/helpers';

const EMPTY = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n';

describe('a feed whose cancellations are held back', () => {
  let redis: Redis;
  let prefix: string;
  let server: FeedServer;

  beforeAll(() => {
    redis = testRedis();
    prefix = uniquePrefix('feeds-held');
  });
  afterAll(async () => {
    await server?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('tells the operator the command that approves them (not an internal function)', async () => {
    let body = fixture('airbnb-export.ics');
    server = await startFeedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/calendar; charset=utf-8' });
      res.end(body);
    });
    const source: FeedSource = testSource({ url: `${server.url}/calendar.ics`, allowHttp: true });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    });
    let clock = new Date('2025-10-19T12:00:00Z');
    const poll = () =>
      pollFeed(source, {
        state: createFeedStateStore(redis, prefix),
        emit: async () => {},
        logger,
        now: () => clock,
      });

    await poll();
    // Every booking gone at once, poll after poll: the blast-radius rule holds the cancellations back.
    body = EMPTY;
    for (const minute of [10, 20, 30]) {
      clock = new Date(`2025-10-19T12:${minute}:00Z`);
      await poll();
    }
    const held = lines
      .map((line) => JSON.parse(line) as { msg: string })
      .filter((l) => /held back/.test(l.msg));
    expect(held.length).toBeGreaterThan(0);
    expect(held[0]?.msg).toContain(`approve with \`flexysync feeds approve ${source.name}\``);
    expect(held[0]?.msg).not.toContain('approveHeldCancellations');
  });
});
