import { DateTime } from 'luxon';
import { computeWindow, formatIso, localDateTime, resolveBoundary } from '../../../src/planner';
import { desiredOf, event, NEW_YORK, plan, rejected, resource, STOCKHOLM } from './fixtures';

/** Plans "now" long before every booking here, so none is expired. */
const LONG_AGO = DateTime.fromISO('2025-01-01T00:00:00Z');

function windowOf(start: string, end: string, overrides: Parameters<typeof resource>[0] = {}) {
  const desired = desiredOf({ event: event({ start, end }), resource: resource(overrides), now: LONG_AGO });
  return { from: desired.validFromIso, to: desired.validToIso, booking: desired };
}

describe('access window', () => {
  it('Airbnb-style all-day 1–4 Dec means 1 Dec 15:00 to 4 Dec 11:00 in Europe/Stockholm', () => {
    expect(windowOf('2026-12-01', '2026-12-04')).toMatchObject({
      from: '2026-12-01T15:00:00+01:00',
      to: '2026-12-04T11:00:00+01:00',
    });
  });

  it('uses the summer offset for a summer stay', () => {
    expect(windowOf('2026-07-10', '2026-07-12')).toMatchObject({
      from: '2026-07-10T15:00:00+02:00',
      to: '2026-07-12T11:00:00+02:00',
    });
  });

  it("uses the resource's own check-in and check-out times", () => {
    expect(
      windowOf('2026-12-01', '2026-12-01', { checkInTime: '07:00', checkOutTime: '22:00' }),
    ).toMatchObject({
      from: '2026-12-01T07:00:00+01:00',
      to: '2026-12-01T22:00:00+01:00',
    });
  });

  it('keeps the instant of a date-time and writes it with the zone offset', () => {
    expect(windowOf('2026-12-01T14:00:00Z', '2026-12-03T09:30:00-05:00')).toMatchObject({
      from: '2026-12-01T15:00:00+01:00',
      to: '2026-12-03T15:30:00+01:00',
    });
    expect(windowOf('2026-12-01T14:00:00Z', '2026-12-03T09:30:00Z', { timeZone: NEW_YORK })).toMatchObject({
      from: '2026-12-01T09:00:00-05:00',
      to: '2026-12-03T04:30:00-05:00',
    });
  });

  it('mixes a date start and a date-time end', () => {
    expect(windowOf('2026-12-01', '2026-12-02T08:00:00+01:00')).toMatchObject({
      from: '2026-12-01T15:00:00+01:00',
      to: '2026-12-02T08:00:00+01:00',
    });
  });

  it('widens by lead and lag minutes', () => {
    expect(windowOf('2026-12-01', '2026-12-04', { leadMinutes: 30, lagMinutes: 90 })).toMatchObject({
      from: '2026-12-01T14:30:00+01:00',
      to: '2026-12-04T12:30:00+01:00',
    });
  });

  it('drops milliseconds, widening rather than narrowing the window', () => {
    expect(windowOf('2026-12-01T14:00:00.900Z', '2026-12-03T09:30:00.001Z')).toMatchObject({
      from: '2026-12-01T15:00:00+01:00',
      to: '2026-12-03T10:30:01+01:00',
    });
  });

  it('gives the FlexyKey booking the booking itself, not the lead/lag window', () => {
    const { booking } = windowOf('2026-12-01', '2026-12-04', {
      leadMinutes: 30,
      lagMinutes: 15,
      bookingObjectId: 812,
    });
    expect(booking.flexyBooking).toMatchObject({
      startIso: '2026-12-01T15:00:00+01:00',
      endIso: '2026-12-04T11:00:00+01:00',
    });
    expect(booking.validFromIso).toBe('2026-12-01T14:30:00+01:00');
  });

  it('rejects an end that is not after the start, saying why', () => {
    const sameDay = rejected({ event: event({ start: '2026-12-01', end: '2026-12-01' }) });
    expect(sameDay.reasons).toEqual([
      'end 2026-12-01T11:00:00+01:00 is not after start 2026-12-01T15:00:00+01:00 (in Europe/Stockholm, check-in 15:00, check-out 11:00)',
    ]);
    const mixed = rejected({
      event: event({ start: '2026-12-02', end: '2026-12-02T14:00:00+01:00' }),
      now: LONG_AGO,
    });
    expect(mixed.reasons[0]).toMatch(
      /^end 2026-12-02T14:00:00\+01:00 is not after start 2026-12-02T15:00:00\+01:00/,
    );
  });
});

