import { DateTime, IANAZone } from 'luxon';
import { sync as icalSync } from 'node-ical';
import { addDays, type CalendarValue, type ValueResult } from './values';

export interface ExpandRuleInput {
  /** The RRULE value as written (`FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=…`). */
  readonly rrule: string;
  /** DTSTART of the series. */
  readonly start: CalendarValue;
  /** IANA zone DTSTART is read in (ignored for DATE and `Z` values). */
  readonly zone: string;
  /** Occurrences starting in [from, to] are returned. */
  readonly from: Date;
  readonly to: Date;
  /** At most this many occurrences; more is reported as truncated. */
  readonly max: number;
}

/** One occurrence start: a date for a DATE series, an instant otherwise. */
export type OccurrenceStart = { readonly date: string } | { readonly instant: DateTime };

export interface Expansion {
  readonly starts: OccurrenceStart[];
  readonly truncated: boolean;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** A date-series anchor: noon UTC keeps every generated day on its own date whatever the server zone. */
const DATE_ANCHOR = 'T120000Z';

function formatStart(start: CalendarValue, zone: string): string {
  if (start.kind === 'date') return `DTSTART:${start.date.replaceAll('-', '')}${DATE_ANCHOR}`;
  const wall = `${pad(start.year, 4)}${pad(start.month)}${pad(start.day)}T${pad(start.hour)}${pad(start.minute)}${pad(start.second)}`;
  if (start.utc) return `DTSTART:${wall}Z`;
  if (IANAZone.isValidZone(zone) && !zone.startsWith('UTC+') && !zone.startsWith('UTC-')) {
    return `DTSTART;TZID=${zone}:${wall}`;
  }
  // A fixed offset with minutes (UTC+5:30): expand at the same instant in UTC.
  const instant = DateTime.fromObject(
    { year: start.year, month: start.month, day: start.day, hour: start.hour, minute: start.minute },
    { zone },
  ).toUTC();
  return `DTSTART:${instant.toFormat("yyyyMMdd'T'HHmmss")}Z`;
}

/**
 * Expands an RRULE with node-ical (rrule-temporal underneath: wall-clock rules across DST, UNTIL as a
 * DATE on a DATE-TIME series). The series is handed over alone, already validated and with its zone
 * resolved by us, so one bad rule cannot take the feed with it. DATE series are anchored at noon UTC
 * and read back as dates: node-ical would put them at midnight in the server's zone.
 */
export function expandRule(input: ExpandRuleInput): ValueResult<Expansion> {
  const freq = /(?:^|;)FREQ=([A-Z]+)/i.exec(input.rrule)?.[1]?.toUpperCase();
  if (!freq) return { ok: false, reason: 'RRULE has no FREQ' };
  if (freq === 'SECONDLY' || freq === 'MINUTELY') {
    return { ok: false, reason: `RRULE FREQ=${freq} is not a booking pattern (refused to expand)` };
  }
  const text = [
    'BEGIN:VCALENDAR',
    'BEGIN:VEVENT',
    'UID:series',
    formatStart(input.start, input.zone),
    `RRULE:${input.rrule.trim()}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
  let dates: Date[];
  try {
    const parsed = icalSync.parseICS(text);
    const event = parsed.series as
      | { rrule?: { between(a: Date, b: Date, inc?: boolean): Date[] } }
      | undefined;
    if (!event?.rrule) return { ok: false, reason: 'RRULE could not be read' };
    // A DATE series generates noon-UTC instants: widen the window by a day on each side, then filter by date.
    const from = input.start.kind === 'date' ? new Date(input.from.getTime() - 86_400_000) : input.from;
    const to = input.start.kind === 'date' ? new Date(input.to.getTime() + 86_400_000) : input.to;
    dates = event.rrule.between(from, to, true);
  } catch (error) {
    return { ok: false, reason: `RRULE could not be expanded: ${(error as Error).message}` };
  }
  let starts: OccurrenceStart[];
  if (input.start.kind === 'date') {
    const fromDate = input.from.toISOString().slice(0, 10);
    const toDate = input.to.toISOString().slice(0, 10);
    starts = dates
      .map((d) => d.toISOString().slice(0, 10))
      .filter((date) => date >= addDays(fromDate, -1) && date <= toDate)
      .map((date) => ({ date }));
  } else {
    starts = dates.map((d) => ({ instant: DateTime.fromJSDate(d, { zone: input.zone }) }));
  }
  const truncated = starts.length > input.max;
  return { ok: true, value: { starts: truncated ? starts.slice(0, input.max) : starts, truncated } };
}
