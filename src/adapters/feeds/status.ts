import type { Redis } from 'ioredis';
import type { BookingEvent } from '../../domain';
import { createFeedStateStore, type FeedMeta } from './state';

export interface FeedStatus
  extends Omit<
    FeedMeta,
    'etag' | 'lastModified' | 'contentHash' | 'configHash' | 'protectedUids' | 'approveHeldMark'
  > {
  readonly source: string;
  /** Bookings in the last good snapshot (confirmed, and cancellation tombstones). */
  readonly snapshotBookings: number;
  /** Confirmed bookings currently missing from the feed, not cancelled yet. */
  readonly missing: number;
  /** Seconds since the last successful fetch (for an alert such as "feed stale for 1 h"). */
  readonly secondsSinceSuccess?: number;
}

/**
 * The health of every feed (or the ones named): last successful fetch, last error, counts, held
 * cancellations. Read-only; for `flexysync status` and metrics.
 */
export async function readFeedStatus(
  redis: Redis,
  prefix: string,
  options: { sources?: readonly string[]; now?: Date } = {},
): Promise<FeedStatus[]> {
  const store = createFeedStateStore(redis, prefix);
  const names = options.sources ?? (await store.sources());
  const now = (options.now ?? new Date()).getTime();
  const out: FeedStatus[] = [];
  for (const source of names) {
    const [meta, snapshot] = await Promise.all([store.readMeta(source), store.readSnapshot(source)]);
    const {
      etag: _e,
      lastModified: _l,
      contentHash: _c,
      configHash: _h,
      protectedUids: _p,
      approveHeldMark: _a,
      ...visible
    } = meta;
    const entries = [...snapshot.values()];
    out.push({
      source,
      ...visible,
      snapshotBookings: entries.length,
      missing: entries.filter((entry) => entry.absent > 0 && entry.event.status === 'confirmed').length,
      ...(meta.lastSuccessAt
        ? { secondsSinceSuccess: Math.round((now - Date.parse(meta.lastSuccessAt)) / 1000) }
        : {}),
    });
  }
  return out;
}

/**
 * An operator's approval: the cancellations held back for `source` are applied by its next poll
 * (if the feed still lacks those bookings then). Returns false when nothing is held.
 */
export async function approveHeldCancellations(
  redis: Redis,
  prefix: string,
  source: string,
): Promise<boolean> {
  const store = createFeedStateStore(redis, prefix);
  const meta = await store.readMeta(source);
  if (!meta.held || meta.held.length === 0) return false;
  await store.approveHeld(source);
  return true;
}

/**
 * What a feed last said, as BookingEvents: the confirmed bookings of its last good snapshot (the
 * desired state from this source, for reconciliation), and the cancellations it sent.
 */
export async function readFeedBookings(
  redis: Redis,
  prefix: string,
  source: string,
): Promise<{ confirmed: BookingEvent[]; cancelled: BookingEvent[] }> {
  const snapshot = await createFeedStateStore(redis, prefix).readSnapshot(source);
  const confirmed: BookingEvent[] = [];
  const cancelled: BookingEvent[] = [];
  for (const entry of snapshot.values())
    (entry.event.status === 'confirmed' ? confirmed : cancelled).push(entry.event);
  return { confirmed, cancelled };
}
