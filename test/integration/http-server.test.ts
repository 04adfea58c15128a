import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { request } from 'undici';
import { parseConfig } from '../../src/config';
import { bookingEventV1JsonSchema } from '../../src/domain';
import { createHttpServer, type HttpServer, type HttpServerDeps, type Readiness } from '../../src/http';
import { createBookingsQueue } from '../../src/jobs';
import { silentLogger } from '../../src/logging';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

const TOKEN = 'server-test-token-0123456789';

/** Whether a new connection to `port` is refused (the server stopped listening). */
function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** A kept-alive connection speaking raw HTTP/1.1, to send a request on it after close() began. */
async function openConnection(port: number) {
  let received = '';
  const socket = connect(port, '127.0.0.1');
  socket.on('data', (chunk) => {
    received += String(chunk);
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  return {
    send(method: string, path: string, body?: string) {
      const head = [`${method} ${path} HTTP/1.1`, 'Host: flexysync', `Authorization: Bearer ${TOKEN}`];
      if (body !== undefined) {
        head.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
      }
      socket.write(`${head.join('\r\n')}\r\n\r\n${body ?? ''}`);
    },
    closed,
    /** The answers received so far: status line, lower-cased headers, parsed JSON body. */
    answers() {
      return received
        .split(/(?=HTTP\/1\.1 )/)
        .filter(Boolean)
        .map((answer) => {
          const [head = '', body = ''] = answer.split('\r\n\r\n');
          const [statusLine = '', ...headerLines] = head.split('\r\n');
          const headers = Object.fromEntries(
            headerLines.map((line) => {
              const colon = line.indexOf(':');
              return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
            }),
          );
          return { status: Number(statusLine.split(' ')[1]), headers, json: JSON.parse(body) as unknown };
        });
    },
  };
}

async function get(
  url: string,
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const response = await request(url);
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: JSON.parse(text) };
}

describe('HTTP server: health, readiness, schema, lifecycle', () => {
  const redis = testRedis();
  let prefix: string;
  let queue: Queue;
  let server: HttpServer | undefined;
  let url: string;
  let state: Readiness;

  function create(overrides: Partial<HttpServerDeps> = {}, http: Record<string, unknown> = {}): HttpServer {
    const config = parseConfig({ redis: { prefix }, http: { port: 0, ...http } }, {});
    return createHttpServer({
      config,
      bookingsQueue: queue,
      logger: silentLogger,
      readiness: () => state,
      intakeToken: TOKEN,
      ...overrides,
    });
  }

  beforeEach(async () => {
    prefix = uniquePrefix('http-server');
    queue = createBookingsQueue(redis, prefix);
    state = { redis: true, flexykey: true, shuttingDown: false };
    server = create();
    url = (await server.listen()).url;
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.quit());

  describe('GET /healthz', () => {
    it('answers 200 while the process runs, whatever readiness says', async () => {
      state = { redis: false, flexykey: false, shuttingDown: false };
      const answer = await get(`${url}/healthz`);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ status: 'ok' });
      expect(answer.headers['cache-control']).toBe('no-store');
    });
  });

  describe('GET /readyz', () => {
    it('answers 200 when Redis is up, FlexyKey answered recently and no shutdown is under way', async () => {
      const answer = await get(`${url}/readyz`);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ ready: true, redis: true, flexykey: true, shuttingDown: false });
    });

    it.each([
      ['Redis is down', { redis: false, flexykey: true, shuttingDown: false }, ['redis']],
      [
        'FlexyKey has not answered recently',
        { redis: true, flexykey: false, shuttingDown: false },
        ['flexykey'],
      ],
      ['a shutdown is under way', { redis: true, flexykey: true, shuttingDown: true }, ['shuttingDown']],
      [
        'everything is wrong',
        { redis: false, flexykey: false, shuttingDown: true },
        ['redis', 'flexykey', 'shuttingDown'],
      ],
    ])('answers 503 naming the failing parts when %s', async (_title, readiness, failing) => {
      state = readiness;
      const answer = await get(`${url}/readyz`);
      expect(answer.status).toBe(503);
      expect(answer.json).toEqual({ ready: false, ...readiness, failing });
    });

    it('follows readiness as it changes, on every request', async () => {
      expect((await get(`${url}/readyz`)).status).toBe(200);
      state = { ...state, redis: false };
      expect((await get(`${url}/readyz`)).status).toBe(503);
      state = { ...state, redis: true };
      expect((await get(`${url}/readyz`)).status).toBe(200);
    });

    it('answers 503 when readiness() throws or takes too long, and accepts an async readiness()', async () => {
      await server?.close();
      let mode: 'throw' | 'hang' | 'async' = 'throw';
      server = create({
        readinessTimeoutMs: 200,
        readiness: () => {
          if (mode === 'throw') throw new Error('redis ping failed');
          if (mode === 'hang') return new Promise<Readiness>(() => {});
          return Promise.resolve({ redis: true, flexykey: true, shuttingDown: false });
        },
      });
      url = (await server.listen()).url;
      const thrown = await get(`${url}/readyz`);
      expect(thrown.status).toBe(503);
      expect(thrown.json.error).toBe('redis ping failed');
      mode = 'hang';
      const started = Date.now();
      const hung = await get(`${url}/readyz`);
      expect(hung.status).toBe(503);
      expect(hung.json.error).toMatch(/longer than 200 ms/);
      expect(Date.now() - started).toBeLessThan(5_000);
      mode = 'async';
      expect((await get(`${url}/readyz`)).status).toBe(200);
    });
  });

  describe('GET /v1/schemas/booking-event.v1.json', () => {
    it('serves the BookingEvent v1 JSON Schema, the same as the committed file, without auth', async () => {
      const response = await request(`${url}/v1/schemas/booking-event.v1.json`);
      const text = await response.body.text();
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/schema+json; charset=utf-8');
      expect(JSON.parse(text)).toEqual(bookingEventV1JsonSchema());
      const committed = readFileSync(join(__dirname, '..', '..', 'schemas', 'booking-event.v1.json'), 'utf8');
      expect(text).toBe(committed);
    });
  });

  describe('more routes', () => {
    it('registers routes given in deps.routes next to the built-in ones', async () => {
      await server?.close();
      server = create({
        routes: [
          (app) => {
            app.get('/metrics', async (_request, reply) => reply.type('text/plain').send('up 1\n'));
          },
        ],
      });
      url = (await server.listen()).url;
      const response = await request(`${url}/metrics`);
      expect(response.statusCode).toBe(200);
      expect(await response.body.text()).toBe('up 1\n');
      expect((await get(`${url}/healthz`)).status).toBe(200);
    });
  });

  describe('lifecycle', () => {
    it('listens on the configured host, reports its address, and stops on close()', async () => {
      expect(server?.address).toEqual({ host: '127.0.0.1', port: expect.any(Number), url });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await server?.close();
      expect(server?.address).toBeUndefined();
      await expect(request(`${url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
      await server?.close(); // idempotent
      await expect(server?.listen()).rejects.toThrow(/closed/);
    });

    it('listen() twice gives the same address', async () => {
      const again = await server?.listen();
      expect(again?.url).toBe(url);
    });

    it('lets a request in flight finish when closed', async () => {
      await server?.close();
      let release: (value: Readiness) => void = () => {};
      let entered: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      server = create({
        readiness: () => {
          entered();
          return new Promise<Readiness>((resolve) => {
            release = resolve;
          });
        },
      });
      url = (await server.listen()).url;
      const pending = get(`${url}/readyz`);
      await inside;
      const closed = server.close();
      release({ redis: true, flexykey: true, shuttingDown: false });
      expect((await pending).status).toBe(200);
      await closed;
    });

    it('answers requests arriving on an open connection during close in the documented shape, then closes it', async () => {
      await server?.close();
      // The first request of each connection is held (its readiness check), keeping both open while
      // close() begins; readiness itself never says shutting down: the closing server does.
      const held: (() => void)[] = [];
      let holding = true;
      server = create({
        config: parseConfig(
          {
            redis: { prefix },
            http: { port: 0 },
            resources: {
              'flat-3b': { timeZone: 'Europe/Stockholm', units: [{ unitId: 3023, action: 'R1' }] },
            },
          },
          {},
        ),
        readiness: async () => {
          if (holding) await new Promise<void>((resolve) => held.push(resolve));
          return { redis: true, flexykey: true, shuttingDown: false };
        },
      });
      const { port } = await server.listen();
      const intake = await openConnection(port);
      const probe = await openConnection(port);
      intake.send('GET', '/readyz');
      probe.send('GET', '/readyz');
      await waitFor(() => held.length === 2, { description: 'both first requests held' });

      const closing = server.close();
      await waitFor(() => refusesConnections(port), { description: 'the server closing' });
      const event = {
        source: 'pms',
        externalId: 'R-1',
        resource: 'flat-3b',
        start: '2037-05-01T15:00:00+02:00',
        end: '2037-05-03T11:00:00+02:00',
        status: 'confirmed',
      };
      intake.send('POST', '/v1/bookings', JSON.stringify(event));
      probe.send('GET', '/readyz');
      holding = false;
      for (const release of held) release();
      await Promise.all([intake.closed, probe.closed, closing]);

      const [first, duringClose] = intake.answers();
      expect(first?.status).toBe(200);
      expect(duringClose?.status).toBe(503);
      expect(duringClose?.json).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'unavailable',
        message: expect.stringContaining('shutting down'),
      });
      expect(duringClose?.headers['retry-after']).toBe('5');
      expect(duringClose?.headers.connection).toBe('close');
      expect(await queue.count()).toBe(0);

      const readyz = probe.answers();
      expect(readyz.map((answer) => answer.status)).toEqual([200, 503]);
      expect(readyz[1]?.json).toMatchObject({ ready: false, shuttingDown: true, failing: ['shuttingDown'] });
    });

    it('refuses a port that is already taken', async () => {
      const port = server?.address?.port as number;
      const second = create({}, { port });
      await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
      await second.close();
    });
  });
});
