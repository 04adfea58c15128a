import type { DateTime, Duration } from 'luxon';
import {
  type Component,
  type ContentLine,
  parseCalendarText,
  propertiesNamed,
  propertyNamed,
} from './content-lines';
import { expandRule, type OccurrenceStart } from './recurrence';
import { unescapeText } from './text';
import { createZoneResolver, type ZoneResolver } from './time-zones';
import {
  addDays,
  type CalendarValue,
  type DateTimeValue,
  daysBetween,
  parseCalendarValue,
  parseDuration,
  toInstant,
  wallDate,
} from './values';

export type OccurrenceStatus = 'confirmed' | 'tentative' | 'cancelled';

/**
 * One event occurrence as the feed states it: a single event, or one member of a recurring series
 * after EXDATEs, overrides (RECURRENCE-ID, RANGE=THISANDFUTURE) and cancellations were applied.
 */
export interface CalendarOccurrence {
  readonly uid: string;
  /** null for a single event; the original start of the occurrence otherwise (`YYYY-MM-DD` for a DATE series, `…Z` for a timed one). */
  readonly recurrenceId: string | null;
  /** A date-only event: `start`/`end` are `YYYY-MM-DD`, `end` exclusive (the check-out day). */
  readonly allDay: boolean;
  /** `YYYY-MM-DD` when all-day, else an ISO 8601 instant in UTC (`2026-07-06T07:00:00Z`). */
  readonly start: string;
  readonly end: string;
  readonly status: OccurrenceStatus;
  /** SEQUENCE of the VEVENT that defines this occurrence, when it has one. */
  readonly sequence?: number;
  readonly summary: string;
  readonly description: string;
  readonly location: string;
}

export interface RejectedEvent {
  /** null when the VEVENT has no usable UID. */
  readonly uid: string | null;
  /** Line of the VEVENT's BEGIN. */
  readonly line: number;
  readonly reason: string;
}

export interface ParsedCalendar {
  readonly ok: true;
  /** The calendar's METHOD (`PUBLISH`, `CANCEL`, …), upper-cased, when it has one. */
  readonly method?: string;
  readonly occurrences: CalendarOccurrence[];
  readonly rejected: RejectedEvent[];
  readonly warnings: string[];
  /** VEVENT components in the body (valid or not). */
  readonly eventCount: number;
  /** UIDs of every VEVENT, valid or rejected: a rejected one must not read as a deletion. */
  readonly uids: ReadonlySet<string>;
}

export type ParseCalendarResult = ParsedCalendar | { readonly ok: false; readonly reason: string };

export interface ParseCalendarOptions {
  /** Zone of floating times, and of TZIDs nobody can resolve (the resource's zone). */
  readonly propertyZone: string;
  /** Occurrences that overlap [from, to] are returned; recurrence is expanded in this window only. */
  readonly window: { readonly from: Date; readonly to: Date };
  /** Cap per recurring series. @default 1000 */
  readonly maxOccurrencesPerSeries?: number;
}

interface TimedValue {
  readonly value: CalendarValue;
  readonly zone: string;
  readonly tzid?: string;
}

interface EventTiming {
  readonly start: TimedValue;
  /** All-day: days the event spans (≥ 1). */
  readonly days?: number;
  /** Timed with DTEND: exact length in ms (RFC 5545 §3.8.5.3: the same exact duration for every instance). */
  readonly exactMs?: number;
  /** Timed with DURATION: nominal duration added in the event's wall clock. */
  readonly nominal?: Duration;
}

interface ReadEvent {
  readonly uid: string;
  readonly index: number;
  readonly line: number;
  readonly timing: EventTiming;
  readonly recurrenceId?: { readonly value: TimedValue; readonly thisAndFuture: boolean };
  readonly rrule?: string;
  readonly rdates: TimedValue[];
  readonly exdates: TimedValue[];
  readonly status: OccurrenceStatus;
  readonly sequence?: number;
  readonly dtstamp?: number;
  readonly summary: string;
  readonly description: string;
  readonly location: string;
}

type ReadResult = { ok: true; event: ReadEvent } | { ok: false; uid: string | null; reason: string };

const pad = (n: number) => String(n).padStart(2, '0');

