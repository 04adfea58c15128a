import {
  parseCalendar,
  parseCalendarText,
  parseCalendarValue,
  parseContentLine,
  splitTextList,
  unescapeText,
  windowsToIana,
} from '../../../src/adapters';
import { FIXTURE_WINDOW, ZONE } from './helpers';

const cal = (...lines: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR', ''].join('\r\n');
const event = (...lines: string[]) => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];
const parse = (text: string, propertyZone = ZONE) =>
  parseCalendar(text, { propertyZone, window: FIXTURE_WINDOW });

function ok(text: string, propertyZone = ZONE) {
  const result = parse(text, propertyZone);
  if (!result.ok) throw new Error(`not a calendar: ${result.reason}`);
  return result;
}

describe('the envelope: not a calendar is a failed fetch, never "no bookings"', () => {
  it.each([
    ['an empty body', '', 'empty body (not a calendar)'],
    ['only whitespace', ' \r\n\r\n\t\n', 'empty body (not a calendar)'],
    [
      'an HTML page',
      '<!DOCTYPE html><html><body>Sign in</body></html>',
      'body does not start with BEGIN:VCALENDAR (not a calendar)',
    ],
    ['JSON', '{"error":"expired"}', 'body does not start with BEGIN:VCALENDAR (not a calendar)'],
    [
      'a body cut off mid-event',
      'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260101\r\nSUMM',
      'body does not end with END:VCALENDAR (truncated or not a calendar)',
    ],
    [
      'a body cut off after an event',
      'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260101\r\nEND:VEVENT\r\n',
      'body does not end with END:VCALENDAR (truncated or not a calendar)',
    ],
  ])('%s', (_title, body, reason) => {
    expect(parse(body)).toEqual({ ok: false, reason });
  });

  it('strips a BOM and tolerates blank lines around and between components', () => {
    const body = `\uFEFF\r\n\r\n${cal('', ...event('UID:a', 'DTSTART;VALUE=DATE:20260101', ''), '')}\r\n\r\n`;
    const result = ok(body);
    expect(result.occurrences.map((o) => o.uid)).toEqual(['a']);
  });

  it('a valid empty calendar is a healthy answer with no events', () => {
    expect(ok('BEGIN:VCALENDAR\nEND:VCALENDAR')).toMatchObject({
      occurrences: [],
      rejected: [],
      eventCount: 0,
    });
  });

  it('an unclosed VEVENT inside a closed calendar is rejected alone', () => {
    const body = cal(
      ...event('UID:good', 'DTSTART;VALUE=DATE:20260101'),
      'BEGIN:VEVENT',
      'UID:broken',
      'DTSTART;VALUE=DATE:20260105',
    );
    const result = ok(body);
    expect(result.occurrences.map((o) => o.uid)).toEqual(['good']);
    expect(result.rejected).toEqual([
      { uid: 'broken', line: expect.any(Number), reason: expect.stringContaining('never closed') },
    ]);
  });

  it('a line that is not a property rejects its event only', () => {
    const result = ok(
      cal(
        ...event('UID:a', 'DTSTART;VALUE=DATE:20260101', 'this is not a property'),
        ...event('UID:b', 'DTSTART;VALUE=DATE:20260102'),
      ),
    );
    expect(result.occurrences.map((o) => o.uid)).toEqual(['b']);
    expect(result.rejected[0]).toMatchObject({
      uid: 'a',
      reason: expect.stringContaining('not an iCalendar property'),
    });
  });
});

