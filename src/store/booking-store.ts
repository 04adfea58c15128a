import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { luaScript, runScript } from '../coordination';
import { type StoredBooking, storedBookingSchema } from '../domain';
import type { UnitsInUse } from '../planner';
import { storeKeys } from './keys';
import { type EntryClaim, FencedOutError, type WriteFence, writeAhead } from './write-ahead';

/**
 * Deletes a booking's record, its index entry and any pending announcement, only if the record still
 * reads exactly as it did when it was judged forgettable: a write in between (a new event) keeps it.
 * KEYS: record, bookings index, to-announce; ARGV: the record's text, the booking key.
 */
const FORGET_IF_UNCHANGED = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('SREM', KEYS[3], ARGV[2])
return 1
`);

/**
 * A record's write while its booking's lease is held: KEYS record, bookings index, lease; ARGV the
 * record's text, '1' to add the index entry, the booking key, the lease token. Returns 0 (nothing
 * written) when the lease key holds another token or none.
 */
const PUT_IF_LEASE_HELD = luaScript(`
if redis.call('GET', KEYS[3]) ~= ARGV[4] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then redis.call('SADD', KEYS[2], ARGV[3]) end
return 1
`);

const recordEntriesSchema = storedBookingSchema.pick({
  key: true,
  validToIso: true,
  entries: true,
  flexyBooking: true,
  applying: true,
  failure: true,
  updatedIso: true,
});
export type RecordEntries = Pick<
  StoredBooking,
  'key' | 'validToIso' | 'entries' | 'flexyBooking' | 'applying' | 'failure' | 'updatedIso'
>;
/** One record read for reconciliation: its entries, undefined when it is gone, or why it is unreadable. */
export type EntriesOrProblem = RecordEntries | CorruptRecordError | undefined;

/** Raised when a stored record no longer matches its schema (hand-edited, or written by a newer version). */
export class CorruptRecordError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`stored record ${key} is unreadable: ${detail}`);
    this.name = 'CorruptRecordError';
  }
}

/** What flexysync recorded per booking: the planner's `previous`, the applier's log. */
export function createBookingStore(redis: Redis, prefix: string) {
  const keys = storeKeys(prefix);

  /** Reads a record and validates it with `schema`; an unreadable one is a {@link CorruptRecordError}. */
  async function read<T>(bookingKey: string, schema: z.ZodType<T>): Promise<T | undefined> {
    return decode(bookingKey, await redis.get(keys.booking(bookingKey)), schema);
  }

  /** A stored record's text validated with `schema` (undefined when there is none). */
  function decode<T>(bookingKey: string, raw: string | Buffer | null, schema: z.ZodType<T>): T | undefined {
    if (raw === null) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
    } catch {
      throw new CorruptRecordError(keys.booking(bookingKey), 'not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new CorruptRecordError(keys.booking(bookingKey), parsed.error.message);
    return parsed.data;
  }

  /** Each record of a batch validated with `schema`, in order, decoded only when the caller gets to it. */
  function* decodeEach<T>(
    bookingKeys: readonly string[],
    raws: readonly (Buffer | null)[],
    schema: z.ZodType<T>,
  ): Generator<[string, T | CorruptRecordError | undefined]> {
    for (const [i, bookingKey] of bookingKeys.entries()) {
      let record: T | CorruptRecordError | undefined;
      try {
        record = decode(bookingKey, raws[i] ?? null, schema);
      } catch (error) {
        if (!(error instanceof CorruptRecordError)) throw error;
        record = error;
      }
      yield [bookingKey, record];
    }
  }

  async function readMany<T>(bookingKeys: readonly string[], schema: z.ZodType<T>) {
    if (bookingKeys.length === 0) return [];
    const buffers = await redis.mgetBuffer(bookingKeys.map((bookingKey) => keys.booking(bookingKey)));
    return decodeEach(bookingKeys, buffers, schema);
  }

  return {
    get(bookingKey: string): Promise<StoredBooking | undefined> {
      return read(bookingKey, storedBookingSchema);
    },
    /**
     * Just what reconciliation needs of a record (its entries, when its access ends, whether it may be
     * forgotten), validated with the matching part of the schema: far less to allocate over tens of
     * thousands of records.
     */
    getEntries(bookingKey: string): Promise<RecordEntries | undefined> {
      return read(bookingKey, recordEntriesSchema);
    },
    /**
     * {@link getEntries} of many records in one round trip (MGET). The result is decoded lazily, one
     * record per step, in the order of `bookingKeys`: the record's entries, undefined for a record
     * that is gone, or the {@link CorruptRecordError} of an unreadable one (it does not stop the
     * others). Only what the caller keeps outlives its step: reading every record this way, nothing
     * of a batch piles up while the rest of it is decoded (which would get it, and much that is
     * allocated alike later, moved to V8's old generation, freed only by a full collection).
     */
    getEntriesMany(bookingKeys: readonly string[]): Promise<Iterable<[string, EntriesOrProblem]>> {
      return readMany(bookingKeys, recordEntriesSchema);
    },
    /**
     * Whole records of many bookings in one round trip (MGET), decoded lazily in the order of
     * `bookingKeys`: the record, undefined when there is none, or the {@link CorruptRecordError} of an
     * unreadable one (it does not stop the others).
     */
    getMany(
      bookingKeys: readonly string[],
    ): Promise<Iterable<[string, StoredBooking | CorruptRecordError | undefined]>> {
      return readMany(bookingKeys, storedBookingSchema);
    },

    /**
     * Writes a record built by our own typed code (records are validated where they are read back).
     * `indexed: true` skips adding the key to the bookings index, for a record known to be there. With
     * a `fence`, only while that lease is still held ({@link FencedOutError} otherwise, nothing written).
     */
    async put(
      record: StoredBooking,
      { indexed = false, fence }: { indexed?: boolean; fence?: WriteFence | undefined } = {},
    ): Promise<void> {
      if (fence) {
        const written = await runScript(
          redis,
          PUT_IF_LEASE_HELD,
          [keys.booking(record.key), keys.bookingsIndex, fence.key],
          [JSON.stringify(record), indexed ? '0' : '1', record.key, fence.token],
        );
        if (Number(written) !== 1) throw new FencedOutError(fence.key);
        return;
      }
      const writes: Promise<unknown>[] = [redis.set(keys.booking(record.key), JSON.stringify(record))];
      if (!indexed) writes.push(redis.sadd(keys.bookingsIndex, record.key));
      await Promise.all(writes);
    },
    /**
     * The applier's write-ahead, atomic: claims each unit's code and idNumber for the booking and, only
     * if none is held by another owner, writes the record and marks `awaitingUnits` as waiting for its
     * change. Returns what is taken, per unit; an empty map means everything was written.
     */
    putClaiming(
      record: StoredBooking,
      options: {
        indexed: boolean;
        claims: ReadonlyMap<number, EntryClaim>;
        awaitingUnits: readonly number[];
        fence?: WriteFence | undefined;
      },
    ): Promise<UnitsInUse> {
      return writeAhead(redis, prefix, {
        owner: record.key,
        claims: options.claims,
        recordText: JSON.stringify(record),
        index: !options.indexed,
        awaitingUnits: options.awaitingUnits,
        fence: options.fence,
      });
    },
    async keys(): Promise<string[]> {
      return redis.smembers(keys.bookingsIndex);
    },
    /**
     * Forgets a booking (record, index entry, pending announcement) when `forgettable` says so of its
     * record as it is now, atomically: a record written meanwhile is kept. Returns whether it was
     * forgotten; an unreadable record is never forgotten (a person should look at it).
     */
    async forgetIf(bookingKey: string, forgettable: (record: StoredBooking) => boolean): Promise<boolean> {
      const recordKey = keys.booking(bookingKey);
      const raw = await redis.get(recordKey);
      if (raw === null) return false;
      const record = decode(bookingKey, raw, storedBookingSchema);
      if (!record || !forgettable(record)) return false;
      const done = await runScript(
        redis,
        FORGET_IF_UNCHANGED,
        [recordKey, keys.bookingsIndex, keys.toAnnounce],
        [raw, bookingKey],
      );
      return Number(done) === 1;
    },
  };
}

export type BookingStore = ReturnType<typeof createBookingStore>;