function compactDate(value: CalendarValue): string {
  if (value.kind === 'date') return value.date.replaceAll('-', '');
  const time = `${pad(value.hour)}${pad(value.minute)}${pad(value.second)}`;
  return `${wallDate(value).replaceAll('-', '')}T${time}${value.utc ? 'Z' : ''}`;
}

function isoUtc(instant: DateTime): string {
  return `${instant.toUTC().toISO({ suppressMilliseconds: true, includeOffset: false })}Z`;
}

function text(component: Component, name: string): string {
  const property = propertyNamed(component, name);
  return property ? unescapeText(property.value) : '';
}

/**
 * Reads a DATE or DATE-TIME property. A floating date-time (no `Z`, no TZID) is read in
 * `floatingZone` when given (an EXDATE on a zoned series: that wall clock in the series' zone,
 * RFC 5545), else in the property zone.
 */
function readValue(
  property: ContentLine,
  zones: ZoneResolver,
  floatingZone?: string,
): { ok: true; value: TimedValue } | { ok: false; reason: string } {
  const parsed = parseCalendarValue(property.value, property.params.VALUE);
  if (!parsed.ok) return parsed;
  const tzid = property.params.TZID;
  const value = parsed.value;
  if (value.kind === 'date' || value.utc) return { ok: true, value: { value, zone: 'UTC' } };
  if (!tzid && floatingZone) return { ok: true, value: { value, zone: floatingZone } };
  return { ok: true, value: { value, zone: zones.resolve(tzid).zone, ...(tzid ? { tzid } : {}) } };
}

/** Splits a multi-valued EXDATE/RDATE line into one property per value (same parameters). */
function eachValue(property: ContentLine): ContentLine[] {
  return property.value
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '')
    .map((value) => ({ ...property, value: value.split('/')[0] ?? value }));
}

function instantOf(value: TimedValue): DateTime {
  return toInstant(value.value as DateTimeValue, value.zone);
}

