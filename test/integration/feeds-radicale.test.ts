import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createFeedStateStore, type FeedSource, pollFeed, readFeedStatus } from '../../src/adapters';
import type { BookingEvent } from '../../src/domain';
import { silentLogger } from '../../src/logging';
import { findFreePort } from '../../src/redis';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';
import { fixture, testSource } from '../unit/adapters/helpers';

function radicaleInstalled(): boolean {
  try {
    execFileSync('radicale', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A real CalDAV server nobody here wrote (Debian's `radicale`), started by the test with Basic auth:
 * the feed adapter reads a calendar collection from it as any CalDAV/iCal subscriber would.
 */
describe('a calendar collection on a real Radicale server', () => {
  let radicale: ChildProcess | undefined;
  let dir: string;
  let base: string;
  let redis: Redis;
  let prefix: string;
  const AUTH = `Basic ${Buffer.from('host:RADICALE-PW-31').toString('base64')}`;

  async function put(path: string, body: string): Promise<number> {
    const response = await fetch(`${base}${path}`, {
      method: 'PUT',
      headers: { authorization: AUTH, 'content-type': 'text/calendar; charset=utf-8' },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  beforeAll(async () => {
    if (!radicaleInstalled()) {
      throw new Error('radicale is not installed: apt-get install -y radicale (.ci/run installs it)');
    }
    dir = mkdtempSync(join(tmpdir(), 'fs-radicale-'));
    const port = await findFreePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'users'), 'host:RADICALE-PW-31\n');
    writeFileSync(
      join(dir, 'config'),
      [
        '[server]',
        `hosts = 127.0.0.1:${port}`,
        '[auth]',
        'type = htpasswd',
        `htpasswd_filename = ${join(dir, 'users')}`,
        'htpasswd_encryption = plain',
        '[storage]',
        `filesystem_folder = ${join(dir, 'collections')}`,
        '[rights]',
        'type = owner_only',
        '[logging]',
        'level = warning',
      ].join('\n'),
    );
    radicale = spawn('radicale', ['--config', join(dir, 'config')], { stdio: 'ignore' });
    await waitFor(
      async () => {
        const response = await fetch(`${base}/`).catch(() => undefined);
        return response !== undefined;
      },
      { timeoutMs: 20_000, description: 'radicale listening' },
    );
    redis = testRedis();
  }, 30_000);

  afterAll(async () => {
    radicale?.kill('SIGTERM');
    await redis?.quit();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    prefix = uniquePrefix('radicale');
  });
  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
  });

  it('reads the collection with Basic auth, 304s an unchanged one, and cancels after two absences', async () => {
    const airbnb = fixture('airbnb-export.ics');
    expect(await put('/host/stays/', airbnb)).toBe(201);
    const source: FeedSource = testSource(
      { url: `${base}/host/stays/`, allowHttp: true, auth: { username: 'host', passwordEnv: 'RADICALE_PW' } },
      { RADICALE_PW: 'RADICALE-PW-31' },
    );
    const emitted: BookingEvent[] = [];
    let clock = new Date('2025-10-19T12:00:00Z');
    const poll = () =>
      pollFeed(source, {
        state: createFeedStateStore(redis, prefix),
        emit: async (events) => {
          emitted.push(...events);
        },
        logger: silentLogger,
        now: () => clock,
      });

    expect(await poll()).toMatchObject({ outcome: 'updated', emitted: 25 });
    clock = new Date('2025-10-19T12:10:00Z');
    expect(await poll()).toMatchObject({ outcome: 'unchanged', emitted: 0 });

    // The host removes one stay (Radicale re-serialises the whole collection).
    const removed = '1418fb94e984-758ba3dbe264ae4c1d453ea74f22b1dc@airbnb.com';
    const without = airbnb.replace(/BEGIN:VEVENT[\s\S]*?END:VEVENT\r?\n/g, (block) =>
      block.includes(`UID:${removed}`) ? '' : block,
    );
    expect(await put('/host/stays/', without)).toBe(201);
    for (const minute of [20, 30]) {
      clock = new Date(`2025-10-19T12:${minute}:00Z`);
      await poll();
    }
    expect(emitted.filter((e) => e.status === 'cancelled').map((e) => e.externalId)).toEqual([removed]);
    expect(emitted).toHaveLength(26);

    // Wrong credentials: a failed fetch, nothing revoked.
    const wrong = testSource(
      { url: `${base}/host/stays/`, allowHttp: true, auth: { username: 'host', passwordEnv: 'RADICALE_PW' } },
      { RADICALE_PW: 'nope' },
    );
    const refused = await pollFeed(wrong, {
      state: createFeedStateStore(redis, prefix),
      emit: async () => {},
      logger: silentLogger,
      now: () => new Date('2025-10-19T12:40:00Z'),
    });
    expect(refused).toMatchObject({
      outcome: 'failed',
      reason: 'HTTP 401 (credentials refused, or the feed link was revoked)',
    });
    const [status] = await readFeedStatus(redis, prefix, { sources: ['feed'] });
    expect(status).toMatchObject({ snapshotBookings: 25, lastError: refused.reason });
  });
});