describe('DST', () => {
  describe('Europe/Stockholm (last Sunday of March 02:00 → 03:00, last Sunday of October 03:00 → 02:00)', () => {
    it('spring-forward: a check-in in the missing hour moves forward by the gap', () => {
      expect(windowOf('2026-03-29', '2026-03-30', { checkInTime: '02:30' }).from).toBe(
        '2026-03-29T03:30:00+02:00',
      );
    });

    it('spring-forward: times either side keep their offsets', () => {
      expect(windowOf('2026-03-28', '2026-03-29', { checkOutTime: '01:59' }).to).toBe(
        '2026-03-29T01:59:00+01:00',
      );
      expect(windowOf('2026-03-28', '2026-03-29', { checkOutTime: '03:00' }).to).toBe(
        '2026-03-29T03:00:00+02:00',
      );
    });

    it('fall-back: an ambiguous check-in takes the first (earlier, summer-time) occurrence', () => {
      expect(windowOf('2026-10-25', '2026-10-26', { checkInTime: '02:30' }).from).toBe(
        '2026-10-25T02:30:00+02:00',
      );
    });

    it('fall-back: an ambiguous check-out also takes the first occurrence', () => {
      expect(windowOf('2026-10-24', '2026-10-25', { checkOutTime: '02:00' }).to).toBe(
        '2026-10-25T02:00:00+02:00',
      );
    });

    it('a lead across the change is real minutes, not wall-clock minutes', () => {
      // 04:00 CEST minus 180 minutes is 00:00 CET: two wall-clock hours were skipped… by one real hour less.
      expect(windowOf('2026-03-29', '2026-03-30', { checkInTime: '04:00', leadMinutes: 180 }).from).toBe(
        '2026-03-29T00:00:00+01:00',
      );
      expect(windowOf('2026-10-24', '2026-10-25', { checkOutTime: '01:00', lagMinutes: 180 }).to).toBe(
        '2026-10-25T03:00:00+01:00',
      );
    });
  });

  describe('America/New_York (second Sunday of March, first Sunday of November)', () => {
    const ny = { timeZone: NEW_YORK };

    it('spring-forward: 02:30 does not exist and becomes 03:30 EDT', () => {
      expect(windowOf('2026-03-08', '2026-03-09', { ...ny, checkInTime: '02:30' }).from).toBe(
        '2026-03-08T03:30:00-04:00',
      );
    });

    it('fall-back: 01:30 happens twice and the first (EDT) is taken', () => {
      expect(windowOf('2026-11-01', '2026-11-02', { ...ny, checkInTime: '01:30' }).from).toBe(
        '2026-11-01T01:30:00-04:00',
      );
      expect(windowOf('2026-10-31', '2026-11-01', { ...ny, checkOutTime: '01:30' }).to).toBe(
        '2026-11-01T01:30:00-04:00',
      );
    });

    it('ordinary winter and summer days', () => {
      expect(windowOf('2026-12-01', '2026-12-04', ny)).toMatchObject({
        from: '2026-12-01T15:00:00-05:00',
        to: '2026-12-04T11:00:00-05:00',
      });
      expect(windowOf('2026-07-01', '2026-07-04', ny).from).toBe('2026-07-01T15:00:00-04:00');
    });
  });

  it('date-time input across DST keeps its instant', () => {
    expect(windowOf('2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z')).toMatchObject({
      from: '2026-10-25T02:30:00+02:00',
      to: '2026-10-25T02:30:00+01:00',
    });
  });
});

describe('window helpers', () => {
  it('localDateTime gives the exact wall clock outside DST edges', () => {
    const value = localDateTime(STOCKHOLM, { year: 2026, month: 1, day: 15, hour: 9, minute: 5 });
    expect(formatIso(value)).toBe('2026-01-15T09:05:00+01:00');
    expect(value.zoneName).toBe(STOCKHOLM);
  });

  it('localDateTime works in a zone without DST and in UTC', () => {
    expect(
      formatIso(localDateTime('Asia/Tokyo', { year: 2026, month: 3, day: 29, hour: 2, minute: 30 })),
    ).toBe('2026-03-29T02:30:00+09:00');
    expect(formatIso(localDateTime('UTC', { year: 2026, month: 3, day: 29, hour: 2, minute: 30 }))).toBe(
      '2026-03-29T02:30:00+00:00',
    );
  });

  it('localDateTime handles a southern-hemisphere fall-back (Australia/Sydney, first Sunday of April 03:00 → 02:00)', () => {
    expect(
      formatIso(localDateTime('Australia/Sydney', { year: 2026, month: 4, day: 5, hour: 2, minute: 30 })),
    ).toBe('2026-04-05T02:30:00+11:00');
  });

  it('resolveBoundary never depends on the process time zone', () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = 'Pacific/Kiritimati';
      expect(formatIso(resolveBoundary('2026-12-01', STOCKHOLM, '15:00'))).toBe('2026-12-01T15:00:00+01:00');
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('computeWindow returns start, end and the widened window', () => {
    const result = computeWindow('2026-12-01', '2026-12-04', {
      timeZone: STOCKHOLM,
      checkInTime: '15:00',
      checkOutTime: '11:00',
      leadMinutes: 10,
      lagMinutes: 20,
    });
    if (!result.ok) throw new Error(result.reason);
    expect(formatIso(result.window.start)).toBe('2026-12-01T15:00:00+01:00');
    expect(formatIso(result.window.validFrom)).toBe('2026-12-01T14:50:00+01:00');
    expect(formatIso(result.window.validTo)).toBe('2026-12-04T11:20:00+01:00');
  });

  it('an expired window is decided on validTo, lag included', () => {
    const end = DateTime.fromISO('2026-12-04T11:00:00+01:00');
    const lagged = { resource: resource({ lagMinutes: 15 }) };
    expect(plan({ ...lagged, now: end.plus({ minutes: 14 }) }).kind).toBe('planned');
    const during = desiredOf({ ...lagged, now: end.plus({ minutes: 14 }) });
    expect(during.validToIso).toBe('2026-12-04T11:15:00+01:00');
  });
});
