import { Writable } from 'node:stream';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseConfig } from '../../src/config';
import { createOutcomeStream, type StoredOutcomeEvent } from '../../src/events';
import { BOOKING_JOB, createBookingsQueue, enqueueBookings } from '../../src/jobs';
import { createLogger } from '../../src/logging';
import { type RunningWorker, startWorker } from '../../src/worker';
import { ENGINE_USER, engineSeed, FAST_SYNC } from '../helpers/engine';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../helpers/redis';
import { startTestSimulator } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';

/** PINs chosen by the booking system, a trivial one, and the PIN of a hand-made entry on a unit. */
const SUPPLIED = { s1: '583920', s2: '7391046', trivial: '999999' } as const;
const HAND_MADE_PIN = '305174';
/** PINs carried by events that are rejected before planning (one invalid, one of the wrong type). */
const INVALID_EVENT_PINS = ['640218', '640219'] as const;
/** Guests' phones: personal data, and with `pin.source: phone` the PIN's source, so never logged. */
const PHONES = {
  random: '+46701112233',
  supplied: '+46702223344',
  phone: '+46703918274',
  caretaker: '+46705550000',
} as const;

function booking(externalId: string, resource: string, overrides: Record<string, unknown> = {}) {
  return {
    source: 'pms',
    externalId,
    resource,
    start: '2037-05-01T15:00:00+02:00',
    end: '2037-05-03T11:00:00+02:00',
    status: 'confirmed',
    ...overrides,
  };
}

/** A match for the PIN as a number of its own (not a run of digits inside a timestamp or phone). */
function standalone(pin: string): RegExp {
  return new RegExp(`(?<![0-9])${pin}(?![0-9])`);
}

