import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { FEEDS_QUEUE, type FeedStatus, readFeedStatus } from '../adapters';
import type { StoredBooking } from '../domain';
import { createOutcomeStream, type StoredOutcomeEvent } from '../events';
import { BOOKINGS_QUEUE, RECONCILE_QUEUE, UNIT_SYNC_QUEUE } from '../jobs';
import { createBookingStore, createUnitStore, type UnitState } from '../store';

const COUNTED_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;
export type QueueCounts = Record<(typeof COUNTED_STATES)[number], number>;

export interface UnitStatus extends UnitState {
  unitId: number;
  /** Bookings whose latest change has not reached the unit yet. */
  awaiting: number;
}

export interface StatusReport {
  prefix: string;
  queues: Record<string, QueueCounts>;
  units: UnitStatus[];
  /** Calendar feeds: last good fetch, last error, held-back cancellations. */
  feeds: FeedStatus[];
}

export interface BookingStatus {
  key: string;
  record:
    | (Omit<StoredBooking, 'pin' | 'entries'> & {
        pin?: string;
        entries: Omit<StoredBooking['entries'][number], 'codeTag'>[];
      })
    | null;
  awaitingUnits: number[];
  events: StoredOutcomeEvent[];
}

/** Reads queue depths and every known unit's sync state. Read-only. */
export async function collectStatus(redis: Redis, prefix: string): Promise<StatusReport> {
  const queues: Record<string, QueueCounts> = {};
  for (const name of [BOOKINGS_QUEUE, UNIT_SYNC_QUEUE, RECONCILE_QUEUE, FEEDS_QUEUE]) {
    const queue = new Queue(name, { connection: redis, prefix });
    try {
      queues[name] = (await queue.getJobCounts(...COUNTED_STATES)) as QueueCounts;
    } finally {
      await queue.close();
    }
  }
  const unitStore = createUnitStore(redis, prefix);
  const units: UnitStatus[] = [];
  for (const unitId of await unitStore.knownUnits()) {
    const [state, awaiting] = await Promise.all([unitStore.state(unitId), unitStore.awaiting(unitId)]);
    units.push({ unitId, ...state, awaiting: awaiting.size });
  }
  return { prefix, queues, units, feeds: await readFeedStatus(redis, prefix) };
}

/** One booking's record (PIN masked unless asked), the units it still waits for, and its outcome events. */
export async function collectBookingStatus(
  redis: Redis,
  prefix: string,
  key: string,
  { showPin = false }: { showPin?: boolean } = {},
): Promise<BookingStatus> {
  const record = await createBookingStore(redis, prefix).get(key);
  const awaitingUnits = await createUnitStore(redis, prefix).awaitingUnitsOf(key);
  const events = (await createOutcomeStream({ redis, prefix }).read('-', 100_000)).filter(
    (event) => `${event.source}/${event.externalId}` === key,
  );
  const mask = (pin: string | undefined) =>
    pin === undefined ? undefined : showPin ? pin : '*'.repeat(pin.length);
  return {
    key,
    record: record
      ? {
          ...record,
          ...(record.pin === undefined ? {} : { pin: mask(record.pin) }),
          // The event as the booking system sent it may carry the PIN it chose: masked the same way.
          ...(record.event?.pin === undefined
            ? {}
            : { event: { ...record.event, pin: mask(record.event.pin) } }),
          entries: record.entries.map(({ codeTag: _pin, ...entry }) => entry),
        }
      : null,
    awaitingUnits,
    events: events.map((event) => ({
      ...event,
      ...(event.pin === undefined ? {} : { pin: mask(event.pin) }),
    })),
  };
}