describe('content lines and text', () => {
  it('unfolds CRLF, LF and tab continuations; a second space is content', () => {
    const body =
      'BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20260101\nSUMMARY:one\r\n  two\r\n\tthree\nEND:VEVENT\nEND:VCALENDAR';
    expect(ok(body).occurrences[0]?.summary).toBe('one twothree');
  });

  it('parses quoted parameters with ; and : inside', () => {
    expect(parseContentLine('ATTENDEE;CN="Doe; John: Jr";ROLE=CHAIR:mailto:j@x', 1)).toMatchObject({
      name: 'ATTENDEE',
      params: { CN: 'Doe; John: Jr', ROLE: 'CHAIR' },
      value: 'mailto:j@x',
    });
  });

  it('recovers a value swallowed by a quoted TZID, and says so', () => {
    const line = parseContentLine('DTSTART;TZID="W. Europe Standard Time:20200609T090000"', 7);
    expect(line).toMatchObject({ params: { TZID: 'W. Europe Standard Time' }, value: '20200609T090000' });
    expect(line?.recovered).toContain('recovered');
  });

  it('unescapes TEXT in one pass', () => {
    expect(unescapeText('C:\\\\new\\\\Notes')).toBe('C:\\new\\Notes');
    expect(unescapeText('a\\nb\\Nc\\,d\\;e\\\\')).toBe('a\nb\nc,d;e\\');
    expect(splitTextList('C:\\\\new,Notes\\, drafts,Folder\\\\')).toEqual([
      'C:\\new',
      'Notes, drafts',
      'Folder\\',
    ]);
  });

  it('refuses impossible dates instead of rolling them over', () => {
    expect(parseCalendarValue('20240230')).toEqual({
      ok: false,
      reason: '20240230 is not a real calendar date (day is out of range for month)',
    });
    expect(parseCalendarValue('20240229T250000')).toMatchObject({ ok: false });
    expect(parseCalendarValue('20240229')).toMatchObject({
      ok: true,
      value: { kind: 'date', date: '2024-02-29' },
    });
  });

  it('the envelope check sees components and their lines', () => {
    const result = parseCalendarText(cal(...event('UID:a')));
    expect(result.ok && result.calendar.children.map((c) => c.name)).toEqual(['VEVENT']);
  });
});

describe('one broken event is rejected alone, with its reason', () => {
  const good = event('UID:good', 'DTSTART:20260101T100000Z', 'DTEND:20260101T110000Z');
  it.each([
    [
      'no UID',
      event('DTSTART:20260101T100000Z', 'DTEND:20260101T110000Z'),
      null,
      'no UID (a booking needs a stable id)',
    ],
    ['no DTSTART', event('UID:x', 'DTEND:20260101T110000Z'), 'x', 'no DTSTART'],
    [
      'DTEND before DTSTART',
      event('UID:x', 'DTSTART:20260101T100000Z', 'DTEND:20260101T090000Z'),
      'x',
      'DTEND 20260101T090000Z is before DTSTART 20260101T100000Z',
    ],
    [
      'zero length',
      event('UID:x', 'DTSTART:20260101T100000Z', 'DTEND:20260101T100000Z'),
      'x',
      'DTEND equals DTSTART (a zero-length event)',
    ],
    [
      'DATE start, DATE-TIME end',
      event('UID:x', 'DTSTART;VALUE=DATE:20260101', 'DTEND:20260102T100000Z'),
      'x',
      'DTEND is a DATE-TIME but DTSTART is a DATE (both must be of one type)',
    ],
    [
      'DTEND and DURATION',
      event('UID:x', 'DTSTART:20260101T100000Z', 'DTEND:20260101T110000Z', 'DURATION:PT1H'),
      'x',
      'both DTEND and DURATION (only one is allowed)',
    ],
    [
      'bad DURATION',
      event('UID:x', 'DTSTART:20260101T100000Z', 'DURATION:1 hour'),
      'x',
      "'1 hour' is not a DURATION value",
    ],
    [
      'bad EXDATE',
      event(
        'UID:x',
        'DTSTART:20260101T100000Z',
        'DTEND:20260101T110000Z',
        'RRULE:FREQ=DAILY;COUNT=3',
        'EXDATE:20260231T100000Z',
      ),
      'x',
      'EXDATE: 20260231T100000Z is not a real calendar date-time (day is out of range for month)',
    ],
    [
      'a garbage RRULE',
      event('UID:x', 'DTSTART:20260101T100000Z', 'DTEND:20260101T110000Z', 'RRULE:FREQ=SOMETIMES'),
      'x',
      expect.stringContaining('RRULE'),
    ],
    [
      'no FREQ',
      event('UID:x', 'DTSTART:20260101T100000Z', 'DTEND:20260101T110000Z', 'RRULE:COUNT=3'),
      'x',
      'RRULE has no FREQ',
    ],
    [
      'FREQ=SECONDLY',
      event('UID:x', 'DTSTART:20260101T100000Z', 'DTEND:20260101T100001Z', 'RRULE:FREQ=SECONDLY'),
      'x',
      expect.stringContaining('not a booking pattern'),
    ],
  ])('%s', (_title, broken, uid, reason) => {
    const result = ok(cal(...broken, ...good));
    expect(result.occurrences.map((o) => o.uid)).toEqual(['good']);
    expect(result.rejected).toEqual([{ uid, line: expect.any(Number), reason }]);
  });
});

