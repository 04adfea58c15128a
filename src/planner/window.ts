import { DateTime } from 'luxon';
import { parseIsoWhen } from '../domain';
import { cachedZone } from './cached-zone';

const DAY_MS = 86_400_000;

export interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/**
 * A wall-clock time in an IANA zone, with the two DST edge cases decided explicitly:
 * - in the autumn overlap (the hour that happens twice) the FIRST, earlier occurrence is taken,
 *   so access starts no later than the guest expects and ends no later than the earlier reading;
 * - in the spring gap (a time that does not exist) luxon's behaviour applies: the time moves
 *   forward by the gap (02:30 on the spring-forward night in Stockholm becomes 03:30 CEST).
 */
export function localDateTime(timeZone: string, parts: LocalParts): DateTime {
  const zone = cachedZone(timeZone);
  const wallAsUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
  // DST transitions are months apart, so the offsets a day either side are the two candidates.
  const offsets = new Set([
    zone.offset(wallAsUtc - DAY_MS),
    zone.offset(wallAsUtc),
    zone.offset(wallAsUtc + DAY_MS),
  ]);
  let earliest: number | undefined;
  for (const offsetMinutes of offsets) {
    const instant = wallAsUtc - offsetMinutes * 60_000;
    if (zone.offset(instant) === offsetMinutes && (earliest === undefined || instant < earliest)) {
      earliest = instant;
    }
  }
  if (earliest !== undefined) return DateTime.fromMillis(earliest, { zone });
  return DateTime.fromObject({ ...parts }, { zone });
}

/**
 * A BookingEvent boundary in the resource's zone: a date-time keeps its instant; a plain date
 * means `timeOfDay` ("HH:mm", the resource's check-in or check-out time) on that date.
 */
export function resolveBoundary(value: string, timeZone: string, timeOfDay: string): DateTime {
  const when = parseIsoWhen(value);
  if (!when) return DateTime.invalid('not an ISO 8601 date or date-time with an offset');
  if (when.dateOnly) {
    const [year, month, day] = value.split('-').map(Number) as [number, number, number];
    const [hour, minute] = timeOfDay.split(':').map(Number) as [number, number];
    return localDateTime(timeZone, { year, month, day, hour, minute });
  }
  return DateTime.fromMillis(when.epochMs, { zone: cachedZone(timeZone) });
}

/** ISO 8601 with the zone's offset and no milliseconds, e.g. `2026-12-01T15:00:00+01:00`. */
export function formatIso(value: DateTime): string {
  return value.toISO({ suppressMilliseconds: true, includeOffset: true }) ?? '';
}

function floorToSecond(value: DateTime): DateTime {
  return value.startOf('second');
}

function ceilToSecond(value: DateTime): DateTime {
  return value.millisecond === 0 ? value : value.startOf('second').plus({ seconds: 1 });
}

export interface BookingWindow {
  /** The booking's own start and end in the resource's zone. */
  readonly start: DateTime;
  readonly end: DateTime;
  /** start − lead, end + lag: when the door accepts the guest. Whole seconds (widened, never narrowed). */
  readonly validFrom: DateTime;
  readonly validTo: DateTime;
}

export interface WindowRules {
  readonly timeZone: string;
  readonly checkInTime: string;
  readonly checkOutTime: string;
  readonly leadMinutes: number;
  readonly lagMinutes: number;
}

export type WindowResult =
  | { readonly ok: true; readonly window: BookingWindow }
  | { readonly ok: false; readonly reason: string };

/** The access window of a booking; end not after start is refused with a reason. */
export function computeWindow(startValue: string, endValue: string, rules: WindowRules): WindowResult {
  const start = resolveBoundary(startValue, rules.timeZone, rules.checkInTime);
  const end = resolveBoundary(endValue, rules.timeZone, rules.checkOutTime);
  if (!start.isValid || !end.isValid) {
    return { ok: false, reason: `start/end cannot be read as times in ${rules.timeZone}` };
  }
  if (end.toMillis() <= start.toMillis()) {
    return {
      ok: false,
      reason: `end ${formatIso(end)} is not after start ${formatIso(start)} (in ${rules.timeZone}, check-in ${rules.checkInTime}, check-out ${rules.checkOutTime})`,
    };
  }
  // Minutes are exact durations in luxon, so a buffer across a DST change stays its real length.
  const validFrom = floorToSecond(start.minus({ minutes: rules.leadMinutes }));
  const validTo = ceilToSecond(end.plus({ minutes: rules.lagMinutes }));
  return { ok: true, window: { start, end, validFrom, validTo } };
}
