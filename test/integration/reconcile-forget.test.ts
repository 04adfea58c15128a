import { DateTime } from 'luxon';
import { formatReconcileReport } from '../../src/reconcile';
import { createBookingStore, storeKeys } from '../../src/store';
import { createServices, type Services } from '../../src/worker';
import { type Engine, engineSeed, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';

/** A booking relative to today, so "ended 40 days ago" stays true whenever the test runs. */
function booking(externalId: string, fromDays: number, toDays: number, status = 'confirmed') {
  const at = (days: number) =>
    DateTime.now().setZone(ZONE).plus({ days }).startOf('hour').toISO({ suppressMilliseconds: true });
  return {
    source: 'pms',
    externalId,
    resource: 'room',
    start: at(fromDays),
    end: at(toDays),
    status,
    guest: { name: `Guest ${externalId}`, phone: '+46701230000' },
  };
}

describe('reconciliation forgets the records of long-ended bookings (retention 30 days)', () => {
  let engine: Engine;
  let services: Services;

  beforeEach(async () => {
    engine = await startEngine({
      seed: engineSeed(2),
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      config: { reconcile: { enabled: false, forgetEndedAfterDays: 30 } },
    });
    services = createServices({ config: engine.config, logger: engine.logger });
    await engine.enqueue([
      booking('OLD-1', -45, -40),
      booking('OLD-2', -45, -40, 'cancelled'),
      // Cancelled long before its stay: the record must outlive the stay, so an older event stays stale.
      booking('AHEAD-1', 40, 45, 'cancelled'),
      booking('LIVE-1', 20, 60),
    ]);
    await engine.waitForState('pms/LIVE-1', 'synced');
    for (const key of ['pms/OLD-1', 'pms/OLD-2', 'pms/AHEAD-1']) {
      await waitFor(async () => (await services.bookings.get(key)) !== undefined, {
        description: `${key} recorded`,
      });
    }
  });

  afterEach(async () => {
    await services.close();
    await engine.close();
  });

  const recorded = async () => (await services.bookings.keys()).toSorted();
  /** The records were all written just now: 30 days must pass since their last change too. */
  const later = () => DateTime.now().plus({ days: 31 });
  const device = () => engine.device(7001).map((e) => `${e.idNumber}|${e.codeTag}|${e.validToIso}`);

  it('a dry run counts them; a reconcile of some units keeps them; a full one forgets them, nothing else', async () => {
    const liveDevice = device();
    expect(liveDevice).toHaveLength(1);

    const all = ['pms/AHEAD-1', 'pms/LIVE-1', 'pms/OLD-1', 'pms/OLD-2'];
    // Today the records are brand new: nothing to forget yet.
    expect((await services.reconciler.reconcile({ dryRun: false })).applied.recordsForgotten).toBe(0);
    expect(await recorded()).toEqual(all);

    const dryRun = await services.reconciler.reconcile({ dryRun: true, now: later() });
    expect(dryRun.endedRecords).toBe(2);
    expect(dryRun.applied.recordsForgotten).toBe(0);
    expect(formatReconcileReport(dryRun)).toContain('2 record(s) of long-ended bookings');
    expect(await recorded()).toEqual(all);

    const targeted = await services.reconciler.reconcile({ dryRun: false, unitIds: [7001], now: later() });
    expect(targeted.applied.recordsForgotten).toBe(0);
    expect(await recorded()).toEqual(all);

    const full = await services.reconciler.reconcile({ dryRun: false, now: later() });
    expect(full.applied.recordsForgotten).toBe(2);
    expect(full.units.flatMap((unit) => unit.drifts)).toEqual([]);
    expect(await recorded()).toEqual(['pms/AHEAD-1', 'pms/LIVE-1']);
    expect(await services.bookings.get('pms/OLD-1')).toBeUndefined();
    expect(await services.bookings.get('pms/OLD-2')).toBeUndefined();
    // The live guest's entry is untouched, and the booking still has its PIN on record.
    expect(device()).toEqual(liveDevice);
    expect((await services.bookings.get('pms/LIVE-1'))?.pin).toBe(engine.device(7001)[0]?.codeTag);

    // The next reconcile finds nothing more to forget.
    expect(
      (await services.reconciler.reconcile({ dryRun: false, now: later() })).applied.recordsForgotten,
    ).toBe(0);
  });

  it('an old event that comes again after its record was forgotten gives no access', async () => {
    const liveDevice = device();
    await services.reconciler.reconcile({ dryRun: false, now: later() });
    expect(await services.bookings.get('pms/OLD-1')).toBeUndefined();

    await engine.enqueue([booking('OLD-1', -45, -40)]);
    const record = await waitFor(() => services.bookings.get('pms/OLD-1'), {
      description: 'the replayed event recorded',
    });
    expect(record.entries).toEqual([]);
    expect(device()).toEqual(liveDevice);
  });

  it('a booking whose lease is held (an event being applied) is kept until a later reconcile', async () => {
    const lease = await services.leases.tryAcquire('booking:pms/OLD-1', 30_000);
    if (!lease) throw new Error('lease not acquired');
    try {
      const report = await services.reconciler.reconcile({ dryRun: false, now: later() });
      expect(report.applied.recordsForgotten).toBe(1);
      expect(await services.bookings.get('pms/OLD-1')).toBeDefined();
      expect(await services.bookings.get('pms/OLD-2')).toBeUndefined();
    } finally {
      await lease.release();
    }
    expect(
      (await services.reconciler.reconcile({ dryRun: false, now: later() })).applied.recordsForgotten,
    ).toBe(1);
    expect(await services.bookings.get('pms/OLD-1')).toBeUndefined();
  });

  it('a booking whose removal has not reached a unit yet is kept until it has (its revocation is still to announce)', async () => {
    await services.units.markAwaiting(7001, 'pms/OLD-1');
    expect(
      (await services.reconciler.reconcile({ dryRun: false, now: later() })).applied.recordsForgotten,
    ).toBe(1);
    expect(await services.bookings.get('pms/OLD-1')).toBeDefined();
    await services.units.clearAwaiting(7001, await services.units.awaiting(7001));
    expect(
      (await services.reconciler.reconcile({ dryRun: false, now: later() })).applied.recordsForgotten,
    ).toBe(1);
    expect(await services.bookings.get('pms/OLD-1')).toBeUndefined();
  });

  it('a record that turns unreadable between the check and the delete is kept for a person; the rest are forgotten', async () => {
    const recordKey = storeKeys(engine.prefix).booking('pms/OLD-1');
    // Right before each forget, after the records were read and judged: OLD-1 is overwritten by hand.
    const awaitingUnitsOf = services.units.awaitingUnitsOf;
    services.units.awaitingUnitsOf = async (key) => {
      if (key === 'pms/OLD-1') await engine.redis.set(recordKey, '{"edited by hand"');
      return awaitingUnitsOf(key);
    };
    const report = await services.reconciler.reconcile({ dryRun: false, now: later() });
    expect(report.applied.recordsForgotten).toBe(1);
    expect(await engine.redis.get(recordKey)).toBe('{"edited by hand"');
    expect(await recorded()).toEqual(['pms/AHEAD-1', 'pms/LIVE-1', 'pms/OLD-1']);
  });

  it('a record written between the check and the delete is kept', async () => {
    // The store on the test's own connection, so a write made during the check reaches Redis first.
    const store = createBookingStore(engine.redis, engine.prefix);
    const recordKey = storeKeys(engine.prefix).booking('pms/OLD-1');
    const forgotten = await store.forgetIf('pms/OLD-1', (record) => {
      void engine.redis.set(recordKey, JSON.stringify({ ...record, updatedIso: new Date().toISOString() }));
      return true;
    });
    expect(forgotten).toBe(false);
    expect(await store.get('pms/OLD-1')).toBeDefined();
    expect(await store.keys()).toContain('pms/OLD-1');

    // Without a write in between, the same call forgets it.
    expect(await store.forgetIf('pms/OLD-1', () => true)).toBe(true);
    expect(await store.get('pms/OLD-1')).toBeUndefined();
    expect(await store.keys()).not.toContain('pms/OLD-1');
  });
});
