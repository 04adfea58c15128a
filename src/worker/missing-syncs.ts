import { unitSyncJobOptions } from '../jobs';
import { CorruptRecordError } from '../store';
import type { Services } from './services';

/**
 * The safety net under "every marked unit gets a sync": asks for a sync of each unit that some
 * booking's change still has to reach (a non-empty awaiting hash) but that has no unit-sync job waiting,
 * delayed or active — its request was lost, e.g. a bookings job failed for good after marking the unit.
 * The job is found through the unit's deduplication id (`unitSyncJobOptions`); an id naming a job that
 * is gone or already finished does not count. Such a unit is synced only when a sync could confirm one
 * of the bookings it waits for: not one whose change is being applied right now (its lease is held, or
 * its record is `applying`: its bookings job marked the unit ahead of its calls and asks for the sync
 * itself once they are done), nor one whose record is unreadable (no sync would make it readable; it
 * stays waiting on purpose). A few round trips whatever the number of units (the adds issued together);
 * units without marks cost nothing more, and bookings are read only for the units found without a job.
 * Returns the units it asked a sync for.
 */
export async function requestMissingSyncs(
  services: Pick<Services, 'units' | 'bookings' | 'leases' | 'unitSyncQueue' | 'requestSync'>,
): Promise<number[]> {
  const unitIds = await services.units.unitsWithAwaiting();
  if (unitIds.length === 0) return [];
  const queue = services.unitSyncQueue;
  const deduplicationId = (unitId: number) => unitSyncJobOptions(unitId).deduplication.id;
  // Issued together: ioredis sends them back to back, one round trip for all.
  const jobIds = await Promise.all(
    unitIds.map((unitId) => queue.getDeduplicationJobId(deduplicationId(unitId))),
  );
  // The jobs those ids name, read together too: one that is gone left a stale id behind (BullMQ's
  // next add replaces it), and a finished one no longer syncs anything.
  const jobs = await Promise.all(jobIds.map((jobId) => (jobId ? queue.getJob(jobId) : undefined)));
  const unqueued = unitIds.filter((_, index) => {
    const job = jobs[index];
    return !job || job.finishedOn !== undefined;
  });
  if (unqueued.length === 0) return [];
  // Which bookings each of them waits for, read together.
  const waitingFor = await Promise.all(
    unqueued.map(async (unitId) => [...(await services.units.awaiting(unitId)).keys()]),
  );
  const confirmable = await bookingsASyncCanConfirm(services, [...new Set(waitingFor.flat())]);
  const missing = unqueued.filter((_, index) =>
    (waitingFor[index] ?? []).some((bookingKey) => confirmable.has(bookingKey)),
  );
  await Promise.all(
    missing.map((unitId) => services.requestSync(unitId, 'waiting for a change, no sync queued')),
  );
  return missing;
}

/** How many bookings {@link bookingsASyncCanConfirm} reads per round trip. */
const SWEEP_READ_BATCH = 500;

/**
 * Of `bookingKeys`, those a sync could confirm: neither being applied (booking lease held, or record
 * `applying`) nor unreadable. A booking without a record counts (the confirmation clears its mark).
 * Records and lease holders are read in batches, each batch in one round trip.
 */
async function bookingsASyncCanConfirm(
  services: Pick<Services, 'bookings' | 'leases'>,
  bookingKeys: readonly string[],
): Promise<Set<string>> {
  const confirmable = new Set<string>();
  for (let start = 0; start < bookingKeys.length; start += SWEEP_READ_BATCH) {
    const batch = bookingKeys.slice(start, start + SWEEP_READ_BATCH);
    const [records, holders] = await Promise.all([
      services.bookings.getEntriesMany(batch),
      Promise.all(batch.map((bookingKey) => services.leases.holder(`booking:${bookingKey}`))),
    ]);
    let index = 0;
    for (const [bookingKey, record] of records) {
      const leaseHeld = holders[index++] !== null;
      if (leaseHeld || record instanceof CorruptRecordError || record?.applying) continue;
      confirmable.add(bookingKey);
    }
  }
  return confirmable;
}
