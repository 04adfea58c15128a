import type { Redis } from 'ioredis';
import { type FeedStatus, readFeedBookings, readFeedStatus } from '../adapters';
import { bookingKey } from '../domain';
import { createOutcomeStream, type StoredOutcomeEvent } from '../events';
import { createBookingStore, createUnitStore, type UnitState } from '../store';

/** Where a booking's access stands, as the demo shows it. */
export type BookingDisplayState = 'pending' | 'applied' | 'synced' | 'revoked' | 'waiting' | 'failed';

export interface BookingView {
  key: string;
  source: string;
  externalId: string;
  guest?: string;
  resource?: string;
  /** Units that hold (or held, for a revoked booking) the booking's entry. */
  units: number[];
  validFrom?: string;
  validTo?: string;
  pin?: string;
  state: BookingDisplayState;
  reason?: string;
  revision?: number;
  /** What the last event sent for the booking should end in. */
  expected?: { state: 'synced' | 'revoked'; revision?: number };
  /** The expected outcome (or a permanent failure) arrived. */
  settled: boolean;
}

/** Something worth a line on the screen. */
export type TrackerEvent =
  | { kind: 'applied'; booking: BookingView; update: boolean }
  | { kind: 'synced'; booking: BookingView }
  | { kind: 'revoked'; booking: BookingView }
  | {
      kind: 'failed';
      booking: BookingView;
      /** A unit is unreachable: the change waits and is retried, nothing is lost. */
      transient: boolean;
      /** The unreachable units, when transient. */
      unreachable: number[];
      reason: string;
    }
  | { kind: 'unit-unreachable'; unitId: number; state: UnitState }
  | { kind: 'unit-recovered'; unitId: number }
  | { kind: 'sync-started'; unitId: number }
  | { kind: 'sync-finished'; unitId: number; state: UnitState }
  | { kind: 'feed'; status: FeedStatus };

export interface DemoTrackerOptions {
  redis: Redis;
  prefix: string;
  unitIds: readonly number[];
  feedSources: readonly string[];
  onEvent: (event: TrackerEvent) => void;
}

/**
 * Follows what flexysync itself reports — the outcome stream (with a cursor), each unit's sync state
 * and each feed's health — and turns changes into {@link TrackerEvent}s. It also knows what every
 * demo booking should end in, so `--once` can tell when everything is done.
 */