describe('logs never carry a PIN, a password or credentials (full scenario, debug level)', () => {
  const lines: string[] = [];
  let redis: Redis;
  let prefix: string;
  let worker: RunningWorker | undefined;
  let producer: Queue;

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await producer?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('a busy run — random, supplied and phone PINs, rejections, cancellation, a move, API faults — logs no secret', async () => {
    const sim = await startTestSimulator({
      seed: {
        ...engineSeed(3, 5),
        idEntries: [
          {
            unitId: 7001,
            idNumber: PHONES.caretaker,
            name: 'Caretaker',
            description: 'hand-made',
            action: 'R2',
            codeTag: HAND_MADE_PIN,
          },
        ],
      },
      statusCacheGuardMs: FAST_SYNC.statusCacheGuardMs,
      syncTimeoutMs: 1_000,
    });
    prefix = uniquePrefix('redaction');
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const config = parseConfig(
      {
        redis: { prefix },
        flexykey: { username: ENGINE_USER.username, requestBudget: { maxRequests: 5_000, perSeconds: 1 } },
        queues: { bookings: { concurrency: 4 }, unitSync: { concurrency: 4 } },
        sync: FAST_SYNC,
        events: { includePin: true },
        resources: {
          'room-random': { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
          'room-supplied': {
            timeZone: ZONE,
            units: [{ unitId: 7002, action: 'R1' }],
            pin: { source: 'booking', length: 6 },
          },
          'room-phone': { timeZone: ZONE, units: [{ unitId: 7003, action: 'R1' }], pin: { source: 'phone' } },
        },
      },
      { REDIS_URL: testRedisUrl(), FLEXYKEY_BASE_URL: sim.baseUrl, FLEXYKEY_PASSWORD: ENGINE_USER.password },
    );
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    worker = await startWorker({ config, logger });
    producer = createBookingsQueue(redis, prefix);
    const stream = createOutcomeStream({ redis, prefix });
    const outcomes = () => stream.read('-', 100_000);
    const latest = async (key: string): Promise<StoredOutcomeEvent | undefined> =>
      (await outcomes()).filter((e) => `${e.source}/${e.externalId}` === key).at(-1);

    // API trouble on the way, so error objects get logged too: a create whose answer is lost, a 503,
    // and a 429 with Retry-After.
    sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', dropRate: 1, dropPhase: 'after', count: 1 },
      { match: 'PUT /v1/UnitIdEntries/*', errorRate: 1, errorStatus: 503, count: 1 },
      { match: 'GET /v1/UnitSync/Status', errorRate: 1, errorStatus: 429, retryAfterSeconds: 1, count: 1 },
    ]);

    const { accepted, rejected } = await enqueueBookings(producer, [
      booking('R-1', 'room-random', { guest: { name: 'Ada Random', phone: PHONES.random } }),
      booking('S-1', 'room-supplied', {
        guest: { name: 'Sam Supplied', phone: PHONES.supplied },
        pin: SUPPLIED.s1,
      }),
      booking('S-2', 'room-supplied', { guest: { name: 'Sue Seven' }, pin: SUPPLIED.s2 }),
      booking('P-1', 'room-phone', { guest: { name: 'Phil Phone', phone: PHONES.phone } }),
      // The hand-made entry already has this phone as its idNumber: a synthetic one is used instead.
      booking('R-2', 'room-random', { guest: { name: 'Carl Caretaker', phone: PHONES.caretaker } }),
    ]);
    expect(rejected).toEqual([]);
    expect(accepted).toHaveLength(5);
    for (const key of ['pms/R-1', 'pms/S-1', 'pms/S-2', 'pms/P-1', 'pms/R-2']) {
      await waitFor(async () => (await latest(key))?.state === 'synced', {
        timeoutMs: 20_000,
        description: `${key} synced`,
      });
    }

    // Rejected by the planner: a supplied PIN already in use, and a trivial one.
    await enqueueBookings(producer, [
      booking('S-3', 'room-supplied', { guest: { name: 'Clash' }, pin: SUPPLIED.s1 }),
      booking('S-4', 'room-supplied', { guest: { name: 'Trivial' }, pin: SUPPLIED.trivial }),
    ]);
    // Rejected at validation, bypassing the producer's checks as a foreign producer would.
    const queue = worker.bookingsQueue;
    await queue.add(
      BOOKING_JOB,
      booking('BAD-1', 'room-random', { start: 'tomorrow', pin: INVALID_EVENT_PINS[0] }),
    );
    await queue.add(BOOKING_JOB, booking('BAD-2', 'room-random', { pin: Number(INVALID_EVENT_PINS[1]) }));
    // A cancellation and a move.
    await enqueueBookings(producer, [
      booking('R-1', 'room-random', { revision: 2, status: 'cancelled' }),
      booking('S-2', 'room-supplied', { revision: 2, pin: SUPPLIED.s2, end: '2037-05-06T11:00:00+02:00' }),
    ]);

    await waitFor(
      async () =>
        (await latest('pms/R-1'))?.state === 'revoked' &&
        (await latest('pms/S-2'))?.validTo === '2037-05-06T11:00:00+02:00' &&
        (await latest('pms/S-2'))?.state === 'synced' &&
        (await latest('pms/S-3'))?.state === 'failed' &&
        (await latest('pms/S-4'))?.state === 'failed' &&
        (await queue.getFailedCount()) === 4,
      { timeoutMs: 20_000, description: 'cancellation, move and four rejections processed' },
    );
    // Every fault fired: the error paths were really taken.
    expect(sim.simulator.faults().map((f) => f.fired)).toEqual([1, 1, 1]);
    await worker.close();
    worker = undefined;

    // Every PIN that existed in this run: the ones the stream announced, the supplied, rejected and
    // hand-made ones.
    const announced = (await outcomes()).flatMap((e) => (e.pin ? [e.pin] : []));
    const pins = new Set([...announced, ...Object.values(SUPPLIED), ...INVALID_EVENT_PINS, HAND_MADE_PIN]);
    // R-1's random PIN, P-1's PIN from the phone, and the two supplied ones.
    expect(new Set(announced).size).toBeGreaterThanOrEqual(4);
    expect(announced).toEqual(expect.arrayContaining([SUPPLIED.s1, SUPPLIED.s2]));
    const text = lines.join('');

    // The logs are worth reading: API calls at debug, syncs, rejections, the life cycle.
    expect(lines.length).toBeGreaterThan(30);
    expect(lines.some((line) => line.startsWith('{"level":20'))).toBe(true);
    for (const message of [
      '"msg":"worker started"',
      '"msg":"flexykey call"',
      '"msg":"unit synced"',
      '"msg":"rejected an invalid BookingEvent"',
      '"msg":"booking rejected"',
      '"msg":"worker stopped"',
    ]) {
      expect(text).toContain(message);
    }

    const leaks = (needle: RegExp) => lines.filter((line) => needle.test(line));
    for (const pin of pins) expect({ pin, lines: leaks(standalone(pin)) }).toEqual({ pin, lines: [] });
    const basic = Buffer.from(`${ENGINE_USER.username}:${ENGINE_USER.password}`).toString('base64');
    expect(leaks(new RegExp(ENGINE_USER.password))).toEqual([]);
    expect(leaks(new RegExp(basic))).toEqual([]);
    expect(leaks(/Basic [A-Za-z0-9+/=]{8,}/)).toEqual([]);
    // Phones are written without their '+' or with separators by some; the digits are what matter.
    for (const phone of Object.values(PHONES)) {
      const digits = phone.slice(1);
      expect({ phone, lines: leaks(new RegExp(digits)) }).toEqual({ phone, lines: [] });
    }
    // An authorization field may appear only as redacted.
    expect(leaks(/"authorization"\s*:\s*"(?!\[redacted\])/i)).toEqual([]);
  }, 60_000);
});
