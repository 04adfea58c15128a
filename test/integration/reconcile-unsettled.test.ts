import { DateTime } from 'luxon';
import { createFlexyKeyClient, type FlexyKeyClient } from '../../src/flexykey';
import { formatReconcileReport } from '../../src/reconcile';
import { createServices, type Services } from '../../src/worker';
import { ENGINE_USER, type Engine, startEngine } from '../helpers/engine';

/**
 * Reconciliation compares each unit's rows with what the records say exists. A booking whose latest
 * change failed part-way (the applier's `abandon`: here a cancellation whose delete FlexyKey refused;
 * the record keeps the cancelled event, a `failure`, and the entry that could not be deleted) would
 * look in step for ever, and the cancelled guest's code keep opening the door: a reconcile plans such
 * a booking again from its last event.
 */
const ZONE = 'Europe/Stockholm';

describe('reconcile: a booking whose latest change failed part-way', () => {
  let engine: Engine;
  let services: Services;
  let client: FlexyKeyClient;

  beforeEach(async () => {
    engine = await startEngine({
      resources: { flat: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      config: { reconcile: { enabled: false } },
    });
    services = createServices({ config: engine.config, logger: engine.logger });
    client = createFlexyKeyClient({ baseUrl: engine.sim.baseUrl, ...ENGINE_USER });
    const event = {
      source: 'pms',
      externalId: 'GONE-1',
      resource: 'flat',
      start: '2037-01-10T15:00:00+01:00',
      end: '2037-01-12T11:00:00+01:00',
      status: 'confirmed' as const,
      guest: { name: 'Guest GONE-1' },
    };
    await engine.enqueue([event]);
    await engine.waitForState('pms/GONE-1', 'synced');

    // The state Applier.abandon leaves after a cancellation whose delete FlexyKey refused for good:
    // the cancelled event is recorded, the entry (still on the unit) stays in the record.
    const record = await services.bookings.get('pms/GONE-1');
    if (!record) throw new Error('no record');
    await services.bookings.put(
      {
        ...record,
        status: 'cancelled',
        event: { ...event, status: 'cancelled' },
        applying: false,
        failure: 'HTTP 400 on DELETE (simulated)',
        updatedIso: new Date().toISOString(),
      },
      { indexed: true },
    );
  });

  afterEach(async () => {
    await client.close();
    await services.close();
    await engine.close();
  });

  it('a dry run lists it; a reconcile plans it again: the cancelled guest’s entry goes', async () => {
    const rows = await client.unitIdEntries.listAll({ unitId: 7001 });
    expect(rows.filter((row) => row.name === 'Guest GONE-1')).toHaveLength(1);

    const dryRun = await services.reconciler.reconcile({
      dryRun: true,
      now: DateTime.fromISO('2037-01-11T12:00:00+01:00'),
    });
    expect(dryRun.unsettled).toEqual([
      { bookingKey: 'pms/GONE-1', failure: 'HTTP 400 on DELETE (simulated)' },
    ]);
    expect(formatReconcileReport(dryRun)).toContain('! pms/GONE-1: HTTP 400 on DELETE (simulated)');
    // A reconcile of some units only is a targeted repair: it leaves it.
    expect((await services.reconciler.reconcile({ dryRun: true, unitIds: [7001] })).unsettled).toEqual([]);

    const report = await services.reconciler.reconcile({ dryRun: false });
    expect(report.applied).toMatchObject({ bookingsRepaired: 1, skipped: [] });
    const live = (await client.unitIdEntries.listAll({ unitId: 7001 })).filter(
      (row) => row.name === 'Guest GONE-1' && row.syncState !== 'PendingDelete',
    );
    expect(live).toEqual([]);
    const record = await services.bookings.get('pms/GONE-1');
    expect(record?.entries).toEqual([]);
    expect(record?.failure).toBeUndefined();
    // Settled: the next reconcile has nothing to do for it.
    expect((await services.reconciler.reconcile({ dryRun: true })).unsettled).toEqual([]);
  });
});
