import type { Redis } from 'ioredis';
import { luaScript, runScript } from './lua-script';

const ACQUIRE = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return nil end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], tostring(fence), 'PX', ARGV[1])
return fence
`);

const EXTEND = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

const RELEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** A held lease: `fence` grows with every acquisition of the same name, so a stale holder can tell. */
export interface Lease {
  readonly name: string;
  readonly fence: number;
  /**
   * Where the lease lives and what it holds while this holder owns it: a script that writes on the
   * holder's behalf checks `GET key == token` first (see {@link LeaseFence}).
   */
  readonly guard: LeaseFence;
  /** Extends the lease; false when it was lost (expired and maybe taken by another process). */
  extend(ttlMs: number): Promise<boolean>;
  /** True while this holder still owns the lease. */
  isHeld(): Promise<boolean>;
  /** Gives the lease up; a no-op when it was already lost. */
  release(): Promise<void>;
}

/**
 * A fenced write's condition: the lease key still holds this holder's token. Checked inside the
 * script that writes, so a holder that lost its lease (a long pause, a partition whose queued commands
 * reach Redis late) cannot overwrite what the next holder wrote.
 */
export interface LeaseFence {
  readonly key: string;
  readonly token: string;
}

export interface LeaseManager {
  /** Takes the named lease for `ttlMs`, or returns null when another holder has it. */
  tryAcquire(name: string, ttlMs: number): Promise<Lease | null>;
  /** The fence of the current holder, or null when nobody holds the lease. */
  holder(name: string): Promise<number | null>;
}

/**
 * Mutual exclusion across processes and machines: `SET NX PX` semantics with a fencing counter, and
 * compare-and-set extend/release so a process whose lease expired (a stalled event loop) can never
 * release or extend the lease of the process that took over.
 */
export function createLeaseManager(redis: Redis, keyPrefix: string): LeaseManager {
  // The braces are a Redis Cluster hash tag: a lease and its fence must live in one slot for the scripts.
  const leaseKey = (name: string) => `${keyPrefix}:lease:{${name}}`;
  const fenceKey = (name: string) => `${keyPrefix}:lease:{${name}}:fence`;

  return {
    async tryAcquire(name, ttlMs) {
      const key = leaseKey(name);
      const fence = (await runScript(redis, ACQUIRE, [key, fenceKey(name)], [Math.ceil(ttlMs)])) as
        | number
        | null;
      if (fence === null) return null;
      const token = String(fence);
      return {
        name,
        fence,
        guard: { key, token },
        async extend(ms) {
          return Number(await runScript(redis, EXTEND, [key], [token, Math.ceil(ms)])) === 1;
        },
        async isHeld() {
          return (await redis.get(key)) === token;
        },
        async release() {
          await runScript(redis, RELEASE, [key], [token]);
        },
      };
    },
    async holder(name) {
      const value = await redis.get(leaseKey(name));
      return value === null ? null : Number(value);
    },
  };
}

/**
 * Keeps a lease alive by extending it every third of its TTL until `stop()`; `held()` turns false as
 * soon as an extension finds the lease lost, so long work can stop before it acts on stale ownership.
 */
export function keepLeaseAlive(lease: Lease, ttlMs: number): { held(): boolean; stop(): void } {
  let held = true;
  const timer = setInterval(() => {
    lease.extend(ttlMs).then(
      (stillHeld) => {
        if (!stillHeld) held = false;
      },
      () => {},
    );
  }, ttlMs / 3);
  timer.unref();
  return { held: () => held, stop: () => clearInterval(timer) };
}
