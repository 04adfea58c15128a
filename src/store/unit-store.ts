import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { luaScript, runScript } from '../coordination';
import type { UnitsInUse, UnitUsage } from '../planner';
import { FOREIGN_OWNER, storeKeys } from './keys';
import { claimFields, type EntryClaim, writeAhead } from './write-ahead';

/**
 * Deletes hash fields only while they still hold the value the caller saw (compare-and-delete);
 * returns the fields it deleted.
 */
const HDEL_IF_EQUAL = luaScript(`
local removed = {}
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed[#removed + 1] = ARGV[i]
  end
end
return removed
`);

/** One round trip for the three writes that say "this unit waits for this booking's change" (as in WRITE_AHEAD). */
const MARK_AWAITING = luaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`);

/**
 * Compare-and-delete of a unit's awaiting marks (HDEL_IF_EQUAL), also removing the unit from the
 * awaiting set of each booking it cleared. KEYS: the unit's awaiting hash, then each booking's awaiting
 * set in ARGV order; ARGV: the unit id, then booking key / generation pairs.
 */
const CLEAR_AWAITING = luaScript(`
local cleared = {}
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('SREM', KEYS[1 + i / 2], ARGV[1])
    cleared[#cleared + 1] = ARGV[i]
  end
end
return cleared
`);

/** Redis's clock in ms (the same for every process: claims are compared across machines). */
const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Claims, of the bookings ARGV, those no unit waits for (awaiting sets KEYS[3..]) that the to-announce
 * set KEYS[1] still notes: each moves from there into the announcing sorted set KEYS[2] (score = now),
 * so of two callers at the same moment only one gets it. Returns the claim time, then the bookings.
 */
const CLAIM_ANNOUNCEABLE = luaScript(`${NOW_MS}
local claimed = { tostring(now) }
for i = 1, #ARGV do
  if redis.call('SCARD', KEYS[2 + i]) == 0 and redis.call('SREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], now, ARGV[i])
    claimed[#claimed + 1] = ARGV[i]
  end
end
return claimed
`);

/**
 * Ends claims made at ARGV[1] (a later claim of the same booking is left alone): removes the bookings
 * ARGV[3..] from the announcing set KEYS[1] and, when ARGV[2] is '1', notes them again in KEYS[2].
 */
const END_ANNOUNCING = luaScript(`
local ended = 0
for i = 3, #ARGV do
  if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i])) == tonumber(ARGV[1]) then
    redis.call('ZREM', KEYS[1], ARGV[i])
    if ARGV[2] == '1' then redis.call('SADD', KEYS[2], ARGV[i]) end
    ended = ended + 1
  end
end
return ended
`);

/** Moves up to ARGV[2] claims older than ARGV[1] ms from the announcing set KEYS[1] back to KEYS[2]. */
const RECLAIM_STALE_ANNOUNCEMENTS = luaScript(`${NOW_MS}
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, tonumber(ARGV[2]))
for _, bookingKey in ipairs(stale) do
  redis.call('ZREM', KEYS[1], bookingKey)
  redis.call('SADD', KEYS[2], bookingKey)
