import {
  type Candidate,
  type FeedUpdateInput,
  planFeedUpdate,
  type SnapshotEntry,
} from '../../../src/adapters';
import type { BookingEvent } from '../../../src/domain';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const rules = { absentFetchesBeforeCancel: 2, maxCancelShare: 0.5, minCancellationsToHold: 2 };

function booking(id: string, dayFromNow: number, extra: Partial<BookingEvent> = {}): Candidate {
  const startMs = NOW + dayFromNow * DAY;
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return {
    uid: id.split('#')[0] as string,
    event: {
      source: 'feed',
      externalId: id,
      resource: 'flat',
      start: date(startMs),
      end: date(startMs + 2 * DAY),
      status: 'confirmed',
      ...extra,
    },
    startMs,
    endMs: startMs + 2 * DAY,
  };
}

const map = <T extends { event: BookingEvent }>(...items: T[]) =>
  new Map(items.map((i) => [i.event.externalId, i]));

function input(overrides: Partial<FeedUpdateInput>): FeedUpdateInput {
  return {
    now: NOW,
    rules,
    snapshot: new Map(),
    bookings: new Map(),
    cancellations: new Map(),
    protectedUids: new Set(),
    isSnapshot: true,
    windowEndMs: NOW + 400 * DAY,
    approveHeld: false,
    ...overrides,
  };
}

/** Runs fetches one after another, each against the snapshot the previous one left. */
function run(
  fetches: Candidate[][],
  extra: Partial<FeedUpdateInput> = {},
  start = new Map<string, SnapshotEntry>(),
) {
  let snapshot = start;
  return fetches.map((bookings) => {
    const update = planFeedUpdate(input({ ...extra, snapshot, bookings: map(...bookings) }));
    snapshot = update.next;
    return update;
  });
}

