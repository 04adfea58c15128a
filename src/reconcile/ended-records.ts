import { parseIsoWhen, type ResolvedResource, type StoredBooking } from '../domain';
import { computeWindow } from '../planner';

/** What of a record the first, cheap test reads (it is read for every booking during a reconcile). */
export type RecordLifetime = Pick<StoredBooking, 'entries' | 'flexyBooking' | 'applying' | 'updatedIso'>;

/**
 * Added to a booking's own end when its window cannot be computed (its resource left the
 * configuration): the longest lag a resource may have (a week) and a day for the check-out time
 * and zone of a plain date.
 */
const UNKNOWN_WINDOW_MARGIN_MS = 8 * 86_400_000;

/**
 * First test, on the part of the record read for every booking: nothing of the booking is left on a
 * unit (its PIN claims went with its entries), no change is being applied, any FlexyKey booking has
 * ended (an ended one stays on the server as history; the planner keeps it), and the record has not
 * changed since `cutoffMs`.
 */
export function mayBeForgettable(record: RecordLifetime, cutoffMs: number): boolean {
  if (record.entries.length > 0 || record.applying === true) return false;
  if (record.flexyBooking && !atOrBefore(Date.parse(record.flexyBooking.endIso), cutoffMs)) return false;
  return atOrBefore(Date.parse(record.updatedIso), cutoffMs);
}

/**
 * The whole test, on the whole record: also the booking's access (its window's end, lag included)
 * ended before `cutoffMs`. Then forgetting it is safe even if an old event of it comes again: the
 * planner wants nothing for a window that has passed. A cancelled booking whose window is still
 * ahead is kept, since its record is what makes an older, confirming event stale.
 */
export function isForgettable(
  record: StoredBooking,
  resource: ResolvedResource | undefined,
  cutoffMs: number,
): boolean {
  return mayBeForgettable(record, cutoffMs) && atOrBefore(accessEndMs(record, resource), cutoffMs);
}

/** When the booking's access ends (or would have ended, for a cancelled one); NaN when unknown. */
function accessEndMs(record: StoredBooking, resource: ResolvedResource | undefined): number {
  if (record.validToIso !== undefined) return Date.parse(record.validToIso);
  const event = record.event;
  if (!event) return Date.parse(record.updatedIso);
  if (resource) {
    const window = computeWindow(event.start, event.end, resource);
    if (window.ok) return window.window.validTo.toMillis();
  }
  const end = parseIsoWhen(event.end);
  return end ? end.epochMs + UNKNOWN_WINDOW_MARGIN_MS : Number.NaN;
}

function atOrBefore(ms: number, cutoffMs: number): boolean {
  return Number.isFinite(ms) && ms <= cutoffMs;
}
