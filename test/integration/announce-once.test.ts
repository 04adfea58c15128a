import type { Job } from 'bullmq';
import { createLeaseManager } from '../../src/coordination';
import type { StoredBooking, StoredEntry } from '../../src/domain';
import type { FlexyKeyClient } from '../../src/flexykey';
import { createUnitSyncProcessor, type PublishOutcome } from '../../src/jobs';
import { createLogger } from '../../src/logging';
import { createBookingStore, createUnitStore } from '../../src/store';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';

const FROM = '2037-02-01T14:00:00+01:00';
const TO = '2037-02-03T12:00:00+01:00';

const entryOn = (unitId: number, externalId: string): StoredEntry => ({
  unitId,
  entryId: 100 + unitId,
  idNumber: `fs${externalId}`,
  action: 'R1',
  name: `Guest ${externalId}`,
  description: `FS ${externalId}`,
  codeTag: '583920',
  validFromIso: FROM,
  validToIso: TO,
});

const record = (externalId: string, entries: StoredEntry[], extra: Partial<StoredBooking> = {}) => ({
  key: `pms/${externalId}`,
  source: 'pms',
  externalId,
  resource: 'room',
  status: 'confirmed' as const,
  pin: '583920',
  validFromIso: FROM,
  validToIso: TO,
  entries,
  updatedIso: '2037-01-01T00:00:00Z',
  ...extra,
});

/**
 * Announcements of the unit-sync processor against a real Redis and a FlexyKey double whose pushes
 * complete at once: `synced` once per change however its units' confirmations race, never for a change
 * that failed part-way, and still (at least once) when the process that claimed it died before publishing.
 */