describe('feed safety', () => {
  const a = booking('a', 3);
  const b = booking('b', 10);
  const c = booking('c', 20);

  it('new bookings are handed over once; the same feed again costs nothing', () => {
    const [first, second] = run([
      [a, b],
      [a, b],
    ]);
    expect(first?.emit.map((e) => e.externalId)).toEqual(['a', 'b']);
    expect(first?.counts.created).toBe(2);
    expect(second?.emit).toEqual([]);
  });

  it('a changed booking is handed over again', () => {
    const moved = booking('a', 4);
    const [, second] = run([[a], [moved]]);
    expect(second?.emit).toEqual([moved.event]);
    expect(second?.counts.changed).toBe(1);
  });

  it('a feed that loses every booking once and then gets them back cancels nothing', () => {
    const results = run([[a, b, c], [], [a, b, c]]);
    expect(results.flatMap((r) => r.emit).filter((e) => e.status === 'cancelled')).toEqual([]);
    expect(results[1]?.counts.pendingAbsence).toBe(3);
    expect(results[2]?.emit).toEqual([]); // they came back unchanged: nothing to send
    expect([...(results[2]?.next.values() ?? [])].map((e) => e.absent)).toEqual([0, 0, 0]);
  });

  it('a booking missing from N consecutive healthy fetches is cancelled at the Nth, once', () => {
    const results = run([
      [a, b, c],
      [a, b],
      [a, b],
      [a, b],
    ]);
    expect(results[1]?.emit).toEqual([]);
    expect(results[2]?.emit).toEqual([{ ...c.event, status: 'cancelled' }]);
    expect(results[2]?.counts.cancelledByAbsence).toBe(1);
    expect(results[3]?.emit).toEqual([]);
  });

  it('N is configurable (3: two absences are not enough)', () => {
    const results = run(
      [
        [a, b, c],
        [a, b],
        [a, b],
        [a, b],
      ],
      { rules: { ...rules, absentFetchesBeforeCancel: 3 } },
    );
    expect(results[2]?.emit).toEqual([]);
    expect(results[3]?.emit).toEqual([{ ...c.event, status: 'cancelled' }]);
  });

  it('an absence streak is broken by one fetch that has the booking', () => {
    const results = run([
      [a, b, c],
      [a, b],
      [a, b, c],
      [a, b],
    ]);
    expect(results.flatMap((r) => r.emit).filter((e) => e.status === 'cancelled')).toEqual([]);
  });

  it('holds back a fetch that would cancel more than the share of a resource’s future bookings', () => {
    const results = run([[a, b, c], [], []]);
    expect(results[2]?.emit).toEqual([]);
    expect(results[2]?.held).toEqual([
      { resource: 'flat', wouldCancel: 3, futureBookings: 3, externalIds: ['a', 'b', 'c'] },
    ]);
    // Still held next time; still nothing sent.
    const again = planFeedUpdate(input({ snapshot: results[2]?.next, bookings: new Map() }));
    expect(again.held).toHaveLength(1);
    expect(again.emit).toEqual([]);
  });

  it('…and applies them once an operator approves', () => {
    const results = run([[a, b, c], [], []]);
    const approved = planFeedUpdate(
      input({ snapshot: results[2]?.next, bookings: new Map(), approveHeld: true }),
    );
    expect(approved.held).toEqual([]);
    expect(approved.emit.map((e) => [e.externalId, e.status])).toEqual([
      ['a', 'cancelled'],
      ['b', 'cancelled'],
      ['c', 'cancelled'],
    ]);
  });

  it('a share at the limit, or fewer cancellations than the minimum, is applied', () => {
    const d = booking('d', 30);
    const half = run([
      [a, b, c, d],
      [a, b],
      [a, b],
    ]);
    expect(half[2]?.held).toEqual([]);
    expect(half[2]?.emit.map((e) => e.externalId)).toEqual(['c', 'd']);
    // One booking of one: 100 %, but a single cancellation is never held (minCancellationsToHold 2).
    const single = run([[a], [], []]);
    expect(single[2]?.emit).toEqual([{ ...a.event, status: 'cancelled' }]);
  });

  it('the share is counted per resource', () => {
    const other = booking('x', 5, { resource: 'room' });
    const other2 = booking('y', 6, { resource: 'room' });
    const results = run([
      [a, b, c, other, other2],
      [a, b, c],
      [a, b, c],
    ]);
    expect(results[2]?.held).toEqual([
      { resource: 'room', wouldCancel: 2, futureBookings: 2, externalIds: ['x', 'y'] },
    ]);
  });

  it('a booking whose end has passed is never cancelled by disappearing', () => {
    const past = booking('past', -1); // ends tomorrow…
    const first = planFeedUpdate(input({ bookings: map(a, past) }));
    const later = NOW + 3 * DAY; // …and has ended by now
    let snapshot = first.next;
    for (let i = 0; i < 3; i++) {
      const update = planFeedUpdate(input({ now: later, snapshot, bookings: map(a) }));
      expect(update.emit).toEqual([]);
      snapshot = update.next;
    }
    expect(snapshot.has('past')).toBe(false);
  });

  it('a stay shortened so that it has already ended is handed over once, then forgotten', () => {
    // In progress (check-in 4 days ago, check-out in 5 days); the guest left yesterday and the host
    // shortens the stay: without the change the old check-out would keep the code valid 5 more days.
    const stay = booking('stay', -4, { end: '2026-06-06' });
    const long = { ...stay, endMs: NOW + 5 * DAY };
    const short = {
      ...stay,
      event: { ...stay.event, end: '2026-05-31' },
      endMs: NOW - DAY,
    };
    const [first, second, third] = run([
      [a, long],
      [a, short],
      [a, short],
    ]);
    expect(first?.emit).toEqual([a.event, long.event]);
    expect(second?.emit).toEqual([short.event]);
    expect(second?.counts).toMatchObject({ changed: 1, created: 0, cancelledByAbsence: 0 });
    expect(second?.next.has('stay')).toBe(false);
    expect(third?.emit).toEqual([]);
  });

  it('past stays are never (re)created: not unknown ones, not ones cancelled before', () => {
    const past = booking('past', -5);
    expect(planFeedUpdate(input({ bookings: map(past) })).emit).toEqual([]);
    const gone = booking('gone', -1); // ends tomorrow, cancelled while still ahead…
    const [, , cancelled] = run([[a, gone], [a], [a]]);
    expect(cancelled?.emit).toEqual([{ ...gone.event, status: 'cancelled' }]);
    const ended = { ...gone, event: { ...gone.event, end: '2026-05-31' }, endMs: NOW - DAY };
    const back = planFeedUpdate(input({ snapshot: cancelled?.next, bookings: map(a, ended) }));
    expect(back.emit).toEqual([]); // …and listed again, shortened into the past: no code for it
    expect(back.next.has('gone')).toBe(false);
  });

  it('an explicit cancellation of a booking we handed over is sent even if its window has ended', () => {
    const stay = booking('stay', -1); // checked in yesterday, checks out tomorrow
    const [first] = run([[a, stay]]);
    const cancelled = {
      ...stay,
      event: { ...stay.event, end: '2026-05-31', status: 'cancelled' as const },
      endMs: NOW - DAY,
    };
    const update = planFeedUpdate(
      input({ snapshot: first?.next, bookings: map(a), cancellations: map(cancelled) }),
    );
    expect(update.emit).toEqual([cancelled.event]);
    expect(update.counts.cancelledByFeed).toBe(1);
    expect(update.next.has('stay')).toBe(false);
    const again = planFeedUpdate(
      input({ snapshot: update.next, bookings: map(a), cancellations: map(cancelled) }),
    );
    expect(again.emit).toEqual([]);
  });

  it('a rejected VEVENT keeps its bookings as they were (never read as a deletion)', () => {
    const results = run(
      [
        [a, b, c],
        [a, b],
        [a, b],
      ],
      { protectedUids: new Set(['c']) },
    );
    expect(results.flatMap((r) => r.emit).filter((e) => e.status === 'cancelled')).toEqual([]);
    expect(results[2]?.next.get('c')?.absent).toBe(0);
  });

  it('a METHOD:CANCEL body cancels what it names and nothing by absence', () => {
    const [first] = run([[a, b, c]]);
    const cancel = planFeedUpdate(
      input({
        snapshot: first?.next,
        isSnapshot: false,
        cancellations: map(booking('b', 10, { status: 'cancelled' })),
      }),
    );
    expect(cancel.emit).toEqual([{ ...b.event, status: 'cancelled' }]);
    expect(cancel.next.get('a')?.absent).toBe(0);
    expect(cancel.next.get('c')?.absent).toBe(0);
  });

  it('an explicit cancellation is sent once, also for a booking we never saw; ended ones are ignored', () => {
    const gone = booking('gone', 5, { status: 'cancelled' });
    const old = booking('old', -10, { status: 'cancelled' });
    const first = planFeedUpdate(input({ cancellations: map(gone, old) }));
    expect(first.emit).toEqual([gone.event]);
    const second = planFeedUpdate(input({ snapshot: first.next, cancellations: map(gone, old) }));
    expect(second.emit).toEqual([]);
  });

  it('a cancelled booking that comes back confirmed is sent again', () => {
    const results = run([[a, b], [a], [a], [a, b]]);
    expect(results[2]?.emit.map((e) => e.status)).toEqual(['cancelled']);
    expect(results[3]?.emit).toEqual([b.event]);
  });

  it('bookings beyond the expansion window are not missing, just unseen', () => {
    const far = booking('far', 300);
    const results = run([[a, far], [a], [a]], { windowEndMs: NOW + 200 * DAY });
    expect(results[2]?.emit).toEqual([]);
  });

  it('revisions never go down: a missing SEQUENCE or a lower one keeps the last sent', () => {
    const v5 = booking('a', 3, { revision: 5 });
    const v2moved = booking('a', 4, { revision: 2 });
    const [, second] = run([[v5], [v2moved]]);
    expect(second?.emit[0]?.revision).toBe(5);
    const noSeq = booking('a', 5);
    const [, , third] = run([[v5], [v2moved], [noSeq]]);
    expect(third?.emit[0]?.revision).toBe(5);
  });
});
