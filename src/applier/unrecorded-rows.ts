import type { LeaseManager } from '../coordination';
import { type FlexyKeyClient, FlexyKeyNotFoundError } from '../flexykey';
import type { Logger } from '../logging';
import type { BookingStore } from '../store';
import type { UnrecordedRow } from './applier';

export interface UnrecordedRowsDeps {
  flexykey: FlexyKeyClient;
  bookings: BookingStore;
  leases: LeaseManager;
  requestSync: (unitId: number, reason: string) => Promise<void>;
  leaseTtlMs: number;
  logger: Logger;
}

/**
 * Removes rows an attempt created after its lease was lost (see `LeaseLostError.unrecorded`): the next
 * holder may already have applied a newer event (a cancellation) without knowing of them. Done under
 * the booking's lease, taken again: a row the record now lists (a later attempt adopted it, or is
 * about to) stays. When the lease is busy the rows are left to the next reconcile, which deletes them
 * as orphans; returns how many were removed.
 */
export async function removeUnrecordedRows(
  deps: UnrecordedRowsDeps,
  bookingKey: string,
  rows: readonly UnrecordedRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const lease = await deps.leases.tryAcquire(`booking:${bookingKey}`, deps.leaseTtlMs);
  if (!lease) {
    deps.logger.warn(
      { booking: bookingKey, units: rows.map((row) => row.unitId) },
      'rows created after the lease was lost are left to the next reconcile (the booking is busy)',
    );
    return 0;
  }
  let removed = 0;
  try {
    const record = await deps.bookings.get(bookingKey);
    for (const row of rows) {
      const listed = record?.entries.some(
        (entry) =>
          entry.unitId === row.unitId &&
          (entry.entryId === undefined
            ? entry.idNumber === row.idNumber
            : String(entry.entryId) === String(row.rowId)),
      );
      if (listed) continue;
      try {
        await deps.flexykey.unitIdEntries.delete({ id: Number(row.rowId), unitId: row.unitId });
      } catch (error) {
        if (!(error instanceof FlexyKeyNotFoundError)) throw error;
      }
      removed++;
      await deps.requestSync(
        row.unitId,
        `booking ${bookingKey}: a row created after its lease was lost removed`,
      );
    }
  } finally {
    await lease.release().catch(() => {});
  }
  if (removed > 0) {
    deps.logger.warn({ booking: bookingKey, removed }, 'removed rows created after the lease was lost');
  }
  return removed;
}
