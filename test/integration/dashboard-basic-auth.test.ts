import { Writable } from 'node:stream';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { request } from 'undici';
import { ConfigError, parseConfig } from '../../src/config';
import {
  createHttpServer,
  type DashboardRoutesDeps,
  dashboardRoutes,
  type HttpServer,
  parseBasic,
  readDashboardCredentials,
} from '../../src/http';
import { BOOKINGS_QUEUE, createBookingsQueue, RECONCILE_QUEUE, UNIT_SYNC_QUEUE } from '../../src/jobs';
import { createLogger } from '../../src/logging';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

const CREDENTIALS = { user: 'ops', password: 'dashboard-password-1234' };

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
const RIGHT = basic(CREDENTIALS.user, CREDENTIALS.password);

describe('bull-board dashboard behind HTTP Basic auth', () => {
  const redis = testRedis();
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  let prefix: string;
  let bookings: Queue;
  let unitSync: Queue;
  let reconcile: Queue;
  let server: HttpServer | undefined;
  let url: string;

  async function start(overrides: Partial<DashboardRoutesDeps> = {}): Promise<void> {
    const config = parseConfig({ redis: { prefix }, http: { port: 0 } }, {});
    server = createHttpServer({
      config,
      bookingsQueue: bookings,
      logger,
      readiness: () => ({ redis: true, flexykey: true, shuttingDown: false }),
      routes: [
        dashboardRoutes({
          queues: [bookings, unitSync, reconcile],
          credentials: CREDENTIALS,
          logger: logger.child({ component: 'dashboard' }),
          ...overrides,
        }),
      ],
    });
    url = (await server.listen()).url;
  }

  async function call(method: string, path: string, headers: Record<string, string> = {}) {
    const response = await request(`${url}${path}`, { method: method as 'GET', headers });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text };
  }

  /** A bookings job that failed for good, as the dead-letter place holds them. */
  async function failedJob(): Promise<string> {
    const job = await bookings.add('booking', { source: 'pms', externalId: 'R-1' });
    const worker = new Worker(
      BOOKINGS_QUEUE,
      async () => {
        throw new UnrecoverableError('invalid BookingEvent: resource: is required');
      },
      { connection: redis, prefix, autorun: true },
    );
    await waitFor(async () => (await bookings.getJobState(job.id as string)) === 'failed');
    await worker.close();
    return job.id as string;
  }

  beforeEach(() => {
    prefix = uniquePrefix('dashboard');
    bookings = createBookingsQueue(redis, prefix);
    unitSync = new Queue(UNIT_SYNC_QUEUE, { connection: redis, prefix });
    reconcile = new Queue(RECONCILE_QUEUE, { connection: redis, prefix });
    lines.length = 0;
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await Promise.all([bookings.close(), unitSync.close(), reconcile.close()]);
    const all = lines.join('');
    expect(all).not.toContain(CREDENTIALS.password);
    expect(all).not.toContain(RIGHT.slice('Basic '.length));
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.quit());

  it('answers 401 with a Basic challenge without credentials, with wrong ones or a malformed header', async () => {
    await start();
    const attempts: Record<string, string>[] = [
      {},
      { authorization: basic(CREDENTIALS.user, 'wrong-password-1234') },
      { authorization: basic('someone', CREDENTIALS.password) },
      { authorization: basic(CREDENTIALS.user, `${CREDENTIALS.password}x`) },
      { authorization: basic('', '') },
      { authorization: `Bearer ${CREDENTIALS.password}` },
      { authorization: 'Basic not base64!' },
      { authorization: `Basic ${Buffer.from(CREDENTIALS.password).toString('base64')}` },
    ];
    for (const headers of attempts) {
      for (const path of ['/dashboard', '/dashboard/api/queues']) {
        const answer = await call('GET', path, headers);
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe('Basic realm="flexysync dashboard", charset="UTF-8"');
        expect(JSON.parse(answer.text)).toMatchObject({ statusCode: 401, code: 'unauthorized' });
        expect(answer.text).not.toContain('bookings');
      }
    }
  });

  it('serves the board, its assets and its API with the right credentials', async () => {
    await start();
    const page = await call('GET', '/dashboard', { authorization: RIGHT });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('flexysync');

    // Assets are relative to <base href="/dashboard/">.
    expect(page.text).toContain('<base href="/dashboard/"');
    const asset = /static\/js\/main\.[^"']+\.js/.exec(page.text)?.[0];
    expect(asset).toBeDefined();
    expect((await call('GET', `/dashboard/${asset}`)).status).toBe(401);
    const script = await call('GET', `/dashboard/${asset}`, { authorization: RIGHT });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);

    await failedJob();
    const api = await call('GET', '/dashboard/api/queues', { authorization: RIGHT });
    expect(api.status).toBe(200);
    const queues = (JSON.parse(api.text) as { queues: { name: string; counts: Record<string, number> }[] })
      .queues;
    expect(queues.map((queue) => queue.name).sort()).toEqual([
      BOOKINGS_QUEUE,
      RECONCILE_QUEUE,
      UNIT_SYNC_QUEUE,
    ]);
    expect(queues.find((queue) => queue.name === BOOKINGS_QUEUE)?.counts.failed).toBe(1);
  });

  it('an action (retry a failed job) needs the credentials and then works', async () => {
    await start();
    const jobId = await failedJob();
    const path = `/dashboard/api/queues/${BOOKINGS_QUEUE}/${jobId}/retry`;

    expect((await call('PUT', path)).status).toBe(401);
    expect(
      (await call('PUT', path, { authorization: basic(CREDENTIALS.user, 'nope-nope-nope') })).status,
    ).toBe(401);
    expect(await bookings.getJobState(jobId)).toBe('failed');

    const answer = await call('PUT', path, { authorization: RIGHT });
    expect(answer.status).toBe(204);
    expect(await bookings.getJobState(jobId)).toBe('waiting');
  });

  it('refuses actions a browser says come from another site, even with the credentials', async () => {
    await start();
    const jobId = await failedJob();
    const path = `/dashboard/api/queues/${BOOKINGS_QUEUE}/${jobId}/retry`;
    const crossSite: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
    ];
    for (const headers of crossSite) {
      const answer = await call('PUT', path, { authorization: RIGHT, ...headers });
      expect(answer.status).toBe(403);
    }
    expect(await bookings.getJobState(jobId)).toBe('failed');
    // Reading stays possible from anywhere with the credentials (a link from a chat, a bookmark).
    expect(
      (await call('GET', '/dashboard', { authorization: RIGHT, 'sec-fetch-site': 'cross-site' })).status,
    ).toBe(200);
    // The dashboard's own page, same origin:
    const host = new URL(url).host;
    const own = await call('PUT', path, { authorization: RIGHT, origin: `http://${host}` });
    expect(own.status).toBe(204);
  });

  it('read-only mode refuses actions in bull-board itself', async () => {
    await start({ readOnly: true });
    const jobId = await failedJob();
    const answer = await call('PUT', `/dashboard/api/queues/${BOOKINGS_QUEUE}/${jobId}/retry`, {
      authorization: RIGHT,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(await bookings.getJobState(jobId)).toBe('failed');
  });

  it('is served under the configured base path only', async () => {
    await start({ basePath: '/ops/queues' });
    expect((await call('GET', '/ops/queues', { authorization: RIGHT })).status).toBe(200);
    expect((await call('GET', '/ops/queues')).status).toBe(401);
    expect((await call('GET', '/dashboard', { authorization: RIGHT })).status).toBe(404);
    // The server's own routes are untouched by the dashboard's auth.
    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});

describe('readDashboardCredentials and parseBasic', () => {
  const readFile = (path: string) => {
    if (path === '/run/secrets/dash') return `${CREDENTIALS.password}\n`;
    throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  };
  const read = (env: Record<string, string>) => readDashboardCredentials({ env, readFile });
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      read(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    throw new Error('expected a ConfigError');
  };

  it('is undefined (dashboard disabled) without credentials', () => {
    expect(read({})).toBeUndefined();
    expect(read({ FLEXYSYNC_DASHBOARD_USER: '', FLEXYSYNC_DASHBOARD_PASSWORD: '' })).toBeUndefined();
  });

  it('reads the user and the password, or the password from a file', () => {
    expect(
      read({ FLEXYSYNC_DASHBOARD_USER: 'ops', FLEXYSYNC_DASHBOARD_PASSWORD: CREDENTIALS.password }),
    ).toEqual(CREDENTIALS);
    expect(
      read({ FLEXYSYNC_DASHBOARD_USER: 'ops', FLEXYSYNC_DASHBOARD_PASSWORD_FILE: '/run/secrets/dash' }),
    ).toEqual(CREDENTIALS);
  });

  it('refuses half-set, weak or unusable credentials, naming the variable and never the password', () => {
    const cases: Record<string, string>[] = [
      { FLEXYSYNC_DASHBOARD_USER: 'ops' },
      { FLEXYSYNC_DASHBOARD_PASSWORD: CREDENTIALS.password },
      { FLEXYSYNC_DASHBOARD_USER: 'ops', FLEXYSYNC_DASHBOARD_PASSWORD: 'short-pw' },
      { FLEXYSYNC_DASHBOARD_USER: 'o:ps', FLEXYSYNC_DASHBOARD_PASSWORD: CREDENTIALS.password },
      {
        FLEXYSYNC_DASHBOARD_USER: 'ops',
        FLEXYSYNC_DASHBOARD_PASSWORD: CREDENTIALS.password,
        FLEXYSYNC_DASHBOARD_PASSWORD_FILE: '/run/secrets/dash',
      },
      { FLEXYSYNC_DASHBOARD_USER: 'ops', FLEXYSYNC_DASHBOARD_PASSWORD_FILE: '/run/secrets/missing' },
    ];
    for (const env of cases) {
      const problems = problemsOf(env).join('\n');
      expect(problems).toMatch(/FLEXYSYNC_DASHBOARD_(USER|PASSWORD)/);
      expect(problems).not.toContain(CREDENTIALS.password);
      expect(problems).not.toContain('short-pw');
    }
  });

  it('parses RFC 7617 credentials (a password may hold colons)', () => {
    expect(parseBasic(basic('ops', 'a:b:c'))).toEqual({ user: 'ops', password: 'a:b:c' });
    expect(parseBasic(`basic ${Buffer.from('ops:pw').toString('base64')}`)).toEqual({
      user: 'ops',
      password: 'pw',
    });
    expect(parseBasic(undefined)).toBeUndefined();
    expect(parseBasic('Basic')).toBeUndefined();
    expect(parseBasic(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
  });
});
