import { createBookingStore } from '../../src/store';
import { type Engine, engineSeed, startEngine, testBooking } from '../helpers/engine';
import { waitFor } from '../helpers/wait-for';

/**
 * When FlexyKey refuses a later operation of a plan for good (here 403: the API user lost its rights to
 * the new unit), the event fails at once — but what the plan changed before is already on the server.
 * Those units are still synced (the door must not keep a removed entry), and the record is no longer
 * "being applied" but carries the failure (nothing waits for it for ever).
 */
const ZONE = 'Europe/Stockholm';

const booking = testBooking;

describe('an event refused for good part-way through its plan', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('moved to a unit FlexyKey refuses: the delete on the old unit still reaches the old unit', async () => {
    const seed = engineSeed(4);
    engine = await startEngine({
      seed: { ...seed, companies: [...(seed.companies ?? []), { companyId: 2, name: 'Other AB' }] },
      resources: {
        room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
        suite: { timeZone: ZONE, units: [{ unitId: 7002, action: 'R1' }] },
      },
    });
    const e = engine;
    // A booking on the suite first (the worker reads the suite unit's entries while it may).
    await e.enqueue([booking('SUITE-1', 'suite')]);
    await e.waitForState('pms/SUITE-1', 'synced');
    await e.enqueue([booking('MOVE-1', 'room')]);
    await e.waitForState('pms/MOVE-1', 'synced');
    const rowId = e.sim.simulator.unit(7001).rows.find((r) => r.description?.endsWith('MOVE-1'))?.id;
    expect(e.device(7001).filter((d) => d.id === rowId)).toHaveLength(1);

    // The API user's rights to unit 7002 are withdrawn (FlexyKey now answers 403 there).
    e.sim.simulator.world.adminUnit(7002).companyId = 2;
    await e.enqueue([booking('MOVE-1', 'suite')]);
    await e.waitForState('pms/MOVE-1', 'failed');

    // The old unit's entry was deleted on the server by the failed attempt ...
    const oldRows = e.sim.simulator.unit(7001).rows.filter((r) => r.description?.endsWith('MOVE-1'));
    expect(oldRows.map((r) => r.syncState)).toEqual(['PendingDelete']);
    // ... and that deletion still reaches the old unit: the server and the door must not stay apart.
    await waitFor(() => e.device(7001).filter((d) => d.id === rowId).length === 0, {
      timeoutMs: 20_000,
      description: 'the old unit no longer holding the moved booking’s entry',
    });
    // The record says what exists and why the change stopped; the unit waits for nothing any more.
    const record = await createBookingStore(e.redis, e.prefix).get('pms/MOVE-1');
    expect(record?.applying).toBe(false);
    expect(record?.failure).toMatch(/FlexyKey refused a change \(forbidden 403\)/);
    expect(record?.entries).toEqual([]);
    // The refused create made no row: what it claimed on the new unit is free again.
    const claims = await e.redis.hgetall(`${e.prefix}:unit:{7002}:claims`);
    expect(Object.values(claims)).not.toContain('pms/MOVE-1');
    await waitFor(async () => (await e.redis.hlen(`${e.prefix}:unit:{7001}:awaiting`)) === 0, {
      timeoutMs: 20_000,
      description: 'unit 7001 waiting for nothing',
    });
  }, 60_000);

  it('an abandoned change whose entry could not be looked up: the unit sync clears its mark, no sync after sync', async () => {
    engine = await startEngine({
      resources: { room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] } },
    });
    const e = engine;
    await e.enqueue([booking('LOST-1', 'room')]);
    await e.waitForState('pms/LOST-1', 'synced');
    // What abandon leaves when the lookup of an unconfirmed entry failed: the entry without a row id,
    // the failure noted, the unit still marked for the booking.
    const store = createBookingStore(e.redis, e.prefix);
    const record = await store.get('pms/LOST-1');
    if (!record) throw new Error('no record');
    const entry = record.entries[0];
    if (!entry) throw new Error('no entry');
    const { entryId: _known, ...unconfirmed } = entry;
    await store.put(
      { ...record, entries: [unconfirmed], applying: false, failure: 'refused (simulated)' },
      { indexed: true },
    );
    await e.redis.hset(`${e.prefix}:unit:{7001}:awaiting`, 'pms/LOST-1', 'g-1');
    await e.redis.sadd(`${e.prefix}:booking-awaiting:pms/LOST-1`, '7001');
    const pushesBefore = e.sim.simulator.callCount('POST /v1/UnitSync/PushChanges');

    await e.worker?.services.requestSync(7001, 'test');
    await waitFor(async () => (await e.redis.hlen(`${e.prefix}:unit:{7001}:awaiting`)) === 0, {
      timeoutMs: 20_000,
      description: 'unit 7001 waiting for nothing',
    });
    // Settled by one sync: no further push is asked for it (give a few sync cycles the chance).
    const pushes = e.sim.simulator.callCount('POST /v1/UnitSync/PushChanges') - pushesBefore;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(e.sim.simulator.callCount('POST /v1/UnitSync/PushChanges') - pushesBefore).toBe(pushes);
    expect(pushes).toBe(1);
  });
});
