import type { StoredBooking } from '../../../src/domain';
import { isForgettable, mayBeForgettable } from '../../../src/reconcile/ended-records';
import { event, resource } from '../planner/fixtures';

/** Forget what ended (and last changed) before 2027-01-01. */
const CUTOFF = Date.parse('2027-01-01T00:00:00Z');
const ROOM = resource();

/** A booking of 1–4 Dec 2026 (date-only: 15:00 → 11:00 Stockholm) whose entries were removed. */
function record(overrides: Partial<StoredBooking> = {}): StoredBooking {
  return {
    key: 'airbnb/HM4T9XK2PQ',
    source: 'airbnb',
    externalId: 'HM4T9XK2PQ',
    resource: 'flat-3b',
    status: 'confirmed',
    pin: '583920',
    entries: [],
    event: event(),
    updatedIso: '2026-12-04T12:00:00Z',
    ...overrides,
  };
}

const entry = {
  unitId: 3023,
  entryId: 42,
  idNumber: '+46701234567',
  action: 'R1',
  name: 'Anna Svensson',
  description: 'fs:airbnb/HM4T9XK2PQ',
  codeTag: '583920',
  validFromIso: '2026-12-01T15:00:00+01:00',
  validToIso: '2026-12-04T11:00:00+01:00',
};

const flexyBooking = {
  bookingId: 9,
  bookingObjectId: 3,
  startIso: '2026-12-01T15:00:00+01:00',
  endIso: '2026-12-04T11:00:00+01:00',
};

describe('which ended booking records may be forgotten', () => {
  it('an ended booking with nothing left on a unit, unchanged since before the cutoff', () => {
    expect(mayBeForgettable(record(), CUTOFF)).toBe(true);
    expect(isForgettable(record(), ROOM, CUTOFF)).toBe(true);
  });

  it('not while an entry is still recorded on a unit (reconcile removes it first)', () => {
    expect(mayBeForgettable(record({ entries: [entry] }), CUTOFF)).toBe(false);
    expect(isForgettable(record({ entries: [entry] }), ROOM, CUTOFF)).toBe(false);
  });

  it('not while a change is being applied', () => {
    expect(isForgettable(record({ applying: true }), ROOM, CUTOFF)).toBe(false);
  });

  it('not when the record changed after the cutoff; exactly at it counts', () => {
    expect(isForgettable(record({ updatedIso: '2027-01-01T00:00:01Z' }), ROOM, CUTOFF)).toBe(false);
    expect(isForgettable(record({ updatedIso: '2027-01-01T00:00:00Z' }), ROOM, CUTOFF)).toBe(true);
  });

  it('the recorded window decides when there is one', () => {
    expect(isForgettable(record({ validToIso: '2027-01-01T00:00:01Z' }), ROOM, CUTOFF)).toBe(false);
    expect(isForgettable(record({ validToIso: '2026-12-31T23:59:59Z' }), ROOM, CUTOFF)).toBe(true);
  });

  it('a cancelled booking whose window is still ahead is kept (its record makes an older event stale), however old its last change', () => {
    const cancelled = record({
      status: 'cancelled',
      event: event({ start: '2027-06-01', end: '2027-06-05', status: 'cancelled' }),
      updatedIso: '2026-01-01T00:00:00Z',
    });
    expect(mayBeForgettable(cancelled, CUTOFF)).toBe(true);
    expect(isForgettable(cancelled, ROOM, CUTOFF)).toBe(false);
  });

  it("the window is the resource's: check-out time and lag count", () => {
    // Ends 31 Dec 2026: 11:00 Stockholm is before the cutoff, but not with a day's lag.
    const lateDecember = record({ event: event({ start: '2026-12-28', end: '2026-12-31' }) });
    expect(isForgettable(lateDecember, ROOM, CUTOFF)).toBe(true);
    expect(isForgettable(lateDecember, resource({ lagMinutes: 1_440 }), CUTOFF)).toBe(false);
    expect(isForgettable(lateDecember, resource({ checkOutTime: '23:59' }), CUTOFF)).toBe(true);
  });

  it('a resource that left the configuration: the booking end plus a margin for any lag', () => {
    expect(isForgettable(record(), undefined, CUTOFF)).toBe(true);
    const lateDecember = record({ event: event({ start: '2026-12-20', end: '2026-12-28' }) });
    expect(isForgettable(lateDecember, undefined, CUTOFF)).toBe(false);
  });

  it('a record with neither window nor event (first event a cancellation, old format) goes by its last change', () => {
    const { event: _event, ...bare } = record();
    expect(isForgettable(bare, ROOM, CUTOFF)).toBe(true);
  });

  it('an ended FlexyKey booking (kept on the server as history) does not hold it back; a current one does', () => {
    expect(isForgettable(record({ flexyBooking }), ROOM, CUTOFF)).toBe(true);
    const current = record({ flexyBooking: { ...flexyBooking, endIso: '2027-02-01T00:00:00Z' } });
    expect(mayBeForgettable(current, CUTOFF)).toBe(false);
  });

  it('an unreadable date never counts as ended', () => {
    expect(isForgettable(record({ validToIso: 'not a date' }), ROOM, CUTOFF)).toBe(false);
    expect(mayBeForgettable(record({ updatedIso: 'garbage' }), CUTOFF)).toBe(false);
  });
});
