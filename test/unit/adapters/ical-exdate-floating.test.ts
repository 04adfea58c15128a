import { parseCalendar } from '../../../src/adapters';
import { FIXTURE_WINDOW } from './helpers';

const cal = (...lines: string[]) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    'UID:series',
    ...lines,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');

/** The occurrence starts of one series, read with `propertyZone` as the resource's zone. */
function starts(propertyZone: string, ...lines: string[]): string[] {
  const result = parseCalendar(cal(...lines), { propertyZone, window: FIXTURE_WINDOW });
  if (!result.ok) throw new Error(`not a calendar: ${result.reason}`);
  expect(result.rejected).toEqual([]);
  return result.occurrences.map((o) => o.start);
}

const STOCKHOLM_WEEKLY = [
  'DTSTART;TZID=Europe/Stockholm:20261201T150000',
  'DTEND;TZID=Europe/Stockholm:20261201T160000',
  'RRULE:FREQ=WEEKLY;COUNT=4',
];

describe('EXDATE without TZID on a zoned series (RFC 5545: the wall clock in the series zone)', () => {
  it.each(['UTC', 'America/Los_Angeles', 'Europe/Stockholm'])(
    'a floating EXDATE removes its occurrence whatever the resource zone (%s)',
    (propertyZone) => {
      expect(starts(propertyZone, ...STOCKHOLM_WEEKLY, 'EXDATE:20261208T150000')).toEqual([
        '2026-12-01T14:00:00Z',
        '2026-12-15T14:00:00Z',
        '2026-12-22T14:00:00Z',
      ]);
    },
  );

  it('several floating values on one line, across a DST change of the series zone', () => {
    expect(
      starts(
        'Europe/Stockholm',
        'DTSTART;TZID=America/New_York:20260301T090000',
        'DTEND;TZID=America/New_York:20260301T100000',
        'RRULE:FREQ=WEEKLY;COUNT=4',
        // 03-08 is the change to EDT: 09:00 is 14:00Z before it and 13:00Z after.
        'EXDATE:20260301T090000,20260315T090000',
      ),
    ).toEqual(['2026-03-08T13:00:00Z', '2026-03-22T13:00:00Z']);
  });

  it('a UTC EXDATE still names an instant', () => {
    expect(starts('UTC', ...STOCKHOLM_WEEKLY, 'EXDATE:20261208T140000Z')).toEqual([
      '2026-12-01T14:00:00Z',
      '2026-12-15T14:00:00Z',
      '2026-12-22T14:00:00Z',
    ]);
    // 15:00Z is not an occurrence (15:00 Stockholm is 14:00Z): nothing removed.
    expect(starts('UTC', ...STOCKHOLM_WEEKLY, 'EXDATE:20261208T150000Z')).toHaveLength(4);
  });

  it('an EXDATE with its own TZID is read in that zone', () => {
    // 09:00 New York is 14:00Z, the 12-08 occurrence.
    expect(starts('UTC', ...STOCKHOLM_WEEKLY, 'EXDATE;TZID=America/New_York:20261208T090000')).toEqual([
      '2026-12-01T14:00:00Z',
      '2026-12-15T14:00:00Z',
      '2026-12-22T14:00:00Z',
    ]);
    // 15:00 New York is 20:00Z: no occurrence there.
    expect(starts('UTC', ...STOCKHOLM_WEEKLY, 'EXDATE;TZID=America/New_York:20261208T150000')).toHaveLength(
      4,
    );
  });

  it('a floating series keeps reading floating EXDATEs in the property zone', () => {
    expect(
      starts(
        'America/Los_Angeles',
        'DTSTART:20261201T150000',
        'DTEND:20261201T160000',
        'RRULE:FREQ=WEEKLY;COUNT=3',
        'EXDATE:20261208T150000',
      ),
    ).toEqual(['2026-12-01T23:00:00Z', '2026-12-15T23:00:00Z']);
  });

  it('an all-day series still matches a floating date-time EXDATE on its date', () => {
    expect(
      starts(
        'UTC',
        'DTSTART;VALUE=DATE:20261201',
        'DTEND;VALUE=DATE:20261202',
        'RRULE:FREQ=WEEKLY;COUNT=3',
        'EXDATE:20261208T000000',
      ),
    ).toEqual(['2026-12-01', '2026-12-15']);
  });
});
