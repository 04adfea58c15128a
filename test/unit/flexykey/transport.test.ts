import { Writable } from 'node:stream';
import { Agent } from 'undici';
import {
  type AfterResponseInfo,
  createFlexyKeyClient,
  type FlexyKeyClient,
  type FlexyKeyClientOptions,
  FlexyKeyConnectionError,
  FlexyKeyError,
  FlexyKeyInvalidResponseError,
  FlexyKeyRateLimitError,
  FlexyKeyTimeoutError,
} from '../../../src/flexykey';
import { createLogger } from '../../../src/logging';
import { closedPort, entryRow, json, startTestServer, type TestServer } from './helpers/test-server';

const USERNAME = 'api-user';
const PASSWORD = 'Pa55-w0rd-very-secret';
const AUTH = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;

let server: TestServer;
let clients: FlexyKeyClient[];
let sleeps: number[];
let after: AfterResponseInfo[];
let before: string[];

function client(overrides: Partial<FlexyKeyClientOptions> = {}): FlexyKeyClient {
  const created = createFlexyKeyClient({
    baseUrl: server.baseUrl,
    username: USERNAME,
    password: PASSWORD,
    timeouts: { connectMs: 1000, headersMs: 2000, bodyMs: 2000 },
    retry: {
      maxAttempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 5000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    hooks: {
      beforeRequest: async ({ method, route }) => {
        before.push(`${method}|${route}`);
      },
      afterResponse: (info) => {
        after.push(info);
      },
    },
    ...overrides,
  });
  clients.push(created);
  return created;
}

async function caught(promise: Promise<unknown>): Promise<FlexyKeyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FlexyKeyError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const newEntry = {
  unitId: 3023,
  idNumber: '+46701234567',
  name: 'Anna',
  action: 'R1' as const,
  codeTag: '482913',
  validFromIso: '2026-04-22T14:00:00+02:00',
  validToIso: '2026-04-25T10:00:00Z',
};

beforeEach(async () => {
  server = await startTestServer();
  clients = [];
  sleeps = [];
  after = [];
  before = [];
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
});

describe('requests on the wire', () => {
  it('sends Basic auth, JSON, the base path and the query', async () => {
    server.setHandler((_, res) => json(res, 200, { total: 0, limit: 10, offset: 20, items: [] }));
    const page = await client().unitIdEntries.list({ unitId: 3023, search: 'FS-', limit: 10, offset: 20 });
    expect(page).toEqual({ total: 0, limit: 10, offset: 20, items: [] });
    const [request] = server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/v1/UnitIdEntries?unitId=3023&search=FS-&limit=10&offset=20');
    expect(request?.headers.authorization).toBe(AUTH);
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['user-agent']).toMatch(/^flexysync/);
  });

  it('sends the validated body as JSON and fills path parameters', async () => {
    server.setHandler((req, res) =>
      json(res, 200, { ...JSON.parse(req.body), id: 77, syncState: 'Changed' }),
    );
    const updated = await client().unitIdEntries.update(77, newEntry);
    expect(updated).toMatchObject({ id: 77, idNumber: '+46701234567', syncState: 'Changed' });
    const [request] = server.requests;
    expect(request?.method).toBe('PUT');
    expect(request?.url).toBe('/v1/UnitIdEntries/77');
    expect(request?.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(request?.body ?? '')).toEqual(newEntry);
  });

  it('tolerates a base URL without trailing slash', async () => {
    server.setHandler((_, res) => json(res, 200, []));
    await client({ baseUrl: server.baseUrl.replace(/\/$/, '') }).units.list();
    expect(server.requests[0]?.url).toBe('/v1/Units');
  });

  it('tells a created webhook (201) from an updated one (200), and reads 204 deletes', async () => {
    const row = {
      unitId: 3023,
      event: 'control.statusChanged',
      callbackUrl: 'https://x.test/h',
      isActive: 1,
    };
    server.setHandler((req, res, index) => {
      if (req.method === 'DELETE') {
        res.writeHead(204);
        res.end();
      } else json(res, index === 0 ? 201 : 200, row);
    });
    const c = client();
    const input = { unitId: 3023, event: 'control.statusChanged', callbackUrl: 'https://x.test/h' };
    expect(await c.webhooks.put(input)).toMatchObject({ created: true, webhook: { isActive: true } });
    expect(await c.webhooks.put(input)).toMatchObject({ created: false });
    await expect(
      c.webhooks.delete({ unitId: 3023, event: 'control.statusChanged' }),
    ).resolves.toBeUndefined();
    expect(server.requests[2]?.url).toBe('/v1/Webhooks?unitId=3023&event=control.statusChanged');
  });

  it('creates a booking (201) and deletes it by its id (204)', async () => {
    server.setHandler((req, res) => {
      if (req.method === 'POST') json(res, 201, { bookingId: 981, ...JSON.parse(req.body) });
      else {
        res.writeHead(204);
        res.end();
      }
    });
    const c = client();
    const booking = await c.bookings.create({
      bookingObjectId: 7,
      startIso: '2026-05-01T15:00:00+02:00',
      endIso: '2026-05-03T11:00:00+02:00',
      externalRef: 'pms-1',
    });
    expect(booking.bookingId).toBe('981');
    await c.bookings.delete({ bookingId: booking.bookingId });
    expect(server.requests[1]).toMatchObject({ method: 'DELETE', url: '/v1/Bookings/981' });
  });

  it('sends DELETE of an entry with its unitId and accepts 204 as well as the row', async () => {
    server.setHandler((_, res, index) => {
      if (index === 0) json(res, 200, entryRow(5, { syncState: 'PendingDelete' }));
      else {
        res.writeHead(204);
        res.end();
      }
    });
    const c = client();
    expect(await c.unitIdEntries.delete({ id: 5, unitId: 3023 })).toMatchObject({
      syncState: 'PendingDelete',
    });
    expect(await c.unitIdEntries.delete({ id: 5, unitId: 3023 })).toBeUndefined();
    expect(server.requests[0]?.url).toBe('/v1/UnitIdEntries/5?unitId=3023');
  });
});

