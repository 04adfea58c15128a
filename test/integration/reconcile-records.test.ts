import { Writable } from 'node:stream';
import { DateTime } from 'luxon';
import type { StoredBooking, StoredEntry } from '../../src/domain';
import type { UnitIdEntry } from '../../src/flexykey';
import { createLogger } from '../../src/logging';
import { createReconciler } from '../../src/reconcile';
import { CorruptRecordError, createBookingStore } from '../../src/store';
import { deleteKeysWithPrefix, testRedis, uniquePrefix } from '../helpers/redis';

const FROM = '2037-01-10T14:00:00.000Z';
const TO = '2037-01-12T10:00:00.000Z';

const entry = (unitId: number, entryId: number, idNumber: string): StoredEntry => ({
  unitId,
  entryId,
  idNumber,
  action: 'R1',
  name: `Guest ${idNumber}`,
  description: `fs:${idNumber}`,
  codeTag: '604719',
  validFromIso: FROM,
  validToIso: TO,
});

const record = (externalId: string, entries: StoredEntry[]): StoredBooking => ({
  key: `pms/${externalId}`,
  source: 'pms',
  externalId,
  resource: 'room',
  status: 'confirmed',
  pin: '604719',
  validFromIso: FROM,
  validToIso: TO,
  entries,
  updatedIso: '2026-11-25T20:00:00.000Z',
});

/** A unit's row as FlexyKey lists it, for a recorded entry. */
const row = (e: StoredEntry): UnitIdEntry => ({
  id: e.entryId as number,
  unitId: e.unitId,
  idNumber: e.idNumber,
  name: e.name,
  description: e.description,
  action: e.action,
  codeTag: e.codeTag,
  validFromIso: e.validFromIso,
  validToIso: e.validToIso,
  syncState: 'Synced',
});

describe('reconciliation reads the records in batches, unit by unit', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('reconcile-records');
  const bookings = createBookingStore(redis, prefix);
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  // pms/A: two entries on unit 1 and one on unit 2; pms/B: one on unit 2; pms/C: unreadable.
  const a = record('A', [entry(1, 11, 'a-1'), entry(1, 12, 'a-2'), entry(2, 21, 'a-3')]);
  const b = record('B', [entry(2, 22, 'b-1')]);
  beforeAll(async () => {
    await bookings.put(a);
    await bookings.put(b);
    await redis.set(`${prefix}:booking:pms/C`, '{not json');
    await redis.sadd(`${prefix}:bookings`, 'pms/C');
  });

  it('getEntriesMany: one result per key in order, undefined when gone, the error when unreadable', async () => {
    const results = [...(await bookings.getEntriesMany(['pms/B', 'pms/gone', 'pms/C', 'pms/A']))];
    expect(results.map(([key]) => key)).toEqual(['pms/B', 'pms/gone', 'pms/C', 'pms/A']);
    expect(results[0]?.[1]).toEqual({
      key: b.key,
      validToIso: b.validToIso,
      entries: b.entries,
      updatedIso: b.updatedIso,
    });
    expect(results[1]?.[1]).toBeUndefined();
    expect(results[2]?.[1]).toBeInstanceOf(CorruptRecordError);
    expect(results[3]?.[1]).toEqual({
      key: a.key,
      validToIso: a.validToIso,
      entries: a.entries,
      updatedIso: a.updatedIso,
    });
    expect([...(await bookings.getEntriesMany([]))]).toEqual([]);
  });

  function reconcilerOver(rows: Record<number, UnitIdEntry[]>, logged: string[]) {
    const reads: number[] = [];
    const deps = {
      bookings,
      flexykey: {
        unitIdEntries: {
          listAll: async ({ unitId }: { unitId: number }) => {
            reads.push(unitId);
            return rows[unitId] ?? [];
          },
        },
      },
      logger: createLogger({
        level: 'error',
        destination: new Writable({
          write(chunk, _encoding, done) {
            logged.push(String(chunk));
            done();
          },
        }),
      }),
      configuredUnits: [1, 2],
      isOwnedDescription: (description: string | null | undefined) => !!description?.startsWith('fs:'),
      maxDeleteShare: 1,
      expiredGraceMs: 0,
      forgetEndedAfterMs: 30 * 86_400_000,
    } as unknown as Parameters<typeof createReconciler>[0];
    return { reconciler: createReconciler(deps), reads };
  }

  it('plans every unit against its own records: each entry once, the unreadable record logged once', async () => {
    const logged: string[] = [];
    // Unit 1 lost a-2; unit 2 holds everything recorded plus an orphan of ours.
    const orphan = { ...row(entry(2, 29, 'gone-1')), description: 'fs:gone-1' };
    const { reconciler, reads } = reconcilerOver(
      {
        1: [row(a.entries[0] as StoredEntry)],
        2: [row(a.entries[2] as StoredEntry), row(b.entries[0] as StoredEntry), orphan],
      },
      logged,
    );
    const report = await reconciler.reconcile({
      dryRun: true,
      now: DateTime.fromISO('2026-12-01T00:00:00Z'),
    });
    expect(reads).toEqual([1, 2]);
    expect(report.units.map((u) => [u.unitId, u.owned, u.drifts.map((d) => d.kind)])).toEqual([
      [1, 1, ['missing']],
      [2, 3, ['orphaned']],
    ]);
    expect(report.units[0]?.drifts[0]).toEqual({ kind: 'missing', bookingKey: 'pms/A', entry: a.entries[1] });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('unreadable booking record skipped');
    expect(logged[0]).toContain('pms/C');
  });

  it('with unitIds, only those units are read and planned', async () => {
    const { reconciler, reads } = reconcilerOver({ 2: [row(a.entries[2] as StoredEntry)] }, []);
    const report = await reconciler.reconcile({
      dryRun: true,
      now: DateTime.fromISO('2026-12-01T00:00:00Z'),
      unitIds: [2],
    });
    expect(reads).toEqual([2]);
    expect(report.units.map((u) => [u.unitId, u.drifts.map((d) => d.kind)])).toEqual([[2, ['missing']]]);
  });
});
