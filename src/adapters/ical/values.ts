import { DateTime, Duration } from 'luxon';

/** A DATE value: a calendar day with no time and no zone. */
export interface DateValue {
  readonly kind: 'date';
  /** `YYYY-MM-DD` */
  readonly date: string;
}

/** A DATE-TIME value as written: wall-clock parts, and `utc` when it ended in `Z`. */
export interface DateTimeValue {
  readonly kind: 'date-time';
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly utc: boolean;
}

export type CalendarValue = DateValue | DateTimeValue;

export type ValueResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

const DATE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function realDate(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12) return 'month is out of range';
  if (day < 1 || day > daysInMonth(year, month)) return 'day is out of range for month';
  return undefined;
}

/**
 * Parses a DATE or DATE-TIME value strictly: impossible dates (`20240230`) are refused with a
 * reason rather than rolled over to March (ical.js) or thrown for the whole feed (node-ical).
 * `valueType` is the VALUE parameter; a bare 8-digit value is a DATE whatever it says.
 */
export function parseCalendarValue(raw: string, valueType?: string): ValueResult<CalendarValue> {
  const text = raw.trim();
  const date = DATE.exec(text);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const problem = realDate(year, month, day);
    if (problem) return { ok: false, reason: `${text} is not a real calendar date (${problem})` };
    return { ok: true, value: { kind: 'date', date: `${date[1]}-${date[2]}-${date[3]}` } };
  }
  const dateTime = DATE_TIME.exec(text);
  if (dateTime && valueType?.toUpperCase() !== 'DATE') {
    const [year, month, day, hour, minute, second] = dateTime.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const problem =
      realDate(year, month, day) ??
      (hour > 23 || minute > 59 || second > 60 ? 'time is out of range' : undefined);
    if (problem) return { ok: false, reason: `${text} is not a real calendar date-time (${problem})` };
    return {
      ok: true,
      value: {
        kind: 'date-time',
        year,
        month,
        day,
        hour,
        minute,
        second: Math.min(second, 59),
        utc: dateTime[7] === 'Z',
      },
    };
  }
  return { ok: false, reason: `'${text.slice(0, 40)}' is not a DATE or DATE-TIME value` };
}

/** `YYYYMMDD` → `YYYY-MM-DD` for a value we know is a date, else the wall-clock date of a date-time. */
export function wallDate(value: CalendarValue): string {
  if (value.kind === 'date') return value.date;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(value.year, 4)}-${pad(value.month)}-${pad(value.day)}`;
}

/** Adds whole days to a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (both `YYYY-MM-DD`). */
export function daysBetween(a: string, b: string): number {
  const ms = (date: string) => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((ms(b) - ms(a)) / 86_400_000);
}

const DURATION = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * A DURATION value (RFC 5545 §3.3.6). Weeks and days are nominal (wall-clock days: 23 or 25 hours
 * across a DST change), hours, minutes and seconds exact; luxon's `plus` applies them that way.
 */
export function parseDuration(raw: string): ValueResult<Duration> {
  const text = raw.trim();
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) {
    return { ok: false, reason: `'${text.slice(0, 40)}' is not a DURATION value` };
  }
  const sign = match[1] === '-' ? -1 : 1;
  const n = (index: number) => sign * Number(match[index] ?? 0);
  return {
    ok: true,
    value: Duration.fromObject({ weeks: n(2), days: n(3), hours: n(4), minutes: n(5), seconds: n(6) }),
  };
}

/**
 * The instant of a date-time value read in `zone` (an IANA name; `Z` values are UTC). RFC 5545
 * §3.3.5: a time in the repeated autumn hour is its first occurrence (luxon alone picks the
 * second), and a time in the spring-forward gap is read with the offset before the gap.
 */
export function toInstant(value: DateTimeValue, zone: string): DateTime {
  const { year, month, day, hour, minute, second } = value;
  if (value.utc) return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: 'UTC' });
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const offsetAt = (ms: number) => DateTime.fromMillis(ms, { zone }).offset;
  const before = offsetAt(wallAsUtc - 86_400_000);
  const after = offsetAt(wallAsUtc + 86_400_000);
  const candidates = [...new Set([before, after, offsetAt(wallAsUtc)])]
    .map((offset) => wallAsUtc - offset * 60_000)
    .filter((ms) => DateTime.fromMillis(ms, { zone }).offset * 60_000 + ms === wallAsUtc)
    .sort((a, b) => a - b);
  const ms = candidates[0] ?? wallAsUtc - before * 60_000;
  return DateTime.fromMillis(ms, { zone });
}
