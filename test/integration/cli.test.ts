import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BOOKING_JOB, BOOKINGS_QUEUE } from '../../src/jobs';
import { findFreePort } from '../../src/redis';
import { runCli } from '../helpers/cli';
import { type Engine, startEngine } from '../helpers/engine';
import { deleteKeysWithPrefix, testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { writeConfigFile } from '../helpers/worker-processes';

const ZONE = 'Europe/Stockholm';
const RESOURCES = { 'flat-1': { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } };

function event(externalId: string, overrides: Record<string, unknown> = {}) {
  return {
    source: 'pms',
    externalId,
    resource: 'flat-1',
    start: '2037-01-10T15:00:00+01:00',
    end: '2037-01-12T11:00:00+01:00',
    status: 'confirmed',
    guest: { name: `Guest ${externalId}`, phone: '+46 70 111 22 33' },
    ...overrides,
  };
}

function tempFile(name: string, content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'flexysync-cli-')), name);
  writeFileSync(file, content);
  return file;
}

describe('flexysync enqueue', () => {
  let redis: Redis;
  let prefix: string;
  let queue: Queue;
  let env: Record<string, string>;

  beforeEach(() => {
    redis = testRedis();
    prefix = uniquePrefix('cli');
    queue = new Queue(BOOKINGS_QUEUE, { connection: redis, prefix });
    env = {
      REDIS_URL: testRedisUrl(),
      FLEXYSYNC_CONFIG: writeConfigFile({ redis: { prefix }, resources: RESOURCES }),
    };
  });

  afterEach(async () => {
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  const queuedIds = async () =>
    (await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']))
      .map((job) => job.data.externalId as string)
      .sort();

  it('valid events: exit 0, one line per event, each in the queue under job name "booking"', async () => {
    const file = tempFile('ok.json', JSON.stringify([event('A-1'), event('A-2'), event('A-3')]));
    const result = await runCli(['enqueue', file], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('enqueued'));
    expect(lines).toHaveLength(3);
    for (const id of ['A-1', 'A-2', 'A-3']) expect(result.stdout).toContain(`pms/${id}`);
    expect(result.stdout).toContain('3 enqueued, 0 rejected');

    const jobs = await queue.getJobs(['waiting']);
    expect(jobs).toHaveLength(3);
    expect(jobs.every((job) => job.name === BOOKING_JOB)).toBe(true);
    const a1 = jobs.find((job) => job.data.externalId === 'A-1');
    // The queued data is the validated event (phone normalised to E.164), field names unchanged.
    expect(a1?.data).toEqual({ ...event('A-1'), guest: { name: 'Guest A-1', phone: '+46701112233' } });
    for (const line of lines) {
      const jobId = /job (\S+)$/.exec(line)?.[1];
      expect(jobs.map((job) => job.id)).toContain(jobId);
    }
  });

  it('a single object (not an array) is enqueued too', async () => {
    const file = tempFile('one.json', JSON.stringify(event('ONE-1')));
    const result = await runCli(['enqueue', file], { env });
    expect(result.code).toBe(0);
    expect(await queuedIds()).toEqual(['ONE-1']);
  });

  it('a mix with invalid events: exit 3, field-level reasons, and the valid ones ARE queued', async () => {
    const events = [
      event('M-0'),
      event('M-1', { guest: { phone: '0701234' } }),
      event('M-2'),
      event('M-3', { start: undefined, status: 'maybe' }),
      event('M-4', { pin: 1234 }),
    ];
    const file = tempFile('mix.json', JSON.stringify(events));
    const result = await runCli(['enqueue', file], { env });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('2 enqueued, 3 rejected');
    // Each rejection names the event's index and the field with the rule it broke.
    expect(result.stdout).toMatch(/rejected\s+#1\s*\n\s+guest\.phone: must be E\.164/);
    expect(result.stdout).toMatch(/rejected\s+#3\s*\n(\s+.*\n)*?\s+start: is required/);
    expect(result.stdout).toMatch(/status: must be 'confirmed' or 'cancelled'/);
    expect(result.stdout).toMatch(/rejected\s+#4\s*\n\s+pin: must be a string/);
    // Never echoes what was rejected (a PIN, a phone number).
    expect(result.stdout).not.toContain('0701234');
    expect(result.stdout).not.toMatch(/\b1234\b/);
    expect(await queuedIds()).toEqual(['M-0', 'M-2']);
  });

  it('only invalid events: exit 1 and nothing is queued', async () => {
    const file = tempFile('bad.json', JSON.stringify([event('B-1', { end: 'soon' }), { hello: 'world' }]));
    const result = await runCli(['enqueue', file], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/end: must be an ISO 8601 date-time/);
    expect(result.stdout).toMatch(/source: is required/);
    expect(result.stdout).toContain('0 enqueued, 2 rejected');
    expect(await queuedIds()).toEqual([]);
  });

  it('an empty array: exit 1, saying there was nothing to enqueue, as its --help says', async () => {
    const file = tempFile('empty.json', '[]');
    const result = await runCli(['enqueue', file], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no events in ${file}`);
    expect(result.stdout).toBe('');
    const piped = await runCli(['enqueue', '--json', '-'], { env, input: ' [ ] ' });
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain('no events in standard input');
    expect(await queuedIds()).toEqual([]);
    const help = await runCli(['enqueue', '--help']);
    expect(help.stdout).toMatch(/1 none enqueued \(an empty array included\)/);
  });

  it('malformed JSON or a missing file: exit 1 with a message naming the input', async () => {
    const malformed = tempFile('broken.json', '[{"source": "pms",');
    const broken = await runCli(['enqueue', malformed], { env });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`cannot read events from ${malformed}`);
    expect(broken.stderr).toMatch(/JSON/);

    const missing = path.join(tmpdir(), `flexysync-no-such-file-${prefix}.json`);
    const absent = await runCli(['enqueue', missing], { env });
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain(`cannot read events from ${missing}`);
    expect(absent.stderr).toContain('ENOENT');
    expect(await queuedIds()).toEqual([]);
  });

  it("'-' reads the events from standard input", async () => {
    const result = await runCli(['enqueue', '-'], {
      env,
      input: JSON.stringify([event('S-1'), event('S-2', { status: 'cancelled' })]),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 enqueued, 0 rejected');
    expect(await queuedIds()).toEqual(['S-1', 'S-2']);

    const garbage = await runCli(['enqueue', '-'], { env, input: 'not json' });
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('cannot read events from standard input');
  });

  it('--json prints a result that parses and matches the queue; --config works like FLEXYSYNC_CONFIG', async () => {
    const file = tempFile('json.json', JSON.stringify([event('J-0'), event('J-1', { resource: '' })]));
    const { FLEXYSYNC_CONFIG: configFile, ...withoutConfig } = env;
    const result = await runCli(['enqueue', '--json', '--config', configFile as string, file], {
      env: withoutConfig,
    });
    expect(result.code).toBe(3);
    const parsed = JSON.parse(result.stdout) as {
      accepted: { index: number; key: string; jobId: string }[];
      rejected: { index: number; errors: string[] }[];
    };
    expect(parsed.accepted).toEqual([{ index: 0, key: 'pms/J-0', jobId: expect.any(String) }]);
    expect(parsed.rejected).toEqual([{ index: 1, errors: ['resource: must not be empty'] }]);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((job) => job.id)).toEqual([parsed.accepted[0]?.jobId]);
    expect(jobs[0]?.data.externalId).toBe('J-0');
  });
});

describe('flexysync status', () => {
  /** The PIN a booking system chose for PIN-1. */
  const OWN_PIN = '482915';
  let engine: Engine;
  let env: Record<string, string>;

  beforeAll(async () => {
    engine = await startEngine({
      resources: { ...RESOURCES, gate: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R1' }] } },
    });
    env = {
      REDIS_URL: engine.env.REDIS_URL as string,
      FLEXYSYNC_CONFIG: writeConfigFile(engine.configInput),
    };
    // Unit 7002 is offline: its booking fails and the unit is reported unreachable.
    engine.sim.simulator.updateUnit(7002, { online: false });
    await engine.enqueue([
      event('ST-1'),
      event('ST-2', { guest: { name: 'Second' } }),
      event('GT-1', { resource: 'gate', guest: { name: 'Gate' } }),
      event('PIN-1', { pin: OWN_PIN, guest: { name: 'Own PIN' } }),
    ]);
    await engine.waitForState('pms/ST-1', 'synced');
    await engine.waitForState('pms/PIN-1', 'synced');
    await engine.waitForState('pms/ST-2', 'synced');
    await engine.waitForState('pms/GT-1', 'failed');
  });

  afterAll(async () => {
    await engine.close();
  });

  it('--json shows queue counts and each unit’s sync state', async () => {
    const result = await runCli(['status', '--json'], { env });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.prefix).toBe(engine.prefix);
    expect(report.queues.bookings).toMatchObject({ completed: 4, failed: 0, waiting: 0, active: 0 });
    expect(report.queues['unit-sync'].completed).toBeGreaterThanOrEqual(1);
    expect(report.units.sort((a: { unitId: number }, b: { unitId: number }) => a.unitId - b.unitId)).toEqual([
      expect.objectContaining({
        unitId: 7001,
        unreachable: false,
        awaiting: 0,
        syncing: false,
        failures: 0,
        // A second, coalesced sync after the first can find nothing left to push.
        lastResult: expect.stringMatching(/^(completed|no-changes)$/),
        lastSuccessIso: expect.any(String),
      }),
      expect.objectContaining({
        unitId: 7002,
        unreachable: true,
        awaiting: 1,
        unreachableSinceIso: expect.any(String),
        lastError: expect.stringMatching(/TimedOut|not finished/),
      }),
    ]);
  });

  it('the table form names the queues and the unit', async () => {
    const result = await runCli(['status'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`prefix ${engine.prefix}`);
    expect(result.stdout).toMatch(/^bookings\s+0\s+0\s+0\s+0\s+4$/m);
    expect(result.stdout).toMatch(/^7001\s+(completed|no-changes)\s+\d{4}-/m);
    expect(result.stdout).toMatch(/^7002\s+UNREACHABLE\s+\d{4}-.*\s1$/m);
    expect(result.stdout).toMatch(/^\s+last error: .+/m);
  });

  it('--booking of a booking waiting for an unreachable unit says so', async () => {
    const json = await runCli(['status', '--booking', 'pms/GT-1', '--json'], { env });
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status.awaitingUnits).toEqual([7002]);
    expect(status.events.at(-1)).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/unit 7002 unreachable/),
    });
    const text = await runCli(['status', '--booking', 'pms/GT-1'], { env });
    expect(text.stdout).toMatch(/unit 7002\s+R1\s+.*waiting for sync/);
    expect(text.stdout).toMatch(/last event: failed at .*\(unit 7002 unreachable/);
  });

  it('--booking masks the PIN unless --show-pin, and lists the outcome events', async () => {
    const synced = await engine.waitForState('pms/ST-1', 'synced');
    const pin = synced.pin as string;
    expect(pin).toMatch(/^\d{6}$/);

    const masked = await runCli(['status', '--booking', 'pms/ST-1', '--json'], { env });
    expect(masked.code).toBe(0);
    expect(masked.stdout).not.toContain(pin);
    const status = JSON.parse(masked.stdout);
    expect(status.key).toBe('pms/ST-1');
    expect(status.record).toMatchObject({ status: 'confirmed', resource: 'flat-1', pin: '******' });
    expect(status.record.entries).toEqual([
      expect.objectContaining({ unitId: 7001, idNumber: '+46701112233' }),
    ]);
    expect(status.record.entries[0]).not.toHaveProperty('codeTag');
    expect(status.awaitingUnits).toEqual([]);
    expect(status.events.map((e: { state: string }) => e.state)).toEqual(['applied', 'synced']);
    for (const e of status.events) expect(e.pin).toBe('******');

    const shown = await runCli(['status', '--booking', 'pms/ST-1', '--json', '--show-pin'], { env });
    expect(shown.code).toBe(0);
    const revealed = JSON.parse(shown.stdout);
    expect(revealed.record.pin).toBe(pin);
    expect(revealed.events.at(-1).pin).toBe(pin);

    const text = await runCli(['status', '--booking', 'pms/ST-1'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('PIN ******');
    expect(text.stdout).not.toContain(pin);
    expect(text.stdout).toMatch(/unit 7001\s+R1\s+idNumber \+46701112233.*on the unit/);
    expect(text.stdout).toMatch(/last event: synced/);
  });

  it('--booking masks the PIN the booking system chose in the stored event too', async () => {
    // PIN-1's resource draws its own PINs (pin.source random): the event's PIN is kept in the record only.
    const pin = OWN_PIN;
    const masked = await runCli(['status', '--booking', 'pms/PIN-1', '--json'], { env });
    expect(masked.code).toBe(0);
    expect(masked.stdout).not.toContain(pin);
    const status = JSON.parse(masked.stdout);
    expect(status.record.pin).toBe('******');
    expect(status.record.event).toMatchObject({ externalId: 'PIN-1', pin: '******' });

    const shown = await runCli(['status', '--booking', 'pms/PIN-1', '--json', '--show-pin'], { env });
    expect(JSON.parse(shown.stdout).record.event.pin).toBe(pin);

    const text = await runCli(['status', '--booking', 'pms/PIN-1'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('PIN ******');
    expect(text.stdout).not.toContain(pin);
  });

  it('an unknown booking: exit 1', async () => {
    const json = await runCli(['status', '--booking', 'pms/NOPE', '--json'], { env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ key: 'pms/NOPE', record: null, events: [] });
    const text = await runCli(['status', '--booking', 'pms/NOPE'], { env });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('pms/NOPE: no record');
  });
});

describe('flexysync reconcile --now', () => {
  it.each([
    ['a time without an offset', '2026-12-02T10:00', /has no offset.*server's time zone must not decide/],
    ['a date alone', '2026-12-02', /expected an ISO 8601 date-time with an offset or Z/],
    ['words', 'next friday', /expected an ISO 8601 date-time with an offset or Z/],
  ])('refuses %s as a usage error (exit 2), before reading the configuration', async (_, value, message) => {
    // No configuration and no credentials: the value is checked first. The server's zone is not UTC,
    // so a time read in it would not pass unnoticed.
    const result = await runCli(['reconcile', '--dry-run', '--now', value], {
      env: { TZ: 'America/New_York' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('invalid configuration');
  });

  it('--help says the offset is required and lists exit 2', async () => {
    const result = await runCli(['reconcile', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('with an offset or Z');
    expect(result.stdout).toMatch(/Exit codes:.*2 usage/s);
  });

  it('plans as of the given moment, in the offset given', async () => {
    const engine = await startEngine({ resources: RESOURCES, startWorker: false });
    try {
      const result = await runCli(
        ['reconcile', '--dry-run', '--json', '--now', '2037-01-11T12:00:00-05:00', '--unit', '7001'],
        {
          env: {
            ...(engine.env as Record<string, string>),
            FLEXYSYNC_CONFIG: writeConfigFile(engine.configInput),
            TZ: 'Asia/Tokyo',
          },
        },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).nowIso).toBe('2037-01-11T12:00:00.000-05:00');
    } finally {
      await engine.close();
    }
  });
});

describe('flexysync feeds', () => {
  const feedConfig = () =>
    writeConfigFile({
      redis: { prefix: uniquePrefix('cli-feeds') },
      resources: RESOURCES,
      sources: {
        'flat-feed': { type: 'ical', url: 'https://calendar.example/flat.ics', resources: 'flat-1' },
      },
    });

  it.each([['approve'], ['poll']])(
    '%s of a source not in the configuration: usage error (exit 2), before Redis is asked',
    async (verb) => {
      const port = await findFreePort();
      const result = await runCli(['feeds', verb, 'flat-fed'], {
        env: { FLEXYSYNC_CONFIG: feedConfig(), REDIS_URL: `redis://127.0.0.1:${port}` },
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe('flat-fed: not a source in the configuration');
    },
  );

  it('approve of a configured source with nothing held back: exit 1, saying so', async () => {
    const result = await runCli(['feeds', 'approve', 'flat-feed'], {
      env: { FLEXYSYNC_CONFIG: feedConfig(), REDIS_URL: testRedisUrl() },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('flat-feed: nothing is held back');
  });

  it.each([['list'], ['approve'], ['poll']])('%s --help lists its exit codes', async (verb) => {
    const result = await runCli(['feeds', verb, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Exit codes: 0 .*1 .*2 usage/s);
  });
});

describe('flexysync config check', () => {
  it('refuses a FLEXYKEY_BASE_URL holding credentials and never prints them', async () => {
    const result = await runCli(['config', 'check', '--offline'], {
      env: {
        FLEXYSYNC_CONFIG: writeConfigFile({ resources: RESOURCES }),
        FLEXYKEY_BASE_URL: 'https://base-user:base-s3cret@api.flexykey.example/v1/',
        FLEXYKEY_USERNAME: 'ops',
        FLEXYKEY_PASSWORD: 'env-password',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('FLEXYKEY_BASE_URL (environment): must not hold a user name or password');
    const output = `${result.stdout}${result.stderr}`;
    expect(output).not.toContain('base-s3cret');
    expect(output).not.toContain('base-user');
  });
});

describe('flexysync enqueue/status when Redis cannot be reached', () => {
  it.each([
    ['enqueue', ['enqueue', '-']],
    ['status', ['status', '--json']],
    ['status --booking', ['status', '--booking', 'pms/X']],
  ])('%s gives up with a message naming Redis (not its password) and exit 1', async (_, args) => {
    const port = await findFreePort();
    const result = await runCli(args, {
      env: { REDIS_URL: `redis://ops:s3cret-pass@127.0.0.1:${port}` },
      input: JSON.stringify(event('U-1')),
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot connect to Redis at redis://ops:***@127.0.0.1:${port}`);
    expect(result.stderr).toContain('ECONNREFUSED');
    expect(`${result.stdout}${result.stderr}`).not.toContain('s3cret-pass');
  });
});

describe('flexysync status --booking', () => {
  it.each([['nonsense'], ['pms/'], ['/R-1']])(
    "'%s' (not <source>/<externalId>) is a usage error (exit 2), before Redis is asked",
    async (key) => {
      const port = await findFreePort();
      const result = await runCli(['status', '--booking', key], {
        env: { REDIS_URL: `redis://127.0.0.1:${port}` },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('expected <source>/<externalId>, e.g. pms/R-1042');
      expect(result.stderr).not.toContain('cannot connect to Redis');
    },
  );
});

describe('flexysync --help', () => {
  it.each([
    ['worker', ['--config', 'bookings', 'unit sync', 'reconcile', 'calendar feeds']],
    ['enqueue', ['<file>', '--config', '--json', 'standard input', 'Exit codes']],
    ['status', ['--config', '--booking', '--show-pin', '--json']],
    ['simulator', ['--host', '--port', '--seed', '--status-cache-guard-ms']],
  ])('%s --help exits 0 and names its options', async (verb, mentions) => {
    const result = await runCli([verb, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: flexysync ${verb}`);
    for (const mention of mentions) expect(result.stdout).toContain(mention);
  });

  it('the program’s --help lists every verb', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const verb of ['worker', 'enqueue', 'status', 'simulator']) expect(result.stdout).toContain(verb);
  });
});
