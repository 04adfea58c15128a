import { DateTime } from 'luxon';
import { parseIsoWhen } from '../domain';

// FLEXYKEY: the guide's `timestamp` fields are "Swedish/local database time" without an offset; the
// `...Iso` fields are UTC with `Z`.
const LOCAL_ZONE = 'Europe/Stockholm';

/** UTC ISO 8601 with `Z`; milliseconds only when non-zero (`2025-11-21T10:21:11Z`). */
export function toIso(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** Always with milliseconds, so two events in one second still order and differ. */
export function toIsoMs(ms: number): string {
  return new Date(ms).toISOString();
}

/** Swedish local wall time without offset, as the vendor's database reports it. */
export function toStockholmLocal(ms: number): string {
  return DateTime.fromMillis(ms, { zone: LOCAL_ZONE }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an ISO 8601 date-time that carries `Z` or an explicit offset; null when it is not one
 * (also for impossible dates such as 30 February, which `Date.parse` would roll over).
 */
export function parseIsoInstant(value: string): number | null {
  if (!ISO_WITH_OFFSET.test(value)) return null;
  return parseIsoWhen(value)?.epochMs ?? null;
}
