/**
 * The two shapes a BookingEvent boundary may take — an ISO 8601 date-time with an offset or `Z`, or a
 * plain calendar date — read without a date library: validating every event through luxon's ISO parser
 * was a measurable share of the worker's CPU. The rules are luxon's (`DateTime.fromISO(…, { setZone })
 * .isValid`), which the unit tests use as the oracle: real calendar dates, hours 0–23 or exactly 24:00,
 * minutes and seconds 0–59, any two-digit offset.
 */
const WHEN_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2})(?::?(\d{2}))?))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export interface IsoWhen {
  /** True for a plain `YYYY-MM-DD`. */
  readonly dateOnly: boolean;
  /** Epoch milliseconds: the instant of a date-time, or UTC midnight of a plain date. */
  readonly epochMs: number;
}

/** Reads a boundary, or undefined when it is not one of the two shapes or not a real date or time. */
export function parseIsoWhen(value: string): IsoWhen | undefined {
  const match = WHEN_PATTERN.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone, sign, offsetHours, offsetMinutes] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const dateUtc = utcMidnight(year, month, day);
  if (h === undefined) return { dateOnly: true, epochMs: dateUtc };

  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? 0);
  const millisecond = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const endOfDay = hour === 24 && minute === 0 && second === 0 && Number(fraction ?? 0) === 0;
  if ((hour > 23 && !endOfDay) || minute > 59 || second > 59) return undefined;
  let offsetMs = 0;
  if (zone !== 'Z') {
    offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes ?? 0)) * 60_000 * (sign === '-' ? -1 : 1);
  }
  const epochMs = dateUtc + ((hour * 60 + minute) * 60 + second) * 1000 + millisecond - offsetMs;
  return { dateOnly: false, epochMs };
}

/** UTC midnight of a date; unlike `Date.UTC`, years 0–99 are not read as 1900–1999. */
function utcMidnight(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}
