import { type Engine, startEngine } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';

const resources = {
  'flat-1': {
    timeZone: ZONE,
    units: [{ unitId: 7001, action: 'R1' }],
    leadMinutes: 30,
    lagMinutes: 30,
  },
  'flat-2': {
    timeZone: ZONE,
    units: [
      { unitId: 7002, action: 'R1' },
      { unitId: 7003, action: 'R2' },
    ],
  },
};

const booking = (overrides: Record<string, unknown> = {}) => ({
  source: 'pms',
  externalId: 'B-100',
  resource: 'flat-1',
  start: '2037-01-10T15:00:00+01:00',
  end: '2037-01-12T11:00:00+01:00',
  status: 'confirmed',
  guest: { name: 'Ada Lovelace', phone: '+46 70 111 22 33' },
  ...overrides,
});

describe('sync engine: bookings queue → planner → applier → unit sync (real Redis + simulator)', () => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await startEngine({ resources });
  });
  afterEach(async () => {
    await engine.close();
  });

  it('a booking becomes an entry in the unit’s device memory with the right window, PIN and action', async () => {
    const { accepted } = await engine.enqueue([booking()]);
    expect(accepted).toHaveLength(1);
    const synced = await engine.waitForState('pms/B-100', 'synced');
    expect(synced.validFrom).toBe('2037-01-10T14:30:00+01:00');
    expect(synced.validTo).toBe('2037-01-12T11:30:00+01:00');
    expect(synced.pin).toMatch(/^\d{6}$/);
    expect(synced.units).toEqual([{ unitId: 7001, state: 'synced' }]);

    const device = engine.device(7001);
    expect(device).toHaveLength(1);
    expect(device[0]).toMatchObject({
      idNumber: '+46701112233',
      action: 'R1',
      codeTag: synced.pin,
    });
    expect(Date.parse(device[0]?.validFromIso ?? '')).toBe(Date.parse('2037-01-10T14:30:00+01:00'));
    expect(Date.parse(device[0]?.validToIso ?? '')).toBe(Date.parse('2037-01-12T11:30:00+01:00'));
    // The door accepts the code inside the window and refuses it outside.
    const inside = engine.sim.simulator.simulateAccess(7001, {
      pin: synced.pin,
      atIso: '2037-01-11T12:00:00Z',
    });
    const outside = engine.sim.simulator.simulateAccess(7001, {
      pin: synced.pin,
      atIso: '2037-01-13T12:00:00Z',
    });
    expect(inside.granted).toBe(true);
    expect(outside.granted).toBe(false);
  });

  it('a moved booking keeps its PIN and the unit gets the new window; an extension too', async () => {
    await engine.enqueue([booking({ revision: 1 })]);
    const first = await engine.waitForState('pms/B-100', 'synced');
    await engine.enqueue([
      booking({ revision: 2, start: '2037-01-20T15:00:00+01:00', end: '2037-01-25T11:00:00+01:00' }),
    ]);
    await waitFor(async () => {
      const entry = engine.device(7001)[0];
      return entry && Date.parse(entry.validToIso ?? '') === Date.parse('2037-01-25T11:30:00+01:00');
    });
    const moved = await engine.waitForState('pms/B-100', 'synced');
    expect(moved.pin).toBe(first.pin);
    expect(engine.device(7001)).toHaveLength(1);
    expect(engine.device(7001)[0]?.codeTag).toBe(first.pin);
  });

  it('a cancelled booking is removed from the unit and reported revoked', async () => {
    await engine.enqueue([booking({ revision: 1 })]);
    const synced = await engine.waitForState('pms/B-100', 'synced');
    await engine.enqueue([booking({ revision: 2, status: 'cancelled' })]);
    const revoked = await engine.waitForState('pms/B-100', 'revoked');
    expect(revoked).not.toHaveProperty('pin');
    expect(engine.device(7001)).toEqual([]);
    expect(
      engine.sim.simulator.simulateAccess(7001, { pin: synced.pin, atIso: '2037-01-11T12:00:00Z' }).granted,
    ).toBe(false);
  });

  it('a booking moved to another resource leaves the old unit and arrives on both new units', async () => {
    await engine.enqueue([booking({ revision: 1 })]);
    const first = await engine.waitForState('pms/B-100', 'synced');
    await engine.enqueue([booking({ revision: 2, resource: 'flat-2' })]);
    await waitFor(
      () =>
        engine.device(7001).length === 0 &&
        engine.device(7002).length === 1 &&
        engine.device(7003).length === 1,
    );
    const moved = await engine.waitForState('pms/B-100', 'synced');
    expect(moved.units.map((u) => u.unitId).sort()).toEqual([7002, 7003]);
    expect(engine.device(7002)[0]).toMatchObject({ action: 'R1', codeTag: first.pin });
    expect(engine.device(7003)[0]).toMatchObject({ action: 'R2', codeTag: first.pin });
  });

  it('an older revision than the applied one is skipped', async () => {
    await engine.enqueue([booking({ revision: 5, end: '2037-01-14T11:00:00+01:00' })]);
    await engine.waitForState('pms/B-100', 'synced');
    await engine.enqueue([booking({ revision: 4 })]);
    const jobs = await waitFor(async () => {
      const done = await engine.worker?.bookingsQueue.getCompleted();
      return done && done.length === 2 ? done : undefined;
    });
    expect(jobs.map((j) => j.returnvalue.outcome).sort()).toEqual(['applied', 'skipped']);
    expect(Date.parse(engine.device(7001)[0]?.validToIso ?? '')).toBe(
      Date.parse('2037-01-14T11:30:00+01:00'),
    );
  });

  it('bad events fail at once with field-level reasons; good events alongside are unaffected', async () => {
    const bad = [
      booking({ externalId: 'bad-1', source: 'has space' }),
      booking({ externalId: 'bad-2', start: 'tomorrow' }),
      booking({ externalId: 'bad-3', status: 'maybe' }),
      booking({ externalId: 'bad-4', guest: { phone: '0701234' } }),
      booking({ externalId: 'bad-5', pin: 1234 }),
      booking({ externalId: 'bad-6', resource: 'no-such-flat' }),
      booking({ externalId: 'bad-7', end: '2037-01-09T11:00:00+01:00' }),
    ];
    // Bypass the producer's validation: other services may enqueue anything.
    const queue = engine.worker?.bookingsQueue;
    if (!queue) throw new Error('worker not started');
    await queue.addBulk(bad.map((data) => ({ name: 'booking', data })));
    await engine.enqueue([booking({ externalId: 'good-1' })]);
    await engine.waitForState('pms/good-1', 'synced');
    const failed = await waitFor(async () => {
      const jobs = await queue.getFailed();
      return jobs.length === bad.length ? jobs : undefined;
    });
    const reasons = Object.fromEntries(failed.map((j) => [j.data.externalId, j.failedReason]));
    expect(reasons['bad-1']).toMatch(/source/);
    expect(reasons['bad-2']).toMatch(/start/);
    expect(reasons['bad-3']).toMatch(/status/);
    expect(reasons['bad-4']).toMatch(/guest\.phone/);
    expect(reasons['bad-5']).toMatch(/pin/);
    expect(reasons['bad-6']).toMatch(/resource/);
    expect(reasons['bad-7']).toMatch(/end/);
    for (const job of failed) expect(job.attemptsMade).toBeLessThanOrEqual(1);
    expect(engine.device(7001)).toHaveLength(1);
  });
});