describe('retries', () => {
  it('retries a GET on 503 and succeeds, reporting every attempt to the hooks', async () => {
    server.setHandler((_, res, index) => {
      if (index < 2) json(res, 503, { status: 503, title: 'Service Unavailable' });
      else json(res, 200, [{ unitId: 3023 }]);
    });
    const units = await client().units.list();
    expect(units.map((u) => u.unitId)).toEqual([3023]);
    expect(server.requests).toHaveLength(3);
    expect(before).toEqual(['GET|GET /Units', 'GET|GET /Units', 'GET|GET /Units']);
    expect(after.map((a) => [a.attempt, a.status, a.route, a.error?.code])).toEqual([
      [1, 503, 'GET /Units', 'server_error'],
      [2, 503, 'GET /Units', 'server_error'],
      [3, 200, 'GET /Units', undefined],
    ]);
    expect(after.every((a) => a.elapsedMs >= 0)).toBe(true);
    expect(sleeps).toHaveLength(2);
  });

  it('gives up after maxAttempts with a retryable server error', async () => {
    server.setHandler((_, res) => json(res, 500, { title: 'Internal Server Error' }));
    const error = await caught(client().units.list());
    expect(error).toMatchObject({ code: 'server_error', statusCode: 500, retryable: true });
    expect(server.requests).toHaveLength(3);
  });

  it('honours Retry-After in seconds', async () => {
    server.setHandler((_, res, index) => {
      if (index === 0) json(res, 429, { title: 'Too Many Requests' }, { 'retry-after': '2' });
      else json(res, 200, []);
    });
    await client().units.list();
    expect(sleeps).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const atMs = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    const at = new Date(atMs).toUTCString();
    server.setHandler((_, res, index) => {
      if (index === 0) json(res, 503, {}, { 'retry-after': at });
      else json(res, 200, []);
    });
    const sentAt = Date.now();
    await client().units.list();
    const doneAt = Date.now();
    // The wait is until that moment, from whenever the answer was read (the sleep here returns at once).
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(atMs - doneAt);
    expect(sleeps[0]).toBeLessThanOrEqual(atMs - sentAt);
  });

  it('does not wait for a Retry-After above the cap: throws it to the caller', async () => {
    server.setHandler((_, res) => json(res, 429, {}, { 'retry-after': '120' }));
    const error = await caught(client().units.list());
    expect(error).toBeInstanceOf(FlexyKeyRateLimitError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 120_000 });
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('resends a non-idempotent POST after 429: the server did not process it', async () => {
    server.setHandler((req, res, index) => {
      if (index === 0) json(res, 429, {}, { 'retry-after': '0' });
      else json(res, 201, { ...JSON.parse(req.body), id: 9 });
    });
    const created = await client().unitIdEntries.create(newEntry);
    expect(created.id).toBe(9);
    expect(server.requests).toHaveLength(2);
  });

  it('never replays a POST create when the server drops the connection after reading the body', async () => {
    server.setHandler((_, res) => {
      res.socket?.destroy();
    });
    const error = await caught(client().unitIdEntries.create(newEntry));
    expect(error).toBeInstanceOf(FlexyKeyConnectionError);
    expect(error).toMatchObject({ code: 'connection_reset', requestSent: true, retryable: false });
    // Exactly one request reached the server: no blind replay.
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ idNumber: '+46701234567' });
    expect(after).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does replay an idempotent GET after the same connection drop', async () => {
    server.setHandler((_, res) => {
      res.socket?.destroy();
    });
    const error = await caught(client().units.list());
    expect(error).toMatchObject({ code: 'connection_reset', retryable: true });
    expect(server.requests).toHaveLength(3);
  });

  it('never replays PushChanges after a 503', async () => {
    server.setHandler((_, res) => json(res, 503, { title: 'Service Unavailable' }));
    const error = await caught(client().unitSync.pushChanges({ unitId: 3023 }));
    expect(error).toMatchObject({ code: 'server_error', statusCode: 503, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('does retry Abort (an idempotent POST) after a 503', async () => {
    server.setHandler((_, res, index) => {
      if (index === 0) json(res, 503, {});
      else json(res, 200, { unitId: 3023, status: 'Aborted', clearedPackets: 4 });
    });
    expect(await client().unitSync.abort({ unitId: 3023 })).toMatchObject({
      status: 'Aborted',
      clearedPackets: 4,
    });
    expect(server.requests).toHaveLength(2);
  });

  it('retries a POST create when the connection was refused (nothing was sent)', async () => {
    const port = await closedPort();
    const c = client({ baseUrl: `http://127.0.0.1:${port}/v1/` });
    const error = await caught(c.unitIdEntries.create(newEntry));
    expect(error).toBeInstanceOf(FlexyKeyConnectionError);
    expect(error).toMatchObject({ code: 'connection_refused', requestSent: false, retryable: true });
    expect(after.map((a) => [a.attempt, a.status, a.error?.code])).toEqual([
      [1, undefined, 'connection_refused'],
      [2, undefined, 'connection_refused'],
      [3, undefined, 'connection_refused'],
    ]);
  });

  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
  ])('does not retry %i', async (status, code) => {
    server.setHandler((_, res) => json(res, status, { status, title: 'No' }));
    const error = await caught(client().units.list());
    expect(error).toMatchObject({ code, statusCode: status, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('maps a 409 problem-details body on create to a conflict, not retried', async () => {
    server.setHandler((_, res) =>
      json(res, 409, { status: 409, title: 'Conflict', detail: 'Duplicate idNumber' }),
    );
    const error = await caught(client().unitIdEntries.create(newEntry));
    expect(error).toMatchObject({ code: 'conflict', detail: 'Duplicate idNumber', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('keeps the status of a non-JSON error body', async () => {
    server.setHandler((_, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    const error = await caught(client({ retry: { maxAttempts: 1 } }).units.list());
    expect(error).toMatchObject({
      code: 'server_error',
      statusCode: 502,
      detail: '<html>Bad Gateway</html>',
    });
  });
});

describe('timeouts', () => {
  it('turns a missing response into a headers timeout (and retries only as allowed)', async () => {
    server.setHandler(() => {
      // never answer
    });
    const c = client({
      timeouts: { headersMs: 100 },
      retry: { maxAttempts: 2, baseDelayMs: 1, sleep: async () => {} },
    });
    const error = await caught(c.units.list());
    expect(error).toBeInstanceOf(FlexyKeyTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', phase: 'headers', requestSent: true, retryable: true });
    expect(server.requests).toHaveLength(2);
  });

  it('a headers timeout on a non-idempotent POST is not replayed', async () => {
    server.setHandler(() => {});
    const c = client({ timeouts: { headersMs: 100 } });
    const error = await caught(c.unitSync.pushChanges({ unitId: 3023 }));
    expect(error).toMatchObject({ code: 'timeout', phase: 'headers', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('a body that stalls is a body timeout', async () => {
    server.setHandler((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
    });
    const c = client({ timeouts: { bodyMs: 100 }, retry: { maxAttempts: 1 } });
    const error = await caught(c.units.list());
    expect(error).toMatchObject({ code: 'timeout', phase: 'body' });
  });
});

describe('invalid responses', () => {
  it('names the path of the field we rely on and does not retry', async () => {
    server.setHandler((_, res) =>
      json(res, 200, {
        total: 2,
        limit: 100,
        offset: 0,
        items: [entryRow(1), { ...entryRow(2), id: undefined }],
      }),
    );
    const error = await caught(client().unitIdEntries.list({ unitId: 3023 }));
    expect(error).toBeInstanceOf(FlexyKeyInvalidResponseError);
    expect(error).toMatchObject({
      code: 'invalid_response',
      issuePath: 'items[1].id',
      statusCode: 200,
      retryable: false,
    });
    expect(error.message).toContain('items[1].id');
    expect(server.requests).toHaveLength(1);
  });

  it('a 2xx body that is not JSON is an invalid response', async () => {
    server.setHandler((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    const error = await caught(client().units.list());
    expect(error).toMatchObject({ code: 'invalid_response', issuePath: '(body)' });
  });
});

describe('paging', () => {
  it('iterates three pages of the envelope until total', async () => {
    const all = Array.from({ length: 250 }, (_, i) => entryRow(i + 1));
    server.setHandler((req, res) => {
      const url = new URL(req.url, 'http://x');
      const limit = Number(url.searchParams.get('limit'));
      const offset = Number(url.searchParams.get('offset'));
      json(res, 200, { total: all.length, limit, offset, items: all.slice(offset, offset + limit) });
    });
    const seen: number[] = [];
    for await (const entry of client().unitIdEntries.iterate({ unitId: 3023, pageSize: 100 }))
      seen.push(entry.id);
    expect(seen).toEqual(all.map((e) => e.id));
    expect(server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('offset'))).toEqual([
      '0',
      '100',
      '200',
    ]);
  });

  it('stops at the first short page of a bare array', async () => {
    const all = Array.from({ length: 5 }, (_, i) => entryRow(i + 1));
    server.setHandler((req, res) => {
      const url = new URL(req.url, 'http://x');
      const offset = Number(url.searchParams.get('offset'));
      json(res, 200, all.slice(offset, offset + 2));
    });
    const entries = await client().unitIdEntries.listAll({ unitId: 3023, pageSize: 2, search: 'FS' });
    expect(entries.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(server.requests).toHaveLength(3);
    expect(server.requests[0]?.url).toContain('search=FS');
  });

  it('follows a server that caps the page below the asked size', async () => {
    const all = Array.from({ length: 7 }, (_, i) => entryRow(i + 1));
    server.setHandler((req, res) => {
      const offset = Number(new URL(req.url, 'http://x').searchParams.get('offset'));
      json(res, 200, { total: 7, limit: 3, offset, items: all.slice(offset, offset + 3) });
    });
    const entries = await client().unitIdEntries.listAll({ unitId: 3023, pageSize: 100 });
    expect(entries).toHaveLength(7);
    expect(server.requests).toHaveLength(3);
  });
});

describe('logging', () => {
  it('writes one debug line per attempt without credentials, PINs or query strings', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    server.setHandler((req, res, index) => {
      if (index === 0) json(res, 201, { ...JSON.parse(req.body), id: 1 });
      else if (index === 1) json(res, 200, { total: 0, items: [] });
      else json(res, 401, { status: 401, title: 'Unauthorized' });
    });
    const c = client({ logger });
    await c.unitIdEntries.create(newEntry);
    await c.unitIdEntries.list({ unitId: 3023, search: '+46701234567' });
    await caught(c.units.list());

    const output = lines.join('');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(AUTH.slice('Basic '.length));
    expect(output).not.toMatch(/authorization/i);
    expect(output).not.toContain('482913');
    expect(output).not.toContain('46701234567');

    const calls = lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'flexykey call');
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => [c.method, c.path, c.status, c.attempt])).toEqual([
      ['POST', '/v1/UnitIdEntries', 201, 1],
      ['GET', '/v1/UnitIdEntries', 200, 1],
      ['GET', '/v1/Units', 401, 1],
    ]);
    expect(calls[2].code).toBe('unauthorized');
    for (const call of calls) expect(typeof call.elapsedMs).toBe('number');
  });
});

describe('hooks and lifecycle', () => {
  it('lets beforeRequest throttle or refuse calls', async () => {
    server.setHandler((_, res) => json(res, 200, []));
    const c = client({
      hooks: {
        beforeRequest: async () => {
          throw new Error('budget exhausted');
        },
      },
    });
    await expect(c.units.list()).rejects.toThrow('budget exhausted');
    expect(server.requests).toHaveLength(0);
  });

  it('ignores an afterResponse hook that throws', async () => {
    server.setHandler((_, res) => json(res, 200, []));
    const c = client({
      hooks: {
        afterResponse: () => {
          throw new Error('metrics down');
        },
      },
    });
    await expect(c.units.list()).resolves.toEqual([]);
  });

  it('close() closes its own pool but not an injected dispatcher', async () => {
    server.setHandler((_, res) => json(res, 200, []));
    const agent = new Agent();
    try {
      const injected = client({ dispatcher: agent });
      await injected.units.list();
      await injected.close();
      await expect(injected.units.list()).rejects.toThrow(/closed/);
      // The agent still works for its owner.
      const response = await agent.request({
        origin: new URL(server.baseUrl).origin,
        path: '/v1/Units',
        method: 'GET',
      });
      expect(response.statusCode).toBe(200);
      await response.body.text();
    } finally {
      await agent.close();
    }
  });
});
