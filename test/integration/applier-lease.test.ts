import { randomInt } from 'node:crypto';
import { DateTime } from 'luxon';
import { LeaseLostError } from '../../src/applier';
import { resolveResource } from '../../src/config';
import { parseBookingEvent } from '../../src/domain';
import { planBooking } from '../../src/planner';
import { createServices, type Services } from '../../src/worker';
import { type Engine, startEngine } from '../helpers/engine';

const ZONE = 'Europe/Stockholm';

describe('applier: a process that lost the booking lease stops', () => {
  let engine: Engine;
  let services: Services;

  beforeEach(async () => {
    engine = await startEngine({
      resources: {
        duo: {
          timeZone: ZONE,
          units: [
            { unitId: 7001, action: 'R1' },
            { unitId: 7002, action: 'R1' },
          ],
        },
      },
      startWorker: false,
    });
    services = createServices({ config: engine.config, logger: engine.logger });
  });
  afterEach(async () => {
    await services.close();
    await engine.close();
  });

  function planFor(externalId: string) {
    const parsed = parseBookingEvent({
      source: 'pms',
      externalId,
      resource: 'duo',
      start: '2037-04-01T15:00:00+02:00',
      end: '2037-04-03T11:00:00+02:00',
      status: 'confirmed',
      guest: { name: 'Lease Test' },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const plan = planBooking({
      event: parsed.event,
      resource: resolveResource(engine.config, 'duo'),
      previous: undefined,
      unitsInUse: new Map(),
      now: DateTime.now(),
      randomInt,
    });
    if (plan.kind !== 'planned') throw new Error(`not planned: ${plan.kind}`);
    const base = {
      key: `pms/${externalId}`,
      source: 'pms',
      externalId,
      resource: 'duo',
      status: 'confirmed' as const,
      event: parsed.event,
    };
    return { plan, base };
  }

  it('lost before it began: nothing is claimed, recorded or sent', async () => {
    const { plan, base } = planFor('L-1');
    await expect(
      services.applier.apply({ plan, previous: undefined, base, stillOwner: () => false }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await services.bookings.get('pms/L-1')).toBeUndefined();
    expect(await services.units.usage([7001, 7002], 'nobody')).toEqual(
      new Map([
        [7001, { codes: new Set(), idNumbers: new Set() }],
        [7002, { codes: new Set(), idNumbers: new Set() }],
      ]),
    );
    expect(engine.sim.simulator.callCount('POST /v1/UnitIdEntries')).toBe(0);
  });

  it('lost after the first unit’s create: the second unit is not touched; a retry by the new holder converges', async () => {
    const { plan, base } = planFor('L-2');
    let owner = true;
    const createsBefore = engine.sim.simulator.callCount('POST /v1/UnitIdEntries');
    // Ownership ends as soon as the first entry exists on the server.
    const stillOwner = () => {
      if (engine.sim.simulator.callCount('POST /v1/UnitIdEntries') > createsBefore) owner = false;
      return owner;
    };
    await expect(
      services.applier.apply({ plan, previous: undefined, base, stillOwner }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(engine.sim.simulator.callCount('POST /v1/UnitIdEntries')).toBe(createsBefore + 1);

    // The new holder plans from the record (PIN written ahead) and applies: one entry per unit, same PIN.
    const previous = await services.bookings.get('pms/L-2');
    expect(previous?.pin).toBe(plan.desired?.pin);
    const result = await services.applier.apply({ plan, previous, base });
    const rows = [7001, 7002].flatMap((unitId) =>
      engine.sim.simulator
        .unit(unitId)
        .rows.filter((row) => row.description === plan.desired?.entries[0]?.description),
    );
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row) => row.codeTag))).toEqual(new Set([plan.desired?.pin]));
    expect(result.record.entries.map((entry) => entry.unitId)).toEqual([7001, 7002]);
  });

  it('lost without noticing (its keeper not yet told): the record writes are fenced, the new holder’s record stays', async () => {
    const { plan, base } = planFor('L-3');
    const stale = await services.leases.tryAcquire('booking:pms/L-3', 30_000);
    if (!stale) throw new Error('lease not acquired');
    // The lease expires (a long pause, a partition) and another process takes the booking and records it.
    await engine.redis.del(stale.guard.key);
    const fresh = await services.leases.tryAcquire('booking:pms/L-3', 30_000);
    if (!fresh) throw new Error('lease not taken over');
    const theirs = await services.applier.apply({ plan, previous: undefined, base, fence: fresh.guard });
    const recorded = await engine.redis.get(`${engine.prefix}:booking:pms/L-3`);

    // The stale holder still believes it holds the lease: its write-ahead is refused in Redis.
    await expect(
      services.applier.apply({ plan, previous: undefined, base, stillOwner: () => true, fence: stale.guard }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await engine.redis.get(`${engine.prefix}:booking:pms/L-3`)).toBe(recorded);
    // A record write later in an apply is refused alike (here: abandoning a change).
    await engine.redis.set(
      `${engine.prefix}:booking:pms/L-3`,
      JSON.stringify({ ...theirs.record, applying: true }),
    );
    const applyingText = await engine.redis.get(`${engine.prefix}:booking:pms/L-3`);
    await expect(
      services.applier.abandon('pms/L-3', 'stale', () => true, stale.guard),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await engine.redis.get(`${engine.prefix}:booking:pms/L-3`)).toBe(applyingText);
    // The holder's own writes go through.
    expect((await services.applier.abandon('pms/L-3', 'theirs', () => true, fresh.guard))?.failure).toBe(
      'theirs',
    );
    await fresh.release();
  });
});
