import { Redis } from 'ioredis';
import { type FlexysyncConfig, parseConfig } from '../../src/config';
import { createOutcomeStream, type StoredOutcomeEvent } from '../../src/events';
import { createBookingsQueue, enqueueBookings } from '../../src/jobs';
import { createLogger, type Logger } from '../../src/logging';
import type { SimulatorOptions, SimulatorSeed } from '../../src/simulator';
import { type RunningWorker, startWorker } from '../../src/worker';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from './redis';
import { startTestSimulator } from './simulator';
import { waitFor } from './wait-for';

export const ENGINE_USER = { username: 'engine', password: 'engine-secret' } as const;

/** A seed of `count` quick online units, ids 7001…, in one company, with booking object 801 on 7001. */
export function engineSeed(count: number, packetLatencyMs = 5): SimulatorSeed {
  return {
    companies: [{ companyId: 1, name: 'Engine Test AB' }],
    users: [{ ...ENGINE_USER, companyId: 1 }],
    units: Array.from({ length: count }, (_, i) => ({
      unitId: 7001 + i,
      serialNumber: `ENG${7001 + i}`,
      name: `Unit ${7001 + i}`,
      companyId: 1,
      packetLatencyMs,
      relays: [
        { localNumber: 1, globalNumber: 'F1', description: 'Door' },
        { localNumber: 2, globalNumber: 'F2', description: 'Gate' },
      ],
    })),
    bookingObjects: [{ bookingObjectId: 801, companyId: 1, name: 'Guest flat', unitId: 7001 }],
  };
}

/**
 * A confirmed BookingEvent `pms/<externalId>` on `resource`, 1–3 Feb 2037 (Stockholm), with
 * `overrides` on top: the stay most engine tests book.
 */
export function testBooking(externalId: string, resource = 'room', overrides: Record<string, unknown> = {}) {
  return {
    source: 'pms',
    externalId,
    resource,
    start: '2037-02-01T15:00:00+01:00',
    end: '2037-02-03T11:00:00+01:00',
    status: 'confirmed',
    guest: { name: `Guest ${externalId}` },
    ...overrides,
  };
}

/** Sync timings fast enough for tests; the simulator's status cache guard is set to match. */
export const FAST_SYNC = {
  pollIntervalMs: 100,
  minPushIntervalMs: 150,
  statusCacheGuardMs: 50,
  deadlineMs: 3_000,
  maxAttempts: 2,
  backoff: { baseMs: 100, maxMs: 400 },
  unreachableRetryMs: 1_000,
};

export interface EngineOptions {
  seed?: SimulatorSeed;
  simulator?: SimulatorOptions;
  resources: Record<string, unknown>;
  sync?: Partial<typeof FAST_SYNC>;
  config?: Record<string, unknown>;
  /** Start the worker in this process. @default true */
  startWorker?: boolean;
  /** The worker's source of randomness (PINs). @default crypto.randomInt */
  randomInt?: (min: number, maxExclusive: number) => number;
}

export interface Engine {
  sim: Awaited<ReturnType<typeof startTestSimulator>>;
  config: FlexysyncConfig;
  configInput: Record<string, unknown>;
  env: Record<string, string>;
  prefix: string;
  redis: Redis;
  worker: RunningWorker | undefined;
  logger: Logger;
  enqueue(events: unknown[]): ReturnType<typeof enqueueBookings>;
  outcomes(): Promise<StoredOutcomeEvent[]>;
  /** Waits until the booking's latest outcome event has `state`. */
  waitForState(
    key: string,
    state: StoredOutcomeEvent['state'],
    timeoutMs?: number,
  ): Promise<StoredOutcomeEvent>;
  device(
    unitId: number,
  ): ReturnType<
    Awaited<ReturnType<typeof startTestSimulator>>['simulator']['unit']
  >['deviceMemory']['entries'];
  close(): Promise<void>;
}

export async function startEngine(options: EngineOptions): Promise<Engine> {
  const sim = await startTestSimulator({
    seed: options.seed ?? engineSeed(4),
    statusCacheGuardMs: FAST_SYNC.statusCacheGuardMs,
    syncTimeoutMs: 1_000,
    ...options.simulator,
  });
  const prefix = uniquePrefix('engine');
  const configInput = {
    redis: { prefix },
    flexykey: { username: ENGINE_USER.username, requestBudget: { maxRequests: 5_000, perSeconds: 1 } },
    queues: { bookings: { concurrency: 4 }, unitSync: { concurrency: 8 } },
    sync: { ...FAST_SYNC, ...options.sync },
    // Off unless a test turns it on: a first start would otherwise catch up a missed slot at once.
    reconcile: { enabled: false },
    resources: options.resources,
    ...options.config,
  };
  const env = {
    REDIS_URL: testRedisUrl(),
    FLEXYKEY_BASE_URL: sim.baseUrl,
    FLEXYKEY_PASSWORD: ENGINE_USER.password,
  };
  const config = parseConfig(configInput, env);
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const worker =
    options.startWorker === false
      ? undefined
      : await startWorker({ config, logger, ...(options.randomInt ? { randomInt: options.randomInt } : {}) });
  const producer = createBookingsQueue(redis, prefix);
  const stream = createOutcomeStream({ redis, prefix });

  const outcomes = () => stream.read('-', 100_000);
  return {
    sim,
    config,
    configInput,
    env,
    prefix,
    redis,
    worker,
    logger,
    enqueue: (events) => enqueueBookings(producer, events),
    outcomes,
    async waitForState(key, state, timeoutMs = 15_000) {
      return waitFor(
        async () => {
          const mine = (await outcomes()).filter((e) => `${e.source}/${e.externalId}` === key);
          const last = mine.at(-1);
          return last?.state === state ? last : undefined;
        },
        { timeoutMs, description: `${key} reaching '${state}'` },
      );
    },
    device: (unitId) => sim.simulator.unit(unitId).deviceMemory.entries,
    async close() {
      await worker?.close();
      await producer.close();
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
      await sim.close();
    },
  };
}
