import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseCalendar, windowMs } from '../../../src/adapters';
import { FIXTURE_WINDOW, FIXTURES, fixture, testSource, ZONE } from './helpers';

const cal = (...lines: string[]) => ['BEGIN:VCALENDAR', ...lines, 'END:VCALENDAR'].join('\r\n');
const event = (...lines: string[]) => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];

function occurrences(text: string) {
  const result = parseCalendar(text, { propertyZone: ZONE, window: FIXTURE_WINDOW });
  if (!result.ok) throw new Error(result.reason);
  return result.occurrences;
}

describe('DST in the event zone', () => {
  it('a time in the repeated autumn hour is its first occurrence (CEST), RFC 5545 §3.3.5', () => {
    const [o] = occurrences(
      cal(
        ...event(
          'UID:a',
          'DTSTART;TZID=Europe/Stockholm:20251026T023000',
          'DTEND;TZID=Europe/Stockholm:20251026T033000',
        ),
      ),
    );
    expect(o).toMatchObject({ start: '2025-10-26T00:30:00Z', end: '2025-10-26T02:30:00Z' });
  });

  it('a time in the spring-forward gap is read with the offset before the gap', () => {
    const [o] = occurrences(
      cal(
        ...event(
          'UID:a',
          'DTSTART;TZID=Europe/Stockholm:20250330T023000',
          'DTEND;TZID=Europe/Stockholm:20250330T040000',
        ),
      ),
    );
    expect(o).toMatchObject({ start: '2025-03-30T01:30:00Z', end: '2025-03-30T02:00:00Z' });
  });

  it('a weekly series keeps its wall-clock time across the change', () => {
    const list = occurrences(
      cal(
        ...event(
          'UID:w',
          'DTSTART;TZID=Europe/Stockholm:20251019T090000',
          'DTEND;TZID=Europe/Stockholm:20251019T100000',
          'RRULE:FREQ=WEEKLY;COUNT=3',
        ),
      ),
    );
    expect(list.map((o) => [o.start, o.end])).toEqual([
      ['2025-10-19T07:00:00Z', '2025-10-19T08:00:00Z'],
      ['2025-10-26T08:00:00Z', '2025-10-26T09:00:00Z'],
      ['2025-11-02T08:00:00Z', '2025-11-02T09:00:00Z'],
    ]);
  });

  it('a daily series at 02:30 is there on both change days', () => {
    const list = occurrences(
      cal(
        ...event(
          'UID:d',
          'DTSTART;TZID=Europe/Stockholm:20251025T023000',
          'DTEND;TZID=Europe/Stockholm:20251025T030000',
          'RRULE:FREQ=DAILY;COUNT=3',
        ),
      ),
    );
    expect(list.map((o) => o.start)).toEqual([
      '2025-10-25T00:30:00Z',
      '2025-10-26T00:30:00Z',
      '2025-10-27T01:30:00Z',
    ]);
  });

  it('DURATION P1D is a nominal day: 23 hours across spring-forward', () => {
    const [o] = occurrences(
      cal(...event('UID:p', 'DTSTART;TZID=America/Los_Angeles:20250308T120000', 'DURATION:P1D')),
    );
    expect(o).toMatchObject({ start: '2025-03-08T20:00:00Z', end: '2025-03-09T19:00:00Z' });
  });

  it('DTEND gives every occurrence the same exact length (RFC 5545 §3.8.5.3)', () => {
    const list = occurrences(
      cal(
        ...event(
          'UID:e',
          'DTSTART;TZID=Europe/Stockholm:20251025T120000',
          'DTEND;TZID=Europe/Stockholm:20251026T120000',
          'RRULE:FREQ=DAILY;COUNT=2',
        ),
      ),
    );
    expect(list.map((o) => (Date.parse(o.end) - Date.parse(o.start)) / 3_600_000)).toEqual([25, 25]);
  });
});

describe('all-day stays across DST: the resource zone and its check-in/out times', () => {
  const source = testSource();
  it.each([
    [
      'a stay checking out after the change to CET',
      '2025-10-25',
      '2025-10-26',
      '2025-10-25T13:00:00.000Z',
      '2025-10-26T10:00:00.000Z',
    ],
    [
      'a stay checking in before and out after the change to CEST',
      '2026-03-28',
      '2026-03-30',
      '2026-03-28T14:00:00.000Z',
      '2026-03-30T09:00:00.000Z',
    ],
  ])('%s', (_title, start, end, startUtc, endUtc) => {
    const { startMs, endMs } = windowMs({ start, end, resource: 'flat' }, source);
    expect([new Date(startMs).toISOString(), new Date(endMs).toISOString()]).toEqual([startUtc, endUtc]);
  });
});

describe("the server's zone changes nothing", () => {
  const files = [
    'airbnb-export.ics',
    'exchange-allday-moved-recurrence-id.ics',
    'allday-recurrence-id-thisandfuture.ics',
    'outlook-windows-tzid.ics',
    'google-rrule-until-date-vs-datetime-dtstart.ics',
    'malformed-unknown-tzid-europe-germany.ics',
  ];
  // Jest sandboxes process.env, so each zone gets its own Node process.
  function readUnder(tz: string): { offset: number; results: Record<string, unknown> } {
    const script = `
      const { parseCalendar } = require('./src/adapters');
      const { readFileSync } = require('node:fs');
      const window = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2028-01-01T00:00:00Z') };
      const results = {};
      for (const name of ${JSON.stringify(files)}) {
        results[name] = parseCalendar(readFileSync(${JSON.stringify(FIXTURES)} + '/' + name, 'utf8'), { propertyZone: 'Europe/Stockholm', window }).occurrences;
      }
      process.stdout.write(JSON.stringify({ offset: new Date(2025, 0, 1).getTimezoneOffset(), results }));`;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: join(__dirname, '../../..'),
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
    return JSON.parse(out) as { offset: number; results: Record<string, unknown> };
  }

  it('the fixtures read the same under UTC, Los Angeles and Kiritimati (UTC+14)', () => {
    const utc = readUnder('UTC');
    const la = readUnder('America/Los_Angeles');
    const kiritimati = readUnder('Pacific/Kiritimati');
    expect([utc.offset, la.offset, kiritimati.offset]).toEqual([0, 480, -840]); // the zones really differ
    expect(la.results).toEqual(utc.results);
    expect(kiritimati.results).toEqual(utc.results);
    expect(utc.results).toEqual(Object.fromEntries(files.map((name) => [name, occurrences(fixture(name))])));
  }, 30_000);
});
