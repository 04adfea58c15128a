import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONFIG_DEFAULTS,
  ConfigError,
  type FlexysyncConfig,
  loadConfig,
  parseConfig,
  resolveAllResources,
  resolveResource,
  suggestKey,
} from '../../../src/config';

const examplePath = join(__dirname, '..', '..', '..', 'config', 'flexysync.example.yaml');

const minimal = {
  resources: { 'room-101': { timeZone: 'Europe/Stockholm', units: [{ unitId: 3023, action: 'R1' }] } },
};

function problemsOf(input: unknown, env: Record<string, string | undefined> = {}): readonly string[] {
  try {
    parseConfig(input, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

/** `minimal` with one change deep inside, given as a path and a value. */
function withChange(path: (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(minimal) as Record<string, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null) node[key] = typeof key === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flexysync-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeTemp(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('defaults', () => {
  it('applies a documented default to every option left out', () => {
    const config = parseConfig(minimal, {});
    expect(config.flexykey).toEqual({
      baseUrl: 'https://api.flexykey.se/v1/',
      timeouts: { connectMs: 5000, requestMs: 15000 },
      maxConnections: 10,
      requestBudget: { maxRequests: 10, perSeconds: 1 },
    });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'flexysync' });
    expect(config.queues).toEqual({
      bookings: { concurrency: 8 },
      unitSync: { concurrency: 16 },
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
    });
    expect(config.sync).toEqual({
      pollIntervalMs: 2500,
      minPushIntervalMs: 2500,
      statusCacheGuardMs: 2000,
      deadlineMs: 120000,
      maxAttempts: 5,
      backoff: { baseMs: 5000, maxMs: 300000 },
      unreachableRetryMs: 900000,
    });
    expect(config.events).toEqual({ includePin: true });
    expect(config.logLevel).toBe('info');
    expect(config.sources).toBeUndefined();
    expect(config.http).toEqual(CONFIG_DEFAULTS.http);
  });

  it('accepts an empty document (no resources yet)', () => {
    expect(parseConfig(null, {}).resources).toEqual({});
    expect(parseConfig({}, {}).redis.prefix).toBe('flexysync');
  });

  it('treats an empty YAML section (null) as absent', () => {
    const config = parseConfig(
      { ...minimal, sync: null, events: null, defaults: null, flexykey: { timeouts: null } },
      {},
    );
    expect(config.sync.pollIntervalMs).toBe(2500);
    expect(config.events.includePin).toBe(true);
    expect(config.flexykey.timeouts.requestMs).toBe(15000);
  });

  it('types the sources section (calendar feeds; test/unit/adapters/config.test.ts has the rules)', () => {
    const source = { type: 'ical', url: 'https://x.example/feed.ics', resources: 'room-101' };
    const config = parseConfig({ ...minimal, sources: { airbnb: source } }, {});
    expect(config.sources?.airbnb?.resources).toEqual(['room-101']);
    expect(config.sources?.airbnb?.schedule).toBe('*/10 * * * *');
  });

  it('adds the trailing slash to a base URL so relative API paths resolve under it', () => {
    expect(parseConfig({ flexykey: { baseUrl: 'http://127.0.0.1:4010/v1' } }, {}).flexykey.baseUrl).toBe(
      'http://127.0.0.1:4010/v1/',
    );
  });
});

describe('validation: each rule names the key path', () => {
  const cases: [string, (string | number)[], unknown, string][] = [
    [
      'unit action R9',
      ['resources', 'room-101', 'units', 0, 'action'],
      'R9',
      "resources.room-101.units[0].action: expected R1, R2 or G1–G99, got 'R9'",
    ],
    [
      'unit action G100',
      ['resources', 'room-101', 'units', 0, 'action'],
      'G100',
      "resources.room-101.units[0].action: expected R1, R2 or G1–G99, got 'G100'",
    ],
    [
      'unit action G0',
      ['resources', 'room-101', 'units', 0, 'action'],
      'G0',
      "resources.room-101.units[0].action: expected R1, R2 or G1–G99, got 'G0'",
    ],
    [
      'unitId a string',
      ['resources', 'room-101', 'units', 0, 'unitId'],
      'abc',
      "resources.room-101.units[0].unitId: must be an integer from 1 to 9007199254740991, got 'abc'",
    ],
    [
      'unitId zero',
      ['resources', 'room-101', 'units', 0, 'unitId'],
      0,
      'resources.room-101.units[0].unitId: must be an integer from 1 to',
    ],
    [
      'unitId missing',
      ['resources', 'room-101', 'units', 0, 'unitId'],
      undefined,
      'resources.room-101.units[0].unitId: is required',
    ],
    [
      'units not a list',
      ['resources', 'room-101', 'units'],
      'R1',
      'resources.room-101.units: must be a list, got a string',
    ],
    [
      'unknown unit key',
      ['resources', 'room-101', 'units', 0, 'relay'],
      'R1',
      "resources.room-101.units[0]: unknown key 'relay'",
    ],
    [
      'time zone invalid',
      ['resources', 'room-101', 'timeZone'],
      'Europe/Stokholm',
      "resources.room-101.timeZone: must be an IANA time zone such as Europe/Stockholm, got 'Europe/Stokholm'",
    ],
    [
      'checkInTime 3pm',
      ['resources', 'room-101', 'checkInTime'],
      '3pm',
      `resources.room-101.checkInTime: must be a time "HH:mm" (00:00–23:59), got '3pm'`,
    ],
    [
      'checkOutTime 24:00',
      ['resources', 'room-101', 'checkOutTime'],
      '24:00',
      `resources.room-101.checkOutTime: must be a time "HH:mm"`,
    ],
    [
      'checkInTime a number (YAML 1.1 sexagesimal)',
      ['resources', 'room-101', 'checkInTime'],
      900,
      'resources.room-101.checkInTime: must be a time "HH:mm", got a number',
    ],
    [
      'leadMinutes negative',
      ['resources', 'room-101', 'leadMinutes'],
      -5,
      'resources.room-101.leadMinutes: must be an integer from 0 to 10080 (a week), got -5',
    ],
    [
      'lagMinutes fractional',
      ['resources', 'room-101', 'lagMinutes'],
      2.5,
      'resources.room-101.lagMinutes: must be an integer from 0 to 10080',
    ],
    [
      'pin length 8',
      ['resources', 'room-101', 'pin', 'length'],
      8,
      'resources.room-101.pin.length: must be an integer from 4 to 7, got 8',
    ],
    [
      'pin length 3',
      ['resources', 'room-101', 'pin', 'length'],
      3,
      'resources.room-101.pin.length: must be an integer from 4 to 7, got 3',
    ],
    [
      'pin source unknown',
      ['resources', 'room-101', 'pin', 'source'],
      'sms',
      "resources.room-101.pin.source: expected random, booking or phone, got 'sms'",
    ],
    [
      'idNumber prefix too long',
      ['resources', 'room-101', 'idNumber', 'prefix'],
      'flexysync',
      "resources.room-101.idNumber.prefix: must be 1–6 characters, a letter followed by letters, digits, '_' or '-', got 'flexysync'",
    ],
    [
      'idNumber prefix starting with +',
      ['resources', 'room-101', 'idNumber', 'prefix'],
      '+46',
      'resources.room-101.idNumber.prefix: must be 1–6 characters',
    ],
    [
      'usePhone not boolean',
      ['resources', 'room-101', 'idNumber', 'usePhone'],
      'yes',
      "resources.room-101.idNumber.usePhone: must be true or false, got 'yes'",
    ],
    [
      'descriptionTag too long',
      ['resources', 'room-101', 'descriptionTag'],
      'flexysync-own:',
      'resources.room-101.descriptionTag: must be 1–12 characters',
    ],
    [
      'bookingObjectId negative',
      ['resources', 'room-101', 'bookingObjectId'],
      -1,
      'resources.room-101.bookingObjectId: must be an integer from 1 to',
    ],
    [
      'unknown resource key',
      ['resources', 'room-101', 'timezone'],
      'UTC',
      "resources.room-101: unknown key 'timezone' (did you mean 'timeZone'?)",
    ],
    [
      'unknown top-level key',
      ['resource'],
      {},
      "(top level): unknown key 'resource' (did you mean 'resources'?)",
    ],
    [
      'password in the file',
      ['flexykey', 'password'],
      'hunter2',
      'flexykey.password: must not be in the configuration file: set the FLEXYKEY_PASSWORD environment variable or FLEXYKEY_PASSWORD_FILE',
    ],
    [
      'base URL not http',
      ['flexykey', 'baseUrl'],
      'ftp://x',
      "flexykey.baseUrl: must be an http(s) URL, got 'ftp://x'",
    ],
    ['empty username', ['flexykey', 'username'], '', 'flexykey.username: must not be empty'],
    [
      'request budget zero',
      ['flexykey', 'requestBudget', 'maxRequests'],
      0,
      'flexykey.requestBudget.maxRequests: must be an integer from 1 to 100000, got 0',
    ],
    [
      'timeout too small',
      ['flexykey', 'timeouts', 'requestMs'],
      5,
      'flexykey.timeouts.requestMs: must be an integer from 100 to 600000 ms, got 5',
    ],
    [
      'redis URL not redis',
      ['redis', 'url'],
      'http://localhost:6379',
      "redis.url: must be a redis:// or rediss:// URL, got 'http://localhost:6379'",
    ],
    [
      'redis URL with a password',
      ['redis', 'url'],
      'redis://:secret@localhost:6379',
      'redis.url: must not hold a password in the configuration file: set REDIS_URL',
    ],
    ['redis prefix with a space', ['redis', 'prefix'], 'flexy sync', 'redis.prefix: must be 1–64 characters'],
    [
      'concurrency zero',
      ['queues', 'unitSync', 'concurrency'],
      0,
      'queues.unitSync.concurrency: must be an integer from 1 to 1000, got 0',
    ],
    [
      'unknown queue',
      ['queues', 'booking'],
      { concurrency: 1 },
      "queues: unknown key 'booking' (did you mean 'bookings'?)",
    ],
    [
      'poll interval under the cache guard',
      ['sync', 'pollIntervalMs'],
      1000,
      'sync.pollIntervalMs: must be at least sync.statusCacheGuardMs (2000 ms; FlexyKey caches the sync status for about 2 s, faster polls only see stale answers), got 1000',
    ],
    [
      'poll interval under a raised guard',
      ['sync'],
      { statusCacheGuardMs: 3000 },
      'sync.pollIntervalMs: must be at least sync.statusCacheGuardMs (3000 ms',
    ],
    [
      'no connections to the API',
      ['flexykey', 'maxConnections'],
      0,
      'flexykey.maxConnections: must be an integer from 1 to 256, got 0',
    ],
    [
      'push interval of ten minutes and more',
      ['sync', 'minPushIntervalMs'],
      600_001,
      'sync.minPushIntervalMs: must be an integer from 0 to 600000 ms, got 600001',
    ],
    [
      'negative cache guard',
      ['sync', 'statusCacheGuardMs'],
      -1,
      'sync.statusCacheGuardMs: must be an integer from 0 to 60000 ms, got -1',
    ],
    [
      'deadline too small',
      ['sync', 'deadlineMs'],
      500,
      'sync.deadlineMs: must be an integer from 1000 to 3600000 ms, got 500',
    ],
    [
      'maxAttempts zero',
      ['sync', 'maxAttempts'],
      0,
      'sync.maxAttempts: must be an integer from 1 to 100, got 0',
    ],
    [
      'deadline not above poll interval',
      ['sync'],
      { pollIntervalMs: 10000, deadlineMs: 6000 },
      'sync.deadlineMs: must be longer than sync.pollIntervalMs (10000 ms)',
    ],
    [
      'backoff max below base',
      ['sync', 'backoff', 'maxMs'],
      1000,
      'sync.backoff.maxMs: must be at least sync.backoff.baseMs (5000 ms)',
    ],
    [
      'includePin a string',
      ['events', 'includePin'],
      'no',
      "events.includePin: must be true or false, got 'no'",
    ],
    [
      'defaults time zone invalid',
      ['defaults', 'timeZone'],
      'CET+1',
      "defaults.timeZone: must be an IANA time zone such as Europe/Stockholm, got 'CET+1'",
    ],
    [
      'unknown defaults key (units belong to resources)',
      ['defaults', 'units'],
      [],
      "defaults: unknown key 'units'",
    ],
    ['sources not a mapping', ['sources'], 'ical', 'sources: must be a mapping, got a string'],
    ['http not a mapping', ['http'], 8080, 'http: must be a mapping, got a number'],
    ['a section that is a list', ['sync'], [], 'sync: must be a mapping, got an array'],
  ];

  it.each(cases)('%s', (_title, path, value, expected) => {
    const problems = problemsOf(withChange(path, value));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
    expect(problems[0]?.startsWith(expected.split(':')[0] as string)).toBe(true);
  });

  it('needs a unit or a booking object on every resource', () => {
    expect(problemsOf({ resources: { gate: { timeZone: 'UTC' } } })).toEqual([
      'resources.gate: needs at least one unit (units) or a bookingObjectId',
    ]);
    expect(problemsOf({ resources: { gate: { timeZone: 'UTC', units: [] } } })).toHaveLength(1);
    expect(
      parseConfig({ resources: { laundry: { timeZone: 'UTC', bookingObjectId: 9 } } }, {}).resources.laundry,
    ).toEqual({ timeZone: 'UTC', bookingObjectId: 9 });
  });

  it('refuses the same unit twice in one resource (one entry per unit per booking)', () => {
    const problems = problemsOf({
      resources: {
        r: {
          timeZone: 'UTC',
          units: [
            { unitId: 1, action: 'R1' },
            { unitId: 1, action: 'R2' },
          ],
        },
      },
    });
    expect(problems).toEqual([
      'resources.r.units[1].unitId: unit 1 is listed twice (also units[0]); one entry per unit',
    ]);
  });

  it('allows one unit in several resources (a shared street door)', () => {
    const config = parseConfig(
      {
        resources: {
          a: { timeZone: 'UTC', units: [{ unitId: 1, action: 'G1' }] },
          b: { timeZone: 'UTC', units: [{ unitId: 1, action: 'G2' }] },
        },
      },
      {},
    );
    expect(Object.keys(config.resources)).toEqual(['a', 'b']);
  });

  it('needs a time zone on the resource or in defaults, never the server zone', () => {
    expect(problemsOf({ resources: { r: { units: [{ unitId: 1, action: 'R1' }] } } })).toEqual([
      'resources.r.timeZone: is required (set it on the resource or in defaults.timeZone); flexysync never uses the server zone',
    ]);
    expect(
      parseConfig(
        { defaults: { timeZone: 'UTC' }, resources: { r: { units: [{ unitId: 1, action: 'R1' }] } } },
        {},
      ).resources.r,
    ).toBeDefined();
  });

  it('quotes a resource key with a space in the path', () => {
    const problems = problemsOf({
      resources: { 'room 101': { timeZone: 'UTC', units: [{ unitId: 1, action: 'X' }] } },
    });
    expect(problems).toEqual([`resources["room 101"].units[0].action: expected R1, R2 or G1–G99, got 'X'`]);
  });

  it('says what is wrong with a document or a resource that is not a mapping, once', () => {
    expect(problemsOf('hello')).toEqual(['(top level): must be a mapping, got a string']);
    expect(problemsOf([1])).toEqual(['(top level): must be a mapping, got an array']);
    expect(problemsOf({ resources: { r: 'x', s: null } })).toEqual([
      'resources.r: must be a mapping, got a string',
      'resources.s: must be a mapping, got null',
    ]);
    expect(problemsOf({ resources: [] })).toEqual([
      'resources: must be a mapping of resource key → resource, got an array',
    ]);
  });

  it('refuses resource keys with surrounding spaces', () => {
    const problems = problemsOf({
      resources: { ' r ': { timeZone: 'UTC', units: [{ unitId: 1, action: 'R1' }] } },
    });
    expect(problems[0]).toContain('resource keys must be 1–100 characters');
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      flexykey: { password: 'x' },
      sync: { pollIntervalMs: 100 },
      resources: { r: { timeZone: 'Nowhere/City', units: [{ unitId: 0, action: 'R3' }], colour: 'red' } },
      extra: true,
    });
    expect(problems).toHaveLength(7);
    expect(problems.map((line) => line.split(':')[0])).toEqual(
      expect.arrayContaining([
        'flexykey.password',
        'sync.pollIntervalMs',
        'resources.r.timeZone',
        'resources.r.units[0].unitId',
        'resources.r.units[0].action',
        'resources.r',
      ]),
    );
    expect(problems.some((line) => line.startsWith("(top level): unknown key 'extra'"))).toBe(true);
  });

  it('a fractional integer is reported with its value and does not hide the cross-key checks', () => {
    const problems = problemsOf({
      queues: { bookings: { concurrency: 1.5 } },
      sync: { statusCacheGuardMs: 2_000, pollIntervalMs: 500 },
      resources: { r: { units: [{ unitId: 1, action: 'R1' }] } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'queues.bookings.concurrency: must be an integer from 1 to 1000, got 1.5',
        expect.stringMatching(/^sync\.pollIntervalMs: must be at least sync\.statusCacheGuardMs/),
        expect.stringMatching(/^resources\.r\.timeZone: is required/),
      ]),
    );
    expect(problems).toHaveLength(3);
    // Out of range and fractional at once: one message, not two for one key.
    expect(problemsOf(withChange(['resources', 'room-101', 'leadMinutes'], -0.5))).toEqual([
      'resources.room-101.leadMinutes: must be an integer from 0 to 10080 (a week), got -0.5',
    ]);
  });

  it('names every rule of redis.prefix, the first character included', () => {
    expect(problemsOf({ ...minimal, redis: { prefix: ':flexysync' } })).toEqual([
      "redis.prefix: must be 1–64 characters of letters, digits, '.', '_', '-', ':', '{', '}', starting with a letter, a digit or '{', got ':flexysync'",
    ]);
    expect(parseConfig({ ...minimal, redis: { prefix: '{flexysync}' } }, {}).redis.prefix).toBe(
      '{flexysync}',
    );
  });

  it('ConfigError lists the problems in its message', () => {
    try {
      parseConfig({ sync: { maxAttempts: 0 } }, {}, { origin: '/etc/flexysync.yaml' });
      throw new Error('not rejected');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(
        'invalid configuration (/etc/flexysync.yaml), 1 problem:\n  - sync.maxAttempts: must be an integer from 1 to 100, got 0',
      );
    }
  });

  it('allows fast polling only where the cache guard is lowered on purpose (e.g. the simulator)', () => {
    const sync = parseConfig(
      { sync: { statusCacheGuardMs: 200, pollIntervalMs: 250, deadlineMs: 2000 } },
      {},
    ).sync;
    expect(sync).toMatchObject({ statusCacheGuardMs: 200, pollIntervalMs: 250, deadlineMs: 2000 });
  });

  it('suggests a close key only when it is a plausible typo', () => {
    expect(suggestKey('timezone', ['timeZone', 'units'])).toBe('timeZone');
    expect(suggestKey('unit', ['timeZone', 'units'])).toBe('units');
    expect(suggestKey('colour', ['timeZone', 'units'])).toBeUndefined();
  });
});

describe('environment', () => {
  it('REDIS_URL, FLEXYKEY_BASE_URL and FLEXYKEY_USERNAME override the file', () => {
    const config = parseConfig(
      {
        ...minimal,
        redis: { url: 'redis://file:6379' },
        flexykey: { baseUrl: 'https://file/v1/', username: 'file-user' },
      },
      {
        REDIS_URL: 'rediss://:s3cret@cache.internal:6380/2',
        FLEXYKEY_BASE_URL: 'http://127.0.0.1:4010/v1',
        FLEXYKEY_USERNAME: 'env-user',
      },
    );
    expect(config.redis.url).toBe('rediss://:s3cret@cache.internal:6380/2');
    expect(config.flexykey.baseUrl).toBe('http://127.0.0.1:4010/v1/');
    expect(config.flexykey.username).toBe('env-user');
  });

  it('ignores empty variables', () => {
    const config = parseConfig(minimal, { REDIS_URL: '', FLEXYKEY_USERNAME: '', LOG_LEVEL: '' });
    expect(config.redis.url).toBe(CONFIG_DEFAULTS.redis.url);
    expect(config.flexykey.username).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('names a bad variable', () => {
    expect(problemsOf(minimal, { REDIS_URL: 'localhost:6379' })).toEqual([
      'REDIS_URL (environment): must be a redis:// or rediss:// URL',
    ]);
    expect(problemsOf(minimal, { FLEXYKEY_BASE_URL: 'api.flexykey.se' })).toEqual([
      "FLEXYKEY_BASE_URL (environment): must be an http(s) URL, got 'api.flexykey.se'",
    ]);
    expect(problemsOf(minimal, { LOG_LEVEL: 'verbose' })).toEqual([
      "LOG_LEVEL (environment): expected one of fatal, error, warn, info, debug, trace, silent, got 'verbose'",
    ]);
  });

  it('refuses a user name or password in the base URL, from the file or the environment, never echoing it', () => {
    const rule =
      'must not hold a user name or password: set the user in FLEXYKEY_USERNAME (or flexykey.username) and the password in FLEXYKEY_PASSWORD or FLEXYKEY_PASSWORD_FILE';
    expect(problemsOf(minimal, { FLEXYKEY_BASE_URL: 'https://ops:s3cret-pw@api.flexykey.se/v1/' })).toEqual([
      `FLEXYKEY_BASE_URL (environment): ${rule}`,
    ]);
    expect(problemsOf(minimal, { FLEXYKEY_BASE_URL: 'https://ops@api.flexykey.se/v1/' })).toEqual([
      `FLEXYKEY_BASE_URL (environment): ${rule}`,
    ]);
    expect(
      problemsOf({ ...minimal, flexykey: { baseUrl: 'http://:s3cret-pw@127.0.0.1:4010/v1' } }, {}),
    ).toEqual([`flexykey.baseUrl: ${rule}`]);
    // Not a URL at all, but it may still hold a password: not shown either.
    const noScheme = problemsOf(minimal, { FLEXYKEY_BASE_URL: 'ops:s3cret-pw@api.flexykey.se' });
    expect(noScheme).toEqual([
      'FLEXYKEY_BASE_URL (environment): must be an http(s) URL (the value is not shown: it may hold a password)',
    ]);
  });

  it('takes LOG_LEVEL', () => {
    expect(parseConfig(minimal, { LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('takes the password from FLEXYKEY_PASSWORD', () => {
    expect(parseConfig(minimal, { FLEXYKEY_PASSWORD: 'p@ss word' }).flexykey.password).toBe('p@ss word');
    expect(parseConfig(minimal, {}).flexykey.password).toBeUndefined();
  });

  it('reads the password from the file named by FLEXYKEY_PASSWORD_FILE, without its final newline', () => {
    const path = writeTemp('password', 'from-file secret\n');
    expect(parseConfig(minimal, { FLEXYKEY_PASSWORD_FILE: path }).flexykey.password).toBe('from-file secret');
    const crlf = writeTemp('password-crlf', 'windows\r\n');
    expect(parseConfig(minimal, { FLEXYKEY_PASSWORD_FILE: crlf }).flexykey.password).toBe('windows');
  });

  it('refuses an unreadable or empty password file, and both variables at once', () => {
    expect(problemsOf(minimal, { FLEXYKEY_PASSWORD_FILE: join(dir, 'missing') })).toEqual([
      `FLEXYKEY_PASSWORD_FILE (environment): cannot read '${join(dir, 'missing')}' (ENOENT)`,
    ]);
    const empty = writeTemp('empty', '\n');
    expect(problemsOf(minimal, { FLEXYKEY_PASSWORD_FILE: empty })).toEqual([
      `FLEXYKEY_PASSWORD_FILE (environment): '${empty}' is empty`,
    ]);
    expect(problemsOf(minimal, { FLEXYKEY_PASSWORD: 'a', FLEXYKEY_PASSWORD_FILE: empty })).toEqual([
      'FLEXYKEY_PASSWORD and FLEXYKEY_PASSWORD_FILE (environment): set one of them, not both',
    ]);
  });

  it('reports file and environment problems together', () => {
    expect(problemsOf({ sync: { maxAttempts: 0 } }, { REDIS_URL: 'nope' })).toHaveLength(2);
  });
});

describe('loadConfig', () => {
  it('loads the commented example, with both resources resolvable', () => {
    const config = loadConfig({ path: examplePath, env: { FLEXYKEY_PASSWORD: 'x' } });
    expect(Object.keys(config.resources)).toEqual(['flat-3b', 'laundry']);
    const flat = resolveResource(config, 'flat-3b');
    expect(flat).toEqual({
      key: 'flat-3b',
      timeZone: 'Europe/Stockholm',
      units: [
        { unitId: 3023, action: 'G13' },
        { unitId: 3024, action: 'R1' },
      ],
      checkInTime: '15:00',
      checkOutTime: '11:00',
      leadMinutes: 30,
      lagMinutes: 15,
      pin: { length: 6, source: 'random' },
      idNumber: { usePhone: true, prefix: 'fs' },
      descriptionTag: 'fs:',
    });
    expect(resolveResource(config, 'laundry')).toMatchObject({
      bookingObjectId: 812,
      units: [],
      pin: { length: 4, source: 'booking' },
      idNumber: { usePhone: false, prefix: 'fsl' },
    });
  });

  it('takes the path from FLEXYSYNC_CONFIG', () => {
    const path = writeTemp('env-path.yaml', 'redis:\n  prefix: other\n');
    expect(loadConfig({ env: { FLEXYSYNC_CONFIG: path } }).redis.prefix).toBe('other');
  });

  it('says what is missing when there is no path', () => {
    expect(() => loadConfig({ env: {} })).toThrow('no configuration file: set FLEXYSYNC_CONFIG');
  });

  it('says when the file cannot be read', () => {
    expect(() => loadConfig({ path: join(dir, 'nope.yaml'), env: {} })).toThrow(
      /cannot read configuration file .*nope\.yaml' \(ENOENT\)/,
    );
  });

  it('reports YAML syntax errors with line and column', () => {
    const path = writeTemp('broken.yaml', 'redis:\n  url: "redis://x\nsync: {\n');
    try {
      loadConfig({ path, env: {} });
      throw new Error('not rejected');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).toMatch(
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `),
      );
    }
  });

  it('refuses duplicate keys (a second resource definition would silently win)', () => {
    const path = writeTemp(
      'dup.yaml',
      'resources:\n  r:\n    timeZone: UTC\n    units: [{ unitId: 1, action: R1 }]\n  r:\n    timeZone: UTC\n    units: [{ unitId: 2, action: R1 }]\n',
    );
    expect(() => loadConfig({ path, env: {} })).toThrow(/dup\.yaml:5:\d+: Map keys must be unique/);
  });

  it('names the file in validation errors', () => {
    const path = writeTemp('bad.yaml', 'sync:\n  pollIntervalMs: 500\n');
    expect(() => loadConfig({ path, env: {} })).toThrow(`invalid configuration (${path}), 1 problem`);
  });

  it('reads "15:00" as a time (YAML 1.2, no sexagesimal numbers)', () => {
    const path = writeTemp('times.yaml', 'defaults:\n  timeZone: UTC\n  checkInTime: 15:00\n');
    expect(loadConfig({ path, env: {} }).defaults.checkInTime).toBe('15:00');
  });

  it('treats an empty file as an empty configuration', () => {
    expect(loadConfig({ path: writeTemp('empty.yaml', ''), env: {} }).resources).toEqual({});
  });
});

describe('freezing and resolution', () => {
  const config: FlexysyncConfig = parseConfig(
    {
      defaults: {
        timeZone: 'Europe/Stockholm',
        leadMinutes: 10,
        pin: { length: 5 },
        idNumber: { prefix: 'dflt' },
      },
      resources: {
        own: {
          timeZone: 'America/New_York',
          units: [{ unitId: 5, action: 'G2' }],
          leadMinutes: 0,
          pin: { source: 'phone' },
          checkOutTime: '10:00',
        },
        inherits: { units: [{ unitId: 6, action: 'R2' }] },
      },
    },
    { FLEXYKEY_PASSWORD: 'x' },
  );

  it('is deeply frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sync.backoff)).toBe(true);
    expect(Object.isFrozen(config.resources.own?.units)).toBe(true);
    expect(Object.isFrozen(config.resources.own?.units?.[0])).toBe(true);
    expect(() => {
      (config.sync as { pollIntervalMs: number }).pollIntervalMs = 1;
    }).toThrow(TypeError);
    expect(config.sync.pollIntervalMs).toBe(2500);
  });

  it('resolves resource → defaults → built-in, each option separately', () => {
    expect(resolveResource(config, 'own')).toEqual({
      key: 'own',
      timeZone: 'America/New_York',
      units: [{ unitId: 5, action: 'G2' }],
      checkInTime: '15:00',
      checkOutTime: '10:00',
      leadMinutes: 0,
      lagMinutes: 0,
      pin: { length: 5, source: 'phone' },
      idNumber: { usePhone: true, prefix: 'dflt' },
      descriptionTag: 'fs:',
    });
    expect(resolveResource(config, 'inherits')).toMatchObject({
      timeZone: 'Europe/Stockholm',
      leadMinutes: 10,
      pin: { length: 5, source: 'random' },
    });
  });

  it('returns undefined for a key it does not know, prototype names included', () => {
    expect(resolveResource(config, 'nope')).toBeUndefined();
    expect(resolveResource(config, '__proto__')).toBeUndefined();
    expect(resolveResource(config, 'toString')).toBeUndefined();
  });

  it('returns the same frozen object each time', () => {
    const first = resolveResource(config, 'own');
    expect(resolveResource(config, 'own')).toBe(first);
    expect(Object.isFrozen(first?.pin)).toBe(true);
  });

  it('resolves all resources in configuration order', () => {
    expect(resolveAllResources(config).map((resource) => resource.key)).toEqual(['own', 'inherits']);
  });
});