describe('announcing a booking once its units confirm', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('announce');
  const bookings = createBookingStore(redis, prefix);
  const units = createUnitStore(redis, prefix);
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  /**
   * A processor whose unit listings answer `rows`, each first waiting until `listingsTogether` of them
   * are asked for; `publishFails` makes every publication fail.
   */
  function processorWith(
    rows: (unitId: number) => unknown[],
    {
      listingsTogether = 1,
      publishFails = false,
    }: { listingsTogether?: number; publishFails?: boolean } = {},
  ) {
    const pushed = new Set<number>();
    let listings = 0;
    let releaseListings: () => void = () => {};
    const allListing = new Promise<void>((resolve) => {
      releaseListings = resolve;
    });
    const flexykey = {
      unitSync: {
        status: async ({ unitId }: { unitId: number }) =>
          pushed.has(unitId)
            ? { unitId, active: false, state: 'Completed', startedIso: 'S2', progressPercent: 100 }
            : { unitId, active: false, state: 'None', message: 'No active unit programming' },
        pushChanges: async ({ unitId }: { unitId: number }) => {
          pushed.add(unitId);
          return { unitId, status: 'Queued', packetCount: 1, message: '' };
        },
        abort: async ({ unitId }: { unitId: number }) => ({
          unitId,
          status: 'NothingToAbort',
          clearedPackets: 0,
        }),
      },
      unitIdEntries: {
        listAll: async ({ unitId }: { unitId: number }) => {
          listings++;
          if (listings >= listingsTogether) releaseListings();
          await allListing;
          return rows(unitId);
        },
      },
    } as unknown as FlexyKeyClient;
    const published: string[] = [];
    const publishOutcome: PublishOutcome = async (booking, state, extra) => {
      if (publishFails) throw new Error('stream unavailable');
      const where = extra?.units?.map((u) => `${u.unitId}:${u.state}`).join(',');
      published.push(`${booking.externalId}:${state}${where ? `@${where}` : ''}`);
      // Writing to the stream takes a moment (a round trip to Redis).
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const processor = createUnitSyncProcessor({
      flexykey,
      bookings,
      units,
      leases: createLeaseManager(redis, prefix),
      publishOutcome,
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      timing: { pollIntervalMs: 100, statusCacheGuardMs: 0, deadlineMs: 10_000 },
      minPushIntervalMs: 0,
      retry: { maxAttempts: 3, backoff: { baseMs: 100, maxMs: 400 }, unreachableRetryMs: 1_000 },
      requestSync: async () => {},
      leaseTtlMs: 30_000,
      sleep: async () => {},
    });
    const sync = (unitId: number) =>
      processor({
        id: `sync-${unitId}`,
        data: { unitId },
        updateProgress: async () => {},
        moveToDelayed: async () => {},
      } as unknown as Job);
    return { processor, sync, published };
  }

  const syncedRows = (externalId: string) => (unitId: number) => [
    { ...entryOn(unitId, externalId), id: 100 + unitId, syncState: 'Synced' },
  ];

  it('publishes synced once when the two units of a booking confirm at the same moment', async () => {
    await bookings.put(record('D', [entryOn(1, 'D'), entryOn(2, 'D')]));
    await units.markAwaiting(1, 'pms/D');
    await units.markAwaiting(2, 'pms/D');
    // Both listings answer together, so both confirmations reach the announcement at once.
    const { sync, published } = processorWith(syncedRows('D'), { listingsTogether: 2 });

    const results = await Promise.all([sync(1), sync(2)]);
    expect(results.map((r) => r.result)).toEqual(['completed', 'completed']);
    expect(await units.awaitingUnitsOf('pms/D')).toEqual([]);
    expect(published).toEqual(['D:synced']);
    expect(await units.pendingAnnouncements()).toEqual([]);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);
  });

  it('does not announce synced a booking whose latest event failed part-way, but clears its note', async () => {
    await bookings.put(record('F', [entryOn(11, 'F')], { failure: 'FlexyKey refused the update (400)' }));
    await units.markAwaiting(11, 'pms/F');
    const { sync, published } = processorWith(syncedRows('F'));

    expect((await sync(11)).result).toBe('completed');
    expect(await units.awaitingUnitsOf('pms/F')).toEqual([]);
    expect(published).toEqual([]);
    expect(await units.pendingAnnouncements()).toEqual([]);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);
  });

  it('still announces revoked a failed booking once nothing of it is left', async () => {
    await bookings.put(record('R', [], { status: 'cancelled', failure: 'plan rejected part-way' }));
    await units.markAwaiting(21, 'pms/R');
    const { sync, published } = processorWith(() => []);

    expect((await sync(21)).result).toBe('completed');
    expect(published).toEqual(['R:revoked@21:removed']);
    expect(await units.pendingAnnouncements()).toEqual([]);
  });

  it('announces what a process claimed and died before publishing, once the claim is old', async () => {
    await bookings.put(record('C', [entryOn(31, 'C')]));
    await units.noteToAnnounce(['pms/C']);
    // The process that claimed it stops here (a crash between claiming and publishing).
    expect((await units.claimAnnounceable(['pms/C'])).bookingKeys).toEqual(['pms/C']);
    const { processor, published } = processorWith(syncedRows('C'));

    // A young claim is its claimer's: the sweep leaves it alone.
    await processor.sweepAnnouncements();
    expect(published).toEqual([]);
    expect(await redis.zscore(`${prefix}:announcing`, 'pms/C')).not.toBeNull();

    await new Promise((resolve) => setTimeout(resolve, 5));
    await processor.sweepAnnouncements({ staleClaimMs: 1 });
    expect(published).toEqual(['C:synced']);
    expect(await units.pendingAnnouncements()).toEqual([]);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);

    // Announced: a later sweep finds nothing more to say.
    await processor.sweepAnnouncements({ staleClaimMs: 0 });
    expect(published).toEqual(['C:synced']);
  });

  it('notes a booking again when publishing it fails, so the sweep announces it later', async () => {
    await bookings.put(record('E', [entryOn(41, 'E')]));
    await units.markAwaiting(41, 'pms/E');
    const failing = processorWith(syncedRows('E'), { publishFails: true });
    // The job ends in an error (retried by the queue); what matters here is the booking's note.
    await expect(failing.sync(41)).rejects.toThrow();
    expect(await units.pendingAnnouncements()).toEqual(['pms/E']);
    expect(await redis.zcard(`${prefix}:announcing`)).toBe(0);

    const { processor, published } = processorWith(syncedRows('E'));
    await processor.sweepAnnouncements();
    expect(published).toEqual(['E:synced']);
    expect(await units.pendingAnnouncements()).toEqual([]);
  });
});