export function createDemoTracker(options: DemoTrackerOptions) {
  const { redis, prefix } = options;
  const stream = createOutcomeStream({ redis, prefix });
  const records = createBookingStore(redis, prefix);
  const unitStore = createUnitStore(redis, prefix);
  const bookings = new Map<string, BookingView>();
  const unitStates = new Map<number, UnitState>();
  const feeds = new Map<string, FeedStatus>();
  const feedsRead = new Set<string>();
  let cursor = '-';

  function view(key: string): BookingView {
    let booking = bookings.get(key);
    if (!booking) {
      const slash = key.indexOf('/');
      booking = {
        key,
        source: key.slice(0, slash),
        externalId: key.slice(slash + 1),
        units: [],
        state: 'pending',
        settled: false,
      };
      bookings.set(key, booking);
    }
    return booking;
  }

  function settle(booking: BookingView): void {
    const expected = booking.expected;
    if (booking.state === 'failed') booking.settled = true;
    else if (!expected) booking.settled = false;
    else
      booking.settled =
        booking.state === expected.state &&
        (expected.revision === undefined || (booking.revision ?? -1) >= expected.revision);
  }

  async function fillFromRecord(booking: BookingView): Promise<void> {
    if (booking.guest !== undefined && booking.resource !== undefined) return;
    const record = await records.get(booking.key).catch(() => undefined);
    if (!record) return;
    booking.resource = record.resource;
    const name = record.event?.guest?.name;
    if (name) booking.guest = name;
  }

  async function onOutcome(event: StoredOutcomeEvent): Promise<void> {
    const booking = view(bookingKey(event));
    await fillFromRecord(booking);
    if (event.revision !== undefined) booking.revision = event.revision;
    const unitIds = event.units.map((unit) => unit.unitId);
    switch (event.state) {
      case 'applied': {
        const update = booking.state !== 'pending';
        if (unitIds.length > 0) booking.units = unitIds;
        if (event.validFrom) booking.validFrom = event.validFrom;
        if (event.validTo) booking.validTo = event.validTo;
        if (event.pin) booking.pin = event.pin;
        booking.state = 'applied';
        delete booking.reason;
        settle(booking);
        options.onEvent({ kind: 'applied', booking, update });
        return;
      }
      case 'synced': {
        if (unitIds.length > 0) booking.units = unitIds;
        if (event.validFrom) booking.validFrom = event.validFrom;
        if (event.validTo) booking.validTo = event.validTo;
        if (event.pin) booking.pin = event.pin;
        booking.state = 'synced';
        delete booking.reason;
        settle(booking);
        options.onEvent({ kind: 'synced', booking });
        return;
      }
      case 'revoked': {
        // The window and PIN stay known: the table shows what was revoked.
        for (const unitId of unitIds) if (!booking.units.includes(unitId)) booking.units.push(unitId);
        booking.state = 'revoked';
        delete booking.reason;
        settle(booking);
        options.onEvent({ kind: 'revoked', booking });
        return;
      }
      case 'failed': {
        // An unreachable unit is retried for as long as it takes: the booking waits, it has not failed.
        const unreachable = event.units
          .filter((unit) => unit.state === 'unreachable')
          .map((unit) => unit.unitId);
        const transient = unreachable.length > 0;
        const reason = event.reason ?? 'no reason given';
        booking.state = transient ? 'waiting' : 'failed';
        booking.reason = reason;
        settle(booking);
        options.onEvent({ kind: 'failed', booking, transient, unreachable, reason });
        return;
      }
    }
  }

  async function pollOutcomes(): Promise<void> {
    for (;;) {
      const events = await stream.read(cursor, 500);
      for (const event of events) {
        cursor = event.id;
        await onOutcome(event);
      }
      if (events.length < 500) return;
    }
  }

  async function pollUnits(): Promise<void> {
    const states = await Promise.all(options.unitIds.map((unitId) => unitStore.state(unitId)));
    options.unitIds.forEach((unitId, index) => {
      const state = states[index] as UnitState;
      const before = unitStates.get(unitId);
      unitStates.set(unitId, state);
      if (state.syncing && !before?.syncing) options.onEvent({ kind: 'sync-started', unitId });
      if (state.lastSyncIso && state.lastSyncIso !== before?.lastSyncIso) {
        options.onEvent({ kind: 'sync-finished', unitId, state });
      }
      if (state.unreachable && !before?.unreachable)
        options.onEvent({ kind: 'unit-unreachable', unitId, state });
      if (!state.unreachable && before?.unreachable) options.onEvent({ kind: 'unit-recovered', unitId });
    });
  }

  async function pollFeeds(): Promise<void> {
    if (options.feedSources.length === 0) return;
    const statuses = await readFeedStatus(redis, prefix, { sources: options.feedSources });
    for (const status of statuses) {
      const before = feeds.get(status.source);
      feeds.set(status.source, status);
      if (!status.lastAttemptAt || status.lastAttemptAt === before?.lastAttemptAt) continue;
      options.onEvent({ kind: 'feed', status });
      // What the feed wants is its last good snapshot: every booking in it must end synced (or revoked).
      if (status.lastOutcome === 'updated' || (status.lastSuccessAt && !feedsRead.has(status.source))) {
        const wanted = await readFeedBookings(redis, prefix, status.source);
        for (const event of wanted.confirmed) expect(bookingKey(event), { state: 'synced' });
        for (const event of wanted.cancelled) expect(bookingKey(event), { state: 'revoked' });
        feedsRead.add(status.source);
      }
    }
  }

  /** Notes what a booking's latest event should end in (call it when the event is sent). */
  function expect(key: string, expected: { state: 'synced' | 'revoked'; revision?: number }): BookingView {
    const booking = view(key);
    booking.expected = expected;
    settle(booking);
    return booking;
  }

  return {
    /** One round: new outcome events, unit states, feed health. */
    async poll(): Promise<void> {
      // Units first: a unit's recovery reads before the bookings its sync confirmed.
      await pollUnits();
      await pollOutcomes();
      await pollFeeds();
    },
    expect,
    booking: (key: string) => bookings.get(key),
    /** Every booking seen or expected, in the order they first appeared. */
    bookings: (): BookingView[] => [...bookings.values()],
    unitState: (unitId: number) => unitStates.get(unitId),
    /** Whether the feed's snapshot has been read at least once (its bookings are then expected). */
    feedRead: (source: string) => feedsRead.has(source),
    feedStatus: (source: string) => feeds.get(source),
  };
}

export type DemoTracker = ReturnType<typeof createDemoTracker>;
