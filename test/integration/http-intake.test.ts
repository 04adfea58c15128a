import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { parseConfig } from '../../src/config';
import { createHttpServer, type HttpServer, type HttpServerDeps, type Readiness } from '../../src/http';
import { BOOKING_JOB, createBookingsQueue } from '../../src/jobs';
import { createLogger } from '../../src/logging';
import { deleteKeysWithPrefix, testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';

const TOKEN = `itk-${randomBytes(16).toString('hex')}`;
/** Same length as TOKEN, last character different. */
const SAME_LENGTH_WRONG = `${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`;
const BODY_LIMIT = 8_192;
const MAX_EVENTS = 5;

function event(externalId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: 'pms',
    externalId,
    resource: 'flat-3b',
    start: '2037-05-01T15:00:00+02:00',
    end: '2037-05-03T11:00:00+02:00',
    status: 'confirmed',
    ...overrides,
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}

interface Send {
  method?: 'GET' | 'POST';
  path?: string;
  body?: string | undefined;
  contentType?: string | null;
  authorization?: string | null;
}

describe('HTTP intake: POST /v1/bookings', () => {
  const redis = testRedis();
  let prefix: string;
  let queue: Queue;
  let server: HttpServer | undefined;
  let url: string;
  let state: Readiness;
  const lines: string[] = [];

  async function start(overrides: Partial<HttpServerDeps> = {}, http: Record<string, unknown> = {}) {
    const config = parseConfig(
      {
        redis: { prefix },
        http: { port: 0, bodyLimitBytes: BODY_LIMIT, maxEventsPerRequest: MAX_EVENTS, ...http },
        resources: {
          'flat-3b': { timeZone: 'Europe/Stockholm', units: [{ unitId: 3023, action: 'R1' }] },
        },
      },
      {},
    );
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    server = createHttpServer({
      config,
      bookingsQueue: queue,
      logger: createLogger({ level: 'debug', destination }),
      readiness: () => state,
      intakeToken: TOKEN,
      ...overrides,
    });
    url = (await server.listen()).url;
  }

  async function send(payload: unknown, options: Send = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    const authorization = options.authorization === undefined ? `Bearer ${TOKEN}` : options.authorization;
    if (authorization !== null) headers.authorization = authorization;
    const body = 'body' in options ? options.body : JSON.stringify(payload);
    const response = await request(`${url}${options.path ?? '/v1/bookings'}`, {
      method: options.method ?? 'POST',
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.body.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.statusCode, headers: response.headers, text, json };
  }

  async function jobsInQueue(): Promise<number> {
    const counts = await queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'completed',
      'failed',
    );
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  beforeEach(async () => {
    prefix = uniquePrefix('http');
    queue = createBookingsQueue(redis, prefix);
    state = { redis: true, flexykey: true, shuttingDown: false };
    lines.length = 0;
    await start();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.quit());

  describe('accepted (202)', () => {
    it('enqueues one event as a job named booking whose data equals the event', async () => {
      const sent = event('R-1', { guest: { name: 'Ada Lovelace', phone: '+46701234567' }, revision: 3 });
      const answer = await send(sent);
      expect(answer.status).toBe(202);
      const accepted = answer.json.accepted as { index: number; key: string; jobId: string }[];
      expect(accepted).toEqual([{ index: 0, key: 'pms/R-1', jobId: expect.any(String) }]);
      const job = await queue.getJob(accepted[0]?.jobId as string);
      expect(job?.name).toBe(BOOKING_JOB);
      expect(job?.data).toEqual(sent);
      expect(await queue.getWaitingCount()).toBe(1);
    });

    it('enqueues an array, answering each index with its job; data is the validated event', async () => {
      const batch = [
        event('R-1'),
        event('R-2', { guest: { phone: '+46 70 123 45 67' }, ignoredField: 'x' }),
        event('R-3', { status: 'cancelled' }),
      ];
      const answer = await send(batch);
      expect(answer.status).toBe(202);
      const accepted = answer.json.accepted as { index: number; key: string; jobId: string }[];
      expect(accepted.map((a) => [a.index, a.key])).toEqual([
        [0, 'pms/R-1'],
        [1, 'pms/R-2'],
        [2, 'pms/R-3'],
      ]);
      expect(new Set(accepted.map((a) => a.jobId)).size).toBe(3);
      const second = await queue.getJob(accepted[1]?.jobId as string);
      // Phone normalised to E.164, unknown fields stripped: the same event the worker will validate.
      expect(second?.data).toEqual(event('R-2', { guest: { phone: '+46701234567' } }));
      expect(await queue.getWaitingCount()).toBe(3);
    });

    it('accepts an empty array as a no-op', async () => {
      const answer = await send([]);
      expect(answer.status).toBe(202);
      expect(answer.json).toEqual({ accepted: [] });
      expect(await jobsInQueue()).toBe(0);
    });

    it('takes the Bearer scheme in any case, and a content type with a charset', async () => {
      const answer = await send(event('R-1'), {
        authorization: `bearer ${TOKEN}`,
        contentType: 'application/json; charset=utf-8',
      });
      expect(answer.status).toBe(202);
      expect(await queue.getWaitingCount()).toBe(1);
    });
  });

  describe('invalid events (400, nothing enqueued)', () => {
    it('refuses the whole batch when one event is invalid, naming the field', async () => {
      const answer = await send([
        event('R-1'),
        event('R-2', { guest: { phone: '0701234567' } }),
        event('R-3'),
      ]);
      expect(answer.status).toBe(400);
      expect(answer.json.code).toBe('invalid_events');
      expect(answer.json.accepted).toEqual([]);
      expect(answer.json.rejected).toEqual([
        { index: 1, errors: [expect.stringMatching(/^guest\.phone: must be E\.164/)] },
      ]);
      expect(await jobsInQueue()).toBe(0);
    });

    it('lists every invalid event with every bad field', async () => {
      const answer = await send([
        event('R-1', { start: 'tomorrow' }),
        event('R-2'),
        { source: 'pms', externalId: 'R-3', resource: 'flat-3b', start: '2037-05-01', end: '2037-05-03' },
      ]);
      expect(answer.status).toBe(400);
      const rejected = answer.json.rejected as { index: number; errors: string[] }[];
      expect(rejected.map((r) => r.index)).toEqual([0, 2]);
      expect(rejected[0]?.errors).toEqual([expect.stringMatching(/^start: must be an ISO 8601/)]);
      expect(rejected[1]?.errors).toEqual(['status: is required']);
      expect(await jobsInQueue()).toBe(0);
    });

    it('refuses an event naming a resource the configuration does not have', async () => {
      const answer = await send(event('R-1', { resource: 'flat-9z' }));
      expect(answer.status).toBe(400);
      expect(answer.json.rejected).toEqual([
        { index: 0, errors: ["resource: 'flat-9z' is not a resource in the worker's configuration"] },
      ]);
      expect(await jobsInQueue()).toBe(0);
    });

    it('refuses a PIN sent as a number without echoing it', async () => {
      const answer = await send(event('R-1', { pin: 4821 }));
      expect(answer.status).toBe(400);
      expect((answer.json.rejected as { errors: string[] }[])[0]?.errors[0]).toMatch(
        /^pin: must be a string/,
      );
      expect(answer.text).not.toContain('4821');
    });

    it('treats a body that is not an object as one invalid event', async () => {
      const answer = await send('just a string');
      expect(answer.status).toBe(400);
      expect(answer.json.rejected).toEqual([
        { index: 0, errors: [expect.stringMatching(/must be an object \(a BookingEvent\), got a string/)] },
      ]);
    });
  });

  describe('authentication (401)', () => {
    it.each([
      ['no Authorization header', null, 'Bearer realm="flexysync"'],
      ['another scheme', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, 'Bearer realm="flexysync"'],
      ['Bearer with nothing after it', 'Bearer ', 'Bearer realm="flexysync"'],
      ['a wrong, shorter token', 'Bearer nope', 'Bearer realm="flexysync", error="invalid_token"'],
      [
        'a token of the right length with a wrong value',
        `Bearer ${SAME_LENGTH_WRONG}`,
        'Bearer realm="flexysync", error="invalid_token"',
      ],
      [
        'the token with extra characters',
        `Bearer ${TOKEN}x`,
        'Bearer realm="flexysync", error="invalid_token"',
      ],
    ])('%s → 401 with a Bearer challenge, nothing enqueued', async (_title, authorization, challenge) => {
      expect(SAME_LENGTH_WRONG).toHaveLength(TOKEN.length);
      expect(SAME_LENGTH_WRONG).not.toBe(TOKEN);
      const answer = await send(event('R-1'), { authorization });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(challenge);
      expect(answer.json.code).toBe('unauthorized');
      expect(await jobsInQueue()).toBe(0);
    });

    it('checks the token before reading the body (401, not 413 or 415)', async () => {
      const tooBig = await send(undefined, { authorization: null, body: 'x'.repeat(BODY_LIMIT * 2) });
      expect(tooBig.status).toBe(401);
      const wrongType = await send(undefined, {
        authorization: 'Bearer nope',
        contentType: 'text/plain',
        body: 'x',
      });
      expect(wrongType.status).toBe(401);
    });
  });

  describe('intake without a configured token', () => {
    it('is disabled (503 intake_disabled), never open, whatever the client sends', async () => {
      await server?.close();
      await start({ intakeToken: undefined });
      for (const authorization of [null, `Bearer ${TOKEN}`, 'Bearer ']) {
        const answer = await send(event('R-1'), { authorization });
        expect(answer.status).toBe(503);
        expect(answer.json.code).toBe('intake_disabled');
        expect(answer.json.message).toContain('FLEXYSYNC_INTAKE_TOKEN');
      }
      expect(await jobsInQueue()).toBe(0);
      // The rest of the server still works.
      expect((await send(undefined, { method: 'GET', path: '/healthz', body: undefined })).status).toBe(200);
      expect(lines.some((line) => line.includes('HTTP intake disabled'))).toBe(true);
    });
  });

  describe('request limits and formats', () => {
    it('answers 413 to a body over http.bodyLimitBytes, enqueuing nothing', async () => {
      const padded = (i: number) => event(`R-${i}`, { guest: { name: 'x'.repeat(190) } });
      // Few enough events for http.maxEventsPerRequest, too many bytes for http.bodyLimitBytes.
      const body = JSON.stringify(Array.from({ length: MAX_EVENTS }, (_, i) => padded(i))).padEnd(
        BODY_LIMIT + 1,
        ' ',
      );
      expect(Buffer.byteLength(body)).toBeGreaterThan(BODY_LIMIT);
      const answer = await send(undefined, { body });
      expect(answer.status).toBe(413);
      expect(answer.json.code).toBe('payload_too_large');
      expect(answer.json.message).toContain(String(BODY_LIMIT));
      expect(await jobsInQueue()).toBe(0);
      // One byte less and the same events are accepted.
      expect((await send(undefined, { body: body.slice(0, BODY_LIMIT) })).status).toBe(202);
    });

    it('answers 413 too_many_events above http.maxEventsPerRequest, enqueuing nothing', async () => {
      const batch = Array.from({ length: MAX_EVENTS + 1 }, (_, i) => event(`R-${i}`));
      const answer = await send(batch);
      expect(answer.status).toBe(413);
      expect(answer.json.code).toBe('too_many_events');
      expect(answer.json.message).toContain(`at most ${MAX_EVENTS}`);
      expect(await jobsInQueue()).toBe(0);
      expect((await send(batch.slice(0, MAX_EVENTS))).status).toBe(202);
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['form data', 'application/x-www-form-urlencoded'],
      ['a JSON-like type', 'application/jsonx'],
    ])('answers 415 to %s', async (_title, contentType) => {
      const answer = await send(event('R-1'), { contentType });
      expect(answer.status).toBe(415);
      expect(answer.json.code).toBe('unsupported_media_type');
      expect(await jobsInQueue()).toBe(0);
    });

    it('answers 415 to a body without a content type', async () => {
      const answer = await send(event('R-1'), { contentType: null });
      expect(answer.status).toBe(415);
    });

    it('answers 400 malformed_json without quoting the body', async () => {
      const answer = await send(undefined, { body: '{"source":"pms","pin":"583920" "x"}' });
      expect(answer.status).toBe(400);
      expect(answer.json.code).toBe('malformed_json');
      expect(answer.json.message).toMatch(/^the body is not valid JSON/);
      expect(answer.text).not.toContain('583920');
      expect(await jobsInQueue()).toBe(0);
    });

    it('answers 400 empty_body to an empty body', async () => {
      for (const options of [{ body: '' }, { body: '  \n' }, { body: undefined, contentType: null }]) {
        const answer = await send(undefined, options);
        expect(answer.status).toBe(400);
        expect(answer.json.code).toBe('empty_body');
      }
    });

    it('answers 405 with Allow to another method on the intake path, 404 elsewhere', async () => {
      const get = await send(undefined, { method: 'GET', body: undefined });
      expect(get.status).toBe(405);
      expect(get.headers.allow).toBe('POST');
      const missing = await send(event('R-1'), { path: '/v1/booking' });
      expect(missing.status).toBe(404);
      expect(missing.json.code).toBe('not_found');
    });
  });

  describe('when the bookings cannot be queued', () => {
    it.each([
      ['Redis is down', { redis: false, flexykey: true, shuttingDown: false }, /Redis is unreachable/],
      ['the worker is shutting down', { redis: true, flexykey: true, shuttingDown: true }, /shutting down/],
    ])(
      'answers 503 with Retry-After when %s, before touching the queue',
      async (_title, readiness, message) => {
        state = readiness;
        const answer = await send([event('R-1'), event('R-2')]);
        expect(answer.status).toBe(503);
        expect(answer.headers['retry-after']).toBe('5');
        expect(answer.json.message).toMatch(message);
        expect(await jobsInQueue()).toBe(0);
      },
    );

    it('answers 503 when the enqueue itself fails, and FlexyKey being down does not matter', async () => {
      state = { redis: true, flexykey: false, shuttingDown: false };
      // A queue whose Redis connection is lost, failing fast instead of queueing commands offline.
      const dead = new Redis(testRedisUrl(), {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      dead.on('error', () => {});
      const deadQueue = new Queue('bookings', { connection: dead, prefix });
      deadQueue.on('error', () => {});
      await deadQueue.waitUntilReady();
      dead.disconnect();
      await server?.close();
      await start({ bookingsQueue: deadQueue, enqueueTimeoutMs: 2_000 });
      try {
        const answer = await send(event('R-1'));
        expect(answer.status).toBe(503);
        expect(answer.json.code).toBe('unavailable');
        expect(answer.headers['retry-after']).toBe('5');
        expect(lines.some((line) => line.includes('http intake could not enqueue'))).toBe(true);
      } finally {
        // The connection is already down; closing the queue does not touch it (it was passed in).
        await deadQueue.close();
      }
      // With a working queue the same request goes through although FlexyKey is unreachable.
      await server?.close();
      await start();
      expect((await send(event('R-1'))).status).toBe(202);
    });
  });

  describe('logs', () => {
    it('carry one line per request at debug, and never the token or a PIN', async () => {
      const pins = ['583920', '7391046', '305174'];
      await send([event('R-1', { pin: pins[0] }), event('R-2', { pin: pins[1] })]);
      await send([event('R-3', { pin: pins[2] }), event('R-4', { pin: 12 })]);
      await send(event('R-5', { pin: pins[0] }), { authorization: `Bearer ${SAME_LENGTH_WRONG}` });
      await send(undefined, { body: `{"pin":"${pins[1]}",` });
      await send(event('R-6'), { path: `/v1/bookings?token=${TOKEN}` });
      const requestLines = lines.filter((line) => line.includes('"http request"'));
      expect(requestLines).toHaveLength(5);
      expect(requestLines.map((line) => JSON.parse(line).statusCode)).toEqual([202, 400, 401, 400, 202]);
      expect(lines.some((line) => line.includes('"bookings accepted over HTTP"'))).toBe(true);
      const all = lines.join('\n');
      expect(all).not.toContain(TOKEN);
      expect(all).not.toContain(SAME_LENGTH_WRONG);
      for (const pin of pins) expect(all).not.toMatch(new RegExp(`(?<![0-9])${pin}(?![0-9])`));
    });
  });
});
