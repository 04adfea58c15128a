import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { FEED_POLL_JOB, feedPollJobOptions } from '../adapters';
import { type FlexysyncConfig, parseConfig, resolveResource } from '../config';
import { createLogger, type Logger } from '../logging';
import { startEmbeddedRedis } from '../redis';
import { type RunningSimulator, type SimulatorSeed, startSimulator } from '../simulator';
import { type RunningWorker, startWorker } from '../worker';
import { loadCalendarTemplate, loadDemoConfigInput, loadDemoSeed, renderCalendarTemplate } from './assets';
import { type FeedServer, startFeedServer } from './feed-server';

/** The demo's one calendar feed: `sources.<this>` in config/demo/flexysync-demo.yaml. */
export const DEMO_FEED_SOURCE = 'airbnb';

/** The demo simulator's sync settings (the configuration's sync timings are set to match). */
const SIMULATOR = {
  /** A unit that does not answer turns a sync TimedOut after this long (FlexyKey: about a minute). */
  syncTimeoutMs: 3_000,
  /** One entry per packet, so a person sees a unit's progress move. @default 10 in the simulator */
  packetSize: 1,
} as const;

export interface DemoStackOptions {
  /** A Redis to use instead of a private one (the demo then uses its own key prefix and removes its keys). */
  redisUrl?: string;
  /** Where the worker and simulator log (JSON lines). */
  logFile: string;
  /** LOG_LEVEL for that file. @default 'info' */
  logLevel?: string;
  now: Date;
  /** Told about each component as it comes up. */
  onStarted?: (what: StartedComponent) => void;
}

export type StartedComponent =
  | { kind: 'redis'; url: string; embedded: boolean; prefix: string }
  | { kind: 'simulator'; baseUrl: string }
  | { kind: 'feed'; url: string }
  | { kind: 'worker' };

export interface DemoStack {
  config: FlexysyncConfig;
  seed: SimulatorSeed;
  prefix: string;
  redisUrl: string;
  /** The port of the demo's own redis-server; absent with REDIS_URL. */
  redisPort?: number;
  /** The demo's own connection (reading outcomes and states, enqueuing pushed events). */
  redis: Redis;
  sim: RunningSimulator;
  feed: FeedServer;
  worker: RunningWorker;
  logger: Logger;
  /** Stops everything in reverse order: worker, feed server, simulator, Redis. Idempotent. */
  stop(): Promise<void>;
  /** For an exit that cannot wait (a second Ctrl-C): signals the private redis-server at once. */
  forceStop(): void;
}

/** Raised when the Redis named by REDIS_URL does not answer. */
export class DemoRedisUnreachableError extends Error {
  override readonly name = 'DemoRedisUnreachableError';
}

async function probeRedis(url: string): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED…) says more than the "Connection is closed" that follows it.
  let socketError: Error | undefined;
  probe.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const where = url.replace(/\/\/[^@/]*@/, '//***@');
    const reason =
      (socketError ?? error) instanceof Error ? (socketError ?? (error as Error)).message : String(error);
    throw new DemoRedisUnreachableError(
      `REDIS_URL is set, but the Redis at ${where} does not answer (${reason}). ` +
        'Unset REDIS_URL to let the demo start its own redis-server, or point it at a running Redis.',
    );
  } finally {
    probe.disconnect();
  }
}

async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * Starts what the demo runs on, in order — Redis (private unless `redisUrl`), the FlexyKey simulator
 * with the demo seed, the local calendar feed, the worker — and stops whatever did start if a later
 * step fails. The configuration gets its run-time values here: the simulator's URL and password,
 * the Redis URL, the feed's URL. Nothing is taken from the caller's FLEXYKEY_* environment: the demo
 * must never talk to a real FlexyKey account.
 */