describe('recurrence', () => {
  it('expands only inside the window, and caps a series', () => {
    const body = cal(
      ...event('UID:daily', 'DTSTART:20260101T100000Z', 'DTEND:20260101T110000Z', 'RRULE:FREQ=DAILY'),
    );
    const result = parseCalendar(body, {
      propertyZone: ZONE,
      window: { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-10T00:00:00Z') },
    });
    if (!result.ok) throw new Error(result.reason);
    expect(result.occurrences.map((o) => o.start)).toEqual(
      Array.from({ length: 9 }, (_, i) => `2026-03-0${i + 1}T10:00:00Z`),
    );
    const capped = parseCalendar(body, {
      propertyZone: ZONE,
      window: { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') },
      maxOccurrencesPerSeries: 5,
    });
    expect(capped.ok && capped.occurrences).toHaveLength(5);
    expect(capped.ok && capped.warnings.join()).toContain('more than 5 occurrences');
  });

  it('a cancelled master cancels every occurrence; a cancelled override only its own', () => {
    const body = cal(
      ...event(
        'UID:s',
        'DTSTART:20260101T100000Z',
        'DTEND:20260101T110000Z',
        'RRULE:FREQ=DAILY;COUNT=3',
        'STATUS:CANCELLED',
      ),
      ...event('UID:t', 'DTSTART:20260101T100000Z', 'DTEND:20260101T110000Z', 'RRULE:FREQ=DAILY;COUNT=3'),
      ...event(
        'UID:t',
        'RECURRENCE-ID:20260102T100000Z',
        'DTSTART:20260102T100000Z',
        'DTEND:20260102T110000Z',
        'STATUS:CANCELLED',
      ),
    );
    const result = ok(body);
    expect(result.occurrences.filter((o) => o.uid === 's').map((o) => o.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(result.occurrences.filter((o) => o.uid === 't').map((o) => o.status)).toEqual([
      'confirmed',
      'cancelled',
      'confirmed',
    ]);
  });

  it('duplicate single events with one UID: the highest SEQUENCE wins, whatever the order', () => {
    const body = cal(
      ...event('UID:d', 'SEQUENCE:3', 'DTSTART;VALUE=DATE:20260110', 'DTEND;VALUE=DATE:20260112'),
      ...event('UID:d', 'SEQUENCE:1', 'DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:20260103'),
    );
    const result = ok(body);
    expect(result.occurrences).toEqual([
      expect.objectContaining({ uid: 'd', start: '2026-01-10', end: '2026-01-12', sequence: 3 }),
    ]);
    expect(result.warnings.join()).toContain('2 VEVENTs with this UID');
  });

  it('RDATE adds occurrences; EXDATE as a DATE removes a timed one by its local date', () => {
    const body = cal(
      ...event(
        'UID:r',
        'DTSTART;TZID=Europe/Stockholm:20260105T090000',
        'DTEND;TZID=Europe/Stockholm:20260105T100000',
        'RRULE:FREQ=WEEKLY;COUNT=3',
        'RDATE;TZID=Europe/Stockholm:20260107T090000',
        'EXDATE;VALUE=DATE:20260112',
      ),
    );
    expect(ok(body).occurrences.map((o) => o.start)).toEqual([
      '2026-01-05T08:00:00Z',
      '2026-01-07T08:00:00Z',
      '2026-01-19T08:00:00Z',
    ]);
  });

  it('overrides for a series that is not in the feed stand alone', () => {
    const body = cal(
      ...event(
        'UID:o',
        'RECURRENCE-ID:20260102T100000Z',
        'DTSTART:20260102T120000Z',
        'DTEND:20260102T130000Z',
      ),
    );
    expect(ok(body).occurrences).toEqual([
      expect.objectContaining({
        uid: 'o',
        recurrenceId: '2026-01-02T10:00:00Z',
        start: '2026-01-02T12:00:00Z',
      }),
    ]);
  });

  it('RANGE=THISANDFUTURE on a timed series shifts every later occurrence', () => {
    const body = cal(
      ...event(
        'UID:f',
        'DTSTART:20260101T100000Z',
        'DTEND:20260101T110000Z',
        'RRULE:FREQ=DAILY;COUNT=4',
        'SUMMARY:Old',
      ),
      ...event(
        'UID:f',
        'RECURRENCE-ID;RANGE=THISANDFUTURE:20260103T100000Z',
        'DTSTART:20260103T120000Z',
        'DTEND:20260103T130000Z',
        'SUMMARY:New',
        'SEQUENCE:1',
      ),
    );
    expect(ok(body).occurrences.map((o) => [o.recurrenceId, o.start, o.summary])).toEqual([
      ['2026-01-01T10:00:00Z', '2026-01-01T10:00:00Z', 'Old'],
      ['2026-01-02T10:00:00Z', '2026-01-02T10:00:00Z', 'Old'],
      ['2026-01-03T10:00:00Z', '2026-01-03T12:00:00Z', 'New'],
      ['2026-01-04T10:00:00Z', '2026-01-04T12:00:00Z', 'New'],
    ]);
  });
});

describe('time zones', () => {
  it('maps Windows and Outlook display names to IANA', () => {
    expect(windowsToIana('W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(windowsToIana('Pacific Standard Time')).toBe('America/Los_Angeles');
    expect(windowsToIana('(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna')).toBe(
      'Europe/Berlin',
    );
    expect(windowsToIana('Nowhere Standard Time')).toBeUndefined();
  });

  it('floating times are read in the property zone', () => {
    const body = cal(...event('UID:f', 'DTSTART:20260706T090000', 'DTEND:20260706T100000'));
    expect(ok(body, 'Europe/Stockholm').occurrences[0]?.start).toBe('2026-07-06T07:00:00Z');
    expect(ok(body, 'America/New_York').occurrences[0]?.start).toBe('2026-07-06T13:00:00Z');
  });

  it('an OWA display name with no VTIMEZONE resolves; an unknown one falls back with a warning', () => {
    const body = cal(
      ...event(
        'UID:a',
        'DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20260115T090000',
        'DTEND;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna":20260115T100000',
      ),
      ...event(
        'UID:b',
        'DTSTART;TZID=Mars/Olympus:20260115T090000',
        'DTEND;TZID=Mars/Olympus:20260115T100000',
      ),
    );
    const result = ok(body);
    expect(result.occurrences.map((o) => o.start)).toEqual(['2026-01-15T08:00:00Z', '2026-01-15T08:00:00Z']);
    expect(result.warnings).toContain(
      "unknown TZID 'Mars/Olympus' (no IANA zone, no usable VTIMEZONE): read in the property zone Europe/Stockholm",
    );
  });

  it('a fixed-offset VTIMEZONE with a custom name is that offset', () => {
    const body = cal(
      'BEGIN:VTIMEZONE',
      'TZID:My Office',
      'BEGIN:STANDARD',
      'DTSTART:16010101T000000',
      'TZOFFSETFROM:+0300',
      'TZOFFSETTO:+0300',
      'END:STANDARD',
      'END:VTIMEZONE',
      ...event('UID:a', 'DTSTART;TZID=My Office:20260115T090000', 'DTEND;TZID=My Office:20260115T100000'),
    );
    expect(ok(body).occurrences[0]?.start).toBe('2026-01-15T06:00:00Z');
  });
});
