import { createFlexyKeyClient, type FlexyKeyClient } from '../../src/flexykey';
import { storeKeys } from '../../src/store';
import { createServices, type Services } from '../../src/worker';
import { ENGINE_USER, type Engine, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';
const LEASE_TTL_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a reconcile repair holds the booking's lease for as long as it runs", () => {
  let engine: Engine;
  let services: Services;
  let client: FlexyKeyClient;

  beforeEach(async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      config: {
        queues: { bookings: { concurrency: 4 }, unitSync: { concurrency: 8 }, lockDurationMs: LEASE_TTL_MS },
      },
    });
    services = createServices({ config: engine.config, logger: engine.logger });
    client = createFlexyKeyClient({ baseUrl: engine.sim.baseUrl, ...ENGINE_USER });
  });
  afterEach(async () => {
    await client.close();
    await services.close();
    await engine.close();
  });

  /** One synced booking whose row is then deleted by hand (and pushed, when `push`). */
  async function bookingDeletedByHand(push: boolean) {
    await engine.enqueue([
      {
        source: 'pms',
        externalId: 'SLOW-1',
        resource: 'room',
        start: '2037-04-01T15:00:00+02:00',
        end: '2037-04-03T11:00:00+02:00',
        status: 'confirmed',
        guest: { name: 'Slow Repair' },
      },
    ]);
    await engine.waitForState('pms/SLOW-1', 'synced');
    const [row] = await client.unitIdEntries.listAll({ unitId: 7001 });
    if (!row) throw new Error('no row');
    await client.unitIdEntries.delete({ id: row.id, unitId: 7001 });
    if (push) {
      await client.unitSync.pushChanges({ unitId: 7001 });
      await waitFor(() => engine.device(7001).length === 0, { description: 'the deletion pushed' });
    }
    return row;
  }

  it('a repair slower than the lease TTL keeps it renewed: no event of the booking can start meanwhile', async () => {
    const row = await bookingDeletedByHand(true);
    // The reconcile re-creates the row, and that create answers only after 3.5 TTLs.
    engine.sim.simulator.setFaults([
      { match: 'POST /v1/UnitIdEntries', latencyMs: LEASE_TTL_MS * 3.5, count: 1 },
    ]);

    const reconcile = services.reconciler.reconcile({ dryRun: false });
    let finished = false;
    void reconcile.finally(() => {
      finished = true;
    });
    // Well past the TTL, twice, with the repair still running: the lease would have expired by now
    // had it not been renewed.
    const checks: { taken: boolean; finished: boolean }[] = [];
    for (const waitMs of [LEASE_TTL_MS * 1.5, LEASE_TTL_MS * 0.5]) {
      await sleep(waitMs);
      const intruder = await services.leases.tryAcquire('booking:pms/SLOW-1', LEASE_TTL_MS);
      checks.push({ taken: intruder !== null, finished });
      await intruder?.release();
    }
    const report = await reconcile;
    expect(checks).toEqual([
      { taken: false, finished: false },
      { taken: false, finished: false },
    ]);
    expect(engine.sim.simulator.faults().map((fault) => fault.fired)).toEqual([1]);
    expect(report.applied).toMatchObject({ bookingsRepaired: 1, skipped: [] });
    // Released at the end: the next event of the booking can go.
    const after = await services.leases.tryAcquire('booking:pms/SLOW-1', LEASE_TTL_MS);
    expect(after).not.toBeNull();
    await after?.release();
    const rows = await client.unitIdEntries.listAll({ unitId: 7001 });
    expect(rows.map((entry) => [entry.idNumber, entry.codeTag])).toEqual([[row.idNumber, row.codeTag]]);
  }, 30_000);

  it('an idNumber claimed by another booking between planning and applying: the repair plans around it, the PIN stays', async () => {
    const row = await bookingDeletedByHand(true);
    // Another booking with the same phone claims the idNumber the moment after the repair read the
    // unit's claims: the repair's own claim is refused (ClaimsTakenError) and it plans again.
    const readUsage = services.units.usage;
    let raced = false;
    services.units.usage = async (unitIds, ownBookingKey) => {
      const usage = await readUsage(unitIds, ownBookingKey);
      if (!raced) {
        raced = true;
        await services.storeRedis.hset(
          storeKeys(services.prefix).unitClaims(7001),
          `id:${row.idNumber}`,
          'pms/OTHER-1',
        );
      }
      return usage;
    };

    const report = await services.reconciler.reconcile({ dryRun: false });
    expect(raced).toBe(true);
    expect(report.applied).toMatchObject({ bookingsRepaired: 1, skipped: [] });
    const rows = await client.unitIdEntries.listAll({ unitId: 7001 });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.idNumber).not.toBe(row.idNumber);
    expect(rows[0]?.codeTag).toBe(row.codeTag);
    // The other booking's claim is left as it is.
    expect(
      await services.storeRedis.hget(storeKeys(services.prefix).unitClaims(7001), `id:${row.idNumber}`),
    ).toBe('pms/OTHER-1');
  });

  it('a row deleted by hand but not pushed still holds its idNumber (409): the repair plans around it, the PIN stays', async () => {
    const row = await bookingDeletedByHand(false);
    const report = await services.reconciler.reconcile({ dryRun: false });
    expect(report.applied).toMatchObject({ bookingsRepaired: 1, skipped: [] });
    expect(engine.sim.simulator.callCount('POST /v1/UnitIdEntries')).toBe(3);
    const live = (await client.unitIdEntries.listAll({ unitId: 7001 })).filter(
      (entry) => entry.syncState !== 'PendingDelete',
    );
    expect(live).toHaveLength(1);
    expect(live[0]?.idNumber).not.toBe(row.idNumber);
    expect(live[0]?.codeTag).toBe(row.codeTag);
    // Once synced, the unit holds exactly the new row.
    await waitFor(
      () => {
        const device = engine.device(7001);
        return device.length === 1 && device[0]?.idNumber === live[0]?.idNumber;
      },
      { description: 'the new row on the unit' },
    );
  });
});