export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    })();
    return stopping;
  };
  let forceStop = () => {};
  const logger = createLogger({
    level: options.logLevel ?? 'info',
    destination: pino.destination({ dest: options.logFile, sync: true, mkdir: true }),
    name: 'flexysync-demo',
  });
  try {
    let redisUrl: string;
    let redisPort: number | undefined;
    let prefix: string;
    if (options.redisUrl) {
      await probeRedis(options.redisUrl);
      redisUrl = options.redisUrl;
      // A shared Redis may hold a real deployment's keys: the demo keeps to its own prefix.
      prefix = `flexysync-demo-${randomBytes(3).toString('hex')}`;
    } else {
      // Its own process group: Ctrl-C in the terminal must not stop Redis before the worker is done with it.
      const started = await startEmbeddedRedis({ ownProcessGroup: true });
      stops.push(() => started.stop());
      forceStop = started.forceStop;
      redisUrl = started.url;
      redisPort = started.port;
      prefix = 'flexysync';
    }
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', (error) => logger.warn({ err: error.message }, 'demo redis connection error'));
    stops.push(async () => {
      if (options.redisUrl) await deleteKeysWithPrefix(redis, prefix).catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
    });
    options.onStarted?.({ kind: 'redis', url: redisUrl, embedded: redisPort !== undefined, prefix });

    const seed = loadDemoSeed();
    const user = seed.users[0];
    if (!user) throw new Error('the demo seed has no user');
    const configInput = loadDemoConfigInput();
    const env = (baseUrl: string) => ({
      REDIS_URL: redisUrl,
      FLEXYKEY_BASE_URL: baseUrl,
      FLEXYKEY_USERNAME: user.username,
      FLEXYKEY_PASSWORD: user.password,
      LOG_LEVEL: options.logLevel ?? 'info',
    });
    const withRuntime = (feedUrl?: string) => {
      const sources = (configInput.sources ?? {}) as Record<string, Record<string, unknown>>;
      const feed = sources[DEMO_FEED_SOURCE];
      if (!feed) throw new Error(`the demo configuration has no sources.${DEMO_FEED_SOURCE}`);
      return {
        ...configInput,
        redis: { ...(configInput.redis as object), prefix },
        sources: { ...sources, [DEMO_FEED_SOURCE]: { ...feed, ...(feedUrl ? { url: feedUrl } : {}) } },
      };
    };
    // Parsed once before the feed exists: the calendar's dates are rendered in its resource's zone.
    const draft = parseConfig(withRuntime(), env('http://127.0.0.1:9/v1/'));
    const feedResource = draft.sources?.[DEMO_FEED_SOURCE]?.resources[0] ?? '';
    const feedZone = resolveResource(draft, feedResource)?.timeZone ?? 'UTC';

    const sim = await startSimulator({
      seed,
      statusCacheGuardMs: draft.sync.statusCacheGuardMs,
      syncTimeoutMs: SIMULATOR.syncTimeoutMs,
      packetSize: SIMULATOR.packetSize,
      logger: logger.child({ component: 'simulator' }),
    });
    stops.push(() => sim.close());
    options.onStarted?.({ kind: 'simulator', baseUrl: sim.baseUrl });

    const feed = await startFeedServer(renderCalendarTemplate(loadCalendarTemplate(), feedZone, options.now));
    stops.push(() => feed.close());
    options.onStarted?.({ kind: 'feed', url: feed.url });

    const config = parseConfig(withRuntime(feed.url), env(sim.baseUrl));
    const worker = await startWorker({ config, logger, closeTimeoutMs: 5_000 });
    stops.push(() => worker.close());
    // Read the feed at once rather than at the schedule's next slot.
    for (const source of Object.keys(config.sources ?? {})) {
      await worker.services.feedsQueue.add(FEED_POLL_JOB, { source }, feedPollJobOptions);
    }
    options.onStarted?.({ kind: 'worker' });

    return {
      config,
      seed,
      prefix,
      redisUrl,
      ...(redisPort !== undefined ? { redisPort } : {}),
      redis,
      sim,
      feed,
      worker,
      logger,
      stop: stopAll,
      forceStop: () => forceStop(),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
