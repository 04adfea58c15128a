import { DateTime } from 'luxon';
import { createFlexyKeyClient, type FlexyKeyClient } from '../../src/flexykey';
import { formatReconcileReport } from '../../src/reconcile';
import { createServices, type Services, startWorker } from '../../src/worker';
import { ENGINE_USER, type Engine, engineSeed, startEngine } from '../helpers/engine';
import { deleteKeysWithPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait-for';

const ZONE = 'Europe/Stockholm';
const HAND_MADE = {
  unitId: 7001,
  idNumber: '+46705550000',
  name: 'Caretaker',
  description: 'hand-made',
  action: 'R2',
  codeTag: '271828',
};

const booking = (externalId: string, resource: string, start: string, end: string) => ({
  source: 'pms',
  externalId,
  resource,
  start,
  end,
  status: 'confirmed',
  guest: { name: `Guest ${externalId}` },
});

/** The device of a unit as comparable strings (PINs included: this is the simulator's truth). */
function device(engine: Engine, unitId: number): string[] {
  return engine
    .device(unitId)
    .map(
      (e) =>
        `${e.idNumber}|${e.action}|${e.codeTag}|${Date.parse(e.validFromIso ?? '')}|${Date.parse(e.validToIso ?? '')}`,
    )
    .sort();
}

async function syncUnit(client: FlexyKeyClient, engine: Engine, unitId: number): Promise<void> {
  await client.unitSync.pushChanges({ unitId });
  await waitFor(() => engine.sim.simulator.unit(unitId).sync.status.state === 'Completed');
}

describe('reconciliation: records against what the units hold', () => {
  let engine: Engine;
  let services: Services;
  let client: FlexyKeyClient;

  beforeEach(async () => {
    engine = await startEngine({
      seed: { ...engineSeed(4), idEntries: [HAND_MADE] },
      resources: {
        room: { timeZone: ZONE, units: [{ unitId: 7001, action: 'R1' }] },
        duo: {
          timeZone: ZONE,
          units: [
            { unitId: 7002, action: 'R1' },
            { unitId: 7003, action: 'R1' },
          ],
        },
      },
      config: { reconcile: { enabled: false, expiredGraceMinutes: 60, maxDeleteShare: 0.5 } },
    });
    services = createServices({ config: engine.config, logger: engine.logger });
    client = createFlexyKeyClient({ baseUrl: engine.sim.baseUrl, ...ENGINE_USER });
    await engine.enqueue([
      booking('R-1', 'room', '2037-01-10T15:00:00+01:00', '2037-01-12T11:00:00+01:00'),
      booking('R-2', 'room', '2037-02-10T15:00:00+01:00', '2037-02-12T11:00:00+01:00'),
      booking('R-3', 'duo', '2037-01-20T15:00:00+01:00', '2037-01-22T11:00:00+01:00'),
      booking('R-4', 'room', '2037-03-10T15:00:00+01:00', '2037-03-12T11:00:00+01:00'),
    ]);
    for (const id of ['R-1', 'R-2', 'R-3', 'R-4']) await engine.waitForState(`pms/${id}`, 'synced');
  });

  afterEach(async () => {
    await client.close();
    await services.close();
    await engine.close();
  });

  it('an empty plan when everything is in step; the foreign entry is counted, not touched', async () => {
    const report = await services.reconciler.reconcile({
      dryRun: true,
      now: DateTime.fromISO('2026-12-01T00:00:00Z'),
    });
    expect(report.units.map((u) => [u.unitId, u.drifts.length])).toEqual([
      [7001, 0],
      [7002, 0],
      [7003, 0],
    ]);
    expect(report.units.find((u) => u.unitId === 7001)).toMatchObject({ owned: 3, foreign: 1 });
  });

  it('drift of every kind is planned by a dry run (changing nothing) and repaired by one reconcile', async () => {
    const before = { 7001: device(engine, 7001), 7002: device(engine, 7002), 7003: device(engine, 7003) };
    const rows7001 = await client.unitIdEntries.listAll({ unitId: 7001 });
    const rows7002 = await client.unitIdEntries.listAll({ unitId: 7002 });
    const r1 = rows7001.find((r) => r.name === 'Guest R-1');
    const r2 = rows7001.find((r) => r.name === 'Guest R-2');
    const r3 = rows7002.find((r) => r.name === 'Guest R-3');
    if (!r1 || !r2 || !r3) throw new Error('rows missing');

    // 1. An entry deleted on the server by hand (and pushed); 2. a window edited by hand;
    // 3. an orphan: an entry with our tag that no record knows (its booking's removal was lost).
    await client.unitIdEntries.delete({ id: r3.id, unitId: 7002 });
    await syncUnit(client, engine, 7002);
    await client.unitIdEntries.update(r2.id, {
      unitId: 7001,
      idNumber: r2.idNumber,
      name: r2.name ?? '',
      description: r2.description ?? '',
      action: r2.action,
      codeTag: r2.codeTag ?? null,
      validFromIso: r2.validFromIso ?? null,
      validToIso: '2037-12-31T23:00:00Z',
    });
    const orphan = await client.unitIdEntries.create({
      unitId: 7001,
      idNumber: 'fsLOSTORPHAN',
      name: 'Gone guest',
      description: 'fs:lost-booking',
      action: 'R1',
      codeTag: '508261',
    });
    await syncUnit(client, engine, 7001);

    // 4. Expired: as of 2037-01-12 13:00 (R-1 ended 11:00 + 60 min grace), R-1's entry must go.
    const now = DateTime.fromISO('2037-01-12T13:00:00+01:00');
    const plan = await services.reconciler.reconcile({ dryRun: true, now });
    const text = formatReconcileReport(plan);
    expect(text).toContain('+ create  pms/R-3');
    expect(text).toMatch(
      /~ update {2}pms\/R-2 .*validToIso 2037-12-31T23:00:00Z → 2037-02-12T11:00:00\+01:00/,
    );
    expect(text).toMatch(/- delete {2}pms\/R-1 .*access ended/);
    expect(text).toContain(`- delete  entry ${orphan.id} (fs:lost-booking): orphaned`);
    expect(text).toContain('1 foreign (untouched)');
    expect(text).not.toContain(r2.codeTag ?? 'no pin');
    // The dry run changed nothing.
    expect((await client.unitIdEntries.listAll({ unitId: 7001 })).length).toBe(rows7001.length + 1);

    const applied = await services.reconciler.reconcile({ dryRun: false, now });
    expect(applied.applied).toMatchObject({ bookingsRepaired: 3, orphansDeleted: 1, skipped: [] });
    // The repairs go through the same unit sync as bookings do.
    await waitFor(
      () =>
        device(engine, 7001).length === 3 &&
        device(engine, 7002).length === 1 &&
        device(engine, 7003).length === 1,
      { timeoutMs: 15_000, description: 'devices repaired' },
    );
    expect(device(engine, 7002)).toEqual(before[7002]);
    expect(device(engine, 7003)).toEqual(before[7003]);
    // 7001: R-1 gone (expired), R-2 window back, R-4 untouched, the hand-made entry untouched.
    const expected7001 = before[7001].filter((line) => !line.startsWith(r1.idNumber));
    expect(device(engine, 7001)).toEqual(expected7001);
    expect(engine.device(7001).find((e) => e.idNumber === HAND_MADE.idNumber)).toMatchObject({
      codeTag: '271828',
    });

    const after = await services.reconciler.reconcile({ dryRun: true, now });
    expect(after.units.every((u) => u.drifts.length === 0)).toBe(true);
  });

  it('an owned row whose booking is being applied right now, or whose record is unreadable, is not deleted as an orphan', async () => {
    // pms/RACE's create has landed on the unit, but its record lists the entry only after the call:
    // between the two, the row has our tag and no record entry. Its claim (made before the create) and
    // its record being `applying` tell reconciliation to leave it.
    const racing = await client.unitIdEntries.create({
      unitId: 7001,
      idNumber: 'fsRACE000001',
      name: 'Guest RACE',
      description: 'fs:RACE',
      action: 'R1',
      codeTag: '564738',
    });
    const orphan = await client.unitIdEntries.create({
      unitId: 7001,
      idNumber: 'fsLOST000001',
      name: 'Gone guest',
      description: 'fs:lost-booking',
      action: 'R1',
      codeTag: '508262',
    });
    await services.units.claimIfFree(
      'pms/RACE',
      new Map([[7001, { code: '564738', idNumber: 'fsRACE000001' }]]),
    );
    await services.bookings.put({
      key: 'pms/RACE',
      source: 'pms',
      externalId: 'RACE',
      resource: 'room',
      status: 'confirmed',
      pin: '564738',
      entries: [],
      applying: true,
      updatedIso: new Date().toISOString(),
    });

    // And one whose booking's record cannot be read: nothing says the row is not its.
    const unreadable = await client.unitIdEntries.create({
      unitId: 7001,
      idNumber: 'fsBROKEN0001',
      name: 'Guest BROKEN',
      description: 'fs:BROKEN',
      action: 'R1',
      codeTag: '564739',
    });
    await services.units.claimIfFree('pms/BROKEN', new Map([[7001, { idNumber: 'fsBROKEN0001' }]]));
    await engine.redis.set(`${engine.prefix}:booking:pms/BROKEN`, '{"key": "pms/BROKEN", truncated');

    const report = await services.reconciler.reconcile({ dryRun: false });
    expect(report.applied.orphansDeleted).toBe(1);
    expect(report.applied.skipped.toSorted()).toEqual(
      [
        `unit 7001 entry ${racing.id}: pms/RACE holds it (a change in progress); the next reconcile looks again`,
        `unit 7001 entry ${unreadable.id}: pms/BROKEN (unreadable record) holds it (a change in progress); the next reconcile looks again`,
      ].toSorted(),
    );
    const left = (await client.unitIdEntries.listAll({ unitId: 7001 })).filter(
      (row) => row.syncState !== 'PendingDelete',
    );
    expect(left.map((row) => row.id)).toContain(racing.id);
    expect(left.map((row) => row.id)).toContain(unreadable.id);
    expect(left.map((row) => row.id)).not.toContain(orphan.id);
  });

  it('Redis flushed: orphan deletion is refused by the blast-radius guard; re-sent bookings adopt their entries and keep their PINs', async () => {
    const before = { 7001: device(engine, 7001), 7002: device(engine, 7002), 7003: device(engine, 7003) };
    const pins = new Map(
      (await engine.outcomes()).filter((e) => e.state === 'synced').map((e) => [e.externalId, e.pin]),
    );
    await engine.worker?.close();
    // Everything flexysync had in Redis is gone (only this test's prefix: the test Redis is shared).
    await deleteKeysWithPrefix(engine.redis, engine.prefix);

    const report = await services.reconciler.reconcile({
      dryRun: false,
      now: DateTime.fromISO('2026-12-01T00:00:00Z'),
    });
    for (const unit of report.units) {
      expect(unit.refused).toMatch(/would delete \d+ of \d+ owned entries/);
      expect(unit.drifts).toEqual([]);
    }
    expect(report.applied.orphansDeleted).toBe(0);
    expect(device(engine, 7001)).toEqual(before[7001]);

    // The sources send their bookings again (a feed re-read, a PMS re-push): entries are adopted, PINs kept.
    const worker = await startWorker({ config: engine.config, logger: engine.logger });
    try {
      await engine.enqueue([
        booking('R-1', 'room', '2037-01-10T15:00:00+01:00', '2037-01-12T11:00:00+01:00'),
        booking('R-2', 'room', '2037-02-10T15:00:00+01:00', '2037-02-12T11:00:00+01:00'),
        booking('R-3', 'duo', '2037-01-20T15:00:00+01:00', '2037-01-22T11:00:00+01:00'),
        booking('R-4', 'room', '2037-03-10T15:00:00+01:00', '2037-03-12T11:00:00+01:00'),
      ]);
      for (const id of ['R-1', 'R-2', 'R-3', 'R-4']) {
        const synced = await engine.waitForState(`pms/${id}`, 'synced');
        expect(synced.pin).toBe(pins.get(id));
      }
      expect(device(engine, 7001)).toEqual(before[7001]);
      expect(device(engine, 7002)).toEqual(before[7002]);
      expect(device(engine, 7003)).toEqual(before[7003]);
      const after = await services.reconciler.reconcile({
        dryRun: true,
        now: DateTime.fromISO('2026-12-01T00:00:00Z'),
      });
      expect(after.units.every((u) => u.drifts.length === 0 && !u.refused)).toBe(true);
    } finally {
      await worker.close();
    }
  });
});