function readEvent(component: Component, index: number, zones: ZoneResolver, warnings: string[]): ReadResult {
  const uids = propertiesNamed(component, 'UID');
  const uid = uids[0]?.value.trim() || null;
  const reject = (reason: string): ReadResult => ({ ok: false, uid, reason });
  if (component.problems.length > 0) return reject(component.problems.join('; '));
  if (!uid) return reject('no UID (a booking needs a stable id)');
  if (uids.length > 1) return reject(`${uids.length} UID properties (exactly one is allowed)`);

  for (const property of component.properties) {
    if (property.recovered) warnings.push(`${uid}: ${property.recovered}`);
  }
  const starts = propertiesNamed(component, 'DTSTART');
  const ends = propertiesNamed(component, 'DTEND');
  const durations = propertiesNamed(component, 'DURATION');
  if (starts.length !== 1) {
    const noEnd = ends.length === 0 && durations.length === 0 ? ' and no DTEND' : '';
    return reject(
      starts.length === 0
        ? `no DTSTART${noEnd}`
        : `${starts.length} DTSTART properties (exactly one is allowed)${noEnd}`,
    );
  }
  if (ends.length > 1) return reject(`${ends.length} DTEND properties (at most one is allowed)`);
  if (ends.length > 0 && durations.length > 0) return reject('both DTEND and DURATION (only one is allowed)');
  if (durations.length > 1) return reject(`${durations.length} DURATION properties (at most one is allowed)`);

  const start = readValue(starts[0] as ContentLine, zones);
  if (!start.ok) return reject(start.reason);
  let timing: EventTiming;
  const endProperty = ends[0];
  const durationProperty = durations[0];
  if (start.value.value.kind === 'date') {
    const startDate = start.value.value.date;
    let days = 1;
    if (endProperty) {
      const end = readValue(endProperty, zones);
      if (!end.ok) return reject(end.reason);
      const endDate = wallDate(end.value.value);
      if (end.value.value.kind !== 'date') {
        return reject('DTEND is a DATE-TIME but DTSTART is a DATE (both must be of one type)');
      }
      days = daysBetween(startDate, endDate);
      if (days < 0) {
        return reject(
          `DTEND ${compactDate(end.value.value)} is before DTSTART ${compactDate(start.value.value)}`,
        );
      }
      if (days === 0) {
        warnings.push(
          `${uid}: DTEND equals DTSTART on an all-day event; treated as one night (DTSTART + 1 day)`,
        );
        days = 1;
      }
    } else if (durationProperty) {
      const duration = parseDuration(durationProperty.value);
      if (!duration.ok) return reject(duration.reason);
      const whole = duration.value.shiftTo('days').days;
      if (whole < 0) return reject('DURATION is negative');
      days = Math.max(1, Math.ceil(whole));
    }
    timing = { start: start.value, days };
  } else {
    const startInstant = instantOf(start.value);
    if (endProperty) {
      const end = readValue(endProperty, zones);
      if (!end.ok) return reject(end.reason);
      if (end.value.value.kind !== 'date-time') {
        return reject('DTEND is a DATE but DTSTART is a DATE-TIME (both must be of one type)');
      }
      const exactMs = instantOf(end.value).toMillis() - startInstant.toMillis();
      if (exactMs < 0) {
        return reject(
          `DTEND ${compactDate(end.value.value)} is before DTSTART ${compactDate(start.value.value)}`,
        );
      }
      if (exactMs === 0) return reject('DTEND equals DTSTART (a zero-length event)');
      timing = { start: start.value, exactMs };
    } else if (durationProperty) {
      const duration = parseDuration(durationProperty.value);
      if (!duration.ok) return reject(duration.reason);
      if (startInstant.setZone(start.value.zone).plus(duration.value) <= startInstant) {
        return reject('DURATION is zero or negative');
      }
      timing = { start: start.value, nominal: duration.value };
    } else {
      return reject('no DTEND or DURATION on a timed event (a zero-length event)');
    }
  }

  let recurrenceId: ReadEvent['recurrenceId'];
  const recurrenceProperties = propertiesNamed(component, 'RECURRENCE-ID');
  if (recurrenceProperties.length > 1) return reject('more than one RECURRENCE-ID');
  const recurrenceProperty = recurrenceProperties[0];
  if (recurrenceProperty) {
    const value = readValue(recurrenceProperty, zones);
    if (!value.ok) return reject(`RECURRENCE-ID: ${value.reason}`);
    recurrenceId = {
      value: value.value,
      thisAndFuture: recurrenceProperty.params.RANGE?.toUpperCase() === 'THISANDFUTURE',
    };
  }
  const rrules = propertiesNamed(component, 'RRULE');
  if (rrules.length > 1) warnings.push(`${uid}: ${rrules.length} RRULEs; only the first is used`);
  // A floating EXDATE on a series with a zoned (or floating) DTSTART names that wall clock in the
  // series' zone; on a UTC or all-day series it stays in the property zone.
  const startValue = start.value.value;
  const exdateZone = startValue.kind === 'date-time' && !startValue.utc ? start.value.zone : undefined;
  const exdates: TimedValue[] = [];
  for (const property of propertiesNamed(component, 'EXDATE').flatMap(eachValue)) {
    const value = readValue(property, zones, exdateZone);
    if (!value.ok) return reject(`EXDATE: ${value.reason}`);
    exdates.push(value.value);
  }
  const rdates: TimedValue[] = [];
  for (const property of propertiesNamed(component, 'RDATE').flatMap(eachValue)) {
    const value = readValue(property, zones);
    if (!value.ok) return reject(`RDATE: ${value.reason}`);
    if (value.value.value.kind !== start.value.value.kind) {
      return reject('RDATE is not of the same type (DATE or DATE-TIME) as DTSTART');
    }
    rdates.push(value.value);
  }

  let sequence: number | undefined;
  const sequenceText = propertyNamed(component, 'SEQUENCE')?.value.trim();
  if (sequenceText !== undefined) {
    if (/^\d{1,9}$/.test(sequenceText)) sequence = Number(sequenceText);
    else warnings.push(`${uid}: SEQUENCE '${sequenceText.slice(0, 20)}' is not a number; ignored`);
  }
  const statusText = propertyNamed(component, 'STATUS')?.value.trim().toUpperCase();
  const status: OccurrenceStatus =
    statusText === 'CANCELLED' ? 'cancelled' : statusText === 'TENTATIVE' ? 'tentative' : 'confirmed';
  const stamp = propertyNamed(component, 'DTSTAMP');
  const stampValue = stamp ? parseCalendarValue(stamp.value) : undefined;
  const dtstamp =
    stampValue?.ok && stampValue.value.kind === 'date-time'
      ? toInstant(stampValue.value, 'UTC').toMillis()
      : undefined;

  const rrule = rrules[0]?.value.trim();
  return {
    ok: true,
    event: {
      uid,
      index,
      line: component.line,
      timing,
      ...(recurrenceId ? { recurrenceId } : {}),
      ...(rrule ? { rrule } : {}),
      rdates,
      exdates,
      status,
      ...(sequence !== undefined ? { sequence } : {}),
      ...(dtstamp !== undefined ? { dtstamp } : {}),
      summary: text(component, 'SUMMARY'),
      description: text(component, 'DESCRIPTION'),
      location: text(component, 'LOCATION'),
    },
  };
}

