import type { BookingEvent } from '../../domain';

/** What the feed last said about one booking, as flexysync last handed it over. */
export interface SnapshotEntry {
  readonly uid: string;
  /** The last BookingEvent emitted for it (confirmed, or cancelled: a tombstone so it is sent once). */
  readonly event: BookingEvent;
  readonly startMs: number;
  readonly endMs: number;
  /** Consecutive healthy fetches it has been missing from. */
  readonly absent: number;
}

export interface Candidate {
  readonly uid: string;
  readonly event: BookingEvent;
  readonly startMs: number;
  readonly endMs: number;
}

export interface SafetyRules {
  /** @default 2 */
  readonly absentFetchesBeforeCancel: number;
  /** @default 0.5 */
  readonly maxCancelShare: number;
  /** @default 2 */
  readonly minCancellationsToHold: number;
}

export interface FeedUpdateInput {
  readonly now: number;
  readonly rules: SafetyRules;
  readonly snapshot: ReadonlyMap<string, SnapshotEntry>;
  /** Bookings (confirmed) the feed lists now, by externalId. */
  readonly bookings: ReadonlyMap<string, Candidate>;
  /** Bookings the feed explicitly cancels now (STATUS:CANCELLED, METHOD:CANCEL), by externalId. */
  readonly cancellations: ReadonlyMap<string, Candidate>;
  /** UIDs whose VEVENTs were rejected this time: their bookings keep their previous state. */
  readonly protectedUids: ReadonlySet<string>;
  /** False for a METHOD:CANCEL body: an instruction about the UIDs it names, not a list of everything. */
  readonly isSnapshot: boolean;
  /** Bookings starting after this were outside the expansion window: their absence means nothing. */
  readonly windowEndMs: number;
  /** An operator approved the cancellations held back last time. */
  readonly approveHeld: boolean;
}

export interface HeldCancellations {
  readonly resource: string;
  /** How many future bookings of the resource this fetch would cancel. */
  readonly wouldCancel: number;
  /** Future bookings of the resource the feed had before. */
  readonly futureBookings: number;
  /** Up to 20 of them, for the report. */
  readonly externalIds: string[];
}

export interface FeedUpdate {
  /** BookingEvents to hand over, in order. */
  readonly emit: BookingEvent[];
  readonly next: Map<string, SnapshotEntry>;
  readonly held: HeldCancellations[];
  readonly counts: {
    readonly created: number;
    readonly changed: number;
    readonly cancelledByFeed: number;
    readonly cancelledByAbsence: number;
    /** Missing now, not cancelled yet (fewer than N healthy fetches). */
    readonly pendingAbsence: number;
    /** Ended bookings that left the feed (never cancelled by disappearing). */
    readonly endedDropped: number;
  };
}

/** Equal when everything a booking system would care about is equal (the revision aside). */
function sameBooking(a: BookingEvent, b: BookingEvent): boolean {
  const { revision: _a, ...left } = a;
  const { revision: _b, ...right } = b;
  return JSON.stringify(left) === JSON.stringify(right);
}

/** Never lower than what was sent before: a lower revision would be skipped downstream. */
function withRevision(event: BookingEvent, previous: SnapshotEntry | undefined): BookingEvent {
  const before = previous?.event.revision;
  if (event.revision === undefined) {
    return before === undefined ? event : { ...event, revision: before };
  }
  return before !== undefined && before > event.revision ? { ...event, revision: before } : event;
}

/**
 * The feed-safety rules, as a pure function of the last snapshot and this healthy fetch:
 * - new or changed bookings are handed over at once; unchanged ones cost nothing;
 * - an explicit cancellation is handed over once (unless the booking has ended and was never
 *   handed over as confirmed);
 * - past bookings are never (re)created; one handed over before whose new window has already ended
 *   (a stay shortened into the past) is handed over once more, then forgotten;
 * - a booking missing from the feed is cancelled only after `absentFetchesBeforeCancel` consecutive
 *   healthy fetches; one that comes back before that is left alone (nothing is sent);
 * - a booking whose end has passed is never cancelled by disappearing: it is just forgotten;
 * - rejected VEVENTs keep their UIDs' previous state; a METHOD:CANCEL body cancels nothing by absence;
 * - if the absences due now would cancel more than `maxCancelShare` of a resource's future bookings
 *   (and at least `minCancellationsToHold` of them), none of that resource's are sent: they are held
 *   back and reported until the feed recovers or an operator approves.
 */
