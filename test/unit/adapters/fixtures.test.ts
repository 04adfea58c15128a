import { readdirSync } from 'node:fs';
import {
  type CalendarOccurrence,
  classify,
  mapOccurrence,
  parseCalendar,
  windowMs,
} from '../../../src/adapters';
import { FIXTURE_WINDOW, FIXTURES, fixture, fixtureJson, testSource, ZONE } from './helpers';

interface ExpectedEvent {
  uid: string;
  recurrenceId: string | null;
  kind: string;
  startUtc: string;
  endUtc: string;
  summary: string;
}
interface ExpectedFile {
  feedOutcome: 'ok' | 'failed-fetch';
  failReason?: string;
  events: ExpectedEvent[];
  rejected: { uid: string; reason: string }[];
  warnings?: string[];
  alternatives?: { policy: string; addEvents: ExpectedEvent[]; removeEvents: ExpectedEvent[] }[];
}

const expected = fixtureJson<Record<string, ExpectedFile>>('expected-events.json');
const allDay = fixtureJson<
  Record<
    string,
    { uid: string; kind: string; dtstart: string; dtend: string; startUtc: string; endUtc: string }[]
  >
>('expected-allday-bookings.json');
const source = testSource();

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** What the adapter makes of an occurrence, in the shape of expected-events.json. */
function asExpected(occurrence: CalendarOccurrence, feed = source): ExpectedEvent {
  const { startMs, endMs } = windowMs({ ...occurrence, resource: 'flat' }, feed);
  return {
    uid: occurrence.uid,
    recurrenceId: occurrence.recurrenceId,
    kind: classify(occurrence, feed),
    startUtc: iso(startMs),
    endUtc: iso(endMs),
    summary: occurrence.summary,
  };
}

const byKey = (a: ExpectedEvent, b: ExpectedEvent) =>
  `${a.startUtc}|${a.uid}|${a.recurrenceId}`.localeCompare(`${b.startUtc}|${b.uid}|${b.recurrenceId}`);

function parseFixture(name: string) {
  return parseCalendar(fixture(name), { propertyZone: ZONE, window: FIXTURE_WINDOW });
}

describe('every fixture against expected-events.json', () => {
  it('covers every .ics file in the fixture folder', () => {
    const files = readdirSync(FIXTURES).filter((file) => file.endsWith('.ics'));
    expect(files.length).toBeGreaterThanOrEqual(19);
    expect(
      Object.keys(expected)
        .filter((key) => key !== '_format')
        .sort(),
    ).toEqual(files.sort());
  });

  const files = Object.keys(expected).filter((key) => key !== '_format');
  it.each(files)('%s', (name) => {
    const want = expected[name] as ExpectedFile;
    const parsed = parseFixture(name);
    if (want.feedOutcome === 'failed-fetch') {
      expect(parsed).toEqual({ ok: false, reason: want.failReason });
      return;
    }
    if (!parsed.ok) throw new Error(`expected a calendar, got: ${parsed.reason}`);
    // Pinned policies: exchange UNTIL compared as the parsers do (51); outlook's broken DTSTART read leniently.
    expect(parsed.occurrences.map((o) => asExpected(o)).sort(byKey)).toEqual([...want.events].sort(byKey));
    expect(parsed.rejected.map(({ uid, reason }) => ({ uid, reason }))).toEqual(want.rejected);
    for (const warning of want.warnings ?? []) expect(parsed.warnings).toContain(warning);
  });
});