/** Of two versions of one thing, the later: higher SEQUENCE, then later DTSTAMP, then later in the file. */
function newer(a: ReadEvent, b: ReadEvent): ReadEvent {
  const seq = (a.sequence ?? 0) - (b.sequence ?? 0);
  if (seq !== 0) return seq > 0 ? a : b;
  const stamp = (a.dtstamp ?? 0) - (b.dtstamp ?? 0);
  if (stamp !== 0) return stamp > 0 ? a : b;
  return a.index > b.index ? a : b;
}

/** Key of an occurrence within its series: its date (DATE series) or its UTC instant. */
function seriesKey(value: TimedValue, dateSeries: boolean, seriesZone: string): string {
  if (dateSeries) {
    // A RECURRENCE-ID written as a DATE-TIME on a DATE series (Exchange) names the local date it
    // shows; a UTC one is read in the series' zone.
    if (value.value.kind === 'date-time' && value.value.utc) {
      return instantOf(value).setZone(seriesZone).toISODate() ?? wallDate(value.value);
    }
    return wallDate(value.value);
  }
  if (value.value.kind === 'date') return `date:${value.value.date}`;
  return isoUtc(instantOf(value));
}

interface Slot {
  /** The occurrence's original start (its key in the series). */
  readonly key: string;
  readonly start: OccurrenceStart;
}

function occurrenceFrom(
  uid: string,
  recurrenceId: string | null,
  start: OccurrenceStart,
  timing: EventTiming,
  source: ReadEvent,
  status: OccurrenceStatus,
): CalendarOccurrence {
  let startText: string;
  let endText: string;
  if ('date' in start) {
    startText = start.date;
    endText = addDays(start.date, timing.days ?? 1);
  } else {
    startText = isoUtc(start.instant);
    const end =
      timing.nominal !== undefined
        ? start.instant.setZone(timing.start.zone).plus(timing.nominal)
        : start.instant.plus({ milliseconds: timing.exactMs ?? 0 });
    endText = isoUtc(end);
  }
  return {
    uid,
    recurrenceId,
    allDay: 'date' in start,
    start: startText,
    end: endText,
    status,
    ...(source.sequence !== undefined ? { sequence: source.sequence } : {}),
    summary: source.summary,
    description: source.description,
    location: source.location,
  };
}

function startOf(event: ReadEvent): OccurrenceStart {
  const value = event.timing.start;
  return value.value.kind === 'date' ? { date: value.value.date } : { instant: instantOf(value) };
}

function overlaps(occurrence: CalendarOccurrence, from: Date, to: Date): boolean {
  if (occurrence.allDay) {
    // Dates are compared loosely (a day either side): the resource's zone decides the exact instant later.
    return (
      occurrence.end >= addDays(from.toISOString().slice(0, 10), -1) &&
      occurrence.start <= addDays(to.toISOString().slice(0, 10), 1)
    );
  }
  return Date.parse(occurrence.end) > from.getTime() && Date.parse(occurrence.start) < to.getTime();
}

