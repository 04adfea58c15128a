import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { luaScript, runScript } from './lua-script';

/**
 * GCRA (generic cell rate algorithm) over one Redis key, so every process shares one budget with O(1)
 * memory: the key holds the "theoretical arrival time" (TAT) of the next request, and requests are
 * spaced `interval = window / max` apart, with at most `burst` of them early. With the default burst
 * of 1, any window of the budget's length holds at most `max` requests — whatever the server's own
 * window alignment — so a server enforcing the same budget never answers 429. Redis' own clock is used
 * so machines with skewed clocks still agree, in microseconds: with whole milliseconds, two requests in
 * the same millisecond could never both go, which capped any budget at about 1,000 requests/s. A second
 * key, set after a 429, pauses everyone until the server's Retry-After has passed.
 *
 * ARGV: the interval and the tolerance in µs. Returns 0 when the request may go now, else the
 * milliseconds to wait before asking again.
 */
const TRY_ACQUIRE = luaScript(`
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return pause end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local newTat = tat + interval
local allowAt = newTat - tolerance
if allowAt > now then return math.ceil((allowAt - now) / 1000) end
redis.call('SET', KEYS[1], string.format('%d', newTat), 'PX', math.ceil((newTat - now) / 1000) + 1)
return 0
`);

const PAUSE = luaScript(`
local current = redis.call('PTTL', KEYS[1])
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1]) end
return 1
`);

export interface RequestBudgetOptions {
  redis: Redis;
  /** Names the budget, e.g. `flexysync:budget:flexykey`; stored under `<key>:{budget}`. */
  key: string;
  /** Requests allowed per window across every process sharing the key. */
  maxRequests: number;
  /** Window length. */
  perMs: number;
  /**
   * Requests that may go at once before the even spacing applies. Above 1, a window can briefly see up
   * to `maxRequests + burst − 1` requests. @default 1
   */
  burst?: number;
  /** Upper bound of one wait before asking Redis again. @default 1_000 */
  maxWaitSliceMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** A request budget shared by every process that uses the same Redis key. */
export interface RequestBudget {
  /** Resolves when one request may be sent. */
  acquire(): Promise<void>;
  /** 0 when a request may go now (and is counted), else the wait in ms; counts nothing then. */
  tryAcquire(): Promise<number>;
  /** Holds every process back for `ms` (after a 429 with Retry-After). Never shortens a longer pause. */
  pauseFor(ms: number): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  if (!(options.maxRequests > 0) || !(options.perMs > 0)) {
    throw new RangeError('request budget: maxRequests and perMs must be positive');
  }
  const interval = options.perMs / options.maxRequests;
  const burst = Math.max(1, Math.floor(options.burst ?? 1));
  const tolerance = burst * interval;
  // The script counts in whole microseconds.
  const intervalUs = Math.max(1, Math.round(interval * 1_000));
  const toleranceUs = Math.max(1, Math.round(tolerance * 1_000));
  // The same hash tag in both keys keeps them in one Redis Cluster slot, as the script needs.
  const budgetKey = `${options.key}:{budget}`;
  const pauseKey = `${options.key}:{budget}:pause`;
  const maxWaitSliceMs = options.maxWaitSliceMs ?? 1_000;
  const sleep = options.sleep ?? defaultSleep;

  const tryAcquire = async (): Promise<number> =>
    Number(await runScript(options.redis, TRY_ACQUIRE, [budgetKey, pauseKey], [intervalUs, toleranceUs]));

  return {
    tryAcquire,
    async acquire() {
      for (;;) {
        const waitMs = await tryAcquire();
        if (waitMs <= 0) return;
        // A little jitter so processes that were told the same wait do not all retry at once.
        await sleep(Math.min(waitMs, maxWaitSliceMs) + Math.floor(Math.random() * Math.min(interval, 20)));
      }
    },
    async pauseFor(ms: number) {
      if (!(ms > 0)) return;
      await runScript(options.redis, PAUSE, [pauseKey], [Math.ceil(ms), randomUUID()]);
    },
  };
}
