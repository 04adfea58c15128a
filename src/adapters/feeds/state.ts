import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HeldCancellations, SnapshotEntry } from './safety';

/** Keys of one feed's state, all under `<prefix>:feed:<source>:`. */
export function feedKeys(prefix: string, source: string) {
  const base = `${prefix}:feed:${source}`;
  return {
    /** hash: fetch and health fields (see {@link FeedMeta}) */
    meta: `${base}:meta`,
    /** hash: externalId → JSON {@link SnapshotEntry} (the last good snapshot) */
    snapshot: `${base}:snapshot`,
    /** string: one poll of this feed at a time across every process */
    lock: `${base}:lock`,
  };
}

/** Set of every feed that has state (for status). */
export const feedIndexKey = (prefix: string) => `${prefix}:feed-index`;

export type FeedOutcome = 'updated' | 'unchanged' | 'failed' | 'suspicious' | 'held';

export interface FeedCounts {
  /** VEVENTs in the body. */
  readonly events: number;
  readonly occurrences: number;
  readonly bookings: number;
  readonly blocks: number;
  readonly tentative: number;
  readonly ambiguous: number;
  readonly cancelled: number;
  readonly ignored: number;
  readonly rejected: number;
  readonly warnings: number;
  /** BookingEvents handed over by the last fetch that changed something. */
  readonly emitted: number;
  readonly pendingAbsence: number;
}

/** What is stored about a feed's health, readable for status and metrics. Times are ISO 8601 (UTC). */
export interface FeedMeta {
  etag?: string;
  lastModified?: string;
  contentHash?: string;
  configHash?: string;
  lastParsedAt?: string;
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  lastOutcome?: FeedOutcome;
  lastError?: string;
  lastErrorAt?: string;
  consecutiveFailures: number;
  counts?: FeedCounts;
  held?: HeldCancellations[];
  /** Rejected UIDs of the last parse (they keep their previous state on a 304 too). */
  protectedUids?: string[];
  /** METHOD of the last good body (`CANCEL` is not a snapshot). */
  method?: string;
  /** Set by an operator: apply the held cancellations on the next poll. */
  approveHeld?: boolean;
  /**
   * The stored approval as read (a counter each approval increments; `1` from older versions and
   * `redis-cli HSET … approveHeld 1`). A poll clears the approval only if it is still the one it read.
   */
  approveHeldMark?: string;
  /** Why the last fetch was not used and what it rejected (reasons, at most 50). */
  rejectedReasons?: string[];
}

const JSON_FIELDS = new Set(['counts', 'held', 'protectedUids', 'rejectedReasons']);
/** A stored approval: a positive counter (`1` is what older versions and the runbook write). */
const APPROVAL = /^[1-9]\d{0,14}$/;

function decodeMeta(raw: Record<string, string>): FeedMeta {
  const meta: Record<string, unknown> = { consecutiveFailures: Number(raw.consecutiveFailures ?? 0) };
  for (const [field, value] of Object.entries(raw)) {
    // approveHeldMark is derived, never stored: a field of that name is ignored.
    if (field === 'consecutiveFailures' || field === 'approveHeldMark') continue;
    if (field === 'approveHeld') {
      meta.approveHeld = APPROVAL.test(value);
      if (meta.approveHeld) meta.approveHeldMark = value;
    } else if (JSON_FIELDS.has(field)) {
      try {
        meta[field] = JSON.parse(value);
      } catch {
        // A damaged field is dropped; the next poll writes it again.
      }
    } else meta[field] = value;
  }
  return meta as unknown as FeedMeta;
}

function encodeMeta(meta: Partial<FeedMeta>): { set: Record<string, string>; del: string[] } {
  const set: Record<string, string> = {};
  const del: string[] = [];
  for (const [field, value] of Object.entries(meta)) {
    if (field === 'approveHeldMark') continue;
    if (value === undefined) del.push(field);
    else if (field === 'approveHeld') {
      if (value) set[field] = '1';
      else del.push(field);
    } else if (JSON_FIELDS.has(field)) set[field] = JSON.stringify(value);
    else set[field] = String(value);
  }
  return { set, del };
}