function expandSeries(
  uid: string,
  master: ReadEvent,
  overrides: Map<string, ReadEvent>,
  options: Required<ParseCalendarOptions>,
  cancelAll: boolean,
  warnings: string[],
): { ok: true; occurrences: CalendarOccurrence[] } | { ok: false; reason: string } {
  const dateSeries = master.timing.start.value.kind === 'date';
  const zone = master.timing.start.zone;
  const seriesZone = dateSeries ? options.propertyZone : zone;
  const keyOf = (start: OccurrenceStart) => ('date' in start ? start.date : isoUtc(start.instant));
  const { from, to } = options.window;
  // Occurrences that started before the window but still run: widen by the event's length.
  const lengthMs = dateSeries
    ? (master.timing.days ?? 1) * 86_400_000
    : (master.timing.exactMs ?? master.timing.nominal?.as('milliseconds') ?? 0);
  const searchFrom = new Date(from.getTime() - lengthMs - 86_400_000);

  const slots = new Map<string, Slot>();
  const first = startOf(master);
  slots.set(keyOf(first), { key: keyOf(first), start: first });
  if (master.rrule) {
    const expanded = expandRule({
      rrule: master.rrule,
      start: master.timing.start.value,
      zone,
      from: searchFrom,
      to,
      max: options.maxOccurrencesPerSeries,
    });
    if (!expanded.ok) return expanded;
    if (expanded.value.truncated) {
      warnings.push(
        `${uid}: more than ${options.maxOccurrencesPerSeries} occurrences in the window; the rest are ignored`,
      );
    }
    for (const start of expanded.value.starts) slots.set(keyOf(start), { key: keyOf(start), start });
  }
  for (const rdate of master.rdates) {
    const start: OccurrenceStart =
      rdate.value.kind === 'date' ? { date: rdate.value.date } : { instant: instantOf(rdate) };
    slots.set(keyOf(start), { key: keyOf(start), start });
  }
  const excludedKeys = new Set(master.exdates.map((value) => seriesKey(value, dateSeries, seriesZone)));
  const excluded = (slot: Slot) =>
    excludedKeys.has(slot.key) ||
    (!dateSeries &&
      'instant' in slot.start &&
      excludedKeys.has(`date:${slot.start.instant.setZone(zone).toISODate()}`));

  const futureOverrides = [...overrides.entries()]
    .filter(([, event]) => event.recurrenceId?.thisAndFuture)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const occurrences: CalendarOccurrence[] = [];
  const used = new Set<string>();
  const ordered = [...slots.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const slot of ordered) {
    if (excluded(slot)) continue;
    const exact = overrides.get(slot.key);
    const status = (event: ReadEvent): OccurrenceStatus =>
      cancelAll || master.status === 'cancelled' ? 'cancelled' : event.status;
    if (exact) {
      used.add(slot.key);
      occurrences.push(occurrenceFrom(uid, slot.key, startOf(exact), exact.timing, exact, status(exact)));
      continue;
    }
    // RANGE=THISANDFUTURE (RFC 5545 §3.8.4.4): the latest such override at or before this slot
    // applies to it too, shifted by the same amount.
    const range = futureOverrides.filter(([key]) => key <= slot.key).pop()?.[1];
    if (range?.recurrenceId) {
      const shifted = shiftBy(slot.start, range, dateSeries, seriesZone);
      occurrences.push(occurrenceFrom(uid, slot.key, shifted, range.timing, range, status(range)));
      continue;
    }
    occurrences.push(occurrenceFrom(uid, slot.key, slot.start, master.timing, master, status(master)));
  }
  // Overrides for an occurrence the rule does not produce in the window (moved in from outside it).
  for (const [key, event] of overrides) {
    if (used.has(key) || slots.has(key) || excludedKeys.has(key)) continue;
    const status = cancelAll || master.status === 'cancelled' ? 'cancelled' : event.status;
    occurrences.push(occurrenceFrom(uid, key, startOf(event), event.timing, event, status));
  }
  return { ok: true, occurrences };
}

function shiftBy(
  start: OccurrenceStart,
  range: ReadEvent,
  dateSeries: boolean,
  zone: string,
): OccurrenceStart {
  const recurrence = range.recurrenceId?.value as TimedValue;
  const moved = startOf(range);
  if (dateSeries && 'date' in start) {
    const from = seriesKey(recurrence, true, zone);
    const to = 'date' in moved ? moved.date : (moved.instant.setZone(zone).toISODate() ?? from);
    return { date: addDays(start.date, daysBetween(from, to)) };
  }
  if ('instant' in start && 'instant' in moved && recurrence.value.kind === 'date-time') {
    return {
      instant: start.instant.plus({
        milliseconds: moved.instant.toMillis() - instantOf(recurrence).toMillis(),
      }),
    };
  }
  return start;
}

