import { FlexyKeyForbiddenError, type SyncStatus, type UnitIdEntry } from '../../src/flexykey';
import {
  CALL,
  type Contract,
  createEntries,
  failureOf,
  heldFields,
  isFrom,
  pollStatus,
  pushAndComplete,
  startContract,
} from '../helpers/contract';
import { SEED_SERIALS, SEED_UNITS } from '../helpers/simulator';
import { waitFor } from '../helpers/wait-for';

// Guide, "Unit sync": PushChanges packages changed data and returns at once; Status (cached ~2 s)
// is polled until completed, failed or timed out; Abort stops a sync and clears pending packets.
// DESIGN.md: a poll just after a push can show the previous sync's finished state (tell them apart by
// start time); a Failed / TimedOut sync may answer AlreadyRunning until Abort.

const UNIT = SEED_UNITS.main;
const OFFLINE = SEED_UNITS.offline;

let c: Contract;

/** The writable fields of a row, to PUT it back whole. */
function entryInputOf(row: UnitIdEntry) {
  return {
    unitId: row.unitId,
    idNumber: row.idNumber,
    name: row.name,
    description: row.description,
    action: row.action,
    codeTag: row.codeTag,
    codeTagCalendar: row.codeTagCalendar,
    validFromIso: row.validFromIso,
    validToIso: row.validToIso,
  };
}

/** Server rows through the client, as the unit should hold them (PendingDelete rows excluded). */
async function expectedDevice(unitId: number) {
  const rows = await c.client.unitIdEntries.listAll({ unitId });
  return rows.filter((r) => r.syncState !== 'PendingDelete').map(heldFields);
}