end
return stale
`);

/** Bookings a caller took to announce (see `claimAnnounceable`), and when, which ends the claim. */
export interface AnnouncementClaim {
  at: number;
  bookingKeys: string[];
}

export const unitStateSchema = z.object({
  /** Outcome of the last sync attempt. */
  lastResult: z.enum(['completed', 'failed', 'timed-out', 'deadline', 'no-changes', 'error']).optional(),
  lastSyncIso: z.string().optional(),
  /** When the unit was last sent a PushChanges (paces the next one, see sync.minPushIntervalMs). */
  lastPushIso: z.string().optional(),
  lastSuccessIso: z.string().optional(),
  lastError: z.string().optional(),
  /** Consecutive failed attempts since the last success. */
  failures: z.coerce.number().int().default(0),
  unreachable: z
    .union([z.boolean(), z.enum(['0', '1'])])
    .transform((v) => v === true || v === '1')
    .default(false),
  unreachableSinceIso: z.string().optional(),
  pushes: z.coerce.number().int().default(0),
  syncing: z
    .union([z.boolean(), z.enum(['0', '1'])])
    .transform((v) => v === true || v === '1')
    .default(false),
  progressPercent: z.coerce.number().optional(),
});
export type UnitState = z.output<typeof unitStateSchema>;

/**
 * Per-unit bookkeeping in Redis: which codes and idNumbers are taken (and by whom), which bookings
 * still wait for a change to reach the physical unit, and the unit's sync state.
 */
export function createUnitStore(redis: Redis, prefix: string) {
  const keys = storeKeys(prefix);

  return {
    /** What entries other than `ownBookingKey`'s hold on each unit: the planner's `unitsInUse`. */
    async usage(unitIds: readonly number[], ownBookingKey: string): Promise<UnitsInUse> {
      const pipeline = redis.pipeline();
      for (const unitId of unitIds) pipeline.hgetall(keys.unitClaims(unitId));
      const results = (await pipeline.exec()) ?? [];
      const usage = new Map<number, UnitUsage>();
      unitIds.forEach((unitId, index) => {
        const [error, claims] = results[index] ?? [];
        if (error) throw error;
        const codes = new Set<string>();
        const idNumbers = new Set<string>();
        for (const [field, owner] of Object.entries((claims ?? {}) as Record<string, string>)) {
          if (owner === ownBookingKey) continue;
          if (field.startsWith('code:')) codes.add(field.slice(5));
          else if (field.startsWith('id:')) idNumbers.add(field.slice(3));
        }
        usage.set(unitId, { codes, idNumbers });
      });
      return usage;
    },

    /**
     * Like {@link usage}, but only for the given codes and idNumbers (HMGET): what a booking's plan needs
     * to know about a busy unit without reading every claim on it.
     */
    async usageOf(
      unitIds: readonly number[],
      ownBookingKey: string,
      wanted: { codes: readonly string[]; idNumbers: readonly string[] },
    ): Promise<UnitsInUse> {
      const fields = [...wanted.codes.map((c) => `code:${c}`), ...wanted.idNumbers.map((i) => `id:${i}`)];
      const usage = new Map<number, UnitUsage>();
      if (fields.length === 0) {
        for (const unitId of unitIds) usage.set(unitId, { codes: new Set(), idNumbers: new Set() });
        return usage;
      }
      const owners = await Promise.all(
        unitIds.map((unitId) => redis.hmget(keys.unitClaims(unitId), ...fields)),
      );
      unitIds.forEach((unitId, index) => {
        const codes = new Set<string>();
        const idNumbers = new Set<string>();
        fields.forEach((field, i) => {
          const owner = owners[index]?.[i];
          if (owner === null || owner === undefined || owner === ownBookingKey) return;
          if (field.startsWith('code:')) codes.add(field.slice(5));
          else idNumbers.add(field.slice(3));
        });
        usage.set(unitId, { codes, idNumbers });
      });
      return usage;
    },

    /**
     * Claims each unit's code and idNumber for `owner` in one atomic step, unless another owner holds
     * any of them: then nothing is claimed and what is taken comes back, per unit (empty map = claimed).
     * Two bookings choosing the same PIN for one unit at the same moment cannot both get it.
     */
    async claimIfFree(owner: string, claims: ReadonlyMap<number, EntryClaim>): Promise<UnitsInUse> {
      const anything = [...claims.values()].some((claim) => claimFields(claim).length > 0);
      return anything ? writeAhead(redis, prefix, { owner, claims }) : new Map();
    },

    /** Who holds an idNumber on a unit: a booking key, FOREIGN_OWNER, or null when nobody does. */
    async idNumberOwner(unitId: number, idNumber: string): Promise<string | null> {
      return redis.hget(keys.unitClaims(unitId), `id:${idNumber}`);
    },

    /** Frees what `owner` claimed; a claim someone else took meanwhile is left alone. */
    async release(unitId: number, owner: string, claim: EntryClaim): Promise<void> {
      const fields = claimFields(claim);
      if (fields.length === 0) return;
      await runScript(
        redis,
        HDEL_IF_EQUAL,
        [keys.unitClaims(unitId)],
        fields.flatMap((f) => [f, owner]),
      );
    },

    /** Records hand-made entries of a unit (read from the API) so new codes never collide with them. */
    async recordForeign(unitId: number, claims: readonly EntryClaim[], ttlMs: number): Promise<void> {
      const foreignKeys = storeKeys(prefix).unitClaims(unitId);
      const pipeline = redis.pipeline();
      for (const claim of claims) {
        for (const field of claimFields(claim)) pipeline.hsetnx(foreignKeys, field, FOREIGN_OWNER);
      }
      pipeline.set(keys.unitScanned(unitId), new Date().toISOString(), 'PX', Math.max(1, Math.ceil(ttlMs)));
      await pipeline.exec();
    },

    async wasScanned(unitId: number): Promise<boolean> {
      return (await redis.exists(keys.unitScanned(unitId))) === 1;
    },

    /**
     * Notes that a change of `bookingKey` still has to reach the unit. The generation is a fresh token:
     * confirmation only ever compares it for equality, to tell a later change from the one it saw.
     */
    async markAwaiting(unitId: number, bookingKey: string): Promise<string> {
      const generation = randomUUID();
      await runScript(
        redis,
        MARK_AWAITING,
        [keys.unitAwaiting(unitId), keys.units, keys.bookingAwaitingUnits(bookingKey)],
        [bookingKey, generation, String(unitId)],
      );
      return generation;
    },

    async awaiting(unitId: number): Promise<Map<string, string>> {
      return new Map(Object.entries(await redis.hgetall(keys.unitAwaiting(unitId))));
    },

    /** The generation each booking waits with on the unit (null where it does not wait there), one HMGET. */
    async awaitingGenerations(unitId: number, bookingKeys: readonly string[]): Promise<(string | null)[]> {
      if (bookingKeys.length === 0) return [];
      return redis.hmget(keys.unitAwaiting(unitId), ...bookingKeys);
    },

    /**
     * Clears the bookings of a snapshot taken before a push, but only those whose generation did not
     * move: a booking changed again after the push still waits for the next sync.
     */
    async clearAwaiting(unitId: number, snapshot: ReadonlyMap<string, string>): Promise<string[]> {
      if (snapshot.size === 0) return [];
      const bookingKeys = [...snapshot.keys()];
      return (await runScript(
        redis,
        CLEAR_AWAITING,
        [
          keys.unitAwaiting(unitId),
          ...bookingKeys.map((bookingKey) => keys.bookingAwaitingUnits(bookingKey)),
        ],
        [String(unitId), ...[...snapshot].flat()],
      )) as string[];
    },

    /** Notes bookings to announce once no unit waits for them; kept until claimed (or `announced`). */
    async noteToAnnounce(bookingKeys: readonly string[]): Promise<void> {
      if (bookingKeys.length > 0) await redis.sadd(keys.toAnnounce, ...bookingKeys);
    },

    /**
     * Takes, of `bookingKeys`, those still noted to announce that no unit waits for any more, atomically:
     * each is moved to the announcing set, so two callers at the same moment never both get one. The
     * caller publishes, then ends the claim (`endAnnouncing`); a claim left by a crash is taken back
     * by `reclaimStaleAnnouncements`.
     */
    async claimAnnounceable(bookingKeys: readonly string[]): Promise<AnnouncementClaim> {
      if (bookingKeys.length === 0) return { at: 0, bookingKeys: [] };
      const [at, ...claimed] = (await runScript(
        redis,
        CLAIM_ANNOUNCEABLE,
        [
          keys.toAnnounce,
          keys.announcing,
          ...bookingKeys.map((bookingKey) => keys.bookingAwaitingUnits(bookingKey)),
        ],
        [...bookingKeys],
      )) as string[];
      return { at: Number(at), bookingKeys: claimed };
    },

    /**
     * Ends a claim on `bookingKeys`: announced, or (`noteAgain`) not announced after all and noted
     * to announce again. A later claim of the same booking (changed and confirmed again) is kept.
     */
    async endAnnouncing(claimedAt: number, bookingKeys: readonly string[], noteAgain = false): Promise<void> {
      if (bookingKeys.length === 0) return;
      await runScript(
        redis,
        END_ANNOUNCING,
        [keys.announcing, keys.toAnnounce],
        [claimedAt, noteAgain ? '1' : '0', ...bookingKeys],
      );
    },

    /** Forgets the bookings' notes and claims: announced by someone who did not claim them first. */
    async announced(...bookingKeys: string[]): Promise<void> {
      if (bookingKeys.length > 0) {
        await redis
          .multi()
          .srem(keys.toAnnounce, ...bookingKeys)
          .zrem(keys.announcing, ...bookingKeys)
          .exec();
      }
    },

    /**
     * Notes again claims older than `olderThanMs` (up to `count`): their claimer died between claiming
     * and publishing. Returns the bookings taken back.
     */
    async reclaimStaleAnnouncements(olderThanMs: number, count = 100): Promise<string[]> {
      return (await runScript(
        redis,
        RECLAIM_STALE_ANNOUNCEMENTS,
        [keys.announcing, keys.toAnnounce],
        [Math.max(0, Math.round(olderThanMs)), count],
      )) as string[];
    },

    /** Up to `count` bookings still to announce (left by a process that died mid-confirmation). */
    async pendingAnnouncements(count = 100): Promise<string[]> {
      return redis.srandmember(keys.toAnnounce, count);
    },

    /** Units where a change of the booking has not arrived yet. */
    async awaitingUnitsOf(bookingKey: string): Promise<number[]> {
      return (await redis.smembers(keys.bookingAwaitingUnits(bookingKey))).map(Number).sort((a, b) => a - b);
    },

    /** Known units that some booking's change still has to reach (two round trips, however many units). */
    async unitsWithAwaiting(): Promise<number[]> {
      const unitIds = (await redis.smembers(keys.units)).map(Number).sort((a, b) => a - b);
      if (unitIds.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const unitId of unitIds) pipeline.hlen(keys.unitAwaiting(unitId));
      const lengths = (await pipeline.exec()) ?? [];
      return unitIds.filter((_, index) => {
        const [error, length] = lengths[index] ?? [];
        if (error) throw error;
        return Number(length) > 0;
      });
    },

    async state(unitId: number): Promise<UnitState> {
      return unitStateSchema.parse(await redis.hgetall(keys.unitState(unitId)));
    },

    async updateState(unitId: number, patch: Partial<Record<keyof UnitState, string | number | boolean>>) {
      const flat: Record<string, string> = {};
      for (const [field, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        flat[field] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
      }
      await redis.multi().hset(keys.unitState(unitId), flat).sadd(keys.units, String(unitId)).exec();
    },

    /**
     * Of the bookings waiting on an unreachable unit (booking key → generation, as {@link awaiting}
     * returns them), those not told yet that this change of theirs cannot reach the unit.
     */
    async notToldUnreachable(unitId: number, waiting: ReadonlyMap<string, string>): Promise<string[]> {
      if (waiting.size === 0) return [];
      const bookingKeys = [...waiting.keys()];
      const told = await redis.hmget(keys.unitToldUnreachable(unitId), ...bookingKeys);
      return bookingKeys.filter((bookingKey, index) => told[index] !== waiting.get(bookingKey));
    },

    /** Notes that these bookings (booking key → generation) were told the unit is unreachable. */
    async toldUnreachable(unitId: number, told: ReadonlyMap<string, string>): Promise<void> {
      if (told.size > 0) await redis.hset(keys.unitToldUnreachable(unitId), Object.fromEntries(told));
    },

    /** Forgets who was told the unit is unreachable (it is reachable again). */
    async forgetToldUnreachable(unitId: number): Promise<void> {
      await redis.del(keys.unitToldUnreachable(unitId));
    },

    async incrementPushesBy(unitId: number, pushes: number): Promise<void> {
      if (pushes > 0) await redis.hincrby(keys.unitState(unitId), 'pushes', pushes);
    },

    async knownUnits(): Promise<number[]> {
      return (await redis.smembers(keys.units)).map(Number).sort((a, b) => a - b);
    },
  };
}

export type UnitStore = ReturnType<typeof createUnitStore>;