describe('expected-allday-bookings.json', () => {
  const files = Object.keys(allDay).filter((key) => key !== '_policy');
  it.each(files)('%s: dates, kinds and UTC windows of every all-day event', (name) => {
    const parsed = parseFixture(name);
    if (!parsed.ok) throw new Error(parsed.reason);
    const rows = allDay[name] ?? [];
    for (const row of rows) {
      const occurrence = parsed.occurrences.find((o) => o.uid === row.uid);
      if (row.kind === 'invalid') {
        expect(occurrence).toBeUndefined();
        expect(parsed.rejected.map((r) => r.uid)).toContain(row.uid);
        continue;
      }
      if (!occurrence) throw new Error(`missing ${row.uid}`);
      expect(occurrence.allDay).toBe(true);
      const got = asExpected(occurrence);
      expect({ kind: got.kind, startUtc: got.startUtc, endUtc: got.endUtc }).toEqual({
        kind: row.kind,
        startUtc: row.startUtc,
        endUtc: row.endUtc,
      });
      // The BookingEvent carries the date parts; DTEND is exclusive (= the check-out day).
      expect(occurrence.start).toBe(
        `${row.dtstart.slice(0, 4)}-${row.dtstart.slice(4, 6)}-${row.dtstart.slice(6)}`,
      );
    }
  });

  it('airbnb-export: 25 bookings become 25 BookingEvents with plain dates, 3 blocks become none', () => {
    const parsed = parseFixture('airbnb-export.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    const mapped = parsed.occurrences.map((o) => mapOccurrence(o, source));
    const events = mapped.flatMap((m) => m.events);
    expect(events).toHaveLength(25);
    expect(mapped.filter((m) => m.kind === 'block')).toHaveLength(3);
    expect(events[0]).toEqual({
      source: 'feed',
      externalId: '1418fb94e984-405f87fd6f7ed014c6ece8a82e8c6da3@airbnb.com',
      resource: 'flat',
      start: '2025-10-20',
      end: '2025-10-22',
      status: 'confirmed',
    });
    // Same-day turnover: one stay's check-out (11:00) is before the next one's check-in (15:00).
    const windows = events.map((e) => windowMs(e, source)).sort((a, b) => a.startMs - b.startMs);
    for (let i = 1; i < windows.length; i++) {
      expect(windows[i]?.startMs).toBeGreaterThanOrEqual(windows[i - 1]?.endMs ?? 0);
    }
  });
});

describe('pinned policies', () => {
  it('Booking.com "CLOSED - Not available" is ambiguous and gives no code by default', () => {
    const parsed = parseFixture('synthetic-booking-com-export.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    const mapped = parsed.occurrences.map((o) => mapOccurrence(o, source));
    expect(mapped.map((m) => m.kind)).toEqual(['ambiguous', 'ambiguous', 'ambiguous']);
    expect(mapped.flatMap((m) => m.events)).toEqual([]);
  });

  it('…and are bookings (3 codes, the listed windows) with mapping.ambiguousAs: booking', () => {
    const feed = testSource({ mapping: { ambiguousAs: 'booking' } });
    const parsed = parseFixture('synthetic-booking-com-export.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    const alternative = expected['synthetic-booking-com-export.ics']?.alternatives?.[0];
    expect(parsed.occurrences.map((o) => asExpected(o, feed)).sort(byKey)).toEqual(
      [...(alternative?.addEvents ?? [])].sort(byKey),
    );
    expect(parsed.occurrences.flatMap((o) => mapOccurrence(o, feed).events)).toHaveLength(3);
  });

  it('exchange: UNTIL 20260817T220000Z ends the all-day series on Thu 2026-08-13 (51, not 52)', () => {
    const parsed = parseFixture('exchange-allday-moved-recurrence-id.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    const dates = parsed.occurrences.map((o) => o.start);
    expect(dates).toHaveLength(51);
    expect(dates.at(-1)).toBe('2026-08-13');
    expect(dates).not.toContain('2026-08-18');
    expect(dates).not.toContain('2026-02-26');
    const moved = parsed.occurrences.find((o) => o.start === '2026-02-27');
    expect(moved).toMatchObject({ recurrenceId: '2026-02-26', end: '2026-02-28' });
  });

  it('outlook: the broken DTSTART is recovered with a warning (235 occurrences), not rejected', () => {
    const parsed = parseFixture('outlook-windows-tzid.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    const jira = parsed.occurrences.filter((o) => o.summary === "Log Yesterday's Jira time");
    expect(jira).toHaveLength(235);
    expect(jira[0]?.start).toBe('2020-06-09T07:00:00Z');
    expect(parsed.rejected).toEqual([]);
  });

  it('escaped text: one left-to-right pass (node-ical gets C:\\\\new wrong)', () => {
    const parsed = parseFixture('escaped-chars-backslashes.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    const [event] = parsed.occurrences;
    expect(event?.summary).toBe('C:\\new\\Notes');
    expect(event?.description).toBe('Write \\n or \\N for a literal escape.\nNext line.\nLast line.');
    expect(event?.location).toBe('Folder\\, room; desk');
  });

  it('long folded summary keeps the real space after a fold and ignores the VALARM texts', () => {
    const parsed = parseFixture('google-calendar-line-folding-long-summary-valarm.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.occurrences[0]?.description).not.toContain('This is an event reminder');
    expect(parsed.occurrences[0]?.summary).not.toContain('Alarm notification');
  });

  it('METHOD:CANCEL is reported so the feed is not read as a full snapshot', () => {
    const parsed = parseFixture('synthetic-method-cancel.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.method).toBe('CANCEL');
    expect(parsed.occurrences.map((o) => o.status)).toEqual(['cancelled']);
  });

  it('the large feed: a rejected event keeps its UID known (never a deletion)', () => {
    const parsed = parseFixture('large-feed-400-events-late-error.ics');
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.eventCount).toBe(401);
    expect(parsed.uids.has('event060@example.com')).toBe(true);
    expect(parsed.uids.has('event_error@example.com')).toBe(true);
  });
});