export function planFeedUpdate(input: FeedUpdateInput): FeedUpdate {
  const { now, rules, snapshot } = input;
  const emit: BookingEvent[] = [];
  const next = new Map<string, SnapshotEntry>();
  let created = 0;
  let changed = 0;
  let cancelledByFeed = 0;
  let endedDropped = 0;

  for (const [id, candidate] of input.bookings) {
    const previous = snapshot.get(id);
    const event = withRevision(candidate.event, previous);
    if (candidate.endMs <= now) {
      // Past stays are not (re)created, and an ended one we knew is forgotten. But one we handed
      // over that the feed has changed (a stay shortened into the past: the guest left early) is
      // handed over once more: its entry would otherwise stay valid until the old check-out. The
      // planner removes it as expired; it is forgotten here, so it is not sent again.
      if (previous?.event.status === 'confirmed' && !sameBooking(previous.event, event)) {
        emit.push(event);
        changed++;
      }
      continue;
    }
    if (previous && sameBooking(previous.event, event)) {
      next.set(id, { ...previous, absent: 0 });
      continue;
    }
    emit.push(event);
    if (previous?.event.status === 'confirmed') changed++;
    else created++;
    next.set(id, {
      uid: candidate.uid,
      event,
      startMs: candidate.startMs,
      endMs: candidate.endMs,
      absent: 0,
    });
  }

  for (const [id, candidate] of input.cancellations) {
    if (input.bookings.has(id)) continue;
    const previous = snapshot.get(id);
    const ended = candidate.endMs <= now;
    // An ended cancellation revokes only what we handed over as confirmed (its entry may still be
    // on the unit); one we never sent, or already cancelled, is forgotten.
    if (ended && previous?.event.status !== 'confirmed') continue;
    if (previous?.event.status === 'cancelled') {
      next.set(id, previous);
      continue;
    }
    const event = withRevision({ ...candidate.event, status: 'cancelled' }, previous);
    emit.push(event);
    cancelledByFeed++;
    // Sent once: an ended one is forgotten now, a future one kept as a tombstone.
    if (ended) continue;
    next.set(id, {
      uid: candidate.uid,
      event,
      startMs: candidate.startMs,
      endMs: candidate.endMs,
      absent: 0,
    });
  }

  // Absences.
  const due = new Map<string, SnapshotEntry[]>();
  let pendingAbsence = 0;
  for (const [id, entry] of snapshot) {
    if (next.has(id) || input.bookings.has(id) || input.cancellations.has(id)) continue;
    if (entry.endMs <= now) {
      endedDropped++;
      continue;
    }
    if (entry.event.status === 'cancelled' || !input.isSnapshot || input.protectedUids.has(entry.uid)) {
      next.set(id, entry);
      continue;
    }
    if (entry.startMs > input.windowEndMs) {
      next.set(id, entry);
      continue;
    }
    const absent = entry.absent + 1;
    if (absent < rules.absentFetchesBeforeCancel) {
      pendingAbsence++;
      next.set(id, { ...entry, absent });
      continue;
    }
    const list = due.get(entry.event.resource) ?? [];
    list.push({ ...entry, absent });
    due.set(entry.event.resource, list);
  }

  const held: HeldCancellations[] = [];
  let cancelledByAbsence = 0;
  for (const [resource, entries] of due) {
    const futureBookings = [...snapshot.values()].filter(
      (entry) => entry.event.resource === resource && entry.event.status === 'confirmed' && entry.endMs > now,
    ).length;
    const share = futureBookings === 0 ? 1 : entries.length / futureBookings;
    if (
      !input.approveHeld &&
      entries.length >= rules.minCancellationsToHold &&
      share > rules.maxCancelShare
    ) {
      held.push({
        resource,
        wouldCancel: entries.length,
        futureBookings,
        externalIds: entries.slice(0, 20).map((entry) => entry.event.externalId),
      });
      for (const entry of entries) next.set(entry.event.externalId, entry);
      continue;
    }
    for (const entry of entries) {
      const event: BookingEvent = { ...entry.event, status: 'cancelled' };
      emit.push(event);
      cancelledByAbsence++;
      next.set(entry.event.externalId, { ...entry, event, absent: 0 });
    }
  }

  return {
    emit,
    next,
    held,
    counts: { created, changed, cancelledByFeed, cancelledByAbsence, pendingAbsence, endedDropped },
  };
}
