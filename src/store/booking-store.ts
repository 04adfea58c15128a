import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { type StoredBooking, storedBookingSchema } from '../domain';
import { storeKeys } from './keys';

const recordEntriesSchema = storedBookingSchema.pick({ key: true, validToIso: true, entries: true });
export type RecordEntries = Pick<StoredBooking, 'key' | 'validToIso' | 'entries'>;

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
    const raw = await redis.get(keys.booking(bookingKey));
    if (raw === null) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new CorruptRecordError(keys.booking(bookingKey), 'not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new CorruptRecordError(keys.booking(bookingKey), parsed.error.message);
    return parsed.data;
  }

  return {
    get(bookingKey: string): Promise<StoredBooking | undefined> {
      return read(bookingKey, storedBookingSchema);
    },
    /**
     * Just what reconciliation needs of a record (its entries and when its access ends), validated
     * with the matching part of the schema: far less to allocate over tens of thousands of records.
     */
    getEntries(bookingKey: string): Promise<RecordEntries | undefined> {
      return read(bookingKey, recordEntriesSchema);
    },

    /**
     * Writes a record built by our own typed code (records are validated where they are read back).
     * `indexed: true` skips adding the key to the bookings index, for a record known to be there.
     */
    async put(record: StoredBooking, { indexed = false }: { indexed?: boolean } = {}): Promise<void> {
      const writes: Promise<unknown>[] = [redis.set(keys.booking(record.key), JSON.stringify(record))];
      if (!indexed) writes.push(redis.sadd(keys.bookingsIndex, record.key));
      await Promise.all(writes);
    },
    async keys(): Promise<string[]> {
      return redis.smembers(keys.bookingsIndex);
    },
  };
}

export type BookingStore = ReturnType<typeof createBookingStore>;