/**
 * Reads a feed body into occurrences, with our own checks around the library: the envelope, one
 * broken VEVENT rejected alone with its reason, strict dates, TEXT unescaping, date-only events from
 * their date parts, zones (IANA, Windows, floating and unknown TZIDs in the property zone), duplicate
 * UIDs by SEQUENCE, EXDATE, RECURRENCE-ID (also RANGE=THISANDFUTURE), STATUS:CANCELLED, METHOD:CANCEL.
 */
export function parseCalendar(body: string, options: ParseCalendarOptions): ParseCalendarResult {
  const envelope = parseCalendarText(body);
  if (!envelope.ok) return envelope;
  const { calendar } = envelope;
  const warnings = [...envelope.warnings];
  const resolved: Required<ParseCalendarOptions> = { maxOccurrencesPerSeries: 1_000, ...options };
  const zones = createZoneResolver(calendar, options.propertyZone);
  const method = propertyNamed(calendar, 'METHOD')?.value.trim().toUpperCase() || undefined;
  const cancelAll = method === 'CANCEL';

  const rejected: RejectedEvent[] = [];
  const uids = new Set<string>();
  const events: ReadEvent[] = [];
  const components = calendar.children.filter((child) => child.name === 'VEVENT');
  components.forEach((component, index) => {
    const result = readEvent(component, index, zones, warnings);
    if (result.ok) {
      uids.add(result.event.uid);
      events.push(result.event);
    } else {
      if (result.uid) uids.add(result.uid);
      rejected.push({ uid: result.uid, line: component.line, reason: result.reason });
    }
  });

  const groups = new Map<string, { masters: ReadEvent[]; overrides: ReadEvent[] }>();
  for (const event of events) {
    const group = groups.get(event.uid) ?? { masters: [], overrides: [] };
    (event.recurrenceId ? group.overrides : group.masters).push(event);
    groups.set(event.uid, group);
  }

  const occurrences: CalendarOccurrence[] = [];
  for (const [uid, group] of groups) {
    const master = group.masters.reduce<ReadEvent | undefined>((a, b) => (a ? newer(a, b) : b), undefined);
    if (group.masters.length > 1) {
      warnings.push(
        `${uid}: ${group.masters.length} VEVENTs with this UID; the one with the highest SEQUENCE is used`,
      );
    }
    const dateSeries = master ? master.timing.start.value.kind === 'date' : false;
    const seriesZone = master && !dateSeries ? master.timing.start.zone : options.propertyZone;
    const overrides = new Map<string, ReadEvent>();
    for (const override of group.overrides) {
      const recurrence = override.recurrenceId?.value as TimedValue;
      const key = seriesKey(recurrence, master ? dateSeries : recurrence.value.kind === 'date', seriesZone);
      const existing = overrides.get(key);
      overrides.set(key, existing ? newer(existing, override) : override);
    }
    if (!master) {
      // Only overrides were published (a shared single instance): each stands alone.
      for (const [key, event] of overrides) {
        const occurrence = occurrenceFrom(
          uid,
          key,
          startOf(event),
          event.timing,
          event,
          cancelAll ? 'cancelled' : event.status,
        );
        if (overlaps(occurrence, resolved.window.from, resolved.window.to)) occurrences.push(occurrence);
      }
      continue;
    }
    if (!master.rrule && master.rdates.length === 0) {
      const replaced = overrides.get(seriesKey(master.timing.start, dateSeries, seriesZone));
      const source = replaced ?? master;
      const status = cancelAll || master.status === 'cancelled' ? 'cancelled' : source.status;
      const occurrence = occurrenceFrom(uid, null, startOf(source), source.timing, source, status);
      if (overlaps(occurrence, resolved.window.from, resolved.window.to)) occurrences.push(occurrence);
      continue;
    }
    const expanded = expandSeries(uid, master, overrides, resolved, cancelAll, warnings);
    if (!expanded.ok) {
      rejected.push({ uid, line: master.line, reason: expanded.reason });
      continue;
    }
    for (const occurrence of expanded.occurrences) {
      if (overlaps(occurrence, resolved.window.from, resolved.window.to)) occurrences.push(occurrence);
    }
  }
  occurrences.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.uid < b.uid ? -1 : 1));
  return {
    ok: true,
    ...(method ? { method } : {}),
    occurrences,
    rejected,
    warnings: [...warnings, ...zones.warnings],
    eventCount: components.length,
    uids,
  };
}