/** An approval: the counter goes up by one (a value that is not a counter starts it again at 1). */
const APPROVE = `local v = tonumber(redis.call('hget', KEYS[1], 'approveHeld'))
if v and v >= 1 and v < 1e15 and v == math.floor(v) then v = v + 1 else v = 1 end
redis.call('hset', KEYS[1], 'approveHeld', string.format('%d', v))
return v`;
/** Clears the approval a poll consumed, unless another one arrived meanwhile (the counter moved). */
const CLEAR_APPROVAL = `if redis.call('hget', KEYS[1], 'approveHeld') == ARGV[1] then return redis.call('hdel', KEYS[1], 'approveHeld') else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** The Redis state of the feeds: health, the last good snapshot, and a per-feed poll lock. */
export function createFeedStateStore(redis: Redis, prefix: string) {
  return {
    async readMeta(source: string): Promise<FeedMeta> {
      return decodeMeta(await redis.hgetall(feedKeys(prefix, source).meta));
    },

    async writeMeta(source: string, meta: Partial<FeedMeta>): Promise<void> {
      const key = feedKeys(prefix, source).meta;
      const { set, del } = encodeMeta(meta);
      const multi = redis.multi().sadd(feedIndexKey(prefix), source);
      if (Object.keys(set).length > 0) multi.hset(key, set);
      if (del.length > 0) multi.hdel(key, ...del);
      await multi.exec();
    },

    async readSnapshot(source: string): Promise<Map<string, SnapshotEntry>> {
      const raw = await redis.hgetall(feedKeys(prefix, source).snapshot);
      const map = new Map<string, SnapshotEntry>();
      for (const [id, json] of Object.entries(raw)) {
        try {
          map.set(id, JSON.parse(json) as SnapshotEntry);
        } catch {
          // Unreadable: dropped (it reads as unknown, never as a cancellation).
        }
      }
      return map;
    },

    /**
     * An operator's approval of the held cancellations, for the next poll. A counter, not a flag: a
     * poll that read an earlier approval does not clear this one (see `commit`).
     */
    async approveHeld(source: string): Promise<void> {
      const results = await redis
        .multi()
        .sadd(feedIndexKey(prefix), source)
        .eval(APPROVE, 1, feedKeys(prefix, source).meta)
        .exec();
      const failed = results?.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    },

    /**
     * Writes the new snapshot (only what changed) and the meta together, in one transaction, so a
     * crash never leaves a snapshot that disagrees with the hash it was computed from.
     * `consumedApproval`: the approval (its {@link FeedMeta.approveHeldMark}) this poll applied; it is
     * cleared only if it is still the stored one, so an approval given during the poll stays for the next.
     */
    async commit(
      source: string,
      previous: ReadonlyMap<string, SnapshotEntry>,
      next: ReadonlyMap<string, SnapshotEntry>,
      meta: Partial<FeedMeta>,
      options: { readonly consumedApproval?: string } = {},
    ): Promise<void> {
      const keys = feedKeys(prefix, source);
      const multi = redis.multi().sadd(feedIndexKey(prefix), source);
      const removed = [...previous.keys()].filter((id) => !next.has(id));
      if (removed.length > 0) multi.hdel(keys.snapshot, ...removed);
      const changed: Record<string, string> = {};
      for (const [id, entry] of next) {
        const json = JSON.stringify(entry);
        if (JSON.stringify(previous.get(id)) !== json) changed[id] = json;
      }
      if (Object.keys(changed).length > 0) multi.hset(keys.snapshot, changed);
      const { set, del } = encodeMeta(meta);
      if (Object.keys(set).length > 0) multi.hset(keys.meta, set);
      if (del.length > 0) multi.hdel(keys.meta, ...del);
      if (options.consumedApproval !== undefined) {
        multi.eval(CLEAR_APPROVAL, 1, keys.meta, options.consumedApproval);
      }
      const results = await multi.exec();
      const failed = results?.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    },

    /** Takes the poll lock of a feed; undefined when another process holds it. */
    async lock(source: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
      const key = feedKeys(prefix, source).lock;
      const token = randomBytes(12).toString('hex');
      const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
      if (ok !== 'OK') return undefined;
      return async () => {
        await redis.eval(RELEASE, 1, key, token);
      };
    },

    async sources(): Promise<string[]> {
      return (await redis.smembers(feedIndexKey(prefix))).sort();
    },
  };
}

export type FeedStateStore = ReturnType<typeof createFeedStateStore>;