describe('a full sync with progress', () => {
  beforeEach(async () => {
    c = await startContract({ simulator: { packetSize: 1 }, unitLatencyMs: 25 });
  });

  it('Queued → InProgress with rising progressPercent → Completed; device memory equals the rows', async () => {
    const created = await createEntries(c.client, UNIT, 6);
    const pushedAtMs = Date.now();
    const pushed = await c.client.unitSync.pushChanges({ unitId: UNIT });
    expect(pushed).toMatchObject({ unitId: UNIT, status: 'Queued', packetCount: 6 });

    const { final, seen } = await pollStatus(c.client, UNIT, 'Completed', pushedAtMs);
    const ours = seen.filter((s) => isFrom(s, pushedAtMs));
    const inProgress = ours.filter((s) => s.state === 'InProgress');
    expect(inProgress.length).toBeGreaterThan(0);
    expect(inProgress.every((s) => s.active === true)).toBe(true);
    const progress = ours.map((s) => s.progressPercent ?? -1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(inProgress.map((s) => s.progressPercent)).size).toBeGreaterThan(1);
    expect(inProgress.some((s) => (s.progressPercent ?? 0) > 0 && (s.progressPercent ?? 0) < 100)).toBe(true);
    expect(final).toMatchObject({
      unitId: UNIT,
      active: false,
      state: 'Completed',
      progressPercent: 100,
      packetsTotal: 6,
      packetsSent: 6,
    });

    const rows = await c.client.unitIdEntries.listAll({ unitId: UNIT });
    expect(rows.every((r) => r.syncState === 'Synced')).toBe(true);
    expect(c.device(UNIT)).toEqual(await expectedDevice(UNIT));
    expect(c.device(UNIT).map((e) => e.id)).toEqual(expect.arrayContaining(created.map((r) => r.id)));
    expect(c.unit(UNIT).sync.overlapViolations).toBe(0);
  });

  it('a status read before any push says "No active unit programming"', async () => {
    expect(await c.client.unitSync.status({ unitId: UNIT })).toMatchObject({
      active: false,
      state: 'None',
      message: 'No active unit programming',
    });
  });

  it('PendingDelete rows leave the unit and the server after the sync; nothing left → NoChanges', async () => {
    const created = await createEntries(c.client, UNIT, 3);
    await pushAndComplete(c.client, UNIT);
    const handMade = c.unit(UNIT).rows.find((r) => r.idNumber === '+46701234567');
    await c.client.unitIdEntries.delete({ id: created[1]?.id as number, unitId: UNIT });
    await c.client.unitIdEntries.delete({ id: handMade?.id as number, unitId: UNIT });
    const run = await pushAndComplete(c.client, UNIT);
    expect(run.final.packetsTotal).toBe(2);

    const ids = (await c.client.unitIdEntries.listAll({ unitId: UNIT })).map((r) => r.id);
    expect(ids).toEqual([created[0]?.id, created[2]?.id]);
    expect(c.device(UNIT)).toEqual(await expectedDevice(UNIT));

    const again = await c.client.unitSync.pushChanges({ unitId: UNIT });
    expect(again).toMatchObject({ status: 'NoChanges', packetCount: 0 });
  });

  it('PushChanges by serialNumber works like by unitId', async () => {
    await createEntries(c.client, UNIT, 1);
    const pushed = await c.client.unitSync.pushChanges({ serialNumber: SEED_SERIALS.main });
    expect(pushed).toMatchObject({ unitId: UNIT, status: 'Queued' });
    await pollStatus(c.client, UNIT, 'Completed', 0);
  });

  it('a second push while one is InProgress answers AlreadyRunning and changes nothing', async () => {
    await createEntries(c.client, UNIT, 4);
    // A sync of about a second, so the second push surely arrives while it runs.
    c.sim.simulator.updateUnit(UNIT, { packetLatencyMs: 250 });
    await c.client.unitSync.pushChanges({ unitId: UNIT });
    const second = await c.client.unitSync.pushChanges({ unitId: UNIT });
    expect(second.status).toBe('AlreadyRunning');
    await pollStatus(c.client, UNIT, 'Completed', 0);
    expect(c.unit(UNIT).sync.history).toHaveLength(1);
  });

  it("another company's unit cannot be pushed, polled or aborted", async () => {
    const other = SEED_UNITS.otherCompany;
    expect(await failureOf(c.client.unitSync.pushChanges({ unitId: other }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(await failureOf(c.client.unitSync.status({ unitId: other }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
    expect(await failureOf(c.client.unitSync.abort({ unitId: other }))).toBeInstanceOf(
      FlexyKeyForbiddenError,
    );
  });
});

describe('changes made while a sync runs', () => {
  beforeEach(async () => {
    c = await startContract({ simulator: { packetSize: 1 }, unitLatencyMs: 80 });
  });

  it('are not lost: the row stays Changed after that sync, and the next push delivers the new value', async () => {
    const created = await createEntries(c.client, UNIT, 3);
    const [first, , last] = created as [(typeof created)[0], unknown, (typeof created)[0]];
    const pushedAtMs = Date.now();
    await c.client.unitSync.pushChanges({ unitId: UNIT });
    await waitFor(() => c.unit(UNIT).sync.status.packetsSent >= 1, {
      description: 'first packet delivered',
    });
    // One row already delivered, one still waiting in a packet that holds its old values.
    await c.client.unitIdEntries.update(first.id, { ...entryInputOf(first), codeTag: '515151' });
    await c.client.unitIdEntries.update(last.id, { ...entryInputOf(last), codeTag: '626262' });
    await pollStatus(c.client, UNIT, 'Completed', pushedAtMs);

    const rows = await c.client.unitIdEntries.listAll({ unitId: UNIT });
    const state = (id: number) => rows.find((r) => r.id === id)?.syncState;
    expect([state(first.id), state(last.id)]).toEqual(['Changed', 'Changed']);
    expect(c.device(UNIT).find((e) => e.id === first.id)?.codeTag).toBe(first.codeTag);
    expect(c.device(UNIT).find((e) => e.id === last.id)?.codeTag).toBe(last.codeTag);

    const next = await c.client.unitSync.pushChanges({ unitId: UNIT });
    expect(next).toMatchObject({ status: 'Queued', packetCount: 2 });
    await pollStatus(c.client, UNIT, 'Completed', Date.parse(c.unit(UNIT).sync.history[1]?.startedIso ?? ''));
    expect(c.device(UNIT)).toEqual(await expectedDevice(UNIT));
    expect(c.device(UNIT).find((e) => e.id === last.id)?.codeTag).toBe('626262');
  });

  it('a row deleted while its write is in flight reaches the unit, then leaves it with the next sync', async () => {
    const created = await createEntries(c.client, UNIT, 3);
    const last = created[2] as (typeof created)[0];
    const pushedAtMs = Date.now();
    await c.client.unitSync.pushChanges({ unitId: UNIT });
    await c.client.unitIdEntries.delete({ id: last.id, unitId: UNIT });
    await pollStatus(c.client, UNIT, 'Completed', pushedAtMs);
    expect(c.unit(UNIT).rows.find((r) => r.id === last.id)?.syncState).toBe('PendingDelete');
    expect(c.device(UNIT).map((e) => e.id)).toContain(last.id);
    await pushAndComplete(c.client, UNIT);
    expect(c.device(UNIT).map((e) => e.id)).not.toContain(last.id);
    expect((await c.client.unitIdEntries.listAll({ unitId: UNIT })).map((r) => r.id)).not.toContain(last.id);
  });
});

describe('the status cache guard', () => {
  // Long next to the few requests each test makes inside it, so a busy machine cannot outlast it.
  const GUARD_MS = 1_000;
  beforeEach(async () => {
    c = await startContract({ simulator: { statusCacheGuardMs: GUARD_MS }, unitLatencyMs: 5 });
  });

  it('right after a new push, Status still shows the previous finished sync; startedIso tells them apart', async () => {
    await createEntries(c.client, UNIT, 1);
    const first = await pushAndComplete(c.client, UNIT);

    await createEntries(c.client, UNIT, 1, 2);
    // Fill the cache with the finished first sync, then push within the guard.
    const cachedBefore = await c.client.unitSync.status({ unitId: UNIT });
    expect(cachedBefore.startedIso).toBe(first.final.startedIso);
    const pushedAtMs = Date.now();
    expect((await c.client.unitSync.pushChanges({ unitId: UNIT })).status).toBe('Queued');
    const stale = await c.client.unitSync.status({ unitId: UNIT });
    expect(stale.state).toBe('Completed');
    expect(stale.startedIso).toBe(first.final.startedIso);
    expect(isFrom(stale, pushedAtMs)).toBe(false);

    const { final } = await pollStatus(c.client, UNIT, 'Completed', pushedAtMs);
    expect(final.startedIso).not.toBe(first.final.startedIso);
    expect(Date.parse(final.startedIso ?? '')).toBeGreaterThanOrEqual(pushedAtMs);
    expect(c.device(UNIT)).toEqual(await expectedDevice(UNIT));
  });

  it('within the guard, Status repeats its snapshot even after the sync has completed; after it, a fresh one', async () => {
    // The first read must come before the packet (a busy machine has 400 ms), the second, after it,
    // while the guard still holds (600 ms more).
    c.sim.simulator.updateUnit(UNIT, { packetLatencyMs: 400 });
    await createEntries(c.client, UNIT, 1);
    const pushedAtMs = Date.now();
    await c.client.unitSync.pushChanges({ unitId: UNIT });
    const readAtMs = Date.now();
    const a = await c.client.unitSync.status({ unitId: UNIT });
    expect(a).toMatchObject({ state: 'InProgress', packetsSent: 0 });
    await waitFor(() => c.unit(UNIT).sync.status.state === 'Completed', { intervalMs: 5 });
    const b = await c.client.unitSync.status({ unitId: UNIT });
    // Only meaningful while the guard still holds.
    expect(Date.now() - readAtMs).toBeLessThan(GUARD_MS);
    expect(b).toEqual(a);
    const { final } = await pollStatus(c.client, UNIT, 'Completed', pushedAtMs);
    expect(final.startedIso).toBe(a.startedIso);
    expect(Date.now() - readAtMs).toBeGreaterThanOrEqual(GUARD_MS);
  });
});

describe('an offline unit', () => {
  beforeEach(async () => {
    c = await startContract({ simulator: { syncTimeoutMs: 150, packetSize: 2 } });
  });

  it('TimedOut → AlreadyRunning until Abort → Aborted / NothingToAbort → online → Completed', async () => {
    const created = await createEntries(c.client, OFFLINE, 3);
    const pushedAtMs = Date.now();
    expect(await c.client.unitSync.pushChanges({ unitId: OFFLINE })).toMatchObject({
      status: 'Queued',
      packetCount: 2,
    });
    const { final: timedOut } = await pollStatus(c.client, OFFLINE, 'TimedOut', pushedAtMs);
    expect(timedOut).toMatchObject({ active: false, packetsSent: 0, packetsTotal: 2 });

    // Packets are still pending: a new push is refused until Abort.
    const refused = await c.client.unitSync.pushChanges({ unitId: OFFLINE });
    expect(refused).toMatchObject({ status: 'AlreadyRunning', packetCount: 2 });
    expect(await c.client.unitSync.pushChanges({ unitId: OFFLINE })).toMatchObject({
      status: 'AlreadyRunning',
    });

    const aborted = await c.client.unitSync.abort({ unitId: OFFLINE });
    expect(aborted).toEqual({ unitId: OFFLINE, status: 'Aborted', clearedPackets: 2 });
    expect(await c.client.unitSync.abort({ unitId: OFFLINE })).toMatchObject({
      status: 'NothingToAbort',
      clearedPackets: 0,
    });
    // Nothing was delivered: every row is still Changed, the unit holds none of them.
    const rows = await c.client.unitIdEntries.listAll({ unitId: OFFLINE });
    expect(rows.map((r) => r.syncState)).toEqual(['Changed', 'Changed', 'Changed']);
    expect(c.device(OFFLINE)).toEqual([]);

    c.sim.simulator.updateUnit(OFFLINE, { online: true });
    const run = await pushAndComplete(c.client, OFFLINE);
    expect(run.final).toMatchObject({ packetsTotal: 2, packetsSent: 2 });
    expect(c.device(OFFLINE).map((e) => e.id)).toEqual(created.map((r) => r.id));
    expect(c.device(OFFLINE)).toEqual(await expectedDevice(OFFLINE));
    expect(c.unit(OFFLINE).sync.overlapViolations).toBe(0);
  });
});

describe('an offline unit that comes back in time', () => {
  beforeEach(async () => {
    c = await startContract({ simulator: { syncTimeoutMs: 5_000 } });
  });

  it('the sync waits (InProgress) and finishes when the unit comes back before the timeout', async () => {
    await createEntries(c.client, OFFLINE, 2);
    const pushedAtMs = Date.now();
    await c.client.unitSync.pushChanges({ unitId: OFFLINE });
    await pollStatus(c.client, OFFLINE, 'InProgress', pushedAtMs);
    c.sim.simulator.updateUnit(OFFLINE, { online: true });
    await pollStatus(c.client, OFFLINE, 'Completed', pushedAtMs);
    expect(c.device(OFFLINE)).toEqual(await expectedDevice(OFFLINE));
  });
});

describe('failures and Abort', () => {
  beforeEach(async () => {
    c = await startContract({ simulator: { packetSize: 1 } });
  });

  it('a unit that fails after N packets → Failed; delivered rows Synced, the rest Changed; Abort; retry completes', async () => {
    c.sim.simulator.updateUnit(UNIT, { failAfterPackets: 1 });
    const created = await createEntries(c.client, UNIT, 3);
    const pushedAtMs = Date.now();
    await c.client.unitSync.pushChanges({ unitId: UNIT });
    const { final: failed } = await pollStatus(c.client, UNIT, 'Failed', pushedAtMs);
    expect(failed).toMatchObject({ active: false, packetsSent: 1, packetsTotal: 3 });

    const states = (await c.client.unitIdEntries.listAll({ unitId: UNIT }))
      .filter((r) => created.some((x) => x.id === r.id))
      .map((r) => r.syncState);
    expect(states).toEqual(['Synced', 'Changed', 'Changed']);
    expect(c.device(UNIT).map((e) => e.id)).toContain(created[0]?.id);
    expect(c.device(UNIT).map((e) => e.id)).not.toContain(created[1]?.id);

    expect((await c.client.unitSync.pushChanges({ unitId: UNIT })).status).toBe('AlreadyRunning');
    expect(await c.client.unitSync.abort({ unitId: UNIT })).toMatchObject({
      status: 'Aborted',
      clearedPackets: 2,
    });

    c.sim.simulator.updateUnit(UNIT, { failAfterPackets: null });
    const run = await pushAndComplete(c.client, UNIT);
    expect(run.final.packetsTotal).toBe(2);
    expect(c.device(UNIT)).toEqual(await expectedDevice(UNIT));
  });

  it('Abort mid-sync clears the pending packets; undelivered rows stay Changed and go with the next push', async () => {
    c.sim.simulator.updateUnit(UNIT, { packetLatencyMs: 150 });
    const created = await createEntries(c.client, UNIT, 4);
    await c.client.unitSync.pushChanges({ unitId: UNIT });
    await waitFor(() => c.unit(UNIT).sync.status.packetsSent >= 1, { description: 'first packet delivered' });

    const aborted = await c.client.unitSync.abort({ unitId: UNIT });
    expect(aborted.status).toBe('Aborted');
    const sent = c.unit(UNIT).sync.history[0]?.packetsSent ?? -1;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(aborted.clearedPackets).toBe(4 - sent);
    expect(aborted.clearedPackets).toBeGreaterThan(0);
    expect(c.unit(UNIT).sync.pendingPackets).toBe(0);

    const status: SyncStatus = (await pollStatus(c.client, UNIT, 'Aborted', 0)).final;
    expect(status).toMatchObject({ active: false, packetsSent: sent });

    const ours = (await c.client.unitIdEntries.listAll({ unitId: UNIT })).filter((r) =>
      created.some((x) => x.id === r.id),
    );
    expect(ours.filter((r) => r.syncState === 'Synced')).toHaveLength(sent);
    expect(ours.filter((r) => r.syncState === 'Changed')).toHaveLength(4 - sent);
    const onDevice = new Set(c.device(UNIT).map((e) => e.id));
    for (const row of ours) expect(onDevice.has(row.id)).toBe(row.syncState === 'Synced');

    c.sim.simulator.updateUnit(UNIT, { packetLatencyMs: 5 });
    const next = await c.client.unitSync.pushChanges({ unitId: UNIT });
    expect(next).toMatchObject({ status: 'Queued', packetCount: 4 - sent });
    await pollStatus(c.client, UNIT, 'Completed', 0);
    expect(c.device(UNIT)).toEqual(await expectedDevice(UNIT));
    expect(c.calls(CALL.abort)).toBe(1);
  });

  it('Abort with nothing running → NothingToAbort', async () => {
    expect(await c.client.unitSync.abort({ unitId: UNIT })).toEqual({
      unitId: UNIT,
      status: 'NothingToAbort',
      clearedPackets: 0,
    });
  });
});
