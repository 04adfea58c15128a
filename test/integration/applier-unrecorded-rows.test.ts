import { randomInt } from 'node:crypto';
import { DateTime } from 'luxon';
import { createApplier, LeaseLostError, removeUnrecordedRows } from '../../src/applier';
import { resolveResource } from '../../src/config';
import { parseBookingEvent } from '../../src/domain';
import type { FlexyKeyClient } from '../../src/flexykey';
import { planBooking } from '../../src/planner';
import { createServices, type Services } from '../../src/worker';
import { type Engine, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';

/**
 * The record writes are fenced, but the calls are not. A holder that paused between its write-ahead
 * and its POST (its keep-alive has not noticed the loss yet) loses the lease; the next holder applies a
 * cancellation: it reads the unconfirmed entry, finds no row (the POST has not gone yet) and drops it.
 * Then the paused POST lands and its save is fenced out: the LeaseLostError names the row, and whoever
 * catches it (the bookings processor, a reconcile repair) removes it unless the record lists it.
 */
describe('a fenced-out holder’s create lands after the next holder cancelled', () => {
  let engine: Engine;
  let services: Services;
  beforeEach(async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
      startWorker: false,
    });
    services = createServices({ config: engine.config, logger: engine.logger });
  });
  afterEach(async () => {
    await services.close();
    await engine.close();
  });

  const liveRows = () =>
    engine.sim.simulator
      .unit(7001)
      .rows.filter((row) => row.description?.endsWith('PAUSED-1') && row.syncState !== 'PendingDelete');

  function planFor(
    status: 'confirmed' | 'cancelled',
    previous: Awaited<ReturnType<Services['bookings']['get']>>,
  ) {
    const parsed = parseBookingEvent({
      source: 'pms',
      externalId: 'PAUSED-1',
      resource: 'room',
      start: '2037-04-01T15:00:00+02:00',
      end: '2037-04-03T11:00:00+02:00',
      status,
      guest: { name: 'Paused Guest' },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const plan = planBooking({
      event: parsed.event,
      resource: resolveResource(engine.config, 'room'),
      previous,
      unitsInUse: new Map(),
      now: DateTime.now(),
      randomInt,
    });
    if (plan.kind !== 'planned') throw new Error(`not planned: ${plan.kind}`);
    const base = {
      key: 'pms/PAUSED-1',
      source: 'pms',
      externalId: 'PAUSED-1',
      resource: 'room',
      status,
      event: parsed.event,
    };
    return { plan, base };
  }

  it('leaves no row of the cancelled booking on the unit', async () => {
    const key = 'pms/PAUSED-1';
    const real = services.flexykey;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let posting = false;
    const paused = Object.create(real) as FlexyKeyClient;
    Object.defineProperty(paused, 'unitIdEntries', {
      value: Object.assign(Object.create(real.unitIdEntries), {
        create: async (input: Parameters<FlexyKeyClient['unitIdEntries']['create']>[0]) => {
          posting = true;
          await gate;
          return real.unitIdEntries.create(input);
        },
      }),
    });
    const applierA = createApplier({
      flexykey: paused,
      bookings: services.bookings,
      units: services.units,
      logger: engine.logger,
      now: () => new Date(),
    });

    const leaseA = await services.leases.tryAcquire(`booking:${key}`, 60_000);
    if (!leaseA) throw new Error('no lease');
    const first = planFor('confirmed', undefined);
    const applyA = applierA.apply({
      ...first,
      previous: undefined,
      stillOwner: () => true,
      fence: leaseA.guard,
    });
    await waitFor(() => (posting ? true : undefined), { description: 'A between write-ahead and POST' });

    // A's lease expires during its pause; B takes it and applies the cancellation.
    await engine.redis.del(leaseA.guard.key);
    const leaseB = await services.leases.tryAcquire(`booking:${key}`, 60_000);
    if (!leaseB) throw new Error('no lease for B');
    const previous = await services.bookings.get(key);
    expect(previous?.entries).toHaveLength(1);
    const cancel = planFor('cancelled', previous);
    await services.applier.apply({ ...cancel, previous, stillOwner: () => true, fence: leaseB.guard });
    expect((await services.bookings.get(key))?.entries).toEqual([]);

    // A's POST goes now; its save is fenced out, and the error names the row nobody recorded.
    release();
    const lost = await applyA.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(lost).toBeInstanceOf(LeaseLostError);
    const unrecorded = (lost as LeaseLostError).unrecorded;
    expect(unrecorded).toEqual([expect.objectContaining({ unitId: 7001 })]);
    await leaseB.release();

    // What the bookings processor does with it: the row goes, under the lease taken again.
    const requested: number[] = [];
    const deps = {
      ...services,
      logger: engine.logger,
      leaseTtlMs: 30_000,
      requestSync: async (unitId: number) => {
        requested.push(unitId);
      },
    };
    expect(await removeUnrecordedRows(deps, key, unrecorded)).toBe(1);
    expect(liveRows()).toEqual([]);
    expect(requested).toEqual([7001]);
  }, 30_000);

  it('a row the record lists by then (adopted by a later attempt) stays; a busy booking is left to reconcile', async () => {
    const key = 'pms/PAUSED-1';
    const first = planFor('confirmed', undefined);
    const applied = await services.applier.apply({ ...first, previous: undefined });
    const rowId = applied.record.entries[0]?.entryId as number;
    const deps = { ...services, logger: engine.logger, leaseTtlMs: 30_000, requestSync: async () => {} };
    const row = { unitId: 7001, rowId, idNumber: applied.record.entries[0]?.idNumber as string };
    expect(await removeUnrecordedRows(deps, key, [row])).toBe(0);
    expect(liveRows().map((r) => r.id)).toEqual([rowId]);

    const busy = await services.leases.tryAcquire(`booking:${key}`, 30_000);
    await services.bookings.put({ ...applied.record, entries: [] }, { indexed: true });
    expect(await removeUnrecordedRows(deps, key, [row])).toBe(0);
    expect(liveRows().map((r) => r.id)).toEqual([rowId]);
    await busy?.release();
    expect(await removeUnrecordedRows(deps, key, [row])).toBe(1);
    expect(liveRows()).toEqual([]);
  }, 30_000);
});
