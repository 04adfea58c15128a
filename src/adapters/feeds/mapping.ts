import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { type BookingEvent, E164_PATTERN, normalisePhone, parseBookingEvent } from '../../domain';
import type { CalendarOccurrence } from '../ical';
import type { CompiledExtract, FeedKind, FeedSource } from './source';

/** What an occurrence is for us. `cancelled`: the feed says so (STATUS:CANCELLED, METHOD:CANCEL). */
export type OccurrenceKind = Exclude<FeedKind, 'ignore'> | 'cancelled' | 'ignored';

export interface MappedOccurrence {
  readonly occurrence: CalendarOccurrence;
  readonly kind: OccurrenceKind;
  /** One per resource the occurrence feeds (none when it is not routed anywhere). */
  readonly events: BookingEvent[];
  /** Why an event could not be built (it then protects its UID like a rejected VEVENT). */
  readonly problems: string[];
}

/** The first capture group (or the one named `value`) of an extract rule, trimmed. */
function extract(rule: CompiledExtract | undefined, occurrence: CalendarOccurrence): string | undefined {
  if (!rule) return undefined;
  const match = rule.pattern.exec(occurrence[rule.field]);
  const value = match?.groups?.value ?? match?.[1];
  return value?.trim() || undefined;
}

/**
 * Decides what an occurrence is: cancelled when the feed says so; tentative when STATUS says so; then
 * the first matching rule (the source's own, then the built-in ones); then `mapping.defaultKind`.
 */
export function classify(occurrence: CalendarOccurrence, source: FeedSource): OccurrenceKind {
  if (occurrence.status === 'cancelled') return 'cancelled';
  if (occurrence.status === 'tentative') return 'tentative';
  const rule = source.rules.find((candidate) => {
    candidate.pattern.lastIndex = 0;
    return candidate.pattern.test(occurrence[candidate.field]);
  });
  const kind = rule?.kind ?? source.defaultKind;
  if (kind === 'ambiguous' && source.ambiguousAs === 'booking') return 'booking';
  return kind === 'ignore' ? 'ignored' : kind;
}

/** Which resources an occurrence feeds: the first matching route, or every listed resource without routes. */
export function routeOf(occurrence: CalendarOccurrence, source: FeedSource): string[] {
  if (source.routes.length === 0) return [...source.resources];
  const route = source.routes.find((candidate) => candidate.pattern.test(occurrence[candidate.field]));
  return route ? [route.resource] : [];
}

/**
 * A stable externalId from the UID and, for one occurrence of a series, its recurrence id. A source
 * feeding several resources without routes suffixes the resource. BookingEvent allows 255 characters:
 * a longer one is replaced by a hash of itself (stable too).
 */
export function externalIdOf(occurrence: CalendarOccurrence, resource?: string): string {
  const base =
    occurrence.recurrenceId === null ? occurrence.uid : `${occurrence.uid}#${occurrence.recurrenceId}`;
  const id = resource === undefined ? base : `${base}@${resource}`;
  if (id.length <= 255 && /^\P{Cc}+$/u.test(id)) return id;
  return `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/** Turns one occurrence into what it means for flexysync. Pure. */
export function mapOccurrence(occurrence: CalendarOccurrence, source: FeedSource): MappedOccurrence {
  const kind = classify(occurrence, source);
  if (kind !== 'booking' && kind !== 'cancelled') return { occurrence, kind, events: [], problems: [] };
  const resources = routeOf(occurrence, source);
  const problems: string[] = [];
  if (resources.length === 0) {
    problems.push(`${occurrence.uid}: no route matches it; it feeds no resource`);
    return { occurrence, kind: 'ignored', events: [], problems };
  }
  const name = extract(source.guestName, occurrence);
  const rawPhone = extract(source.guestPhone, occurrence);
  const phone = rawPhone ? normalisePhone(rawPhone) : undefined;
  // Airbnb gives only the last four digits: not a phone number, so not sent.
  const usablePhone = phone && E164_PATTERN.test(phone) ? phone : undefined;
  const guest =
    name || usablePhone
      ? { ...(name ? { name: name.slice(0, 200) } : {}), ...(usablePhone ? { phone: usablePhone } : {}) }
      : undefined;
  const events: BookingEvent[] = [];
  const suffix = source.routes.length === 0 && source.resources.length > 1;
  for (const resource of resources) {
    const parsed = parseBookingEvent({
      source: source.name,
      externalId: externalIdOf(occurrence, suffix ? resource : undefined),
      resource,
      start: occurrence.start,
      end: occurrence.end,
      status: kind === 'cancelled' ? 'cancelled' : 'confirmed',
      ...(guest ? { guest } : {}),
      ...(occurrence.sequence !== undefined ? { revision: occurrence.sequence } : {}),
    });
    if (parsed.ok) events.push(parsed.event);
    else problems.push(`${occurrence.uid}: not a valid BookingEvent (${parsed.errors.join('; ')})`);
  }
  return { occurrence, kind, events, problems };
}

/**
 * The UTC window of an event for the feed's own bookkeeping (has it ended? is it in the future?):
 * a date is the resource's check-in/check-out time that day in its zone, as the planner reads it.
 */
export function windowMs(
  event: Pick<BookingEvent, 'start' | 'end' | 'resource'>,
  source: FeedSource,
): { startMs: number; endMs: number } {
  const resource = source.resourceZones[event.resource];
  const at = (value: string, time: string | undefined) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return Date.parse(value);
    const zone = resource?.zone ?? source.propertyZone;
    return DateTime.fromISO(`${value}T${time ?? '00:00'}`, { zone }).toMillis();
  };
  return { startMs: at(event.start, resource?.checkIn), endMs: at(event.end, resource?.checkOut) };
}
